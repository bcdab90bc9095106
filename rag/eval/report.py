"""Report: per-question result records, their aggregation, and the files of a run.

``results.jsonl`` is the source of truth: one ``Result`` per line, appended
and flushed as each question finishes, so an interrupted run loses at most
the line being written (a torn last line is dropped on resume).
``summary.json`` and ``report.md`` are always recomputed from all lines,
never updated incrementally, so a resumed run reports exactly like an
uninterrupted one.

Plots need matplotlib, which is optional: without it the recall@k curve is
a markdown table and the latency histogram is drawn in text.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

METRIC_K = 10  # retrieval metrics always look at the top 10, whatever k the model gets
STAGES = ("retrieve", "prompt", "generate", "total")


@dataclass(frozen=True)
class Ranking:
    """One retriever's top ``METRIC_K`` for a question; ``rank`` of the gold (1-based), None if absent."""

    retriever: str
    rank: int | None
    hits: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class CitationRecord:
    marker: int
    paragraph: str
    support: float
    sentence: str


@dataclass(frozen=True)
class Latency:
    retrieve: float
    prompt: float
    generate: float
    total: float


@dataclass(frozen=True)
class AnswerRecord:
    """The end-to-end answer, with paragraph ids instead of whole paragraphs."""

    retriever: str
    model: str
    text: str
    raw: str
    abstained: bool
    citations: tuple[CitationRecord, ...]
    hits: tuple[tuple[str, float], ...]
    unsupported: tuple[str, ...]
    seconds: Latency
    prompt_tokens: int
    generated_tokens: int


@dataclass(frozen=True)
class Scores:
    """Per-answer metric counts; None where the metric does not apply to this question."""

    em: float | None
    f1: float | None
    citation_correct: bool | None
    claims: int  # claims that add words to the question
    citations: int  # claims carrying a marker (one marker per claim)
    supported: int  # claims whose own citation supports them
    raw_claims: int
    raw_citations: int
    raw_supported: int
    markers_ok: bool | None
    raw_markers_ok: bool | None
    # News quiz measures (None where the question has no gold answers): the answer contains a gold
    # answer (and names at most one of the quiz's choices); it was answered, shown verified, and wrong
    # (``picks_gold`` false); a paragraph shown to the model contains a gold answer; the answer contains
    # a gold answer or matches the gold choice best (``rag.eval.metrics.picks_gold``).
    contains: bool | None = None
    wrong_verified: bool | None = None
    shown_answer: bool | None = None
    picks_gold: bool | None = None
    # Multi-answer questions (tests/multi): every expected answer present and cited by evidence stating it;
    # an attribution trap answered with another speaker's quote as the asked person's.
    all_answers: bool | None = None
    attribution_error: bool | None = None


@dataclass(frozen=True)
class Result:
    id: str
    question: str
    answerable: bool
    answers: tuple[str, ...]
    gold_paragraph: str | None
    gold_article: str | None
    retrieval: tuple[Ranking, ...]
    answer: AnswerRecord | None
    scores: Scores | None
    kind: str = ""  # a multi-answer question's kind (list, coref, attribution, metadata)

    @property
    def has_gold(self) -> bool:
        return self.answerable and bool(self.gold_paragraph or self.gold_article or self.answers)


def result_from_json(d: dict) -> Result:
    a = d.get("answer")
    answer = None
    if a is not None:
        answer = AnswerRecord(
            a["retriever"],
            a["model"],
            a["text"],
            a["raw"],
            a["abstained"],
            tuple(CitationRecord(**c) for c in a["citations"]),
            tuple((h[0], h[1]) for h in a["hits"]),
            tuple(a["unsupported"]),
            Latency(**a["seconds"]),
            a["prompt_tokens"],
            a["generated_tokens"],
        )
    return Result(
        d["id"],
        d["question"],
        d["answerable"],
        tuple(d["answers"]),
        d["gold_paragraph"],
        d["gold_article"],
        tuple(Ranking(r["retriever"], r["rank"], tuple((h[0], h[1]) for h in r["hits"])) for r in d["retrieval"]),
        answer,
        None if d.get("scores") is None else Scores(**d["scores"]),
        d.get("kind", ""),
    )


def read_results(path: Path) -> list[Result]:
    """All complete lines of ``results.jsonl``; a torn last line (crash mid-write) is cut off the file."""
    if not path.exists():
        return []
    data = path.read_bytes()
    lines = data.split(b"\n")
    good = data
    if lines[-1]:  # no final newline: the last write was interrupted
        good = data[: len(data) - len(lines[-1])]
        lines = lines[:-1]
    out: list[Result] = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            out.append(result_from_json(json.loads(line)))
        except (ValueError, KeyError, TypeError) as err:
            raise ValueError(f"{path}:{n}: unreadable result ({err}); delete the line, or use --overwrite") from None
    if good != data:
        path.write_bytes(good)
    return out


def append_result(f, result: Result) -> None:  # f: an open text file
    f.write(json.dumps(asdict(result), ensure_ascii=False) + "\n")
    f.flush()  # a finished question survives Ctrl-C or a crash of the next one


# ---- aggregation ------------------------------------------------------------


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
    all_answers: tuple[tuple[str, Rate], ...]  # per kind of multi-answer question, then "all"
    attribution_errors: Rate  # of attribution traps
    latency: tuple[Spread, ...]
    prompt_tokens: Spread
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
        all_answers=_by_kind([(res.kind, s.all_answers) for res, _, s in done if s.all_answers is not None]),
        attribution_errors=rate([s.attribution_error for _, _, s in done if s.attribution_error is not None]),
        latency=tuple(spread(st, [getattr(a.seconds, st) for _, a, _ in done]) for st in STAGES),
        prompt_tokens=spread("prompt tokens", [a.prompt_tokens for a in called]),
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


# ---- files ------------------------------------------------------------------


def _f(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _r(r: Rate) -> str:
    return f"{_f(r.value)} (n={r.n})"


DEFINITIONS = """\
## Metric definitions

- **recall@k**: share of answerable questions with a gold paragraph whose gold paragraph is among the
  retriever's top k (retrieval always fetches 10, whatever k the model is given). Where a question gives only a
  gold article, any paragraph of that article counts; where it gives only answers (a news quiz), the first
  paragraph that contains one (whole words, normalized as for EM). **MRR**: mean of 1/rank of the gold in the
  top 10 (0 if absent).
- **EM / F1**: SQuAD v1.1 exact match and token F1 after normalization (lowercase, punctuation and the articles
  a/an/the removed, whitespace collapsed), maximum over the gold answers, on the answer text with citation markers
  [n] removed. Answerable questions only; an abstention scores 0. Full-sentence answers score low EM by nature.
- **answered**: share of questions not abstained on.
- **citation accuracy**: share of answered, answerable questions whose cited paragraphs include the gold paragraph
  or contain a gold answer string (normalized).
- **citation recall / precision** (in the sense of ALCE, Gao et al. 2023, with the project's own lexical support
  check `rag.cite.support` instead of an NLI model, threshold `min_support`): the answer is cut into claims
  (`rag.cite.claims`); recall = share of claims (that add words to the question) with a citation that supports them,
  precision = share of citations that support their claim; per answer, then averaged. *Verified* scores the
  final answer, whose citations `rag.cite.verify` has already checked with the same test, so it is close to 1 by
  construction; *model* scores the model's raw markers against the passages it was shown.
- **markers ok**: share of answers whose every bracket is a well-formed [n] marker mapping to one of the
  answer's citations (model: to one of the shown passages).
- **abstention on unanswerable**: share of unanswerable questions answered with "the articles don't say";
  **false abstention**: the same share on answerable questions.
- **answer contains a gold answer** (news quizzes): the answer text, markers removed, contains a gold answer as
  whole words (normalized as for EM) and names at most one of the quiz's `choices` (an answer naming two of
  them is wrong); abstentions count as not containing it. **answer is right** (contains it, or matches the
  gold choice best): also counts an answer worded apart from its choice ("Sean Duffy" for "Transportation
  Secretary Sean Duffy"), when the quiz choice it matches best by token F1 is the gold one, at F1 >= 0.5.
  **wrong but shown verified**: share of answerable questions answered (so with verified citations) whose
  answer is not right in that sense.
  **a shown paragraph contains a gold answer**: some paragraph handed to the model contains one.
- **all answers present and cited** (multi-answer questions, `tests/multi`; by kind): every expected answer is in
  the answer (as whole words, accents folded), and a claim naming it is cited to a paragraph (or, verified with
  two, either of them) that contains one of its evidence passages, or, for a header fact, to the header of the
  question's article. **attribution errors**: share of attribution traps ("what did X say about T?" where only Y
  is quoted on T) answered with Y's quote, cited, without naming Y.
- **latency**: seconds per question, p50/p95 by stage (retrieve includes passage selection; prompt = prompt
  evaluation until the first token; generate = decoding). **tokens/s**: generated tokens / generate seconds
  per question that reached the model, p50 (a median: a few slowed-down questions don't hide the typical speed).
"""


def _summary_table(s: Summary) -> list[str]:
    rows = [
        ("questions (answerable / unanswerable)", f"{s.questions} ({s.answerable} / {s.unanswerable})"),
        ("answered", _r(s.answered)),
        ("EM", _r(s.em)),
        ("F1", _r(s.f1)),
        ("citation accuracy", _r(s.citation_accuracy)),
        ("citation recall / precision (verified)", f"{_r(s.citation_recall)} / {_r(s.citation_precision)}"),
        ("citation recall / precision (model)", f"{_r(s.raw_citation_recall)} / {_r(s.raw_citation_precision)}"),
        ("markers ok (verified / model)", f"{_r(s.markers_ok)} / {_r(s.raw_markers_ok)}"),
        ("abstention on unanswerable", _r(s.abstention_unanswerable)),
        ("false abstention on answerable", _r(s.false_abstention)),
        ("answer contains a gold answer", _r(s.contains)),
        ("answer is right (contains it, or matches the gold choice best)", _r(s.picks_gold)),
        ("wrong but shown verified (of answerable)", _r(s.wrong_verified)),
        ("a shown paragraph contains a gold answer", _r(s.shown_answer)),
        *((f"all answers present and cited ({kind})", _r(r)) for kind, r in s.all_answers),
        ("attribution errors (of traps)", _r(s.attribution_errors)),
        ("prompt tokens p50 / mean", f"{_f(s.prompt_tokens.p50, 0)} / {_f(s.prompt_tokens.mean, 0)}"),
        ("generated tokens/s p50", _f(s.generated_tokens_per_s.p50, 1)),
    ]
    return ["| metric | value |", "|---|---|", *(f"| {a} | {b} |" for a, b in rows)]


def _retrieval_table(s: Summary) -> list[str]:
    out = ["| retriever | questions | R@1 | R@5 | R@10 | MRR |", "|---|---|---|---|---|---|"]
    for r in s.retrieval:
        out.append(
            f"| {r.retriever} | {r.questions} | {_f(r.recall[0])} | {_f(r.recall[4])} | {_f(r.recall[9])} "
            f"| {_f(r.mrr)} |"
        )
    return out


def _latency_table(s: Summary) -> list[str]:
    out = ["| stage | p50 s | p95 s | mean s |", "|---|---|---|---|"]
    return out + [f"| {x.name} | {_f(x.p50, 2)} | {_f(x.p95, 2)} | {_f(x.mean, 2)} |" for x in s.latency]


def text_histogram(values: Sequence[float], bins: int = 10, width: int = 40) -> list[str]:
    """A horizontal bar per bin, for when matplotlib is missing.

    >>> text_histogram([1.0, 1.0, 2.0], bins=2, width=4)
    ['  1.00-  1.50 s | ####  2', '  1.50-  2.00 s | ##  1']
    """
    if not values:
        return []
    lo, hi = min(values), max(values)
    step = (hi - lo) / bins or 1.0
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int((v - lo) / step))] += 1
    top = max(counts)
    return [
        f"{lo + i * step:6.2f}-{lo + (i + 1) * step:6.2f} s | {'#' * round(width * c / top)}  {c}"
        for i, c in enumerate(counts)
    ]


def _plots(out: Path, s: Summary, totals: list[float]) -> list[str]:
    """PNG plots if matplotlib is installed, else the same data as text; returns markdown lines."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only, no display
        import matplotlib.pyplot as plt
    except ImportError:
        plt = None
    lines: list[str] = []
    if s.retrieval and plt is not None:
        fig, ax = plt.subplots(figsize=(5, 3.5))
        for r in s.retrieval:
            ax.plot(range(1, METRIC_K + 1), r.recall, marker="o", label=r.retriever)
        ax.set(xlabel="k", ylabel="recall@k", ylim=(0, 1.02), title="Gold paragraph in top k")
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right")
        fig.tight_layout()
        fig.savefig(out / "recall_at_k.png", dpi=120)
        plt.close(fig)
        lines += ["![recall@k](recall_at_k.png)", ""]
    elif s.retrieval:
        lines += [
            "| retriever | " + " | ".join(f"R@{k}" for k in range(1, METRIC_K + 1)) + " |",
            "|---" * (METRIC_K + 1) + "|",
        ]
        lines += [f"| {r.retriever} | " + " | ".join(_f(x, 2) for x in r.recall) + " |" for r in s.retrieval]
        lines.append("")
    if totals and plt is not None:
        fig, ax = plt.subplots(figsize=(5, 3.5))
        ax.hist(totals, bins=20)
        ax.set(xlabel="seconds per question (total)", ylabel="questions", title="Latency")
        fig.tight_layout()
        fig.savefig(out / "latency.png", dpi=120)
        plt.close(fig)
        lines += ["![latency histogram](latency.png)", ""]
    elif totals:
        lines += ["Latency per question (total):", "", "```", *text_histogram(totals), "```", ""]
    return lines


def write_report(out: Path, results: Sequence[Result], meta: dict, partial: bool = False) -> Summary:
    """Write ``summary.json`` and ``report.md`` for all ``results``; returns the summary."""
    s = summarize(results)
    doc = {"settings": meta, "partial": partial, **asdict(s)}
    (out / "summary.json").write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    totals = [r.answer.seconds.total for r in results if r.answer is not None]
    lines = [f"# rag eval: {meta.get('questions_file', '')}", ""]
    if partial:
        lines += ["**Partial run** (interrupted): rerun the same command to finish it.", ""]
    lines += ["## Retrieval", "", *_retrieval_table(s), ""]
    if totals:
        lines += ["## Answers", "", *_summary_table(s), "", "## Latency", "", *_latency_table(s), ""]
    else:
        lines += ["No end-to-end answers in this run (retrieval only).", ""]
    lines += ["## Plots", "", *_plots(out, s, totals), "## Settings", "", "| setting | value |", "|---|---|"]
    lines += [f"| {k} | {v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)} |" for k, v in meta.items()]
    lines += ["", DEFINITIONS]
    (out / "report.md").write_text("\n".join(lines), encoding="utf-8")
    return s


def write_comparison(out: Path, variants: Sequence[tuple[str, Summary]], meta: dict) -> None:
    """One table across variant runs (models or retrievers), each kept in its own sub-folder."""
    doc = {"settings": meta, "variants": {name: asdict(s) for name, s in variants}}
    (out / "summary.json").write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    head = (
        "| variant | questions | R@1 | R@5 | R@10 | answered | F1 | EM | cit. acc. | cit. recall "
        "| abstain (unans.) | false abst. | contains | wrong verified | p50 s | p95 s | tok/s |"
    )
    lines = [f"# rag eval comparison: {meta.get('questions_file', '')}", "", head, "|---" * 17 + "|"]
    for name, s in variants:
        r = s.retrieval[0] if s.retrieval else None
        total = next(x for x in s.latency if x.name == "total")
        lines.append(
            f"| [{name}]({name}/report.md) | {s.questions} | {_f(r.recall[0] if r else None)} "
            f"| {_f(r.recall[4] if r else None)} | {_f(r.recall[9] if r else None)} | {_f(s.answered.value)} "
            f"| {_f(s.f1.value)} | {_f(s.em.value)} | {_f(s.citation_accuracy.value)} | {_f(s.citation_recall.value)} "
            f"| {_f(s.abstention_unanswerable.value)} | {_f(s.false_abstention.value)} | {_f(s.contains.value)} "
            f"| {_f(s.wrong_verified.value)} | {_f(total.p50, 2)} "
            f"| {_f(total.p95, 2)} | {_f(s.generated_tokens_per_s.p50, 1)} |"
        )
    lines += ["", "Each variant's own report.md has the settings, all metrics and their definitions.", ""]
    (out / "report.md").write_text("\n".join(lines), encoding="utf-8")
