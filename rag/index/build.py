"""Building the index: embed only new or edited articles, reuse every unchanged article's rows.

``build`` reuses the stored vectors of every article whose content hash is
unchanged and embeds only new or edited ones (and, above ``EXACT_ROWS``, the
trained IVF centroids and list assignments); ``refresh`` does that against
the index on disk and saves the result.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from rag.embed import Embedder, pieces, pools_spans
from rag.index.cache import EmbedCache
from rag.index.record import BadIndexError, Index, corpus_hash
from rag.index.searcher import make_faiss
from rag.index.store import building, load, read_manifest, remember_folder_state, save
from rag.records import Article, ArticleEntry, Paragraph, about
from rag.text import sentences

# A first build of at least this many paragraphs saves a paragraphs-only index before embedding.
LEXICAL_FIRST = 2000


@dataclass(frozen=True)
class _Block:
    """One article's rows: piece vectors with their local paragraph, sentence vectors with theirs.

    ``old_rows``: each piece's row in the previous index, -1 when just embedded.
    """

    paragraphs: tuple[Paragraph, ...]
    vectors: np.ndarray
    owners: np.ndarray
    sentence_vectors: np.ndarray
    sentence_owners: np.ndarray
    old_rows: np.ndarray


# A sentence's row: its own text (embedded alone), or (piece, start, end), a span of a piece
# pooled from the piece's pass (``Embedder.embed_spans``).
Sentence = str | tuple[str, int, int]


def _units(article: Article, in_context: bool) -> tuple[list[str], list[int], list[Sentence], list[int]]:
    """Texts to embed for an article: pieces and sentences, each with its local paragraph."""
    piece_texts, piece_owner, sentence_units, sentence_owner = [], [], [], []
    for i, p in enumerate(article.paragraphs):
        own = pieces(p.text)
        piece_texts.extend(own)
        piece_owner.extend([i] * len(own))
        said = sentences(p.text) or [p.text]
        sentence_units.extend(locate(said, own) if in_context else said)
        sentence_owner.extend([i] * len(said))
    return piece_texts, piece_owner, sentence_units, sentence_owner


def locate(said: list[str], own: list[str]) -> list[Sentence]:
    """Each sentence as a span of the piece that holds it; alone if it is the whole piece or split.

    >>> locate(["One two.", "Three."], ["One two. Three."])
    [('One two. Three.', 0, 8), ('One two. Three.', 9, 15)]
    >>> locate(["Only one."], ["Only one."])
    ['Only one.']
    """
    out: list[Sentence] = []
    k = at = 0
    for sentence in said:
        flat = " ".join(sentence.split())
        j, start = k, at
        while j < len(own) and (found := own[j].find(flat, start)) < 0:
            j, start = j + 1, 0
        if j == len(own):  # split across pieces (an over-long sentence): embedded alone
            out.append(sentence)
            continue
        k, at = j, found + len(flat)
        out.append(sentence if flat == own[j] else (own[j], found, at))
    return out


def _old_block(previous: Index, entry: ArticleEntry) -> _Block:
    rows = slice(entry.first_row, entry.first_row + entry.rows)
    sents = slice(entry.first_sentence, entry.first_sentence + entry.sentences)
    offsets = previous.sentence_offsets[entry.first_paragraph : entry.first_paragraph + entry.paragraphs + 1]
    sentence_owners = np.repeat(np.arange(entry.paragraphs), np.diff(offsets))
    return _Block(
        previous.paragraphs[entry.first_paragraph : entry.first_paragraph + entry.paragraphs],
        previous.vectors[rows],
        previous.owners[rows] - entry.first_paragraph,
        previous.sentence_vectors[sents],
        sentence_owners,
        np.arange(rows.start, rows.stop),
    )


def build(
    articles: Sequence[Article],
    embedder: Embedder,
    previous: Index | None = None,
    progress: Callable[[int, int], None] | None = None,
    cache: EmbedCache | None = None,
) -> tuple[Index, list[str]]:
    """Index ``articles``, reusing ``previous`` vectors of unchanged articles (and ``cache``'s of a stopped build).

    Returns the index and the ids of the articles that had to be embedded.
    """
    reusable: dict[tuple[str, str], ArticleEntry] = {}
    if previous is not None and previous.embedder == embedder.name and previous.dense:
        reusable = {(a.id, a.sha256): a for a in previous.articles}
    todo = [a for a in articles if (a.id, a.sha256) not in reusable]
    in_context = pools_spans(embedder)
    units = {a.id: _units(a, in_context) for a in todo}
    texts = [t for u in units.values() for t in (*u[0], *u[2])]
    new_vectors = _embed_batches(embedder, texts, progress, cache)
    blocks: list[_Block] = []
    at = 0
    for article in articles:
        old = reusable.get((article.id, article.sha256))
        if old is not None and previous is not None:
            blocks.append(_old_block(previous, old))
            continue
        piece_texts, piece_owner, sentence_texts, sentence_owner = units[article.id]
        n_pieces, n_sentences = len(piece_texts), len(sentence_texts)
        blocks.append(
            _Block(
                article.paragraphs,
                new_vectors[at : at + n_pieces],
                np.asarray(piece_owner, np.int64),
                new_vectors[at + n_pieces : at + n_pieces + n_sentences],
                np.asarray(sentence_owner, np.int64),
                np.full(n_pieces, -1),
            )
        )
        at += n_pieces + n_sentences
    return _assemble(articles, blocks, embedder.name, previous.faiss if previous else None), [a.id for a in todo]


def _assemble(
    articles: Sequence[Article], blocks: list[_Block], embedder_name: str, previous: faiss.Index | None = None
) -> Index:
    """Concatenate per-article blocks into one index, shifting local paragraph numbers."""
    entries: list[ArticleEntry] = []
    owners, counts = [], []
    row = paragraph = sentence = 0
    for article, block in zip(articles, blocks, strict=True):
        n = len(block.paragraphs)
        entries.append(
            ArticleEntry(
                **about(article),
                first_row=row,
                rows=len(block.vectors),
                first_paragraph=paragraph,
                paragraphs=n,
                first_sentence=sentence,
                sentences=len(block.sentence_vectors),
            )
        )
        owners.append(block.owners + paragraph)
        counts.append(np.bincount(block.sentence_owners, minlength=n))
        row += len(block.vectors)
        paragraph += n
        sentence += len(block.sentence_vectors)
    dim = next((b.vectors.shape[1] for b in blocks if b.vectors.size), 0)

    def stack(parts: list[np.ndarray]) -> np.ndarray:
        parts = [p for p in parts if len(p)]
        return np.ascontiguousarray(np.concatenate(parts), np.float32) if parts else np.zeros((0, dim), np.float32)

    vectors = stack([b.vectors for b in blocks])
    old_rows = np.concatenate([b.old_rows for b in blocks]) if blocks else np.zeros(0, np.int64)
    offsets = np.concatenate([[0], np.cumsum(np.concatenate(counts))]) if counts else np.zeros(1)
    return Index(
        embedder=embedder_name,
        paragraphs=tuple(p for b in blocks for p in b.paragraphs),
        vectors=vectors,
        owners=np.concatenate(owners).astype(np.int32) if owners else np.zeros(0, np.int32),
        articles=tuple(entries),
        faiss=make_faiss(vectors, previous, old_rows),
        sentence_vectors=stack([b.sentence_vectors for b in blocks]),
        sentence_offsets=offsets.astype(np.int64),
    )


def _key(unit: Sentence) -> str:
    return unit if isinstance(unit, str) else f"{unit[0]}\x00{unit[1]}:{unit[2]}"


def _embed_batches(
    embedder: Embedder,
    units: list[Sentence],
    progress: Callable[[int, int], None] | None,
    cache: EmbedCache | None = None,
    batch: int = 256,
    every: int = 8,
) -> np.ndarray:
    """Embed each distinct text once, in length-sorted chunks (little padding, visible progress).

    Pieces and sentences go through one pass; a one-sentence paragraph is both and is embedded
    once, and so is a paragraph that several articles share (wire copies); a sentence given as
    a span of its piece is pooled from the piece's pass. Texts already in ``cache`` (a build
    that was stopped) are not embedded again; new vectors are added to it every ``every``
    batches. (The embedder that builds indexes is made for bulk work:
    ``MiniLMEmbedder(bulk=True)``.)
    """
    spans: dict[str, set[tuple[int, int]]] = {}
    for unit in units:
        if isinstance(unit, str):
            spans.setdefault(unit, set())
        else:
            spans.setdefault(unit[0], set()).add((unit[1], unit[2]))
    # Ties by text, not set order: string hashes vary per process, and with them the batches (bf16 sums).
    unique = sorted(spans, key=lambda t: (len(t), t))
    ordered = {t: sorted(spans[t]) for t in unique}
    wanted = {t: [t, *(_key((t, *span)) for span in ordered[t])] for t in unique}
    vectors: dict[str, np.ndarray] = {}
    for t in unique:
        cached = [cache.get(key) for key in wanted[t]] if cache is not None else [None]
        if all(v is not None for v in cached):
            vectors.update(zip(wanted[t], cached, strict=True))
    todo = [t for t in unique if t not in vectors]
    keys: list[str] = []
    rows: list[np.ndarray] = []
    for start in range(0, len(todo), batch):
        chunk = todo[start : start + batch]
        chunk_spans = [ordered[t] for t in chunk]
        if any(chunk_spans):
            embedded, pooled = embedder.embed_spans(chunk, chunk_spans)  # type: ignore[attr-defined]
        else:
            embedded, pooled = embedder.embed(chunk), [np.zeros((0, 0), np.float32)] * len(chunk)
        for t, v, span_rows in zip(chunk, embedded, pooled, strict=True):
            keys.extend(wanted[t])
            rows.extend([v, *span_rows])
        done = min(start + batch, len(todo))
        if (start // batch + 1) % every == 0 or done == len(todo):
            if cache is not None:
                cache.add(keys, np.stack(rows))
            vectors.update(zip(keys, rows, strict=True))
            keys, rows = [], []
        if progress:
            progress(len(unique) - len(todo) + done, len(unique))
    if not units:
        return np.zeros((0, 0), np.float32)
    return np.stack([vectors[_key(unit)] for unit in units]).astype(np.float32, copy=False)


def refresh(
    articles: Sequence[Article],
    folder: Path,
    embedder: Embedder,
    rebuild: bool = False,
    progress: Callable[[int, int], None] | None = None,
    folder_state: dict | None = None,
    current: Index | None = None,
    save_with: Callable[[Callable[[], None]], None] | None = None,
) -> tuple[Index, list[str], list[str]]:
    """Bring the index in ``folder`` up to date with ``articles``.

    Returns (index, ids of articles embedded now, ids of articles removed).
    An index built by another embedder is an error unless ``rebuild``; a
    corrupt one is rebuilt from the articles. ``current``: the index this
    process already holds for ``folder``, reused instead of loading it again.
    ``save_with``: runs the final save (e.g. in a background thread) instead
    of saving before returning.
    """
    previous: Index | None = None
    if not rebuild and current is not None and current.embedder == embedder.name and current.dense:
        previous = current
    elif not rebuild and (folder / "manifest.json").exists():
        try:
            manifest = read_manifest(folder)
        except BadIndexError:  # unreadable, or written by an older version: rebuilt below
            manifest = None
        if manifest and manifest["embedder"] != embedder.name:
            load(folder, embedder.name)  # raises the mismatch error
        try:
            previous = load(folder, embedder.name) if manifest else None
        except BadIndexError:
            previous = None
    if (
        previous is not None
        and previous.dense
        and previous.corpus_sha256 == corpus_hash(a.sha256 for a in articles)
        and [a.id for a in previous.articles] == [a.id for a in articles]
    ):
        if folder_state is not None:
            remember_folder_state(folder, folder_state)
        return previous, [], []
    with building(folder):
        if (previous is None or not previous.dense) and sum(len(a.paragraphs) for a in articles) >= LEXICAL_FIRST:
            # A first build of an archive takes minutes: its paragraphs go to disk first, so that another
            # process can answer from BM25 alone meanwhile (``Index.dense`` is false until the end).
            save(lexical(articles, embedder.name), folder, folder_state)
        cache = EmbedCache(folder, embedder.name)
        index, embedded = build(articles, embedder, previous, progress, cache)
        removed = sorted({a.id for a in previous.articles} - {a.id for a in articles}) if previous else []

    def persist() -> None:
        with building(folder):
            save(index, folder, folder_state)
            cache.clear()

    (save_with or (lambda job: job()))(persist)
    return index, embedded, removed


def lexical(articles: Sequence[Article], embedder_name: str) -> Index:
    """The paragraphs of ``articles`` without any vector: what BM25 needs to answer during a first build."""
    none = np.zeros((0, 0), np.float32)
    empty = np.zeros(0, np.int64)
    blocks = [_Block(a.paragraphs, none, empty, none, empty, empty) for a in articles]
    return _assemble(articles, blocks, embedder_name)
