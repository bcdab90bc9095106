"""The language patterns in ``rag/``, per module: compiled patterns, inline pattern calls and word lists.

Read with ``ast`` (nothing is imported), per module under ``ROOT/rag``:

- compiled: calls to ``re.compile(...)``, anywhere in the module;
- inline: ``re.search``, ``match``, ``fullmatch``, ``findall``, ``finditer``,
  ``sub``, ``subn`` or ``split`` called with a literal string or an f-string
  as the pattern (the first argument, or ``pattern=``), anywhere;
- word lists: at module level (outside functions and classes), a
  ``"...".split()`` of 5 or more words, a set literal ``{...}`` of 5 or more
  strings, or a list or tuple literal of 5 or more strings passed to
  ``frozenset``/``set``, where every string is one lowercase word
  (``frozenset("a b c d e".split())`` is one list, not two).

Left out: the article-reading rule files (``boilerplate.py`` and its split-out
``datelines.py``, ``notices.py``, ``captions.py``), fetching (``fetch.py``,
``feeds.py``, ``download.py``, ``extract.py``), ``rag/eval/`` and ``rag/index/``.
Not counted: a pattern built from a name (``re.search(_X, ...)``), a dict of
word strings split later, a tuple of field names not made a set.

    python benchmarks/patterns.py [--root PATH]
"""

from __future__ import annotations

import argparse
import ast
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

EXCLUDED_FILES = frozenset({
    "boilerplate.py", "datelines.py", "notices.py", "captions.py",
    "fetch.py", "feeds.py", "download.py", "extract.py",
})
EXCLUDED_DIRS = ("eval", "index")
INLINE = frozenset({"search", "match", "fullmatch", "findall", "finditer", "sub", "subn", "split"})
MIN_WORDS = 5
_WORD = re.compile(r"[a-z][a-z'’-]*")


@dataclass(frozen=True)
class Counts:
    compiled: int = 0
    inline: int = 0
    word_lists: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.compiled + other.compiled, self.inline + other.inline, self.word_lists + other.word_lists)

    @property
    def total(self) -> int:
        return self.compiled + self.inline + self.word_lists


def modules(root: Path) -> list[Path]:
    """The modules counted: every ``.py`` under ``root/rag`` but the excluded files and folders."""
    package = root / "rag"
    out = []
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package)
        if rel.parts[0] in EXCLUDED_DIRS or "__pycache__" in rel.parts:
            continue
        if len(rel.parts) == 1 and rel.name in EXCLUDED_FILES:
            continue
        out.append(path)
    return out


def re_names(tree: ast.Module) -> tuple[set[str], dict[str, str]]:
    """The names ``re`` is imported as, and names imported from it (local name -> ``re``'s name)."""
    modules_, functions = set(), {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules_ |= {a.asname or a.name for a in node.names if a.name == "re"}
        elif isinstance(node, ast.ImportFrom) and node.module == "re":
            functions |= {a.asname or a.name: a.name for a in node.names}
    return modules_, functions


def re_function(call: ast.Call, modules_: set[str], functions: dict[str, str]) -> str | None:
    """The ``re`` function ``call`` calls (``re.compile(...)`` -> "compile"), else None."""
    f = call.func
    if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id in modules_:
        return f.attr
    if isinstance(f, ast.Name) and f.id in functions:
        return functions[f.id]
    return None


def literal_pattern(call: ast.Call) -> bool:
    """The pattern ``call`` is given (first argument or ``pattern=``) is a literal string or an f-string."""
    pattern = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "pattern"), None)
    return isinstance(pattern, ast.JoinedStr) or (
        isinstance(pattern, ast.Constant) and isinstance(pattern.value, str | bytes))


def lowercase_words(strings: Sequence[object]) -> bool:
    return len(strings) >= MIN_WORDS and all(isinstance(s, str) and _WORD.fullmatch(s) for s in strings)


def split_words(node: ast.AST) -> list[str] | None:
    """The words of ``"...".split()``, else None."""
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "split"
            and isinstance(node.func.value, ast.Constant) and isinstance(node.func.value.value, str)
            and not node.args and not node.keywords):
        return node.func.value.value.split()
    return None


def constants(elements: Sequence[ast.expr]) -> list[object]:
    return [e.value if isinstance(e, ast.Constant) else None for e in elements]


def module_level(tree: ast.Module) -> list[ast.AST]:
    """Every node of the module's own statements, not inside a function, class or lambda."""
    out, todo = [], list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            continue
        out.append(node)
        todo.extend(ast.iter_child_nodes(node))
    return out


def word_lists(tree: ast.Module) -> int:
    count = 0
    for node in module_level(tree):
        if (words := split_words(node)) is not None:
            count += lowercase_words(words)
        elif isinstance(node, ast.Set):
            count += lowercase_words(constants(node.elts))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("frozenset", "set")
              and len(node.args) == 1 and isinstance(node.args[0], ast.List | ast.Tuple)):
            count += lowercase_words(constants(node.args[0].elts))
    return count


def count(source: str) -> Counts:
    tree = ast.parse(source)
    modules_, functions = re_names(tree)
    compiled = inline = 0
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and (name := re_function(node, modules_, functions)) is not None:
            compiled += name == "compile"
            inline += name in INLINE and literal_pattern(node)
    return Counts(compiled, inline, word_lists(tree))


def table(root: Path) -> str:
    rows = [(".".join(p.relative_to(root).with_suffix("").parts), count(p.read_text(encoding="utf-8")))
            for p in modules(root)]
    rows = [(m.removesuffix(".__init__"), c) for m, c in rows]
    counted = [(m, c) for m, c in rows if c.total]
    width = max(len("module"), *(len(m) for m, _ in counted)) if counted else len("module")
    line = f"{{:<{width}}}  {{:>8}}  {{:>6}}  {{:>10}}"
    out = [f"patterns in {root / 'rag'}", line.format("module", "compiled", "inline", "word lists"),
           line.format("-" * width, "-" * 8, "-" * 6, "-" * 10)]
    out += [line.format(m, c.compiled, c.inline, c.word_lists) for m, c in counted]
    total = sum((c for _, c in rows), Counts())
    out.append(line.format("-" * width, "-" * 8, "-" * 6, "-" * 10))
    out.append(line.format("total", total.compiled, total.inline, total.word_lists))
    out.append(f"{len(rows)} modules read, {len(counted)} with patterns ({total.total} in all); none in: "
               + ", ".join(m for m, c in rows if not c.total))
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent,
                        help="the tree whose rag/ is read (default: this repository)")
    args = parser.parse_args(argv)
    print(table(args.root.resolve()))


if __name__ == "__main__":
    main()
