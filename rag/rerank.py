"""Rerank: the first-stage retriever's top paragraphs, re-scored by a cross-encoder.

The retrievers of ``rag.retrieve`` compare a question with each paragraph
separately (vectors, word counts), which finds the topic but not always the
paragraph that answers: on news they put a paragraph holding the answer first
for about one question in six. A cross-encoder reads the question and the
paragraph together. It costs milliseconds per pair, so it only re-orders the
``depth`` best hits (``Settings.rerank``).

A hit keeps its dense ``score``; its ``relevance`` becomes the cross-encoder's
probability and ranks the hits (``rank_score``, which ``rag.retrieve.within``
compares). The ``Reranker`` protocol is one method; the real one is
``rag.crossencoder.OnnxCrossEncoder``, tests pass fakes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol

from rag.records import Hit


class Reranker(Protocol):
    name: str

    def score(self, question: str, passages: Sequence[str]) -> list[float]:
        """One relevance probability in [0, 1] per passage, in order."""
        ...


def rerank(question: str, hits: Sequence[Hit], reranker: Reranker) -> list[Hit]:
    """``hits`` ordered by the reranker's relevance, best first (ties keep the first-stage order).

    >>> from rag.records import Paragraph
    >>> class Longest:
    ...     name = "longest"
    ...     def score(self, question, passages): return [len(p) / 100 for p in passages]
    >>> hit = lambda n, text: Hit(paragraph=Paragraph(id=f"a:{n}", article_id="a", article_title="A", number=n,
    ...                                               text=text), score=0.5, rank_score=1.0 / n)
    >>> [(h.paragraph.number, h.relevance) for h in rerank("q", [hit(1, "short"), hit(2, "a longer one")], Longest())]
    [(2, 0.12), (1, 0.05)]
    """
    scores = reranker.score(question, [h.paragraph.text for h in hits])
    order = sorted(range(len(hits)), key=lambda i: -scores[i])
    return [replace(hits[i], relevance=scores[i], rank_score=scores[i]) for i in order]
