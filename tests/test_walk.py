"""``benchmarks/walk.py`` on the current code: the seed question's walk through the modules, with the fakes.

The question is read once at the top (``rag.pipeline`` hands it to ``rag.question``), and the composition is
not re-entered more than a few times on the way down.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import walk

PROJECT = Path(__file__).resolve().parent.parent


def test_the_seed_question_walks_down_from_the_pipeline(capsys: pytest.CaptureFixture[str]) -> None:
    w = walk.main(["--root", str(PROJECT)])
    printed = capsys.readouterr().out.splitlines()
    assert w.answer.startswith("Hassan Rouhani [1]")  # the fake model's answer, verified: the whole walk was made
    assert w.stops[0].module == "rag.pipeline" and printed[0] == f"1. rag.pipeline.{w.stops[0].function}"
    assert "rag.question" in w.modules  # the question is read there
    assert w.reentered("rag.pipeline") <= 3
    assert printed[-1].startswith(f"stops {len(w.stops)}, modules {len(w.modules)}, ")
