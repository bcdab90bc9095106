"""Questions asked as of a day: "this week" prefers paragraphs dated then, and the answer says what the dates mean."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from rag import timespan, when
from rag.pipeline import Engine
from rag.records import Hit, Paragraph
from rag.settings import Settings
from tests.fakes import FakeEmbedder, FakeLLM, FakeReranker

DAY = dt.date(2025, 8, 14)


def _hit(n: int, date: str) -> Hit:
    p = Paragraph(id=f"a:{n}", article_id="a", article_title="A", number=n, text="text", date=date)
    return Hit(paragraph=p, score=0.5, rank_score=0.5)


def test_windows_of_calendar_phrases() -> None:
    last_month = timespan.window("Who resigned last month?", DAY)
    assert (last_month.first, last_month.last) == (dt.date(2025, 7, 1), dt.date(2025, 7, 31))
    assert timespan.window("What happened in 2024?", DAY).first == dt.date(2024, 1, 1)
    assert timespan.window("Who won yesterday?", DAY).first == dt.date(2025, 8, 13)
    assert timespan.window("Who met the minister?", DAY) is None


def test_paragraphs_inside_the_window_are_preferred_but_others_kept() -> None:
    week = timespan.window("this week", DAY)
    ranked = when.prefer([_hit(1, "2024-01-02"), _hit(2, "2025-08-12"), _hit(3, "")], week, 0.1)
    assert [h.paragraph.number for h in ranked] == [2, 1, 3]


def test_the_note_says_when_nothing_is_from_the_window_or_the_answer_is_older() -> None:
    week = timespan.window("this week", DAY)
    old, new = _hit(1, "2025-06-30"), _hit(2, "2025-08-12")
    assert when.note([old], [old], week) == (
        "Nothing in the articles is from this week (2025-08-08 to 2025-08-14); the latest on this is from 2025-06-30."
    )
    assert when.note([new, old], [old], week) == (
        "The cited articles are from before this week (2025-08-08 to 2025-08-14)."
    )
    assert when.note([new, old], [new], week) == "" and when.note([old], [old], None) == ""


def _archive(folder: Path) -> Path:
    folder.mkdir()
    for name, date, text in (
        ("old", "2024-03-01", "The festival winner was the Blue Band, the jury said on Friday."),
        ("new", "2025-08-12", "The festival winner was the Red Band, the jury said on Friday."),
    ):
        (folder / f"{name}.md").write_text(f"---\ntitle: Festival {name}\ndate: {date}\n---\n\n{text}\n", "utf-8")
    return folder


def test_as_of_prefers_that_weeks_story_and_dates_off_does_not(tmp_path: Path) -> None:
    settings = Settings(seeds_dir=_archive(tmp_path / "seeds"), index_dir=tmp_path / "index", min_score=0.05, k=1)
    question = "Which band was the festival winner this week?"

    def first(as_of: dt.date, **changes: object) -> str:
        engine = Engine(settings.with_(**changes), FakeEmbedder(), FakeLLM("NOT FOUND"), reranker=FakeReranker())
        return engine.retrieve(question, 1, as_of=as_of)[0].paragraph.article_id

    assert (first(DAY), first(dt.date(2024, 3, 3))) == ("new", "old")
    assert first(DAY, dates=False) == first(dt.date(2024, 3, 3), dates=False)


def test_an_answer_from_before_the_window_carries_a_note(tmp_path: Path) -> None:
    settings = Settings(seeds_dir=_archive(tmp_path / "seeds"), index_dir=tmp_path / "index", min_score=0.05)
    engine = Engine(settings, FakeEmbedder(), FakeLLM("The Blue Band [1]."), reranker=FakeReranker())
    answer = engine.ask("Which band was the festival winner this week?", as_of=dt.date(2026, 12, 2))
    assert answer.note.startswith("Nothing in the articles is from this week (2026-11-26 to 2026-12-02)")
    assert answer.note.endswith("the latest on this is from 2025-08-12.")


def test_the_web_page_shows_the_note() -> None:
    from rag.records import Answer
    from rag.ui.render import Turn, _answer_html

    answer = Answer(question="q", text="The articles don't say.", citations=(), hits=(), abstained=True, note="<None>")
    html = _answer_html(Turn(number=1, question="q", standalone="q", answer=answer))
    assert '<div class="small muted dates">&lt;None&gt;</div>' in html


def test_a_wire_story_takes_one_slot_and_names_the_other_outlets(tmp_path: Path) -> None:
    folder = tmp_path / "seeds"
    folder.mkdir()
    story = "The festival winner was the Red Band, the jury said on Friday."
    for name, outlet in (("ap", "AP"), ("bbc", "BBC")):
        text = f"---\ntitle: Festival\noutlet: {outlet}\n---\n\n{story}\n\n{outlet} reporters were there.\n"
        (folder / f"{name}.md").write_text(text, "utf-8")
    (folder / "other.md").write_text("---\ntitle: Other\n---\n\nThe festival had a jury of five.\n", "utf-8")
    settings = Settings(seeds_dir=folder, index_dir=tmp_path / "index", min_score=0.05, min_relevance=0.0, margin=1.0)
    engine = Engine(settings, FakeEmbedder(), FakeLLM("The Red Band [1]."), reranker=FakeReranker())
    answer = engine.ask("Which band was the festival winner?")
    assert [h.paragraph.text for h in answer.hits].count(story) == 1
    (citation,) = answer.citations
    assert [p.outlet for p in citation.also] == [{"AP": "BBC", "BBC": "AP"}[citation.paragraph.outlet]]


def test_older_news_is_left_out_of_a_current_archive_and_named_in_the_note(tmp_path: Path) -> None:
    folder = tmp_path / "seeds"
    folder.mkdir()
    for name, date, text in (
        ("old", "2024-03-01", "The festival winner was the Blue Band, the jury said on Friday."),
        ("new", "2025-08-12", "The harbour reopened after the storm, officials said."),
    ):
        (folder / f"{name}.md").write_text(f"---\ntitle: Festival {name}\ndate: {date}\n---\n\n{text}\n", "utf-8")
    settings = Settings(seeds_dir=folder, index_dir=tmp_path / "index", min_score=0.05, min_relevance=0.0)
    question = "Which band was the festival winner?"

    def ask(as_of: dt.date, **changes: object):
        llm, reranker = FakeLLM("The Blue Band [1]."), FakeReranker()
        engine = Engine(settings.with_(**changes), FakeEmbedder(), llm, reranker=reranker)
        return engine.ask(question, as_of=as_of)

    current = ask(DAY)  # the archive holds news from the month before: a 2024 story is not today's news
    assert current.abstained and "old" not in {h.paragraph.article_id for h in current.hits}
    assert current.note == (
        'Nothing published since 2025-05-16 answers this; older news left out: "Festival old" (2024-03-01).'
    )
    later = ask(dt.date(2026, 12, 2))  # nothing from the month before: a reader's saved articles, all kept
    assert not later.abstained and later.citations[0].paragraph.article_id == "old"
    assert not ask(DAY, horizon_days=0).abstained


def test_older_news_matching_better_does_not_crowd_the_news_out_of_the_candidates(tmp_path: Path) -> None:
    folder = tmp_path / "seeds"
    folder.mkdir()
    for n, colour in enumerate(("Blue", "Green", "Gold")):
        text = f"The {colour} Band won the festival: the festival band won, said the jury of the festival."
        (folder / f"old{n}.md").write_text(f"---\ntitle: Old {n}\ndate: 2024-0{n + 1}-01\n---\n\n{text}\n", "utf-8")
    (folder / "new.md").write_text("---\ntitle: New\ndate: 2025-08-12\n---\n\nThe Red Band won it.\n", "utf-8")
    # Only the retriever's best two are reranked, and the three older paragraphs match best.
    settings = Settings(seeds_dir=folder, index_dir=tmp_path / "index", rerank=2)
    engine = Engine(settings, FakeEmbedder(), FakeLLM(""), reranker=FakeReranker())
    assert [h.paragraph.article_id for h in engine.retrieve("Which band won the festival?", 2, as_of=DAY)] == ["new"]


def test_an_article_published_after_the_day_asked_on_is_not_searched(tmp_path: Path) -> None:
    folder = tmp_path / "seeds"
    folder.mkdir()
    for name, date, text in (
        ("later", "2025-09-01", "The Blue Band won the festival."),
        ("now", "2025-08-12", "The harbour reopened after the storm."),
        ("undated", "", "The jury met on Friday."),
    ):
        dated = f"date: {date}\n" if date else ""
        (folder / f"{name}.md").write_text(f"---\ntitle: {name}\n{dated}---\n\n{text}\n", "utf-8")
    settings = Settings(seeds_dir=folder, index_dir=tmp_path / "index")

    def found(day: dt.date, **changes: object) -> set[str]:
        engine = Engine(settings.with_(**changes), FakeEmbedder(), FakeLLM(""), reranker=FakeReranker())
        return {h.paragraph.article_id for h in engine.retrieve("Which band won the festival?", 3, as_of=day)}

    assert found(DAY) == {"now", "undated"}
    assert found(dt.date(2025, 9, 2)) == {"later", "now", "undated"}
    assert found(DAY, dates=False) == {"later", "now", "undated"}  # date handling off: no day to ask on


def test_the_horizon_starts_before_the_window_and_leaves_undated_paragraphs_in() -> None:
    dates = ["2025-08-01"]
    assert when.since(DAY, timespan.window("Who resigned in March?", DAY), dates, 90) == dt.date(2024, 12, 1)
    news, older = when.split([_hit(1, "2025-01-02"), _hit(2, ""), _hit(3, "2025-08-12")], dt.date(2025, 5, 16))
    assert [h.paragraph.number for h in news] == [2, 3] and [h.paragraph.number for h in older] == [1]
