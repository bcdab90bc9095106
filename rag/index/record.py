"""The in-memory index: paragraph rows searched by FAISS, and sentence rows beside them."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

import faiss
import numpy as np

from rag.errors import RagError
from rag.records import Article, ArticleEntry, Filter, Paragraph, about
from rag.text import sentences

_WORD = re.compile(r"\w+")


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

    @cached_property
    def copies(self) -> dict[int, tuple[int, ...]]:
        """Paragraph position -> every position with the same text (wire copies), for texts in two articles or more.

        The text is embedded once (``rag.index.build`` embeds each distinct
        text once) and each copy keeps its own article, date and outlet, so an
        answer can say who else reported it. Same words in the same order, case
        and punctuation aside; built on first use (a fraction of a second for
        70,000 paragraphs).
        """
        groups: dict[str, list[int]] = {}
        for i, p in enumerate(self.paragraphs):
            groups.setdefault(" ".join(_WORD.findall(p.text.lower())), []).append(i)
        out: dict[int, tuple[int, ...]] = {}
        for members in groups.values():
            if len({self.paragraphs[i].article_id for i in members}) > 1:
                out.update((i, tuple(members)) for i in members)
        return out

    @cached_property
    def paragraph_dates(self) -> np.ndarray:
        """Each paragraph's publication day (YYYY-MM-DD, "" undated), for ``allowed``."""
        return np.array([p.date[:10] for p in self.paragraphs], str)

    @cached_property
    def paragraph_outlets(self) -> np.ndarray:
        """Each paragraph's outlet ("" when unknown), for ``allowed``."""
        return np.array([p.outlet for p in self.paragraphs], str)

    def allowed(self, where: Filter | None) -> np.ndarray | None:
        """A boolean per paragraph position: the ones ``where`` lets a search return (None: all of them).

        This index holds every paragraph in memory, so a filter is a mask over all of them, which FAISS and
        bm25s take as they are; a search engine applies the same ``Filter`` in its own query.
        """
        if where is None:
            return None
        dates, keep = self.paragraph_dates, np.ones(len(self.paragraphs), bool)
        if where.first is not None:
            keep &= dates >= where.first
        if where.last is not None:
            keep &= dates <= where.last
        keep |= dates == ""  # nothing says an undated paragraph is old
        if where.outlets is not None:
            keep &= np.isin(self.paragraph_outlets, sorted(where.outlets))
        return None if keep.all() else keep

    @cached_property
    def article_dates(self) -> list[str]:
        """The articles' publication days, sorted (undated ones left out)."""
        return sorted(a.date[:10] for a in self.articles if a.date)

    @cached_property
    def _entries(self) -> dict[str, ArticleEntry]:
        """Article id -> its entry (an article's paragraphs are consecutive rows from ``first_paragraph``)."""
        return {e.id: e for e in self.articles}

    def before(self, paragraph: Paragraph) -> tuple[Paragraph, ...]:
        """The paragraphs of ``paragraph``'s article before it, in order (who "he" or "Hussein" is: ``rag.coref``)."""
        i, entry = self.positions.get(paragraph.id), self._entries.get(paragraph.article_id)
        return () if i is None or entry is None else self.paragraphs[entry.first_paragraph : i]

    def article_of(self, paragraph: Paragraph) -> tuple[Paragraph, ...]:
        """All the paragraphs of ``paragraph``'s article, in order (whom a role names: ``rag.attribute.holder``)."""
        entry = self._entries.get(paragraph.article_id)
        if entry is None:
            return ()
        return self.paragraphs[entry.first_paragraph : entry.first_paragraph + entry.paragraphs]

    def article_records(self) -> list[Article]:
        """The indexed articles as ``Article`` records, rebuilt from the index (no file is read)."""
        return [
            Article(**about(e), paragraphs=self.paragraphs[e.first_paragraph : e.first_paragraph + e.paragraphs])
            for e in self.articles
        ]

    def copies_of(self, paragraph_id: str) -> tuple[Paragraph, ...]:
        """The same paragraph in other articles (empty for a paragraph only one article has, or a header)."""
        i = self.positions.get(paragraph_id)
        return () if i is None else tuple(self.paragraphs[j] for j in self.copies.get(i, ()) if j != i)

    @property
    def dense(self) -> bool:
        """False for the paragraphs-only index a first build saves before embedding: BM25 answers alone meanwhile."""
        return len(self.vectors) > 0 or not self.paragraphs

    def sentences_of(self, paragraph_id: str) -> tuple[list[str], np.ndarray]:
        """A paragraph's sentences and their vectors (no columns while the index has no vectors)."""
        i = self.positions[paragraph_id]
        texts = sentences(self.paragraphs[i].text) or [self.paragraphs[i].text]
        if not self.dense:
            return texts, np.zeros((len(texts), 0), np.float32)
        rows = self.sentence_vectors[self.sentence_offsets[i] : self.sentence_offsets[i + 1]]
        if len(texts) != len(rows):
            raise BadIndexError(f"sentence rows of {paragraph_id} do not match its text; rebuild the index")
        return texts, rows


def corpus_hash(article_hashes: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(sorted(article_hashes)).encode()).hexdigest()
