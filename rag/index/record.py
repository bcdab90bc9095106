"""The in-memory index: paragraph rows searched by FAISS, and sentence rows beside them."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

import faiss
import numpy as np

from rag.errors import RagError
from rag.records import ArticleEntry, Paragraph
from rag.text import sentences


class BadIndexError(RagError):
    """The index is missing, corrupt, could not be written, or was built by another embedder."""


@dataclass(frozen=True, kw_only=True)
class Index:
    """Paragraph rows (``vectors``/``owners``, searched by FAISS) and sentence rows.

    ``sentence_vectors[sentence_offsets[i]:sentence_offsets[i + 1]]`` are the
    vectors of paragraph i's sentences (``rag.text.sentences``), used to cut
    passages down to what the question needs without embedding at query time.
    """

    embedder: str
    paragraphs: tuple[Paragraph, ...]
    vectors: np.ndarray
    owners: np.ndarray
    articles: tuple[ArticleEntry, ...]
    faiss: faiss.Index
    sentence_vectors: np.ndarray
    sentence_offsets: np.ndarray

    @property
    def corpus_sha256(self) -> str:
        return corpus_hash(a.sha256 for a in self.articles)

    @cached_property
    def positions(self) -> dict[str, int]:
        """Paragraph id -> position in ``paragraphs``."""
        return {p.id: i for i, p in enumerate(self.paragraphs)}

    def sentences_of(self, paragraph_id: str) -> tuple[list[str], np.ndarray]:
        """A paragraph's sentences and their vectors."""
        i = self.positions[paragraph_id]
        rows = self.sentence_vectors[self.sentence_offsets[i] : self.sentence_offsets[i + 1]]
        texts = sentences(self.paragraphs[i].text) or [self.paragraphs[i].text]
        if len(texts) != len(rows):
            raise BadIndexError(f"sentence rows of {paragraph_id} do not match its text; rebuild the index")
        return texts, rows


def corpus_hash(article_hashes: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(sorted(article_hashes)).encode()).hexdigest()
