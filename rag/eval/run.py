"""Evaluate: ask a question set, measure retrieval and answers (``rag eval``).

For every question each retriever fetches the top 10 paragraphs (recall@k
and MRR need a fixed depth, whatever k the model is given), then the engine
answers it end to end, and the per-question scores are appended to
``results.jsonl`` at once. Scoring happens here, while the ``Answer`` with
its whole paragraphs is at hand; ``rag.report`` only aggregates the lines.

Retrievers are the project's own, by name, through ``Engine.retrieve``
(``dense``, ``bm25``, ``hybrid``); ``default`` is the configured one
(``Settings.retriever``). So the numbers describe exactly what ``ask()``
uses, and each corpus's BM25 model is built once per engine.

Answers for a non-default retriever go through ``Engine.ask(..., hits=...)``
so they take the very same prompt, generation and citation path. Trade-off:
the retrieval metrics re-run retrieval beside ``ask()`` (a few ms a
question) instead of reading it out of the pipeline, so the pipeline stays
free of evaluation code.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import re
import string
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path

from rag import cite, report, retrieve
from rag.cite import strip_markers
from rag.embed import Embedder, MiniLMEmbedder
from rag.llm import LLM
from rag.minilm import NumpyMiniLM
from rag.models import PACKAGED
from rag.pipeline import Engine, said_not_found
from rag.questions import EvalError, Question, is_squad, load
from rag.records import Answer, Hit, Paragraph
from rag.settings import Settings, _cache_home, load_settings
from rag.text import words

# "gold" hands the model the gold paragraph alone: the answer quality retrieval cannot beat.
RETRIEVER_CHOICES = ("default", *retrieve.RETRIEVERS, "gold")
COMPARED = ("dense", "bm25", "fusion")  # compared with the default, which sharpens fusion
COMPARE_MODELS_LIMIT = 50  # models are compared on a smaller sample: each answer costs seconds


def retriever_names(choice: str, compare: bool, settings: Settings) -> list[str]:
    """Concrete retriever names to measure: "default" is the configured one (``Settings.retriever``)."""
    default = settings.retriever
    return list(dict.fromkeys([*COMPARED, default])) if compare else [default if choice == "default" else choice]


# ---- per-question scores ------------------------------------------------------

_PUNCT = set(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_BRACKETS = re.compile(r"\[([^\[\]]*)\]")


def normalize_answer(text: str) -> str:
    """SQuAD v1.1 normalization: lowercase, drop punctuation and articles, collapse whitespace.

    >>> normalize_answer("The  U.S.-led Coalition!")
    'usled coalition'
    """
    text = "".join(ch for ch in text.lower() if ch not in _PUNCT)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match(prediction: str, golds: Sequence[str]) -> float:
    return max((float(normalize_answer(prediction) == normalize_answer(g)) for g in golds), default=0.0)


def token_f1(prediction: str, golds: Sequence[str]) -> float:
    """SQuAD token F1, maximum over the gold answers."""
    pred = normalize_answer(prediction).split()
    best = 0.0
    for gold in golds:
        truth = normalize_answer(gold).split()
        same = sum((Counter(pred) & Counter(truth)).values())
        if same:
            p, r = same / len(pred), same / len(truth)
            best = max(best, 2 * p * r / (p + r))
    return best


def gold_rank(hits: Sequence[Hit], q: Question) -> int | None:
    """1-based rank of the gold paragraph (or, lacking one, of the gold article's first paragraph)."""
    if not q.has_gold:
        return None
    for rank, h in enumerate(hits, start=1):
        if (h.paragraph.id == q.gold_paragraph) if q.gold_paragraph else (h.paragraph.article_id == q.gold_article):
            return rank
    return None


def markers_ok(text: str, allowed: set[int]) -> bool:
    """Every bracket is a well-formed ``[n]`` with n in ``allowed``."""
    pairs = _BRACKETS.findall(text)
    if text.count("[") != len(pairs) or text.count("]") != len(pairs):
        return False
    return all(re.fullmatch(r"\d+", m) and int(m) in allowed for m in pairs)


def citation_counts(
    text: str, by_marker: dict[int, Paragraph], question: str, min_support: float
) -> tuple[int, int, int]:
    """(claims, citations, claims supported by their citation) of an answer text.

    Claims come from ``rag.cite.claims`` (at most one marker each, so a
    supported claim is also a supporting citation); claims that only restate
    the question are skipped, as ``rag.cite.verify`` does. A marker without a
    paragraph behind it is a citation that supports nothing.
    """
    claims = citations = supported = 0
    asked = set(words(question))
    for c in cite.claims(text):
        if not set(words(c.text)) - asked:
            continue
        claims += 1
        citations += c.marker is not None
        p = by_marker.get(c.marker) if c.marker is not None else None
        supported += p is not None and cite.support(c.text, p.text, question) >= min_support
    return claims, citations, supported


def citation_correct(q: Question, answer: Answer) -> bool | None:
    """Cited paragraphs include the gold one, or contain a gold answer (None: not applicable)."""
    if answer.abstained or not q.answerable or not (q.gold_paragraph or q.gold_article or q.answers):
        return None
    cited = [c.paragraph for c in answer.citations]
    if q.gold_paragraph and any(p.id == q.gold_paragraph for p in cited):
        return True
    if not q.gold_paragraph and q.gold_article and any(p.article_id == q.gold_article for p in cited):
        return True
    golds = [f" {normalize_answer(a)} " for a in q.answers if normalize_answer(a)]
    return any(g in f" {normalize_answer(p.text)} " for g in golds for p in cited)


def score(q: Question, answer: Answer, min_support: float) -> report.Scores:
    final = {c.marker: c.paragraph for c in answer.citations}
    shown = {i: h.paragraph for i, h in enumerate(answer.hits, start=1)}  # passage [n] is hits[n-1]
    raw = "" if said_not_found(answer.raw) else answer.raw
    text = "" if answer.abstained else strip_markers(answer.text)
    graded = q.answerable and bool(q.answers)
    claims, citations, supported = citation_counts(
        "" if answer.abstained else answer.text, final, q.question, min_support
    )
    raw_claims, raw_citations, raw_supported = citation_counts(raw, shown, q.question, min_support)
    return report.Scores(
        em=exact_match(text, q.answers) if graded and text else (0.0 if graded else None),
        f1=token_f1(text, q.answers) if graded and text else (0.0 if graded else None),
        citation_correct=citation_correct(q, answer),
        claims=claims,
        citations=citations,
        supported=supported,
        raw_claims=raw_claims,
        raw_citations=raw_citations,
        raw_supported=raw_supported,
        markers_ok=None if answer.abstained else markers_ok(answer.text, set(final)),
        raw_markers_ok=markers_ok(raw, set(shown)) if raw else None,
    )


def _ids(hits: Sequence[Hit]) -> tuple[tuple[str, float], ...]:
    return tuple((h.paragraph.id, round(float(h.score), 4)) for h in hits)


def evaluate_question(
    engine: Engine, q: Question, retrievers: Sequence[str], answer_with: str | None, k: int | None
) -> report.Result:
    """Retrieve with each retriever, answer with ``answer_with`` (None: retrieval only), score it."""
    fetched: dict[str, tuple[list[Hit], float]] = {}
    for name in retrievers:
        t0 = time.perf_counter()
        if name == "gold":
            ix = engine.index
            gold = [Hit(ix.paragraphs[ix.positions[q.gold_paragraph]], 1.0)] if q.gold_paragraph else []
            fetched[name] = (gold, 0.0)
        else:
            fetched[name] = (engine.retrieve(q.question, report.METRIC_K, name), time.perf_counter() - t0)
    rankings = tuple(report.Ranking(n, gold_rank(hits, q), _ids(hits)) for n, (hits, _) in fetched.items())
    record = scores = None
    if answer_with is not None:
        extra = 0.0
        if answer_with == engine.settings.retriever:  # exactly what a user gets, retrieval timed inside
            answer = engine.ask(q.question, k)
        else:  # this retriever's hits replace the engine's own retrieval; its time is counted here
            hits, extra = fetched[answer_with]
            answer = engine.ask(q.question, k, hits=hits)
        t = answer.timings
        record = report.AnswerRecord(
            answer_with,
            answer.model,
            answer.text,
            answer.raw,
            answer.abstained,
            tuple(report.CitationRecord(c.marker, c.paragraph.id, c.support, c.sentence) for c in answer.citations),
            _ids(answer.hits),
            answer.unsupported,
            report.Latency(*(round(x, 4) for x in (t.retrieve + extra, t.prompt, t.generate, t.total + extra))),
            answer.prompt_tokens,
            answer.generated_tokens,
        )
        scores = score(q, answer, engine.settings.min_support)
    return report.Result(
        q.id, q.question, q.answerable, q.answers, q.gold_paragraph, q.gold_article, rankings, record, scores
    )


# ---- a run: resumable loop over the questions ---------------------------------------


def check_run_dir(out: Path, fingerprint: dict, overwrite: bool) -> None:
    """Resume only a run made with the same settings; ``overwrite`` starts it afresh."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / "run.json"
    fingerprint = json.loads(json.dumps(fingerprint))  # compare as stored: tuples become lists
    if path.exists() and not overwrite:
        try:
            old = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            old = {}
        diff = [
            f"{key}: {old.get(key)!r} -> {fingerprint.get(key)!r}"
            for key in sorted(set(old) | set(fingerprint))
            if old.get(key) != fingerprint.get(key)
        ]
        if diff:
            raise EvalError(
                f"{out} holds a run with other settings ({'; '.join(diff[:3])}); "
                "use another --out, or --overwrite to start it afresh"
            )
    elif overwrite:
        for name in ("results.jsonl", "summary.json", "report.md", "recall_at_k.png", "latency.png"):
            (out / name).unlink(missing_ok=True)
    path.write_text(json.dumps(fingerprint, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def run(
    engine: Engine,
    questions: Sequence[Question],
    out: Path,
    retrievers: Sequence[str],
    answer_with: str | None,
    fingerprint: dict,
    *,
    info: dict | None = None,
    k: int | None = None,
    overwrite: bool = False,
    desc: str = "eval",
) -> report.Summary:
    """Evaluate ``questions`` into ``out``, skipping ids already in ``results.jsonl``.

    ``fingerprint`` (everything that changes a result) must match the run
    being resumed; ``info`` is only shown in the report.
    """
    from tqdm import tqdm

    check_run_dir(out, fingerprint, overwrite)
    path = out / "results.jsonl"
    done = {r.id for r in report.read_results(path)}
    todo = [q for q in questions if q.id not in done]
    order = {q.id: i for i, q in enumerate(questions)}  # the report covers this command's questions only
    meta = {**fingerprint, **(info or {}), "questions": len(questions)}
    bar = tqdm(total=len(questions), initial=len(questions) - len(todo), desc=desc, unit="q", file=sys.stderr)
    try:
        with path.open("a", encoding="utf-8") as f:
            for q in todo:
                report.append_result(f, evaluate_question(engine, q, retrievers, answer_with, k))
                bar.update()
    except BaseException:
        bar.close()
        finished = [r for r in report.read_results(path) if r.id in order]
        print(
            f"rag eval: stopped after {len(finished)}/{len(questions)} questions; rerun the same command "
            f"to resume ({path})",
            file=sys.stderr,
        )
        try:
            report.write_report(out, finished, meta, partial=True)
        except Exception as err:  # the original error matters more
            print(f"rag eval: could not write the partial report: {err}", file=sys.stderr)
        raise
    bar.close()
    results = sorted((r for r in report.read_results(path) if r.id in order), key=lambda r: order[r.id])
    return report.write_report(out, results, meta)


# ---- the whole command ----------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """What ``rag eval`` was asked to do (the parsed command line)."""

    questions_file: Path
    out: Path
    corpus: tuple[Path, ...] = ()
    seeds: Path | None = None
    index_dir: Path | None = None
    limit: int | None = None
    sample_seed: int = 0
    k: int | None = None
    model: str | None = None
    retriever: str = "default"
    compare: bool = False
    compare_answers: bool = False
    compare_models: tuple[str, ...] = ()
    retrieval_only: bool = False
    unanswerable_from: Path | None = None
    unanswerable: int | None = None
    pool_questions: bool = False
    holdout: int = 0
    overwrite: bool = False
    cache_dir: Path = _cache_home() / "eval-index"


def evaluate(
    plan: Plan,
    settings: Settings | None = None,
    embedder: Embedder | None = None,
    make_llm: Callable[[str], LLM] | None = None,
) -> list[tuple[str, report.Summary]]:
    """Run ``plan``; one (variant name, summary) per run folder ("" for a single run)."""
    settings = (settings or load_settings()).with_(model=plan.model, k=plan.k)
    auto = None
    if plan.seeds and not plan.index_dir and plan.seeds.resolve() != settings.seeds_dir.resolve():
        # another articles folder gets its own index: never overwrite the project's with it
        auto = plan.cache_dir / f"seeds-{hashlib.sha256(str(plan.seeds.resolve()).encode()).hexdigest()[:12]}"
    settings = settings.with_(seeds_dir=plan.seeds, index_dir=plan.index_dir or auto)
    for name in plan.compare_models:
        if name not in PACKAGED and not Path(name).expanduser().is_file():
            raise EvalError(f"--compare-models: unknown model {name!r} (one of {', '.join(PACKAGED)}, or a .gguf path)")
    if is_squad(plan.questions_file) and (plan.seeds or plan.index_dir):
        raise EvalError("--seeds/--index are for .jsonl/.csv questions; a SQuAD file brings its own corpus")
    indexer = embedder or MiniLMEmbedder()  # loads (and imports torch) only if something must be embedded
    asker = embedder or NumpyMiniLM()  # questions get the same vectors the way ask() does, without torch
    questions, idx, corpus, info = load(
        plan.questions_file,
        indexer,
        settings,
        corpus_files=plan.corpus,
        cache_dir=plan.cache_dir,
        limit=plan.limit or (COMPARE_MODELS_LIMIT if plan.compare_models else None),
        seed=plan.sample_seed,
        unanswerable_from=plan.unanswerable_from,
        unanswerable=plan.unanswerable,
        pool_questions=plan.pool_questions,
        holdout=plan.holdout,
    )
    retrievers = retriever_names(plan.retriever, plan.compare, settings)
    answer_with = None if plan.retrieval_only else (settings.retriever if plan.compare else retrievers[0])
    variants: list[tuple[str, Settings, list[str], str | None]] = [("", settings, retrievers, answer_with)]
    if plan.compare_models:
        variants = [(m, settings.with_(model=m), retrievers, answer_with) for m in plan.compare_models]
    elif plan.compare and plan.compare_answers:
        variants = [(r, settings, [r], r) for r in retrievers]
    summaries = []
    for name, s, rs, aw in variants:
        fingerprint = {
            "questions_file": str(plan.questions_file),
            **corpus,
            "sample_seed": plan.sample_seed,
            "retrievers": rs,
            "answers_from": aw or "none (retrieval only)",
            "embedder": indexer.name,
            **{
                f.name: str(getattr(s, f.name)) if isinstance(getattr(s, f.name), Path) else getattr(s, f.name)
                for f in fields(s)
                if f.name not in ("seeds_dir", "index_dir", "model_dir", "threads")
            },
        }
        # An engine per run, dropped after it: two models never share the memory. All share one index.
        engine = Engine(s, indexer, make_llm(s.model) if make_llm else None, prebuilt=idx, query_embedder=asker)
        summaries.append(
            (
                name,
                run(
                    engine,
                    questions,
                    plan.out / name,
                    rs,
                    aw,
                    fingerprint,
                    info=info,
                    k=s.k,
                    overwrite=plan.overwrite,
                    desc=name or "eval",
                ),
            )
        )
        del engine
        gc.collect()
    if len(variants) > 1:
        report.write_comparison(plan.out, summaries, {"questions_file": str(plan.questions_file), **corpus, **info})
    return summaries


# ---- command line -----------------------------------------------------------------------


def add_eval_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="evaluate retrieval and answers on a question set")
    p.add_argument("questions", type=Path, help="SQuAD v1.1 .json (brings its corpus), or .jsonl/.csv questions")
    p.add_argument("--out", type=Path, required=True, help="run folder (rerun with the same folder to resume)")
    p.add_argument("--corpus", type=Path, action="append", default=[], help="more SQuAD files pooled into the index")
    p.add_argument("--seeds", type=Path, help="articles folder the .jsonl/.csv questions are about (default: seeds/)")
    p.add_argument("--index", type=Path, help="index folder for --seeds")
    p.add_argument("--limit", type=int, help="ask a random sample of this many questions")
    p.add_argument("--sample-seed", type=int, default=0, help="seed of the --limit sample (default 0)")
    p.add_argument("--k", type=int, help="paragraphs handed to the model (metrics always use the top 10)")
    p.add_argument("--model", help="packaged model name or .gguf path")
    p.add_argument(
        "--retriever",
        choices=RETRIEVER_CHOICES,
        default="default",
        help="retriever to measure and answer with (default: the configured one, $RAG_RETRIEVER; "
        "gold: the gold paragraph alone)",
    )
    p.add_argument("--compare", action="store_true", help="dense, bm25 and the default retriever side by side")
    p.add_argument("--compare-answers", action="store_true", help="with --compare: answers for every retriever too")
    p.add_argument("--compare-models", help=f"NAME,NAME: models side by side (default --limit {COMPARE_MODELS_LIMIT})")
    p.add_argument("--retrieval-only", action="store_true", help="retrieval metrics only, no model")
    p.add_argument("--unanswerable-from", type=Path, help="add questions from this file, not in the corpus")
    p.add_argument("--unanswerable", type=int, help="how many (default: a quarter of the answerable ones)")
    p.add_argument("--pool-questions", action="store_true", help="ask the questions of every --corpus file too")
    p.add_argument(
        "--holdout",
        type=int,
        default=0,
        help="drop this many articles from the corpus; their questions become unanswerable",
    )
    p.add_argument("--overwrite", action="store_true", help="discard an existing run in --out")
    p.add_argument("--cache-dir", type=Path, default=Plan.cache_dir, help="where corpus indexes are cached")
    p.set_defaults(func=cmd_eval)


def cmd_eval(args: argparse.Namespace) -> int:
    for flag in ("limit", "k", "unanswerable", "holdout"):
        value = getattr(args, flag)
        if value is not None and value < (0 if flag in ("unanswerable", "holdout") else 1):
            raise EvalError(f"--{flag} must be {'positive' if flag in ('limit', 'k') else '>= 0'}, not {value}")
    plan = Plan(
        args.questions,
        args.out,
        tuple(args.corpus),
        args.seeds,
        args.index,
        args.limit,
        args.sample_seed,
        args.k,
        args.model,
        args.retriever,
        args.compare,
        args.compare_answers,
        tuple(m.strip() for m in (args.compare_models or "").split(",") if m.strip()),
        args.retrieval_only,
        args.unanswerable_from,
        args.unanswerable,
        args.pool_questions,
        args.holdout,
        args.overwrite,
        args.cache_dir,
    )
    for name, s in evaluate(plan):
        parts = [f"{r.retriever} R@1/5/10 {r.recall[0]:.2f}/{r.recall[4]:.2f}/{r.recall[9]:.2f}" for r in s.retrieval]
        total = next(x for x in s.latency if x.name == "total")
        if s.answered.n:
            parts.append(
                f"answered {s.answered.value:.2f} F1 {s.f1.value or 0:.2f} "
                f"cit.acc {s.citation_accuracy.value or 0:.2f} p50 {total.p50:.1f}s"
            )
        print(
            f"{name or 'eval'}: {s.questions} questions | " + " | ".join(parts) + f" -> {plan.out / name / 'report.md'}"
        )
    return 0
