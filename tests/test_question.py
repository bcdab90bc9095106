"""The question read once: what each stage reads from its record instead of its text."""

from __future__ import annotations

import datetime as dt

import pytest

from rag.question import QuestionError, read

DAY = dt.date(2026, 3, 20)


@pytest.mark.parametrize(
    ("text", "kind", "several"),
    [
        ("Who met the Iraqi foreign minister?", "person", True),
        ("Which board members voted against the budget?", "person", True),
        ("Which country hosted the talks?", "place", False),
        ("Which ports took the diverted ships?", "place", True),
        ("How many jobs will the plant create?", "number", True),
        ("When did the strike end?", "date", False),
        ("Which company bought the bookshop?", "organisation", False),
        ("What did the minister say about water?", "other", False),
    ],
)
def test_the_kind_of_answer_comes_from_the_wh_word_and_its_head_noun(text: str, kind: str, several: bool) -> None:
    q = read(text, DAY)
    assert (q.kind, q.several) == (kind, several)


def test_whose_words_are_asked_by_name_or_by_role() -> None:
    named = read("What did museum director Karel Dewaele say about the theft?", DAY)
    assert (named.speaker, named.role, named.speaker_phrase) == ("Karel Dewaele", None, "museum director Karel Dewaele")
    role = read("According to the Ghent police spokeswoman, what did detectives recover?", DAY)
    assert (role.speaker, role.role) == (None, "Ghent police spokeswoman")


def test_a_header_question_needs_an_article_named_unless_the_context_gives_one() -> None:
    assert read("Who wrote the article about the ferry terminal?", DAY).field == "authors"
    assert read("Who wrote the article about the ferry terminal?", DAY).topic == "the ferry terminal"
    assert read("Who is the author?", DAY).field is None  # many articles, none named: a question about the news
    alone = read("Who is the author?", DAY, articles=1)
    assert (alone.field, alone.topic) == ("authors", "")
    turns = [("Who pulled the boy out of the lake?", "Jari Lehto [1] and Ville Aho [2] pulled him out.")]
    followed = read("When was it published?", DAY, history=turns)
    assert followed.field == "date" and "pulled boy out lake" in followed.topic  # the earlier question searched
    assert read("Who wrote the poem?", DAY, history=turns).field is None


def test_the_time_named_is_a_window_before_the_day_asked_on() -> None:
    q = read("Who resigned this week?", DAY)
    assert (q.window.first, q.window.last) == (dt.date(2026, 3, 14), DAY)
    assert read("Who resigned this week?", DAY, dates=False).window is None


def test_an_empty_or_huge_question_is_refused() -> None:
    with pytest.raises(QuestionError, match="empty"):
        read("  \n ")
    with pytest.raises(QuestionError, match="too long"):
        read("why " * 600)
