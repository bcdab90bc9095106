"""Retrieve: a question -> the k best paragraphs, as ``Hit`` records.

Functions over the index arrays, in the manner of sentence-transformers'
``semantic_search``. Four retrievers (``rag.settings.RETRIEVERS``):

- ``dense``: FAISS over MiniLM vectors; rows (a long paragraph has one per
  piece) are folded into paragraphs keeping the best score.
- ``bm25``: bm25s over the paragraphs' content words (``rag.text.words``:
  names and numbers kept whole), strong on rare names that dense vectors blur.
- ``fusion``: a weighted sum of the dense cosine and the BM25 score scaled
  by the question's best BM25 score, over the union of both top-50 lists
  (it beat reciprocal rank fusion on pooled SQuAD).
- ``hybrid`` (default): ``fusion`` whose dense part is the mean of the
  paragraph's cosine and its best sentence's cosine (sentence vectors are
  stored in the index, so this rerank costs one small matmul per candidate).
  A SQuAD question is usually answered by one sentence, which a whole-
  paragraph vector dilutes.

Whatever ranks them, hits carry the dense score (paragraph and best-sentence
cosine averaged) as ``score``. Whether the articles answer at all is judged by
``evidence``: that score averaged with the share of the question's words,
weighted by rarity, that the best hit contains. A question about something
the corpus lacks still finds paragraphs on the same topic with fair cosines,
but its rare words (the name, the event) are missing from them. The measured
reasons for each choice and weight are in ``docs/decisions.md``.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import faiss
import numpy as np

from rag.index import Index
from rag.records import Filter, Hit
from rag.settings import RETRIEVERS
from rag.text import words

FUSION_WEIGHT = 0.6  # dense share in ``fusion``
HYBRID_WEIGHT = 0.65  # dense share in ``hybrid``, whose dense part is sharper
CANDIDATES = 50  # depth of each ranking fed to the fusion


def dense_ranking(
    index: Index, query: np.ndarray, n: int, allowed: np.ndarray | None = None
) -> list[tuple[int, float]]:
    """(paragraph position, cosine) for the ``n`` best paragraphs, best first.

    ``allowed``: a boolean per paragraph position; the others are not searched
    (FAISS skips their rows, so the ``n`` best are all allowed ones).
    """
    if n <= 0 or len(index.vectors) == 0:
        return []
    # Over-fetch rows so that pieces of the same paragraph don't crowd out others.
    rows = min(len(index.vectors), n * 4)
    q = np.asarray(query, np.float32).reshape(1, -1)
    if allowed is None:
        scores, ids = index.faiss.search(q, rows)
    else:
        bitmap = np.packbits(allowed[index.owners], bitorder="little")  # kept alive through the search
        selector = faiss.IDSelectorBitmap(len(bitmap), faiss.swig_ptr(bitmap))  # n: bytes
        params = (
            faiss.SearchParametersIVF(sel=selector, nprobe=index.faiss.nprobe)
            if isinstance(index.faiss, faiss.IndexIVF)
            else faiss.SearchParameters(sel=selector)
        )
        scores, ids = index.faiss.search(q, rows, params=params)
    best: dict[int, float] = {}
    for score, row in zip(scores[0], ids[0], strict=True):
        if row < 0:
            continue
        owner = int(index.owners[row])
        if owner not in best or score > best[owner]:
            best[owner] = float(score)
    return sorted(best.items(), key=lambda item: -item[1])[:n]


class Bm25:
    """A bm25s model over an index's paragraphs (built in well under a second for 2,000).

    An archive of 70,000 paragraphs takes seconds to tokenize and index, so the
    engine keeps the model on disk beside the index (``save``/``load``: bm25s's
    own arrays and a JSON of document frequencies, no pickle) and a new process
    loads it instead of building it again.
    """

    def __init__(self, index: Index, previous: Bm25 | None = None) -> None:
        """``previous``: a model of an earlier version of the corpus, whose tokenized paragraphs are reused."""
        import bm25s  # only retrievers that use BM25 pay for the import

        self.corpus_sha256 = index.corpus_sha256
        self.model = bm25s.BM25()
        # Tokenizing is most of the time of a large build (6 s of 8 for 68k paragraphs); kept space-joined.
        known = previous.tokens if previous is not None else {}
        self.tokens = {p.text: known.get(p.text) or " ".join(words(p.text)) for p in index.paragraphs}
        tokens = [self.tokens[p.text].split() for p in index.paragraphs]
        # An empty document would have no tokens; bm25s wants at least one.
        self.model.index([t or ["<empty>"] for t in tokens], show_progress=False)
        self.df = Counter(w for t in tokens for w in set(t))
        self.n = len(tokens)

    def save(self, folder: Path) -> None:
        """Write the model into ``folder`` (replaced whole: a temporary folder, then a rename)."""
        tmp = folder.with_name(f".{folder.name}.tmp{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        self.model.save(str(tmp), show_progress=False)
        meta = {"corpus_sha256": self.corpus_sha256, "n": self.n, "df": self.df}
        (tmp / "df.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(tmp, folder)

    @classmethod
    def load(cls, folder: Path, corpus_sha256: str) -> Bm25 | None:
        """The model saved in ``folder`` for this corpus, or None (missing, damaged or of another corpus)."""
        import bm25s

        try:
            meta = json.loads((folder / "df.json").read_text(encoding="utf-8"))
            if meta.get("corpus_sha256") != corpus_sha256:
                return None
            model = bm25s.BM25.load(str(folder), mmap=True, show_progress=False)
        except (OSError, ValueError, KeyError):
            return None
        bm25 = cls.__new__(cls)
        bm25.corpus_sha256, bm25.model, bm25.n = corpus_sha256, model, int(meta["n"])
        bm25.df = Counter(meta["df"])
        bm25.tokens = {}  # a later rebuild tokenizes again
        return bm25

    def idf(self, word: str) -> float:
        """BM25's rarity weight; a word no paragraph has weighs most."""
        df = self.df.get(word, 0)
        return math.log(1 + (self.n - df + 0.5) / (df + 0.5))

    def coverage(self, question: str, text: str, unstated: Sequence[str] = ()) -> float:
        """Share of the question's content words, weighted by ``idf``, that ``text`` contains (1.0 if none); the
        ``unstated`` words (the category an answer is an instance of: ``Question.category``) count only where
        ``text`` states them: "the tech giant Apple" holds "giant", "both are Kurdish" never holds "ethnicity"."""
        present = set(words(text))
        asked = {w for w in words(question) if w not in unstated or w in present}  # counted when stated only
        total = sum(self.idf(w) for w in asked)
        if not total:
            return 1.0
        return sum(self.idf(w) for w in asked if w in present) / total

    def ranking(self, question: str, n: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(paragraph position, BM25 score) for the ``n`` best paragraphs among the ``allowed`` ones."""
        tokens = words(question)
        if not tokens or n <= 0:
            return []
        scores = np.asarray(self.model.get_scores(tokens))
        if allowed is not None:
            scores = np.where(allowed, scores, 0.0)
        top = np.argsort(-scores, kind="stable")[:n]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]


def scaled(lexical: Sequence[tuple[int, float]]) -> dict[int, float]:
    """BM25 scores divided by the question's best one, so that they compare with cosines.

    >>> scaled([(4, 12.0), (9, 3.0)])
    {4: 1.0, 9: 0.25}
    """
    top = max((s for _, s in lexical), default=0.0) or 1.0
    return {p: s / top for p, s in lexical}


def fuse(
    dense: Sequence[tuple[int, float]], lexical: Sequence[tuple[int, float]], n: int, weight: float = FUSION_WEIGHT
) -> list[tuple[int, float]]:
    """(position, fused score) by ``weight * cosine + (1 - weight) * bm25 / best_bm25``, best first.

    A paragraph missing from the dense list gets that list's lowest cosine.

    >>> [p for p, _ in fuse([(7, 0.9), (3, 0.8)], [(3, 12.0), (5, 4.0)], 3)]  # 3: .6*.8+.4*1; 5: .6*.8+.4/3; 7: .6*.9
    [3, 5, 7]
    """
    cos = dict(dense)
    floor = min(cos.values(), default=0.0)
    bm = scaled(lexical)
    fused = {p: weight * cos.get(p, floor) + (1 - weight) * bm.get(p, 0.0) for p in cos.keys() | bm.keys()}
    return [(p, fused[p]) for p in sorted(fused, key=lambda p: (-fused[p], p))[:n]]


def rows_of(index: Index, positions: Sequence[int]) -> list[slice]:
    """Each paragraph's rows in ``index.vectors`` (rows are stored in paragraph order)."""
    starts = np.searchsorted(index.owners, positions, side="left")
    ends = np.searchsorted(index.owners, positions, side="right")
    return [slice(int(a), int(b)) for a, b in zip(starts, ends, strict=True)]


def cosine(index: Index, query: np.ndarray, positions: Sequence[int]) -> list[float]:
    """Each paragraph's dense score: the best of its rows against ``query``."""
    return [float((index.vectors[r] @ query).max()) if r.stop > r.start else 0.0 for r in rows_of(index, positions)]


def sentence_cosine(index: Index, query: np.ndarray, positions: Sequence[int]) -> list[float]:
    """Each paragraph's best sentence cosine against ``query`` (0 for a paragraph without sentence rows)."""
    out = []
    for p in positions:
        rows = index.sentence_vectors[index.sentence_offsets[p] : index.sentence_offsets[p + 1]]
        out.append(float((rows @ query).max()) if len(rows) else 0.0)
    return out


def blend(paragraph: float, sentence: float) -> float:
    """The dense score of ``hybrid``: paragraph and best-sentence cosine averaged.

    >>> blend(0.5, 0.75)
    0.625
    """
    return (paragraph + sentence) / 2


def evidence(question: str, hits: Sequence[Hit], bm25: Bm25, unstated: Sequence[str] = ()) -> float:
    """How well the best hits answer ``question``: top dense score and the best story's coverage, averaged.

    A story's coverage is that of its hits' texts together: news names a speaker in one paragraph and gives
    their words in the next ("The minister, Friederike Stallbaum, ..." / "She also warned that ..."), so the
    question's rare words are spread over the story, not in one paragraph. ``unstated``: words not expected in
    an answering text ("what *ethnicity* do they share?" is answered "both are Kurdish").
    """
    if not hits:
        return 0.0
    stories: dict[str, list[str]] = {}
    for h in hits:
        stories.setdefault(h.paragraph.article_id, []).append(h.paragraph.text)
    covered = max(bm25.coverage(question, " ".join(texts), unstated) for texts in stories.values())
    return (max(h.score for h in hits) + covered) / 2


def hits(
    index: Index,
    query: np.ndarray,
    question: str,
    k: int,
    retriever: str = "hybrid",
    bm25: Bm25 | None = None,
    where: Filter | None = None,
) -> list[Hit]:
    """Top-``k`` paragraphs by the named retriever (see the module docstring), scored by ``blend``, among those
    ``where`` allows (``Index.allowed``)."""
    if retriever not in RETRIEVERS:
        raise ValueError(f"unknown retriever {retriever!r}: use one of {', '.join(RETRIEVERS)}")
    allowed = index.allowed(where)
    if not index.dense:  # a first build still embedding: BM25 alone, each hit scored by its question coverage
        bm25 = bm25 or Bm25(index)
        return [
            Hit(paragraph=index.paragraphs[p], score=bm25.coverage(question, index.paragraphs[p].text), rank_score=s)
            for p, s in scaled(bm25.ranking(question, k, allowed)).items()
        ]
    dense = dict(dense_ranking(index, query, k if retriever == "dense" else CANDIDATES, allowed))
    if retriever == "dense":
        ranked = list(dense.items())
    else:
        lexical = (bm25 or Bm25(index)).ranking(question, k if retriever == "bm25" else CANDIDATES, allowed)
        ranked = list(scaled(lexical).items())
    positions = [p for p, _ in ranked]
    if retriever in ("fusion", "hybrid"):  # both lists' candidates, ranked below
        positions = sorted(dense.keys() | set(positions))
    missing = [p for p in positions if p not in dense]  # cosines the dense ranking has are reused
    dense.update(zip(missing, cosine(index, query, missing), strict=True))
    sharp = {p: blend(dense[p], s) for p, s in zip(positions, sentence_cosine(index, query, positions), strict=True)}
    if retriever == "fusion":
        ranked = fuse([(p, dense[p]) for p in positions], lexical, k)
    elif retriever == "hybrid":
        ranked = fuse(list(sharp.items()), lexical, k, HYBRID_WEIGHT)
    return [Hit(paragraph=index.paragraphs[p], score=sharp[p], rank_score=s) for p, s in ranked]


def one_per_story(hits: Sequence[Hit], index: Index) -> list[Hit]:
    """The hits without the wire copies (``Index.copies``) of an earlier hit: a story takes one slot."""
    kept: set[int] = set()
    out = []
    for h in hits:
        i = index.positions[h.paragraph.id]
        if i not in kept:
            kept.update(index.copies.get(i, (i,)))
            out.append(h)
    return out


def within(hits: Sequence[Hit], margin: float) -> list[Hit]:
    """The hits whose ranking score is within ``margin`` of the best one's (hits without one are kept).

    A clear winner is handed to the model alone: a small model given a
    runner-up it did not need is distracted by it (``Settings.margin``).

    >>> from rag.records import Paragraph
    >>> hit = lambda n, rank: Hit(paragraph=Paragraph(id=f"a:{n}", article_id="a", article_title="A", number=n,
    ...                                               text="text"), score=0.5, rank_score=rank)
    >>> [h.paragraph.number for h in within([hit(1, .80), hit(2, .75), hit(3, .60)], .1)]
    [1, 2]
    """
    best = max((h.rank_score for h in hits if h.rank_score is not None), default=None)
    if best is None:
        return list(hits)
    return [h for h in hits if h.rank_score is None or h.rank_score >= best - margin]


def best_sentences(index: Index, query: np.ndarray, hits: Sequence[Hit]) -> tuple[str, ...]:
    """Each hit's sentence closest to the question (stored sentence vectors: no model call), or its first
    sentence while the index has no vectors yet."""
    out = []
    for h in hits:
        texts, vectors = index.sentences_of(h.paragraph.id)
        out.append(texts[int(np.argmax(vectors @ query))] if vectors.shape[1] and len(texts) else texts[0])
    return tuple(out)
