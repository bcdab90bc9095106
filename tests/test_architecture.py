"""The shape of the code, checked: layering, where untrusted text is defanged, errors, the pipeline's length."""

from __future__ import annotations

import ast
import importlib
import inspect
import subprocess
import sys
from pathlib import Path

from rag.errors import RagError
from tests.fakes import PROJECT

RAG = PROJECT / "rag"


def _modules() -> list[tuple[str, ast.Module]]:
    return [(str(p.relative_to(PROJECT)), ast.parse(p.read_text(encoding="utf-8"))) for p in sorted(RAG.rglob("*.py"))]


def _enclosing_functions(tree: ast.Module) -> dict[ast.AST, str]:
    """Every node -> the name of the innermost function it sits in ("" at module level)."""
    owner: dict[ast.AST, str] = {}

    def visit(node: ast.AST, name: str) -> None:
        for child in ast.iter_child_nodes(node):
            inner = child.name if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else name
            owner[child] = inner
            visit(child, inner)

    visit(tree, "")
    return owner


def test_layers_contract_holds() -> None:
    """applications -> pipeline -> stages -> records, as pyproject.toml's import-linter contract says."""
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint)], cwd=PROJECT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-2000:]
    assert "0 broken" in result.stdout


def test_untrusted_text_is_defanged_only_inside_the_prompt_builders() -> None:
    calls = set()
    for path, tree in _modules():
        owner = _enclosing_functions(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
                if name == "defang":
                    calls.add((path, owner[node]))
    assert calls == {("rag/prompts.py", "answer_prompt")}


def test_the_composition_is_short_and_the_engine_holds_resources() -> None:
    """``pipeline.stream`` composes the stages in at most 20 lines of logic; ``Engine`` is at most 150 lines."""
    from rag import pipeline

    body = ast.parse(inspect.getsource(pipeline.stream).strip()).body[0]
    assert isinstance(body, ast.FunctionDef)
    statements = body.body[1:] if isinstance(body.body[0], ast.Expr) else body.body  # without the docstring
    assert sum(s.end_lineno - s.lineno + 1 for s in statements) <= 20  # type: ignore[operator]
    engine = ast.parse(inspect.getsource(pipeline.Engine)).body[0]
    assert engine.end_lineno - engine.lineno + 1 <= 150  # type: ignore[operator]


def test_no_module_is_over_400_lines() -> None:
    sizes = {str(p.relative_to(PROJECT)): len(p.read_text(encoding="utf-8").splitlines()) for p in RAG.rglob("*.py")}
    assert {p: n for p, n in sizes.items() if n > 400} == {}


def test_every_user_facing_error_is_a_rag_error() -> None:
    errors = []
    for path, _ in _modules():
        module = importlib.import_module(path.removesuffix(".py").removesuffix("/__init__").replace("/", "."))
        for name, value in vars(module).items():
            if name.endswith("Error") and inspect.isclass(value) and value.__module__.startswith("rag"):
                errors.append(value)
    assert len(errors) >= 7 and all(issubclass(e, RagError) for e in errors), errors


def test_no_handler_swallows_more_than_a_rag_error() -> None:
    """``except Exception``/``BaseException``/bare ``except`` only to clean up and re-raise."""
    broad = []
    for path, tree in _modules():
        for node in ast.walk(tree):
            if not isinstance(node, ast.ExceptHandler):
                continue
            names = {ast.unparse(node.type)} if node.type is not None else {"<bare>"}
            if names & {"Exception", "BaseException", "<bare>"} and not isinstance(node.body[-1], ast.Raise):
                broad.append(f"{path}:{node.lineno}")
    assert broad == []
