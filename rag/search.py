"""Search: the paragraphs a question is answered from, among the news of the day it is asked on.

Composes the retrieval parts for one ``Question``: the first stage
(``rag.retrieve``: dense + BM25 over the paragraphs published from the
horizon up to the day asked on, ``rag.when``), the cross-encoder's order
(``rag.rerank``), paragraphs from the window the question names preferred,
and one paragraph per story (wire copies merged). What it finds is yielded
as ``Evidence`` twice on the way (the first stage's best sentences within
milliseconds, then the reranker's), so a page can show it before the model
answers. The best older news left out is looked up apart, for the note of an
answer that finds nothing newer.

Trade-off: the horizon filter (a ``Filter``) is applied inside the first stage
(``Index.allowed``: a FAISS ID selector, masked BM25), not after it, so older paragraphs that match better
cannot crowd the news out of the reranker's depth; the older news is then a
second, small search.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Generator, Sequence
from dataclasses import replace

import numpy as np

from rag import rerank, retrieve, when
from rag.records import Evidence, Filter, Found, Hit, Question
from rag.resources import Resources

EVIDENCE = 2  # paragraphs whose best sentence is shown before the answer (``Evidence``)
OLDER_CANDIDATES, OLDER_RERANKED = 10, 3  # the older news a note may name: few, since only its best is shown


def found(
    res: Resources,
    question: Question,
    k: int,
    hits: Sequence[Hit] | None = None,
    outlets: frozenset[str] | None = None,
    retriever: str | None = None,
) -> Generator[Evidence, None, Found]:
    """The ``k`` best hits for ``question`` (``hits`` instead, when given: to evaluate another retriever end to
    end), among the paragraphs of ``outlets`` when given; yields the ``Evidence`` on the way."""
    query = res.query_embedder.embed([question.text])[0]
    first = since(res, question)
    if hits is not None:
        return Found(hits=tuple(hits)[:k], query=query, first=first)
    s, retriever = res.settings, retriever or res.settings.retriever
    where = when.news(first, question.as_of) if s.dates else None
    if outlets is not None:
        where = replace(where or Filter(), outlets=outlets)
    ranked = retrieve.hits(res.index, query, question.text, max(k, s.rerank), retriever, res.bm25, where)
    yield evidence(res, query, ranked, reranked=False)
    if s.rerank:
        ranked = rerank.rerank(question.text, ranked, res.reranker)
        yield evidence(res, query, ranked, reranked=True)
    best = retrieve.one_per_story(when.prefer(ranked, question.window, when.PREFER_BONUS), res.index)[:k]
    return Found(hits=tuple(best), query=query, first=first, older=tuple(older(res, question, query, retriever, first)))


def since(res: Resources, question: Question) -> dt.date | None:
    """The first day that is news as of the day ``question`` is asked on (``rag.when.since``; None: no horizon)."""
    s = res.settings
    if not s.dates or not s.horizon_days:
        return None
    return when.since(question.as_of, question.window, res.index.article_dates, s.horizon_days)


def evidence(res: Resources, query: np.ndarray, ranked: Sequence[Hit], reranked: bool) -> Evidence:
    """The best sentence of each of the ``EVIDENCE`` best hits, shown before the model answers."""
    best = list(ranked[:EVIDENCE])
    return Evidence(sentences=retrieve.best_sentences(res.index, query, best), hits=tuple(best), reranked=reranked)


def older(res: Resources, question: Question, query: np.ndarray, retriever: str, first: dt.date | None) -> list[Hit]:
    """The best paragraph published before ``first``, for the note of an answer that finds nothing newer."""
    if first is None:
        return []
    ranked = retrieve.hits(res.index, query, question.text, OLDER_CANDIDATES, retriever, res.bm25)
    old = when.split(ranked, first)[1][:OLDER_RERANKED]
    return (rerank.rerank(question.text, old, res.reranker) if res.settings.rerank and old else old)[:1]
