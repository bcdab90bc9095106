"""Report: the files an eval run writes from its results, ``summary.json`` and ``report.md``.

``write_report`` summarizes all the lines of ``results.jsonl``
(``rag.eval.results``, ``rag.eval.summary``) and writes the summary as
JSON and as markdown tables (retrieval, answers, latency), with the plots
(``rag.eval.plots``), the run's settings and the metric definitions;
``write_comparison`` writes one table across the variant runs of a
comparison, each kept in its own sub-folder with its own report.

Trade-offs: both files are always rewritten whole from all the lines, never
updated incrementally, so a resumed or partial run reports exactly like an
uninterrupted one (a partial one says so at the top), at the cost of
re-reading every line at the end of a run. The definitions are written into
every report rather than kept in a separate document, so a report read on
its own says what its numbers mean.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from rag.eval import plots
from rag.eval.results import Result
from rag.eval.summary import Rate, Summary, summarize


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
  check `rag.claims.support` instead of an NLI model, threshold `min_support`): the answer is cut into claims
  (`rag.claims.claims`); recall = share of claims (that add words to the question) with a citation that supports them,
  precision = share of citations that support their claim; per answer, then averaged. *Verified* scores the
  final answer, whose citations `rag.verify.verify` has already checked with the same test, so it is close to 1 by
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
        ("read holds the answer (a sentence the model read, or verified evidence, contains it)", _r(s.read_answer)),
        *((f"all answers present and cited ({kind})", _r(r)) for kind, r in s.all_answers),
        ("attribution errors (of traps)", _r(s.attribution_errors)),
        ("prompt tokens p50 / mean", f"{_f(s.prompt_tokens.p50, 0)} / {_f(s.prompt_tokens.mean, 0)}"),
        ("model calls / new prompt tokens per question, p50", f"{_f(s.calls.p50, 0)} / {_f(s.new_tokens.p50, 0)}"),
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
    lines += ["## Plots", "", *plots.draw(out, s, totals), "## Settings", "", "| setting | value |", "|---|---|"]
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
