"""The ``rag eval`` run: ask a question set, measure retrieval and answers.

For every question each retriever fetches the top 10 paragraphs (recall@k
and MRR need a fixed depth, whatever k the model is given), then the engine
answers it end to end, and the per-question scores are appended to
``results.jsonl`` at once. Scoring happens here, while the ``Answer`` with
its whole paragraphs is at hand (``rag.eval.metrics``); ``rag.eval.summary``
only aggregates the lines.

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

import datetime as dt
import gc
import hashlib
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path

from rag import retrieve
from rag.embed import Embedder, MiniLMEmbedder
from rag.eval import report
from rag.eval.corpus import load
from rag.eval.metrics import gold_rank, score
from rag.eval.questions import EvalError, Question, is_squad
from rag.eval.results import (
    METRIC_K,
    AnswerRecord,
    CitationRecord,
    Latency,
    Ranking,
    Result,
    append_result,
    read_results,
)
from rag.eval.summary import Summary
from rag.gguf import PACKAGED
from rag.llm import LLM
from rag.minilm import NumpyMiniLM
from rag.pipeline import Engine
from rag.records import Hit
from rag.settings import Settings, cache_home, load_settings

# "gold" hands the model the gold paragraph alone: the answer quality retrieval cannot beat.
RETRIEVER_CHOICES = ("default", *retrieve.RETRIEVERS, "gold")
COMPARED = ("dense", "bm25", "fusion")  # compared with the default, which sharpens fusion
COMPARE_MODELS_LIMIT = 50  # models are compared on a smaller sample: each answer costs seconds


def retriever_names(choice: str, compare: bool, settings: Settings) -> list[str]:
    """Concrete retriever names to measure: "default" is the configured one (``Settings.retriever``)."""
    default = settings.retriever
    return list(dict.fromkeys([*COMPARED, default])) if compare else [default if choice == "default" else choice]


def _day(question_date: str) -> dt.date | None:
    """The day a question is asked on (None: today)."""
    return dt.date.fromisoformat(question_date[:10]) if question_date else None


def _ids(hits: Sequence[Hit]) -> tuple[tuple[str, float], ...]:
    return tuple((h.paragraph.id, round(float(h.score), 4)) for h in hits)


def evaluate_question(
    engine: Engine, q: Question, retrievers: Sequence[str], answer_with: str | None, k: int | None
) -> Result:
    """Retrieve with each retriever, answer with ``answer_with`` (None: retrieval only), score it."""
    fetched: dict[str, tuple[list[Hit], float]] = {}
    for name in retrievers:
        t0 = time.perf_counter()
        if name == "gold":
            ix = engine.index
            gold = [Hit(paragraph=ix.paragraphs[ix.positions[q.gold_paragraph]], score=1.0)] if q.gold_paragraph else []
            fetched[name] = (gold, 0.0)
        else:
            hits = engine.retrieve(q.question, METRIC_K, name, as_of=_day(q.question_date))
            fetched[name] = (hits, time.perf_counter() - t0)
    rankings = tuple(Ranking(n, gold_rank(hits, q), _ids(hits)) for n, (hits, _) in fetched.items())
    record = scores = None
    if answer_with is not None:
        extra = 0.0
        if answer_with == engine.settings.retriever:  # exactly what a user gets, retrieval timed inside
            turns: list[tuple[str, str]] = []
            for earlier in q.history:  # a conversation: its earlier questions first, as a user asked them
                turns.append((earlier, engine.ask(earlier, k, as_of=_day(q.question_date), history=turns).text))
            answer = engine.ask(q.question, k, as_of=_day(q.question_date), history=turns)
        else:  # this retriever's hits replace the engine's own retrieval; its time is counted here
            hits, extra = fetched[answer_with]
            answer = engine.ask(q.question, k, hits=hits, as_of=_day(q.question_date))
        t = answer.timings
        record = AnswerRecord(
            answer_with,
            answer.model,
            answer.text,
            answer.raw,
            answer.abstained,
            tuple(CitationRecord(c.marker, c.paragraph.id, c.support, c.sentence) for c in answer.citations),
            _ids(answer.hits),
            answer.unsupported,
            Latency(*(round(x, 4) for x in (t.retrieve + extra, t.prompt, t.generate, t.total + extra))),
            answer.prompt_tokens,
            answer.generated_tokens,
            t.calls,
            t.new_tokens,
        )
        scores = score(q, answer, engine.settings.min_support)
    return Result(
        q.id, q.question, q.answerable, q.answers, q.gold_paragraph, q.gold_article, rankings, record, scores, q.kind
    )


# ---- a run: resumable loop over the questions ---------------------------------------


def check_run_dir(out: Path, fingerprint: dict, overwrite: bool) -> None:
    """Resume only a run made with the same settings; ``overwrite`` starts it afresh."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise EvalError(f"{out}: cannot create the run folder ({err.strerror or err})") from None
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
) -> Summary:
    """Evaluate ``questions`` into ``out``, skipping ids already in ``results.jsonl``.

    ``fingerprint`` (everything that changes a result) must match the run
    being resumed; ``info`` is only shown in the report.
    """
    from tqdm import tqdm

    check_run_dir(out, fingerprint, overwrite)
    path = out / "results.jsonl"
    done = {r.id for r in read_results(path)}
    todo = [q for q in questions if q.id not in done]
    order = {q.id: i for i, q in enumerate(questions)}  # the report covers this command's questions only
    meta = {**fingerprint, **(info or {}), "questions": len(questions)}
    bar = tqdm(total=len(questions), initial=len(questions) - len(todo), desc=desc, unit="q", file=sys.stderr)
    try:
        with path.open("a", encoding="utf-8") as f:
            for q in todo:
                append_result(f, evaluate_question(engine, q, retrievers, answer_with, k))
                bar.update()
    except BaseException:
        bar.close()
        finished = [r for r in read_results(path) if r.id in order]
        print(
            f"rag eval: stopped after {len(finished)}/{len(questions)} questions; rerun the same command "
            f"to resume ({path})",
            file=sys.stderr,
        )
        try:
            report.write_report(out, finished, meta, partial=True)
        except OSError as err:  # the original error matters more
            print(f"rag eval: could not write the partial report: {err}", file=sys.stderr)
        raise
    bar.close()
    results = sorted((r for r in read_results(path) if r.id in order), key=lambda r: order[r.id])
    return report.write_report(out, results, meta)


# ---- the whole command ----------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
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
    dates: tuple[str, str] | None = None
    overwrite: bool = False
    cache_dir: Path = cache_home() / "eval-index"


def evaluate(
    plan: Plan,
    settings: Settings | None = None,
    embedder: Embedder | None = None,
    make_llm: Callable[[str], LLM] | None = None,
) -> list[tuple[str, Summary]]:
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
    indexer = embedder or MiniLMEmbedder.for_index(settings)  # loads (and imports torch) only when embedding
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
        dates=plan.dates,
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
