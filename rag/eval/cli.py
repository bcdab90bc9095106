"""``rag eval``: its command-line flags, turned into a ``Plan`` for ``rag.eval.run.evaluate``."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from rag.eval.questions import EvalError
from rag.eval.run import COMPARE_MODELS_LIMIT, RETRIEVER_CHOICES, Plan, evaluate


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
    p.add_argument(
        "--dates",
        type=_date_range,
        help="FIRST..LAST: only questions asked in these days (e.g. 2025-07-04..2025-08-14)",
    )
    p.add_argument("--overwrite", action="store_true", help="discard an existing run in --out")
    p.add_argument("--cache-dir", type=Path, default=Plan.cache_dir, help="where corpus indexes are cached")
    p.set_defaults(func=cmd_eval)


def _date_range(text: str) -> tuple[str, str]:
    """``--dates``: "2025-07-04..2025-08-14" -> ("2025-07-04", "2025-08-14").

    >>> _date_range("2025-07-04..2025-08-14")
    ('2025-07-04', '2025-08-14')
    """
    first, sep, last = text.partition("..")
    if not sep or not all(re.fullmatch(r"\d{4}-\d\d-\d\d", d) for d in (first, last)) or first > last:
        raise argparse.ArgumentTypeError(f"{text!r}: give FIRST..LAST as ISO dates, e.g. 2025-07-04..2025-08-14")
    return first, last


def cmd_eval(args: argparse.Namespace) -> int:
    for flag in ("limit", "k", "unanswerable", "holdout"):
        value = getattr(args, flag)
        if value is not None and value < (0 if flag in ("unanswerable", "holdout") else 1):
            raise EvalError(f"--{flag} must be {'positive' if flag in ('limit', 'k') else '>= 0'}, not {value}")
    plan = Plan(
        questions_file=args.questions,
        out=args.out,
        corpus=tuple(args.corpus),
        seeds=args.seeds,
        index_dir=args.index,
        limit=args.limit,
        sample_seed=args.sample_seed,
        k=args.k,
        model=args.model,
        retriever=args.retriever,
        compare=args.compare,
        compare_answers=args.compare_answers,
        compare_models=tuple(m.strip() for m in (args.compare_models or "").split(",") if m.strip()),
        retrieval_only=args.retrieval_only,
        unanswerable_from=args.unanswerable_from,
        unanswerable=args.unanswerable,
        pool_questions=args.pool_questions,
        holdout=args.holdout,
        dates=args.dates,
        overwrite=args.overwrite,
        cache_dir=args.cache_dir,
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
