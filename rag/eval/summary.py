"""Summary: the aggregate measures of an eval run, computed from its per-question results.

``summarize(results)`` turns the lines of ``results.jsonl``
(``rag.eval.results``) into one ``Summary``: recall@k and MRR per
retriever, answer and citation rates, latency percentiles. It is a pure
function of the lines, recomputed in full for every report, never updated
incrementally, so a resumed run reports exactly like an uninterrupted one.

Trade-offs: every rate carries the number of questions it is taken over
(``Rate.n``), since the measures apply to different subsets (answerable,
answered, quiz, multi-answer questions) and a rate over 3 questions must not
read like one over 300; percentiles are written out here (numpy's default
interpolation) so the module is plain standard library over a few hundred values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from rag.eval.results import METRIC_K, Result

STAGES = ("retrieve", "prompt", "generate", "total")


def percentile(values: Sequence[float], p: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default).

    >>> percentile([1, 2, 3, 4], 50), percentile([1, 2, 3, 4], 95), percentile([], 50)
    (2.5, 3.85, None)
    """
    if not values:
        return None
    xs = sorted(values)
    pos = (len(xs) - 1) * p / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return round(xs[lo] + (xs[hi] - xs[lo]) * (pos - lo), 10)


def recall_at(ranks: Sequence[int | None], k: int) -> float | None:
    """Share of questions whose gold is in the top ``k``; ``ranks`` are 1-based, None = not retrieved."""
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks) if ranks else None


def mrr(ranks: Sequence[int | None]) -> float | None:
    """Mean reciprocal rank (0 when the gold is not in the top ``METRIC_K``)."""
    return sum(1 / r for r in ranks if r) / len(ranks) if ranks else None


@dataclass(frozen=True)
class Rate:
    """A mean and the number of questions (or answers) it is taken over."""

    value: float | None
    n: int


def rate(values: Sequence[float | bool]) -> Rate:
    return Rate(sum(float(v) for v in values) / len(values) if values else None, len(values))


@dataclass(frozen=True)
class Spread:
    name: str
    p50: float | None
    p95: float | None
    mean: float | None
    n: int


def spread(name: str, values: Sequence[float]) -> Spread:
    mean = sum(values) / len(values) if values else None
    return Spread(name, percentile(values, 50), percentile(values, 95), mean, len(values))


@dataclass(frozen=True)
class RetrievalSummary:
    retriever: str
    questions: int
    recall: tuple[float, ...]  # recall@1 .. recall@METRIC_K
    mrr: float | None


@dataclass(frozen=True)
class Summary:
    questions: int
    answerable: int
    unanswerable: int
    retrieval: tuple[RetrievalSummary, ...]
    answered: Rate
    em: Rate
    f1: Rate
    citation_accuracy: Rate
    citation_recall: Rate
    citation_precision: Rate
    raw_citation_recall: Rate
    raw_citation_precision: Rate
    markers_ok: Rate
    raw_markers_ok: Rate
    abstention_unanswerable: Rate
    false_abstention: Rate
    contains: Rate
    wrong_verified: Rate
    shown_answer: Rate
    picks_gold: Rate
    read_answer: Rate
    all_answers: tuple[tuple[str, Rate], ...]  # per kind of multi-answer question, then "all"
    attribution_errors: Rate  # of attribution traps
    latency: tuple[Spread, ...]
    prompt_tokens: Spread
    calls: Spread  # model calls per question (every question, none for an abstention before the model)
    new_tokens: Spread  # prompt tokens evaluated per question
    generated_tokens_per_s: Spread  # per question: a few slow ones must not hide the typical speed


def summarize(results: Sequence[Result]) -> Summary:
    names = list(dict.fromkeys(r.retriever for res in results for r in res.retrieval))
    retrieval = []
    for name in names:
        ranks = [r.rank for res in results if res.has_gold for r in res.retrieval if r.retriever == name]
        curve = tuple(recall_at(ranks, k) or 0.0 for k in range(1, METRIC_K + 1))
        retrieval.append(RetrievalSummary(name, len(ranks), curve, mrr(ranks)))
    done = [(res, res.answer, res.scores) for res in results if res.answer is not None and res.scores is not None]
    answered = [(res, a, s) for res, a, s in done if not a.abstained]
    called = [a for _, a, _ in done if a.generated_tokens and a.seconds.generate > 0]
    return Summary(
        questions=len(results),
        answerable=sum(r.answerable for r in results),
        unanswerable=sum(not r.answerable for r in results),
        retrieval=tuple(retrieval),
        answered=rate([not a.abstained for _, a, _ in done]),
        em=rate([s.em for _, _, s in done if s.em is not None]),
        f1=rate([s.f1 for _, _, s in done if s.f1 is not None]),
        citation_accuracy=rate([s.citation_correct for _, _, s in done if s.citation_correct is not None]),
        # ALCE-style: per answer, then averaged over the answers that have claims / citations.
        citation_recall=rate([s.supported / s.claims for _, _, s in answered if s.claims]),
        citation_precision=rate([s.supported / s.citations for _, _, s in answered if s.citations]),
        raw_citation_recall=rate([s.raw_supported / s.raw_claims for _, _, s in done if s.raw_claims]),
        raw_citation_precision=rate([s.raw_supported / s.raw_citations for _, _, s in done if s.raw_citations]),
        markers_ok=rate([s.markers_ok for _, _, s in answered if s.markers_ok is not None]),
        raw_markers_ok=rate([s.raw_markers_ok for _, _, s in done if s.raw_markers_ok is not None]),
        abstention_unanswerable=rate([a.abstained for res, a, _ in done if not res.answerable]),
        false_abstention=rate([a.abstained for res, a, _ in done if res.answerable]),
        contains=rate([s.contains for _, _, s in done if s.contains is not None]),
        wrong_verified=rate([s.wrong_verified for _, _, s in done if s.wrong_verified is not None]),
        shown_answer=rate([s.shown_answer for _, _, s in done if s.shown_answer is not None]),
        picks_gold=rate([s.picks_gold for _, _, s in done if s.picks_gold is not None]),
        read_answer=rate([s.read_answer for _, _, s in done if s.read_answer is not None]),
        all_answers=_by_kind([(res.kind, s.all_answers) for res, _, s in done if s.all_answers is not None]),
        attribution_errors=rate([s.attribution_error for _, _, s in done if s.attribution_error is not None]),
        latency=tuple(spread(st, [getattr(a.seconds, st) for _, a, _ in done]) for st in STAGES),
        prompt_tokens=spread("prompt tokens", [a.prompt_tokens for a in called]),
        calls=spread("model calls", [a.calls for _, a, _ in done]),
        new_tokens=spread("new prompt tokens", [a.new_tokens for _, a, _ in done]),
        generated_tokens_per_s=spread("tokens/s", [a.generated_tokens / a.seconds.generate for a in called]),
    )


def _by_kind(scored: Sequence[tuple[str, bool]]) -> tuple[tuple[str, Rate], ...]:
    """A rate per kind, in first-seen order, then over all ("all"); empty when nothing was scored.

    >>> [(k, r.value, r.n) for k, r in _by_kind([("list", True), ("coref", False), ("list", False)])]
    [('list', 0.5, 2), ('coref', 0.0, 1), ('all', 0.3333333333333333, 3)]
    """
    kinds = list(dict.fromkeys(k for k, _ in scored))
    if not kinds:
        return ()
    return (*((k, rate([v for kk, v in scored if kk == k])) for k in kinds), ("all", rate([v for _, v in scored])))
