"""Reading the story (rag.story): the best story's sentences beyond the paragraph that matched, and claims verified
with the story's title (rag.verify), on a made-up article with fake models."""

from __future__ import annotations

from pathlib import Path

from rag.pipeline import Engine
from rag.records import Question
from rag.settings import Settings
from rag.story import names_kind
from tests.fakes import FakeEmbedder, FakeLLM, FakeReranker

VOTE = """---
title: "Harbour board rejects ferry terminal expansion"
date: 2026-03-02
---

The harbour board rejected the ferry terminal expansion on Monday by four votes to three.

The plan would have doubled the number of berths at the north quay and cost 40 million euros.

Board member Colleen Hart also voted no, saying the quay was too close to the nature reserve.

Supporters said the port would lose ferry routes to Rostow within five years.
"""
OTHER = """---
title: "Bakery wins regional bread prize"
date: 2026-03-01
---

A bakery in the old town won the regional bread prize for its rye loaf.
"""
QUESTION = "Who voted against the ferry terminal expansion?"


def _engine(tmp_path: Path, reply: str, **settings: object) -> Engine:
    seeds = tmp_path / "seeds"
    seeds.mkdir(exist_ok=True)
    (seeds / "vote.md").write_text(VOTE, encoding="utf-8")
    (seeds / "bakery.md").write_text(OTHER, encoding="utf-8")
    base = Settings(seeds_dir=seeds, index_dir=tmp_path / "index", min_score=0.05, min_relevance=0.0, k=1,
                    more_answers=False, dates=False)
    return Engine(base.with_(**settings), embedder=FakeEmbedder(), llm=FakeLLM(reply), reranker=FakeReranker())


def test_the_model_reads_the_best_story_when_the_matched_paragraph_answers_nothing(tmp_path: Path) -> None:
    engine = _engine(tmp_path, "NOT FOUND", story=True)
    engine.ask(QUESTION)
    first, second = engine.llm.prompts  # the matched paragraph first, then the story: two calls at most
    assert "Colleen Hart also voted no" not in first and "Colleen Hart also voted no" in second
    assert "rye loaf" not in second  # another story is not read whole


def test_an_abstention_after_the_story_lists_retrieval_s_closest_paragraphs_not_the_story_s_others(
    tmp_path: Path,
) -> None:
    answer = _engine(tmp_path, "NOT FOUND", story=True).ask(QUESTION)
    assert answer.abstained and answer.hits and all(h.rank_score is not None for h in answer.hits)


def test_without_the_story_only_the_matched_paragraph_is_read(tmp_path: Path) -> None:
    engine = _engine(tmp_path, "NOT FOUND", story=False)
    engine.ask(QUESTION)
    assert not any("Colleen Hart" in prompt for prompt in engine.llm.prompts)


def test_a_claim_is_verified_by_its_sentence_read_with_the_story_title(tmp_path: Path) -> None:
    # "also voted no" does not restate the question (the fake reranker's overlap: 2 of 7 words); with the title it
    # does (5 of 7): verified, and the citation says which title it was read with.
    engine = _engine(tmp_path, "Colleen Hart [2].", story=True, min_relevance=0.6)
    answer = engine.ask(QUESTION)
    assert not answer.abstained and "Colleen Hart" in answer.text
    [cited] = answer.citations
    assert "Colleen Hart also voted no" in cited.evidence
    assert cited.context == "Harbour board rejects ferry terminal expansion"
    assert cited.paragraph.number == 3


def test_a_claim_the_title_does_not_make_an_answer_is_not_verified(tmp_path: Path) -> None:
    # The same answer to a question the story's title does not speak to: still unverified, so an abstention.
    engine = _engine(tmp_path, "Colleen Hart [2].", story=True, min_relevance=0.6)
    answer = engine.ask("Who voted against building the nature reserve visitor centre?")
    assert answer.abstained and not answer.citations


def test_the_model_read_is_recorded_with_the_calls_and_their_cost(tmp_path: Path) -> None:
    engine = _engine(tmp_path, "Colleen Hart [2].", story=True)
    answer = engine.ask(QUESTION)
    assert any("Colleen Hart also voted no" in passage for passage in answer.read)
    assert answer.timings.calls == 2 and answer.timings.new_tokens > 0  # the matched paragraph, then the story


def test_sentences_name_the_kind_of_answer_asked() -> None:
    who = Question(text="Who voted against the ferry terminal expansion?", as_of=None, kind="person")
    assert names_kind("Board member Colleen Hart also voted no.", who)
    assert not names_kind("The plan would have doubled the berths.", who)
    where = Question(text="Where would the ferry routes go?", as_of=None, kind="place")
    assert names_kind("The port would lose its ferry routes to Denmark.", where)


def test_a_claim_may_be_read_with_the_story_lede_when_the_title_does_not_say(tmp_path: Path) -> None:
    engine = _engine(tmp_path, "Colleen Hart [2].", story=True, min_relevance=0.6)
    (tmp_path / "seeds" / "vote.md").write_text(VOTE.replace("Harbour board rejects ferry terminal expansion",
                                                             "Monday at the port"), encoding="utf-8")
    answer = engine.ask(QUESTION)
    assert not answer.abstained and answer.citations[0].context.startswith("The harbour board rejected the ferry")


def test_a_second_call_is_announced_by_what_it_reads_so_its_draft_replaces_the_first(tmp_path: Path) -> None:
    engine = _engine(tmp_path, "the bakery [1]", story=True)  # never verified: the story is read by a second call
    kinds = ["draft" if isinstance(item, str) else type(item).__name__ for item in engine.stream(QUESTION)]
    drafts = [i for i, kind in enumerate(kinds) if kind == "draft"]
    assert len(engine.llm.prompts) == 2 and kinds[-1] == "Answer"
    between = kinds[drafts[0]:drafts[-1]]
    assert "Evidence" in between  # the page clears the first call's draft there (rag.ui.chat)


def test_the_story_read_is_one_that_can_report_the_time_asked_about() -> None:
    import datetime as dt
    from types import SimpleNamespace

    import numpy as np

    from rag.question import read
    from rag.records import Hit, Paragraph
    from rag.story import lead

    def hit(article: str, date: str) -> Hit:
        p = Paragraph(id=f"{article}:1", article_id=article, article_title="Harbour board vote", number=1,
                      text="Board member Colleen Hart voted against the expansion.", date=date)
        return Hit(paragraph=p, score=0.5)

    index = SimpleNamespace(sentences_of=lambda pid: ([], np.zeros((0, 2))))
    res = SimpleNamespace(settings=SimpleNamespace(rerank=True), index=index, reranker=FakeReranker())
    old, new = hit("january", "2026-01-05"), hit("march", "2026-03-02")
    this_week = read("Who voted against the expansion this week?", dt.date(2026, 3, 4), dates=True)
    assert lead(res, this_week, np.zeros(2), [old, new]) == new  # January cannot report this week's vote
    anytime = read("Who voted against the expansion?", dt.date(2026, 3, 4), dates=True)
    assert lead(res, anytime, np.zeros(2), [old, new]) == old  # ties go to the better-ranked hit
