"""``rag.more``: a list question's further answers from the paragraphs the first answer did not cite."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from rag import more
from rag.pipeline import Engine
from rag.records import Answer

SEED_Q = "who met the Iraqi foreign minister?"


def _passages(prompt: str) -> str:
    return prompt.rsplit("Passages:\n", 1)[-1].split("\n\nQuestion:")[0]


def _reply(prompt: str) -> str:
    """Names the host of the first passage that names one, cited to it (a model that lists only one)."""
    for line in _passages(prompt).splitlines():
        m = re.match(r"\[(\d+)\] (.*)", line)
        if m and "Qalibaf" in m.group(2):
            return f"Mohammad Baqer Qalibaf [{m.group(1)}]"
        if m and "Rouhani also met" in m.group(2):
            return f"Hassan Rouhani [{m.group(1)}]"
    return "NOT FOUND"


def test_paragraphs_left_uncited_get_a_second_call_whose_answers_are_added(
    make_engine: Callable[..., Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(more, "MORE_WORDS", 400)  # whole paragraphs: the fake vectors pick sentences at random
    engine = make_engine(_reply, k=1, more_answers=True)
    pieces = list(engine.stream(SEED_Q))
    answer = pieces[-1]
    assert isinstance(answer, Answer)
    assert answer.text == "Hassan Rouhani [1] and Mohammad Baqer Qalibaf [2] met the Iraqi foreign minister.", answer
    assert answer.short == "Hassan Rouhani and Mohammad Baqer Qalibaf"  # what an evaluation scores: the names
    assert [c.paragraph.number for c in answer.citations] == [8, 3]
    first, *further = engine.llm.prompts  # type: ignore[attr-defined]
    assert "Rouhani also met" in _passages(first) and 1 <= len(further) <= more.MORE_PASSAGES
    assert all(_passages(p).count("\n[") == 0 for p in further)  # one candidate paragraph a call
    qalibaf = next(_passages(p) for p in further if "Qalibaf" in _passages(p))
    # The minister is shown as the question names him, so the model cannot answer with him.
    assert "Hussein" not in qalibaf and "the Iraqi foreign minister" in qalibaf
    assert "Qalibaf" not in "".join(p for p in pieces if isinstance(p, str))  # the second call is not streamed


def test_no_second_call_without_uncited_candidates_or_when_off(make_engine: Callable[..., Engine]) -> None:
    off = make_engine(_reply, k=1, more_answers=False)
    off.ask(SEED_Q)
    assert len(off.llm.prompts) == 1  # type: ignore[attr-defined]
    abstained = make_engine("NOT FOUND", k=1, more_answers=True, reask=False)
    assert abstained.ask(SEED_Q).abstained and len(abstained.llm.prompts) == 1  # type: ignore[attr-defined]
    asked = make_engine("Rouhani said it [1].", k=1, more_answers=True)
    asked.ask("what did Rouhani say about the United States?")  # a quote question is answered in the words given
    assert len(asked.llm.prompts) == 1  # type: ignore[attr-defined]
