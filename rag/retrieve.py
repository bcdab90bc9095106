"""Retrieve: a question vector -> the k best paragraphs, as ``Hit`` records.

A function over the index arrays, in the manner of sentence-transformers'
``semantic_search``: FAISS returns the best rows (a long paragraph has one
row per piece), rows are folded into their paragraphs keeping the best score,
and the top ``k`` paragraphs come back best first. The score is the cosine
similarity of unit vectors, which the abstention threshold is calibrated on.
"""

from __future__ import annotations

import numpy as np

from rag.index import Index
from rag.records import Hit


def search(index: Index, query: np.ndarray, k: int) -> list[Hit]:
    """Top-``k`` paragraphs for one unit-length ``query`` vector."""
    if k <= 0 or len(index.vectors) == 0:
        return []
    # Over-fetch rows so that pieces of the same paragraph don't crowd out others.
    rows = min(len(index.vectors), k * 4)
    scores, ids = index.faiss.search(np.asarray(query, np.float32).reshape(1, -1), rows)
    best: dict[int, float] = {}
    for score, row in zip(scores[0], ids[0], strict=True):
        if row < 0:
            continue
        owner = int(index.owners[row])
        if owner not in best or score > best[owner]:
            best[owner] = float(score)
    ranked = sorted(best.items(), key=lambda item: -item[1])[:k]
    return [Hit(index.paragraphs[i], score) for i, score in ranked]
