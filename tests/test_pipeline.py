from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from rag.pipeline import Engine, QuestionError, ask
from rag.prompts import ABSTAIN_TEXT
from rag.records import Answer, Evidence

SEED_Q = "who met the Iraqi foreign minister?"


def test_seed_question_answer_is_cited_and_verified(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine("Mohammad Baqer Qalibaf [2] and Hassan Rouhani [1] met Fuad Hussein.", k=5)
    answer = ask(SEED_Q, engine=engine)
    assert not answer.abstained
    names = {c.sentence.split()[-1]: c.paragraph for c in answer.citations}
    assert "Qalibaf" in names["Qalibaf"].text and "Rouhani" in names["Rouhani"].text
    assert answer.text.startswith("Mohammad Baqer Qalibaf [1] and Hassan Rouhani [2]")
    assert all(c.support >= engine.settings.min_support for c in answer.citations)


def test_prompt_numbers_passages_and_constrains_markers(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine("NOT FOUND", k=3)
    engine.ask(SEED_Q)
    prompt, grammar = engine.llm.prompts[0], engine.llm.grammars[0]
    assert prompt.rstrip().endswith("<|im_start|>assistant")
    assert f"Question: {SEED_Q}" in prompt and "\n[3] " in prompt and "\n[4] " not in prompt.split(SEED_Q)[0][-3000:]
    assert grammar is not None and '"3"' in grammar and '"4"' not in grammar


def test_context_respects_word_budget(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine("NOT FOUND", k=3, context_words=40)
    engine.ask(SEED_Q)
    shown = engine.llm.prompts[0].rsplit("Passages:\n", 1)[1].split("\n\nQuestion:")[0]
    # Each passage keeps its best sentence even when that exceeds the budget.
    assert len(shown.split()) <= 40 + 3 * 45


def test_not_found_abstains_without_citations(make_engine: Callable[..., Engine]) -> None:
    answer = make_engine("NOT FOUND").ask(SEED_Q)
    assert answer.abstained and answer.text == ABSTAIN_TEXT and answer.citations == ()
    assert answer.hits  # the closest paragraphs are still offered


def test_answer_from_own_knowledge_abstains(make_engine: Callable[..., Engine]) -> None:
    answer = make_engine("Emmanuel Macron [1] met him.").ask(SEED_Q)
    assert answer.abstained and answer.citations == ()
    assert answer.unsupported == ("Emmanuel Macron met him.",)


def test_irrelevant_question_abstains_before_the_model(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine("Paris [1]", min_score=0.9)
    answer = engine.ask("What is the capital of France?")
    assert answer.abstained and engine.llm.prompts == []


@pytest.mark.parametrize("question", ["", "   ", "\n\t"])
def test_empty_question_is_refused(make_engine: Callable[..., Engine], question: str) -> None:
    with pytest.raises(QuestionError):
        make_engine().ask(question)


def test_stream_yields_evidence_then_text_then_answer(make_engine: Callable[..., Engine]) -> None:
    items = list(make_engine("Hassan Rouhani [1] met him.").stream(SEED_Q))
    first, reranked, *text, answer = items
    assert isinstance(first, Evidence) and not first.reranked and isinstance(reranked, Evidence) and reranked.reranked
    assert len(first.sentences) == len(first.hits) == 2
    assert all(s in h.paragraph.text for s, h in zip(first.sentences, first.hits, strict=True))
    assert all(isinstance(i, str) for i in text) and "".join(text) == "Hassan Rouhani [1] met him."
    assert isinstance(answer, Answer) and answer.citations


def test_evidence_comes_before_the_model_is_asked(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine("Hassan Rouhani [1] met him.")
    stream = engine.stream(SEED_Q)
    assert isinstance(next(stream), Evidence) and engine.llm.prompts == []  # type: ignore[attr-defined]
    stream.close()


def test_truncated_last_sentence_is_dropped(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine("Hassan Rouhani [1] met him. They come amid rumors of")
    original = engine.llm.stream

    def truncated(*args: object, **kwargs: object):
        completion = yield from original(*args, **kwargs)
        return replace(completion, truncated=True)

    engine.llm.stream = truncated
    answer = engine.ask(SEED_Q)
    assert answer.text == "Hassan Rouhani [1] met him."
    engine.llm.reply = "Hassan Rouhani [1"  # cut inside a marker
    assert engine.ask(SEED_Q).short == "Hassan Rouhani"


def test_answer_serializes_to_json(make_engine: Callable[..., Engine]) -> None:
    import json

    data = json.loads(json.dumps(make_engine("Hassan Rouhani [1].").ask(SEED_Q).to_dict()))
    assert data["citations"][0]["paragraph"]["id"].startswith("000_efee75aea60a5e55:")
    assert data["timings"]["total"] >= 0


def test_hostile_questions_are_cleaned_or_refused(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine("NOT FOUND")
    with pytest.raises(QuestionError, match="too long"):
        engine.ask("why? " * 30_000)
    answer = engine.ask("who\x00 met\x07 the Iraqi\tforeign minister?")
    assert answer.question == "who met the Iraqi foreign minister?"
    for odd in ["?!?!...", "😀😀", "¿Quién se reunió con el ministro?"]:
        assert isinstance(engine.ask(odd), Answer)


def _first_passage_sentence(prompt: str) -> str:
    """A reply the verifier accepts: the first sentence of passage [1], cited."""
    passage = prompt.rsplit("\n[1] ", 1)[1].split("\n")[0]
    return passage.split(". ")[0].rstrip(".") + " [1]."


def test_not_found_is_asked_again_with_the_best_paragraph_whole(make_engine: Callable[..., Engine]) -> None:
    replies = iter(["NOT FOUND", None])
    engine = make_engine(lambda prompt: next(replies) or _first_passage_sentence(prompt), k=3, reask=1)
    pieces = list(engine.stream(SEED_Q))
    answer = pieces[-1]
    assert isinstance(answer, Answer) and not answer.abstained
    first, second = engine.llm.prompts
    assert "\n[3] " in first.split("Passages:")[-1]
    shown = second.split("Passages:")[-1].split("\n\nQuestion:")[0]
    assert "\n[2] " not in shown and shown.strip() == "[1] " + answer.hits[0].paragraph.text
    assert len(answer.hits) == 1 and answer.citations[0].paragraph == answer.hits[0].paragraph
    assert "NOT" not in "".join(p for p in pieces if isinstance(p, str))  # the first reply never streamed


def test_reask_off_asks_once(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine("NOT FOUND", k=3, reask=0)
    assert engine.ask(SEED_Q).abstained and len(engine.llm.prompts) == 1


def test_not_found_is_not_asked_again_with_the_same_passage(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine("NOT FOUND", k=1, context_words=1000, reask=1)  # the whole best paragraph was shown already
    assert engine.ask(SEED_Q).abstained and len(engine.llm.prompts) == 1


def test_margin_zero_shows_only_the_clear_winner(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine(_first_passage_sentence, k=3, margin=0.0, rerank=0)  # the fused scores: no ties
    answer = engine.ask(SEED_Q)
    assert len(answer.hits) == 1 and "\n[2] " not in engine.llm.prompts[0].split("Passages:")[-1]


def test_a_new_process_reads_no_article_when_the_folder_is_unchanged(
    make_engine: Callable[..., Engine], seeds, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rag import ingest

    (seeds / "zeros.txt").write_bytes(b"\x00" * 10)
    first = make_engine().refresh()
    assert first.embedded and first.errors and first.errors[0].startswith("zeros.txt")

    def no_reading(*args: object, **kwargs: object) -> None:
        raise AssertionError("an article was read")

    monkeypatch.setattr(ingest, "read_article", no_reading)
    again = make_engine().refresh()  # a fresh engine, as a new process would make
    assert again.paragraphs == first.paragraphs and again.embedded == [] and again.errors == first.errors
    (seeds / "new.txt").write_text("New article\nThe mayor opened a bridge on Monday.")
    with pytest.raises(AssertionError, match="an article was read"):
        make_engine().refresh()


def test_the_bm25_model_is_saved_beside_the_index_and_loaded_by_the_next_engine(
    make_engine: Callable[..., Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    from rag import retrieve

    first = make_engine()
    built = first.bm25
    assert (first.settings.index_dir / "bm25" / "df.json").is_file()
    monkeypatch.setattr(retrieve.Bm25, "__init__", lambda self, index: pytest.fail("built again"))
    loaded = make_engine().bm25
    assert loaded.df == built.df and loaded.n == built.n
    assert loaded.ranking(SEED_Q, 5) == built.ranking(SEED_Q, 5)
    assert loaded.coverage(SEED_Q, "the Iraqi minister") == built.coverage(SEED_Q, "the Iraqi minister")


def test_after_a_start_that_read_nothing_adding_an_article_reads_only_that_file(
    make_engine: Callable[..., Engine], seeds, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rag import ingest

    make_engine().refresh()
    engine = make_engine()
    engine.refresh()  # the saved index is current: nothing is read
    read: list[str] = []
    real = ingest.read_article
    monkeypatch.setattr(ingest, "read_article", lambda path, folder=None: read.append(path.name) or real(path, folder))
    (seeds / "new.txt").write_text("New article\nThe mayor opened a bridge on Monday.")
    report = engine.refresh()
    assert read == ["new.txt"] and report.embedded == ["new"]
    assert [a.id for a in engine.index.articles] == ["000_efee75aea60a5e55", "new"]


def test_a_warm_refresh_can_save_in_the_background(
    make_engine: Callable[..., Engine], seeds, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib
    import threading

    build = importlib.import_module("rag.index.build")  # the module (rag.index.build is also its build())

    engine = make_engine()
    engine.refresh()
    gate = threading.Event()
    real = build.save
    monkeypatch.setattr(build, "save", lambda *args, **kwargs: gate.wait(10) and real(*args, **kwargs))
    (seeds / "new.txt").write_text("New article\nThe mayor opened a bridge on Monday.")
    report = engine.refresh(wait=False)  # returns while the save is held at the gate
    assert report.embedded == ["new"] and "new" in {a.id for a in engine.index.articles}
    assert engine.ask("who opened a bridge?").hits[0].paragraph.article_id == "new"
    manifest = engine.settings.index_dir / "manifest.json"
    assert "new.txt" not in manifest.read_text()  # not saved yet
    gate.set()
    engine.wait()
    assert "new.txt" in manifest.read_text()


def test_a_rebuilt_bm25_tokenizes_only_the_new_paragraphs(
    make_engine: Callable[..., Engine], seeds, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rag import retrieve

    engine = make_engine()
    first = engine.bm25
    seen: list[str] = []
    real = retrieve.words
    monkeypatch.setattr(retrieve, "words", lambda text: seen.append(text) or real(text))
    (seeds / "new.txt").write_text("New article\nThe mayor opened a bridge on Monday.")
    engine.refresh()
    rebuilt = engine.bm25
    assert rebuilt is not first and seen == ["The mayor opened a bridge on Monday."]
    fresh = retrieve.Bm25(engine.index)
    assert rebuilt.df == fresh.df and rebuilt.ranking("bridge mayor", 3) == fresh.ranking("bridge mayor", 3)


MUSEUM = """---
title: Thieves take reliquary from Ghent museum
date: 2025-03-10
---

Thieves broke into the Verbeke Museum in Ghent on Monday and took a silver reliquary.

Police spokeswoman Inspector Lotte Claes said two masked men had climbed onto the roof.

Claes said detectives had recovered an aluminium ladder left behind in a garden.
"""


@pytest.mark.parametrize(("reply", "verified"),
                         [("a silver reliquary [1].", False), ("an aluminium ladder [1].", True)])
def test_according_to_a_role_only_its_holders_words_verify(
    make_engine: Callable[..., Engine], seeds: Path, reply: str, verified: bool
) -> None:
    (seeds / "museum.md").write_text(MUSEUM, encoding="utf-8")
    question = "According to the Ghent police spokeswoman, what did detectives recover after the museum raid?"
    answer = make_engine(reply, k=12).ask(question)
    # The lede says a reliquary was taken, but nobody there is the spokeswoman: her words are the ladder.
    assert answer.abstained is not verified
    if verified:
        assert [c.paragraph.number for c in answer.citations] == [3] and "aluminium ladder" in answer.text


def test_the_asked_persons_paragraphs_are_shown_beyond_the_best_hit(
    make_engine: Callable[..., Engine], seeds: Path
) -> None:
    (seeds / "museum.md").write_text(MUSEUM, encoding="utf-8")
    lede = "Thieves broke into the Verbeke Museum in Ghent on Monday and took a silver reliquary"
    engine = make_engine("NOT FOUND", k=1)

    def shown(question: str) -> str:
        """The passages of the first prompt ``question`` gets (a NOT FOUND is asked again with one paragraph)."""
        before = len(engine.llm.prompts)
        engine.ask(question)
        return engine.llm.prompts[before].rsplit("Passages:\n", 1)[1]

    theirs = shown("What did Inspector Lotte Claes say about how thieves broke into the Verbeke Museum in Ghent?")
    assert lede in theirs and "aluminium ladder" in theirs and "masked men" in theirs  # both of her paragraphs
    assert "aluminium ladder" not in shown("How did thieves break into the Verbeke Museum in Ghent?")  # no one asked
    on_it = shown("What did Inspector Lotte Claes say about the two masked men who climbed onto the roof?")
    assert "masked men" in on_it and "aluminium ladder" not in on_it  # her words on it are shown: nothing more


GRANTS = """---
title: Germany to cut heat-pump grants
date: 2026-03-10
---

Germany will cut the grant households receive for installing a heat pump by a third from July.

"We cannot keep paying half the bill for every boiler," the German economy minister told a news conference.

She then argued that the money saved should go into training installers.

Installers reacted with alarm. Dorothea Kampfer of the installers' federation said apprentices take years to train.

The minister, Friederike Stallbaum, has been under pressure since taking office in January.
"""


def test_the_paragraph_going_on_with_the_asked_persons_words_is_shown(
    make_engine: Callable[..., Engine], seeds: Path
) -> None:
    """ "She then argued ..." goes on with the minister's words after her quote, and the minister is named only two
    paragraphs later: shown with the quote it continues, and verified as hers."""
    (seeds / "grants.md").write_text(GRANTS, encoding="utf-8")
    engine = make_engine("training installers [2].", k=1)
    answer = engine.ask("According to the German economy minister, what should the money saved on the grant pay for?")
    shown = engine.llm.prompts[0].rsplit("Passages:\n", 1)[1]
    assert "She then argued that the money saved should go into training installers." in shown
    assert not answer.abstained and answer.citations[0].paragraph.text.startswith("She then argued")
