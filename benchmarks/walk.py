"""The walk of a question through the modules: each change of module while the question is passed on.

Builds an ``Engine`` over a temporary copy of the seed articles (``seeds/``)
with the fakes the tests use (``tests/fakes.py``: hashed-word embedder,
word-overlap reranker, and an LLM that answers "Hassan Rouhani [n]." with
``n`` the shown passage naming him), asks the seed question "who met the
Iraqi foreign minister?" through ``Engine.ask``, and under ``sys.setprofile``
records every Python call of a function in a ``rag.*`` module whose
arguments (the frame's locals at call time) include the question: the
string itself, or an object whose ``text`` attribute is the question (the
frozen ``rag.records.Question`` record the question is read into). A
generator's frame is counted once, when it starts: resuming it after a
``yield`` passes nothing on.

It prints one line per step where the called function's module differs from
the previous recorded call's (``N. rag.module.qualname``), then a summary:
the stops, the distinct modules, the re-entries (stops in a module the walk
had already been in and left) and how many of those are ``rag.pipeline``.

The index is built before profiling starts; the walk covers ``Engine.ask``
only. The code walked is the tree ``--root`` (default: the current folder),
put first on ``sys.path``, so the same script walks an older worktree:

    cd /tmp/before && python /work/main/benchmarks/walk.py
    python benchmarks/walk.py [--root PATH] [--calls]
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import re
import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

QUESTION = "who met the Iraqi foreign minister?"
SEED_NAME = "000_efee75aea60a5e55.txt"
_GENERATOR = inspect.CO_GENERATOR | inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR


@dataclass(frozen=True)
class Call:
    """One recorded call: the function's module and qualified name, and the argument that held the question."""

    module: str
    function: str
    argument: str
    kind: str  # "str" or the type name of the record whose ``text`` is the question


@dataclass
class Walk:
    """The recorded calls, in order, and the answer ``Engine.ask`` gave."""

    calls: list[Call] = field(default_factory=list)
    answer: str = ""
    rag_file: str = ""

    @property
    def stops(self) -> list[Call]:
        """The calls where the module changes from the previous recorded call's."""
        return [c for i, c in enumerate(self.calls) if i == 0 or c.module != self.calls[i - 1].module]

    @property
    def modules(self) -> list[str]:
        """The distinct modules, in order of first visit."""
        return list(dict.fromkeys(c.module for c in self.calls))

    @property
    def reentries(self) -> list[Call]:
        """The stops in a module the walk had already left (every stop after a module's first)."""
        seen: set[str] = set()
        out = []
        for stop in self.stops:
            if stop.module in seen:
                out.append(stop)
            seen.add(stop.module)
        return out

    def reentered(self, module: str) -> int:
        return sum(1 for s in self.reentries if s.module == module)


def arguments(frame: FrameType) -> list[tuple[str, object]]:
    """(name, value) of each argument of ``frame`` at its call, ``*args`` and ``**kwargs`` spread out."""
    code, local = frame.f_code, frame.f_locals
    count = code.co_argcount + code.co_kwonlyargcount
    out = [(name, local.get(name)) for name in code.co_varnames[:count]]
    if code.co_flags & inspect.CO_VARARGS:
        name = code.co_varnames[count]
        out += [(name, v) for v in local.get(name, ())]
        count += 1
    if code.co_flags & inspect.CO_VARKEYWORDS:
        out += list(local.get(code.co_varnames[count], {}).items())
    return out


def holder(frame: FrameType, question: str) -> tuple[str, str] | None:
    """(argument name, kind) of the first argument of ``frame`` that is ``question`` or has it as ``.text``."""
    for name, value in arguments(frame):
        if isinstance(value, str):
            if value == question:
                return name, "str"
            continue
        try:
            text = getattr(value, "text", None)
        except Exception:  # a property that fails on this object: not the question's record
            continue
        if isinstance(text, str) and text == question:
            return name, type(value).__name__
    return None


def qualname(frame: FrameType) -> str:
    """The function's qualified name; a dataclass's generated ``__init__`` is named by its class (``Answer``)."""
    name = frame.f_code.co_qualname
    if name.endswith("<locals>.__init__") and frame.f_code.co_varnames[:1] == ("self",):
        return f"{type(frame.f_locals['self']).__qualname__}.__init__"
    return name


def record(ask, question: str) -> list[Call]:
    """Call ``ask(question)`` under ``sys.setprofile``; the calls in ``rag.*`` modules that are passed the question."""
    calls: list[Call] = []
    started: set[int] = set()  # generator frames already counted (a resumed generator is a 'call' event too)
    alive: list[FrameType] = []  # keeps them alive, so an id is not reused by another frame

    def profile(frame: FrameType, event: str, arg: object) -> None:
        if event != "call":
            return
        module = frame.f_globals.get("__name__", "")
        if not module.startswith("rag."):
            return
        if frame.f_code.co_flags & _GENERATOR:
            if id(frame) in started:
                return
            started.add(id(frame))
            alive.append(frame)
        found = holder(frame, question)
        if found is not None:
            calls.append(Call(module, qualname(frame), *found))

    sys.setprofile(profile)
    try:
        ask(question)
    finally:
        sys.setprofile(None)
    return calls


def rouhani(prompt: str) -> str:
    """The fake model's answer: Hassan Rouhani, cited by the number of the shown passage naming him."""
    numbers = re.findall(r"^\[(\d+)\][^\n]*Rouhani", prompt, re.M)
    return f"Hassan Rouhani [{numbers[0]}]." if numbers else "NOT FOUND"


def walk(root: Path, question: str = QUESTION) -> Walk:
    """Answer ``question`` over the seed articles with the fakes, with ``root``'s ``rag``; record its walk."""
    root = root.resolve()
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    rag = importlib.import_module("rag")
    if not Path(rag.__file__).resolve().is_relative_to(root / "rag"):
        raise SystemExit(f"walk.py: error: rag was imported from {rag.__file__}, not from {root / 'rag'}")
    pipeline = importlib.import_module("rag.pipeline")
    settings = importlib.import_module("rag.settings")
    fakes = importlib.import_module("tests.fakes")
    with tempfile.TemporaryDirectory(prefix="walk-") as tmp:
        seeds = Path(tmp) / "seeds"
        seeds.mkdir()
        shutil.copy(root / "seeds" / SEED_NAME, seeds / SEED_NAME)
        # The tests' engine (tests/conftest.py make_engine): every hit shown, relevance gates and more answers off.
        base = settings.Settings(seeds_dir=seeds, index_dir=Path(tmp) / "index", min_score=0.05, min_relevance=0.0,
                                 margin=1.0, more_answers=False)
        engine = pipeline.Engine(base, embedder=fakes.FakeEmbedder(), llm=fakes.FakeLLM(rouhani),
                                 reranker=fakes.FakeReranker())
        engine.refresh()  # the index is built before the walk
        answers: list = []
        calls = record(lambda q: answers.append(engine.ask(q)), question)
    return Walk(calls, answers[0].text, rag.__file__)


def report(w: Walk, show_calls: bool = False) -> str:
    lines = []
    if show_calls:
        lines += [f"   {c.module}.{c.function}({c.argument}: {c.kind})" for c in w.calls] + [""]
    lines += [f"{n}. {s.module}.{s.function}" for n, s in enumerate(w.stops, 1)]
    lines.append(f"stops {len(w.stops)}, modules {len(w.modules)}, re-entries {len(w.reentries)}, "
                 f"rag.pipeline re-entered {w.reentered('rag.pipeline')}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> Walk:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the tree whose rag/ is walked (default: .)")
    parser.add_argument("--question", default=QUESTION)
    parser.add_argument("--calls", action="store_true", help="also list every recorded call (argument: its kind)")
    args = parser.parse_args(argv)
    w = walk(args.root, args.question)
    print(report(w, args.calls))
    print(f"rag: {w.rag_file}; answer: {w.answer!r}", file=sys.stderr)
    return w


if __name__ == "__main__":
    main()
