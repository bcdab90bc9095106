"""``rag.header``: questions about an article's byline, date, outlet, title or URL, answered from its header."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from rag import question as question_mod
from rag.api.schema import rag_fields
from rag.pipeline import Engine
from tests.fakes import SEED

MULTI = Path(__file__).resolve().parent / "multi" / "articles"


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    """The seed (a byline, no date) and three articles of the multi-answer set (one without a byline)."""
    folder = tmp_path / "articles"
    folder.mkdir()
    shutil.copy(SEED, folder / SEED.name)
    for name in ("port-strike.md", "port-strike-gazette.md", "school-meals.md"):
        shutil.copy(MULTI / name, folder / name)
    return folder


@pytest.mark.parametrize(
    ("question", "field"),
    [
        ("Who wrote the article about the Lisbon port strike?", "authors"),
        ("What is the byline on the story about free school breakfast?", "authors"),
        ("When was the report on the Lisbon strike published?", "date"),
        ("Which news outlet reported the dockworkers' walkout?", "outlet"),
        ("What was the headline of the article about the strike?", "title"),
        ("Give me the link to the story about the strike.", "url"),
        ("Who met the Iraqi foreign minister?", None),
        ("Who wrote the poem The Mask of Anarchy?", None),  # about the news, not a byline
        ("President Trump filed a lawsuit against which newspaper?", None),
        ("Who reported the fire to the police?", None),
    ],
)
def test_the_field_a_question_asks_for(question: str, field: str | None) -> None:
    assert question_mod.header_field(question) == field


def test_a_byline_question_is_answered_from_the_header_without_the_model(
    make_engine: Callable[..., Engine], archive: Path
) -> None:
    engine = make_engine("Somebody [1].", seeds_dir=archive)
    answer = engine.ask("Who wrote the article about Iran slamming the US and Israel in meetings with Iraq?")
    title = "Iran slams US and Israel in high-level meetings with Iraq"
    assert answer.text == f"“{title}” was written by SETH J. FRANTZMAN [1]."
    (citation,) = answer.citations
    assert citation.paragraph.number == 0 and citation.paragraph.place == "article header"
    assert citation.evidence == "Authors: SETH J. FRANTZMAN" and answer.short == "SETH J. FRANTZMAN"
    assert engine.llm.prompts == []  # type: ignore[attr-defined]
    assert rag_fields(answer)["citations"][0]["paragraphs"][0]["kind"] == "header"


def test_an_article_without_a_byline_says_so(make_engine: Callable[..., Engine], archive: Path) -> None:
    answer = make_engine(seeds_dir=archive).ask("Who wrote the article about the Kenosha vote on free breakfast?")
    assert "names no author: it has no byline [1]" in answer.text and answer.short == "no byline"
    assert "Authors: none named (no byline)" in answer.citations[0].paragraph.text


def test_an_outlet_named_in_the_question_picks_its_article(make_engine: Callable[..., Engine], archive: Path) -> None:
    engine = make_engine(seeds_dir=archive)
    gazette = engine.ask("Who wrote the Harbor Gazette story about the Lisbon port strike?")
    wire = engine.ask("Who wrote the Meridian Wire story about the Lisbon port strike?")
    assert "Colm Hegarty [1]" in gazette.text and "Joana Reis [1]" in wire.text
    dated = engine.ask("When was the Meridian Wire report about the Lisbon dockworkers published?")
    assert "was published on 2025-03-04 [1]" in dated.text


def test_a_header_without_the_field_leaves_the_question_to_the_paragraphs(
    make_engine: Callable[..., Engine], archive: Path
) -> None:
    # The seed article gives no date: a date question about it goes to the model, as any question.
    engine = make_engine("NOT FOUND", seeds_dir=archive)
    engine.ask("When was the article about Iran slamming the US and Israel in meetings with Iraq published?")
    assert len(engine.llm.prompts) >= 1  # type: ignore[attr-defined]


def test_a_header_question_about_an_article_not_in_the_archive_abstains(
    make_engine: Callable[..., Engine], archive: Path
) -> None:
    # The gate of real models (0.42), not the near-zero one the other fake-model tests use.
    answer = make_engine(seeds_dir=archive, min_score=0.42).ask(
        "Who wrote the article about the Zorblat river lantern festival?"
    )
    assert answer.abstained and answer.citations == ()


def test_over_an_archive_of_one_a_header_question_needs_no_topic(
    make_engine: Callable[..., Engine], tmp_path: Path
) -> None:
    folder = tmp_path / "one"
    folder.mkdir()
    shutil.copy(MULTI / "port-strike.md", folder / "port-strike.md")
    engine = make_engine("NOT FOUND", seeds_dir=folder, index_dir=tmp_path / "one-index")
    for question in ("Who is the author?", "Which publication is this from?", "Who is it by?"):
        answer = engine.ask(question)
        assert not answer.abstained and answer.citations[0].paragraph.number == 0, question
    assert "Meridian Wire" in engine.ask("Which publication is this from?").text
    assert engine.llm.prompts == []  # the header answers, not the model


def test_in_a_conversation_it_is_the_article_the_previous_question_was_about(
    make_engine: Callable[..., Engine], archive: Path
) -> None:
    engine = make_engine("NOT FOUND", seeds_dir=archive)
    turns = [("Who diverted ships to Sines during the Lisbon dockworkers' strike?", "Atlantica Freight [1].")]
    assert engine.ask("Who wrote it?").abstained  # four articles and none named: no byline is guessed
    answer = engine.ask("Who wrote it?", history=turns)
    assert not answer.abstained and answer.citations[0].paragraph.article_id == "port-strike", answer.text
