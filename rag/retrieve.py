"""Retrieve: a question -> the k best paragraphs, as ``Hit`` records.

Functions over the index arrays, in the manner of sentence-transformers'
``semantic_search``. Three retrievers:

- ``dense``: FAISS over MiniLM vectors; rows (a long paragraph has one per
  piece) are folded into paragraphs keeping the best score.
- ``bm25``: bm25s over the paragraphs' content words (``rag.text.words``:
  names and numbers kept whole), strong on rare names that dense vectors blur.
- ``hybrid``: a weighted sum of the dense cosine and the BM25 score scaled
  by the question's best BM25 score, over the union of both top-50 lists.
  On 600 pooled XQuAD + SQuADShifts questions it beat reciprocal rank
  fusion (R@1 0.82 vs 0.76-0.79, R@5 0.945 vs 0.93-0.945); ``DENSE_WEIGHT``
  was picked there, on a sample disjoint from the default ``rag eval`` one.

Whatever ranks them, hits carry the paragraph's dense cosine similarity as
``score``: that is the one scale the abstention threshold is calibrated on.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rag.index import Index
from rag.records import Hit
from rag.text import words

RETRIEVERS = ("hybrid", "dense", "bm25")
DENSE_WEIGHT = 0.6
CANDIDATES = 50  # depth of each ranking fed to the fusion


def dense_ranking(index: Index, query: np.ndarray, n: int) -> list[tuple[int, float]]:
    """(paragraph position, cosine) for the ``n`` best paragraphs, best first."""
    if n <= 0 or len(index.vectors) == 0:
        return []
    # Over-fetch rows so that pieces of the same paragraph don't crowd out others.
    rows = min(len(index.vectors), n * 4)
    scores, ids = index.faiss.search(np.asarray(query, np.float32).reshape(1, -1), rows)
    best: dict[int, float] = {}
    for score, row in zip(scores[0], ids[0], strict=True):
        if row < 0:
            continue
        owner = int(index.owners[row])
        if owner not in best or score > best[owner]:
            best[owner] = float(score)
    return sorted(best.items(), key=lambda item: -item[1])[:n]


def search(index: Index, query: np.ndarray, k: int) -> list[Hit]:
    """Dense top-``k`` paragraphs for one unit-length ``query`` vector."""
    return [Hit(index.paragraphs[i], score) for i, score in dense_ranking(index, query, k)]


class Bm25:
    """A bm25s model over an index's paragraphs (built in well under a second for 2,000)."""

    def __init__(self, index: Index) -> None:
        import bm25s  # only retrievers that use BM25 pay for the import

        self.corpus_sha256 = index.corpus_sha256
        self.model = bm25s.BM25()
        # An empty document would have no tokens; bm25s wants at least one.
        self.model.index([words(p.text) or ["<empty>"] for p in index.paragraphs], show_progress=False)

    def ranking(self, question: str, n: int) -> list[tuple[int, float]]:
        tokens = words(question)
        if not tokens or n <= 0:
            return []
        scores = np.asarray(self.model.get_scores(tokens))
        top = np.argsort(-scores, kind="stable")[:n]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]


def fuse(
    dense: Sequence[tuple[int, float]], lexical: Sequence[tuple[int, float]], n: int, weight: float = DENSE_WEIGHT
) -> list[int]:
    """Positions by ``weight * cosine + (1 - weight) * bm25 / best_bm25``.

    A paragraph missing from the dense list gets that list's lowest cosine.

    >>> fuse([(7, 0.9), (3, 0.8)], [(3, 12.0), (5, 4.0)], 3)  # 3: .6*.8+.4*1; 5: .6*.8+.4/3; 7: .6*.9
    [3, 5, 7]
    """
    cos = dict(dense)
    floor = min(cos.values(), default=0.0)
    top = max((s for _, s in lexical), default=0.0) or 1.0
    bm = {p: s / top for p, s in lexical}
    fused = {p: weight * cos.get(p, floor) + (1 - weight) * bm.get(p, 0.0) for p in cos.keys() | bm.keys()}
    return sorted(fused, key=lambda p: (-fused[p], p))[:n]


def cosine(index: Index, query: np.ndarray, positions: Sequence[int]) -> list[float]:
    """Each paragraph's dense score: the best of its rows against ``query``."""
    out = []
    for position in positions:
        rows = np.flatnonzero(index.owners == position)
        out.append(float((index.vectors[rows] @ query).max()) if len(rows) else 0.0)
    return out


def hits(
    index: Index, query: np.ndarray, question: str, k: int, retriever: str = "hybrid", bm25: Bm25 | None = None
) -> list[Hit]:
    """Top-``k`` paragraphs by the named retriever (see the module docstring)."""
    if retriever == "dense":
        return search(index, query, k)
    if retriever not in RETRIEVERS:
        raise ValueError(f"unknown retriever {retriever!r}: use one of {', '.join(RETRIEVERS)}")
    bm25 = bm25 or Bm25(index)
    dense: dict[int, float] = {}
    if retriever == "bm25":
        positions = [p for p, _ in bm25.ranking(question, k)]
    else:
        ranking = dense_ranking(index, query, CANDIDATES)
        dense = dict(ranking)
        positions = fuse(ranking, bm25.ranking(question, CANDIDATES), k)
    # Cosines the dense ranking already has are reused; only the others are computed.
    missing = [p for p in positions if p not in dense]
    dense.update(zip(missing, cosine(index, query, missing), strict=True))
    return [Hit(index.paragraphs[p], dense[p]) for p in positions]
