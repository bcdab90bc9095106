"""The corpus a question set is asked against, indexed once (``load``).

A SQuAD corpus is indexed once into a cache folder keyed by its content and
the embedder, so the same files are embedded once per machine, not per run.
JSONL/CSV questions are asked of an articles folder, indexed as ``rag index``
does.
"""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

from rag import index
from rag.embed import Embedder
from rag.eval.questions import (
    EvalError,
    Question,
    as_unanswerable,
    check_gold,
    check_unique,
    interleave,
    is_squad,
    pool_squad,
    read_questions,
    read_rows,
    sample,
)
from rag.pipeline import Engine
from rag.progress import progress_bar
from rag.settings import Settings


def load(
    questions_file: Path,
    embedder: Embedder,
    settings: Settings,
    *,
    corpus_files: tuple[Path, ...] = (),
    cache_dir: Path,
    limit: int | None = None,
    seed: int = 0,
    unanswerable_from: Path | None = None,
    unanswerable: int | None = None,
    pool_questions: bool = False,
    holdout: int = 0,
    dates: tuple[str, str] | None = None,
) -> tuple[list[Question], index.Index, dict, dict]:
    """Read the questions and index their corpus.

    Returns (questions, index, facts that change results, facts only worth
    showing). The corpus is the SQuAD files (the question file if it is one,
    plus ``corpus_files``), else the articles folder of ``settings``.
    ``pool_questions`` asks the questions of every corpus file, not only the
    question file's. ``holdout`` removes that many articles (drawn with
    ``seed``) from the corpus: their questions become unanswerable ones from
    the same domain, a harder test of abstention than another corpus's.
    ``dates`` (first, last; ISO dates) keeps the questions asked between
    them, both files' (a tuning split of a dated archive).
    """
    squad_files = ([questions_file] if is_squad(questions_file) else []) + list(corpus_files)
    for path in [questions_file, *corpus_files, *([unanswerable_from] if unanswerable_from else [])]:
        if not path.is_file():
            raise EvalError(f"{path}: no such file")
    if any(not is_squad(p) for p in corpus_files):
        raise EvalError("--corpus takes SQuAD v1.1 .json files")
    if unanswerable_from and any(unanswerable_from.resolve() == p.resolve() for p in squad_files):
        raise EvalError(f"{unanswerable_from}: is part of the corpus, so its questions are answerable")
    # Every file is read and checked before the slow part (embedding), so a typo fails at once.
    articles, by_file = pool_squad(squad_files) if squad_files else ([], {})
    if pool_questions and not squad_files:
        raise EvalError("--pool-questions needs SQuAD files")
    if pool_questions:
        questions = [q for qs in by_file.values() for q in qs]
    else:
        questions = by_file[questions_file.resolve()] if is_squad(questions_file) else read_rows(questions_file)
    check_unique(questions)
    extra = as_unanswerable(read_questions(unanswerable_from)) if unanswerable_from else []
    if dates:
        questions, extra = (asked_between(qs, *dates) for qs in (questions, extra))
        if not questions:
            raise EvalError(f"no question of {questions_file} was asked between {dates[0]} and {dates[1]}")
    if holdout:
        if not squad_files or holdout >= len(articles):
            raise EvalError(f"--holdout {holdout}: needs SQuAD files with more than {holdout} articles")
        held = set(random.Random(seed + 2).sample(sorted(a.id for a in articles), holdout))
        articles = [a for a in articles if a.id not in held]
        extra += as_unanswerable([q for q in questions if q.gold_article in held])
        questions = [q for q in questions if q.gold_article not in held]
    if squad_files:
        key = hashlib.sha256("\n".join([embedder.name, *(f"{a.id} {a.sha256}" for a in articles)]).encode())
        folder = cache_dir / key.hexdigest()[:16]
        idx, _, _ = index.refresh(articles, folder, embedder, progress=progress_bar("embedding corpus"))
        corpus: dict = {"corpus": [str(p) for p in dict.fromkeys(squad_files)]}
    else:
        engine = Engine(settings, embedder)
        engine.refresh(progress=progress_bar("embedding articles"))
        idx, folder = engine.index, settings.index_dir
        corpus = {"corpus": str(settings.seeds_dir)}
    check_gold(questions, {p.id for p in idx.paragraphs}, {a.id for a in idx.articles}, str(corpus["corpus"]))
    questions = sample(questions, limit, seed)
    if extra:
        n = unanswerable if unanswerable is not None else max(1, round(len(questions) / 4))
        questions = interleave(questions, sample(extra, n, seed + 1))
        check_unique(questions)
        if unanswerable_from:
            corpus["unanswerable_sha256"] = index.sha256_file(unanswerable_from)
    if pool_questions or holdout:
        corpus.update(pool_questions=pool_questions, holdout=holdout)
    if dates:
        corpus.update(dates=list(dates))
    corpus.update(
        questions_sha256=index.sha256_file(questions_file),
        corpus_sha256=idx.corpus_sha256,
        paragraphs=len(idx.paragraphs),
    )
    return questions, idx, corpus, {"index": str(folder), "unanswerable_from": str(unanswerable_from or "")}


def asked_between(questions: list[Question], first: str, last: str) -> list[Question]:
    """The questions whose ``question_date`` is in [first, last] (ISO dates compare as strings).

    >>> [q.id for q in asked_between([Question(id="a", question="?", answers=(), question_date="2025-07-04"),
    ...   Question(id="b", question="?", answers=(), question_date="2025-08-15")], "2025-07-04", "2025-08-14")]
    ['a']
    """
    return [q for q in questions if first <= q.question_date[:10] <= last]
