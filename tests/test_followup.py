"""Follow-up rewriting: pure rules, then retrieval over the seed with fake and real embedders."""

from collections.abc import Callable

import pytest

from rag.followup import entities, standalone
from rag.pipeline import Engine
from rag.prompts import ABSTAIN_TEXT

SEED_Q = "who met the Iraqi foreign minister?"
FOLLOW_UP = "what did he say about the United States?"
REAL_ANSWER = "Hassan Rouhani [1] and Fuad Hussein [2] met the Iraqi foreign minister."  # what qwen2.5-1.5b says


def test_pronoun_becomes_first_named_person_of_previous_answer() -> None:
    assert standalone(FOLLOW_UP, [(SEED_Q, REAL_ANSWER)]) == "what did Hassan Rouhani say about the United States?"


def test_titles_and_shouted_lead_ins_are_not_part_of_the_name() -> None:
    answer = "IRANIAN PRESIDENT Hassan Rouhani also met with the Iraqi foreign minister [1]."
    assert entities(answer)[0] == "Hassan Rouhani"
    assert standalone("what did he say?", [(SEED_Q, answer)]) == "what did Hassan Rouhani say?"


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("what did they discuss?", "what did Hassan Rouhani and Fuad Hussein discuss?"),
        ("what is his position?", "what is Hassan Rouhani's position?"),
        ("what did Qalibaf tell him?", "what did Qalibaf tell Hassan Rouhani?"),
    ],
)
def test_other_person_pronouns(question: str, expected: str) -> None:
    assert standalone(question, [(SEED_Q, REAL_ANSWER)]) == expected


def test_new_topic_is_left_alone() -> None:
    for question in ("Who killed Qasem Soleimani?", "what is Tehran's policy on Kurdish groups in Iraq?"):
        assert standalone(question, [(SEED_Q, REAL_ANSWER)]) == question


def test_no_history_or_empty_question_is_unchanged() -> None:
    assert standalone(FOLLOW_UP, []) == FOLLOW_UP
    assert standalone("  ", [(SEED_Q, REAL_ANSWER)]) == ""


def test_elliptical_and_pointing_questions_get_the_previous_topic() -> None:
    assert standalone("why?", [(SEED_Q, REAL_ANSWER)]) == (
        "why? (about: who met the Iraqi foreign minister; Hassan Rouhani, Fuad Hussein)"
    )
    # It brings its own name, so only the earlier topic is added.
    expected = "and Qalibaf? (about: who met the Iraqi foreign minister)"
    assert standalone("and Qalibaf?", [(SEED_Q, REAL_ANSWER)]) == expected


def test_abstention_falls_back_to_the_name_in_its_question() -> None:
    history = [(SEED_Q, REAL_ANSWER), ("what did Qalibaf say about Palestine?", ABSTAIN_TEXT)]
    assert standalone("what else did he say?", history) == "what else did Qalibaf say?"


def test_follow_up_answer_flows_through_the_engine(make_engine: Callable[..., Engine]) -> None:
    """End to end with fakes: the rewritten follow-up reaches retrieval and the model."""
    engine = make_engine(lambda prompt: REAL_ANSWER if SEED_Q in prompt.rsplit("Question:", 1)[1] else "NOT FOUND")
    first = engine.ask(SEED_Q)
    rewritten = standalone(FOLLOW_UP, [(first.question, first.text)])
    assert "Hassan Rouhani" in rewritten
    engine.ask(rewritten)
    assert f"Question: {rewritten}" in engine.llm.prompts[-1]
    assert 9 in [h.paragraph.number for h in engine.retrieve(rewritten, 3)]


@pytest.mark.real
def test_rewrite_retrieves_rouhanis_paragraphs_with_the_real_embedder() -> None:
    """Paragraph 9 holds Rouhani's "trying to get the United States out of the region"."""
    engine = Engine()
    rewritten = standalone(FOLLOW_UP, [(SEED_Q, REAL_ANSWER)])
    hits = engine.retrieve(rewritten, engine.settings.k)  # the configured retriever, as the app uses it
    numbers = [h.paragraph.number for h in hits]
    assert 9 in numbers
    assert "Rouhani" in hits[0].paragraph.text and sum("Rouhani" in h.paragraph.text for h in hits) >= 2, numbers
