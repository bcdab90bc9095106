"""Index: paragraphs + their vectors + a FAISS inner-product index, on disk.

Layout of ``index/`` (no pickle anywhere): ``manifest.json`` (embedder
name, dimension, counts, corpus hash, one entry per article with its content
hash and rows, the sha256 of every data file, and the generation folder
that holds them), and in ``gen-<time>-<pid>/``:

- ``paragraphs.jsonl`` one ``Paragraph`` per line
- ``vectors.npy``      float32 (rows, dim), unit length; a long paragraph has
  several rows (pieces)
- ``owners.npy``       int32 (rows,): the paragraph each row belongs to
- ``faiss.index``      exact inner product (``IndexFlatIP``) below
  ``HNSW_ROWS`` rows, HNSW above
- ``sentence_vectors.npy``, ``sentence_offsets.npy``  one vector per
  sentence, so the prompt can be cut to the sentences a question needs
  without embedding anything at query time

Incremental: ``build`` reuses the stored vectors of every article whose
content hash is unchanged and embeds only new or edited ones. Saving writes
a new generation folder and then replaces the manifest in one rename, so a
process killed mid-save leaves the previous index whole; ``load`` checks
every file's hash, so a damaged index is reported (and rebuilt by
``refresh``), never used. One writer at a time is assumed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path

import faiss
import numpy as np

from rag.embed import Embedder, pieces
from rag.records import Article, Paragraph
from rag.text import sentences

# Sentence rows follow rag.text.sentences: bump FORMAT whenever its splitting changes.
FORMAT = 4
HNSW_ROWS = 200_000
FILES = (
    "paragraphs.jsonl", "vectors.npy", "owners.npy", "faiss.index", "sentence_vectors.npy", "sentence_offsets.npy",
)


class BadIndexError(RuntimeError):
    """The index is missing, corrupt or was built by another embedder."""


@dataclass(frozen=True)
class ArticleEntry:
    id: str
    title: str
    subtitle: str
    byline: str
    source: str
    sha256: str
    first_row: int
    rows: int
    first_paragraph: int
    paragraphs: int
    first_sentence: int
    sentences: int


@dataclass(frozen=True)
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


def make_faiss(vectors: np.ndarray) -> faiss.Index:
    """Exact search for small corpora; HNSW (approximate, sub-linear) for large ones."""
    dim = vectors.shape[1]
    if len(vectors) < HNSW_ROWS:
        index = faiss.IndexFlatIP(dim)
    else:
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efSearch = 64
    if len(vectors):
        index.add(vectors)
    return index


@dataclass(frozen=True)
class _Block:
    """One article's rows: piece vectors with their local paragraph, sentence vectors with theirs."""

    paragraphs: tuple[Paragraph, ...]
    vectors: np.ndarray
    owners: np.ndarray
    sentence_vectors: np.ndarray
    sentence_owners: np.ndarray


def _units(article: Article) -> tuple[list[str], list[int], list[str], list[int]]:
    """Texts to embed for an article: pieces and sentences, each with its local paragraph."""
    piece_texts, piece_owner, sentence_texts, sentence_owner = [], [], [], []
    for i, p in enumerate(article.paragraphs):
        for piece in pieces(p.text):
            piece_texts.append(piece)
            piece_owner.append(i)
        for sentence in sentences(p.text) or [p.text]:
            sentence_texts.append(sentence)
            sentence_owner.append(i)
    return piece_texts, piece_owner, sentence_texts, sentence_owner


def _old_block(previous: Index, entry: ArticleEntry) -> _Block:
    rows = slice(entry.first_row, entry.first_row + entry.rows)
    sents = slice(entry.first_sentence, entry.first_sentence + entry.sentences)
    offsets = previous.sentence_offsets[entry.first_paragraph : entry.first_paragraph + entry.paragraphs + 1]
    sentence_owners = np.repeat(np.arange(entry.paragraphs), np.diff(offsets))
    return _Block(
        previous.paragraphs[entry.first_paragraph : entry.first_paragraph + entry.paragraphs],
        previous.vectors[rows], previous.owners[rows] - entry.first_paragraph,
        previous.sentence_vectors[sents], sentence_owners,
    )


def build(
    articles: Sequence[Article],
    embedder: Embedder,
    previous: Index | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[Index, list[str]]:
    """Index ``articles``, reusing ``previous`` vectors of unchanged articles.

    Returns the index and the ids of the articles that had to be embedded.
    """
    reusable: dict[tuple[str, str], ArticleEntry] = {}
    if previous is not None and previous.embedder == embedder.name:
        reusable = {(a.id, a.sha256): a for a in previous.articles}
    todo = [a for a in articles if (a.id, a.sha256) not in reusable]
    units = {a.id: _units(a) for a in todo}
    texts = [t for u in units.values() for t in (*u[0], *u[2])]
    new_vectors = _embed_batches(embedder, texts, progress)
    blocks: list[_Block] = []
    at = 0
    for article in articles:
        old = reusable.get((article.id, article.sha256))
        if old is not None and previous is not None:
            blocks.append(_old_block(previous, old))
            continue
        piece_texts, piece_owner, sentence_texts, sentence_owner = units[article.id]
        n_pieces, n_sentences = len(piece_texts), len(sentence_texts)
        blocks.append(_Block(
            article.paragraphs, new_vectors[at : at + n_pieces], np.asarray(piece_owner, np.int64),
            new_vectors[at + n_pieces : at + n_pieces + n_sentences], np.asarray(sentence_owner, np.int64),
        ))
        at += n_pieces + n_sentences
    return _assemble(articles, blocks, embedder.name), [a.id for a in todo]


def _assemble(articles: Sequence[Article], blocks: list[_Block], embedder_name: str) -> Index:
    """Concatenate per-article blocks into one index, shifting local paragraph numbers."""
    entries: list[ArticleEntry] = []
    owners, counts = [], []
    row = paragraph = sentence = 0
    for article, block in zip(articles, blocks, strict=True):
        n = len(block.paragraphs)
        entries.append(ArticleEntry(
            article.id, article.title, article.subtitle, article.byline, article.source, article.sha256,
            row, len(block.vectors), paragraph, n, sentence, len(block.sentence_vectors),
        ))
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
    offsets = np.concatenate([[0], np.cumsum(np.concatenate(counts))]) if counts else np.zeros(1)
    return Index(
        embedder_name, tuple(p for b in blocks for p in b.paragraphs), vectors,
        np.concatenate(owners).astype(np.int32) if owners else np.zeros(0, np.int32), tuple(entries),
        make_faiss(vectors), stack([b.sentence_vectors for b in blocks]), offsets.astype(np.int64),
    )


def _embed_batches(
    embedder: Embedder, texts: list[str], progress: Callable[[int, int], None] | None, batch: int = 256
) -> np.ndarray:
    """Embed each distinct text once, in length-sorted chunks (little padding, visible progress).

    A one-sentence paragraph is both a piece and a sentence: it is embedded once.
    """
    unique = sorted(set(texts), key=len)
    out: np.ndarray | None = None
    for start in range(0, len(unique), batch):
        vectors = embedder.embed(unique[start : start + batch])
        out = vectors if out is None else np.concatenate([out, vectors])
        if progress:
            progress(min(start + batch, len(unique)), len(unique))
    if out is None:
        return np.zeros((0, 0), np.float32)
    row = {text: i for i, text in enumerate(unique)}
    return out[[row[t] for t in texts]].astype(np.float32)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def progress_bar(desc: str) -> Callable[[int, int], None]:
    """A ``progress(done, total)`` callback drawing a tqdm bar on stderr."""
    import sys

    from tqdm import tqdm

    bars: list[tqdm] = []

    def update(done: int, total: int) -> None:
        if not bars:
            bars.append(tqdm(total=total, desc=desc, unit="text", file=sys.stderr, leave=False))
        bars[0].update(done - bars[0].n)
        if done >= total:
            bars[0].close()

    return update


def save(index: Index, folder: Path) -> None:
    """Write a new generation folder, then switch ``manifest.json`` to it in one rename.

    Killed at any point before that rename, the previous manifest still
    names the previous, complete generation; after it, the new one. Old
    generations are deleted only once the switch is done.
    """
    folder.mkdir(parents=True, exist_ok=True)
    generation = f"gen-{time.time_ns()}-{os.getpid()}"
    target = folder / generation
    target.mkdir()
    with (target / "paragraphs.jsonl").open("w", encoding="utf-8") as f:
        for p in index.paragraphs:
            f.write(json.dumps(asdict(p), ensure_ascii=False) + "\n")
    for name, array in (
        ("vectors.npy", index.vectors),
        ("owners.npy", index.owners),
        ("sentence_vectors.npy", index.sentence_vectors),
        ("sentence_offsets.npy", index.sentence_offsets),
    ):
        with (target / name).open("wb") as f:
            np.save(f, array, allow_pickle=False)
    faiss.write_index(index.faiss, str(target / "faiss.index"))
    for name in FILES:
        _fsync(target / name)
    manifest = {
        "format": FORMAT,
        "generation": generation,
        "embedder": index.embedder,
        "dim": int(index.vectors.shape[1]),
        "paragraphs": len(index.paragraphs),
        "rows": len(index.vectors),
        "corpus_sha256": index.corpus_sha256,
        "articles": [asdict(a) for a in index.articles],
        "files": {name: sha256_file(target / name) for name in FILES},
    }
    tmp = folder / f".manifest.json.tmp{os.getpid()}"
    tmp.write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
    _fsync(tmp)
    os.replace(tmp, folder / "manifest.json")
    for old in folder.iterdir():  # earlier generations (never a newer one being written), older flat layout
        if old.name.startswith("gen-") and old.is_dir() and _born(old.name) < _born(generation):
            shutil.rmtree(old, ignore_errors=True)
        elif old.name in FILES:
            old.unlink(missing_ok=True)


def _born(generation: str) -> int:
    """The creation time in a generation folder's name: ``gen-<ns>-<pid>``."""
    try:
        return int(generation.split("-")[1])
    except (IndexError, ValueError):
        return 0


def _fsync(path: Path) -> None:
    with path.open("rb") as f:
        os.fsync(f.fileno())


def read_manifest(folder: Path) -> dict:
    path = folder / "manifest.json"
    if not path.exists():
        raise BadIndexError(f"no index at {folder}: run `rag index` first")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise BadIndexError(f"{path}: unreadable manifest ({err})") from None
    if manifest.get("format") != FORMAT:
        raise BadIndexError(f"{path}: index format {manifest.get('format')!r}, expected {FORMAT}; rebuild it")
    return manifest


def load(folder: Path, embedder_name: str) -> Index:
    """Load and verify an index; raises ``BadIndexError`` with the reason."""
    manifest = read_manifest(folder)
    if manifest["embedder"] != embedder_name:
        raise BadIndexError(
            f"index at {folder} was built with {manifest['embedder']}, not {embedder_name}; "
            "rebuild it with `rag index --rebuild`"
        )
    files = folder / manifest["generation"]
    for name in FILES:
        path = files / name
        if not path.exists() or sha256_file(path) != manifest["files"][name]:
            raise BadIndexError(f"{path}: missing or does not match the manifest (damaged?)")
    with (files / "paragraphs.jsonl").open(encoding="utf-8") as f:
        paragraphs = tuple(Paragraph(**json.loads(line)) for line in f)
    vectors, owners, sentence_vectors, sentence_offsets = (
        np.load(files / name, allow_pickle=False)
        for name in ("vectors.npy", "owners.npy", "sentence_vectors.npy", "sentence_offsets.npy")
    )
    if vectors.shape != (manifest["rows"], manifest["dim"]) or len(paragraphs) != manifest["paragraphs"]:
        raise BadIndexError(f"{folder}: sizes do not match the manifest")
    articles = tuple(ArticleEntry(**a) for a in manifest["articles"])
    searcher = faiss.read_index(str(files / "faiss.index"))
    return Index(
        manifest["embedder"], paragraphs, vectors, owners, articles, searcher, sentence_vectors, sentence_offsets
    )


def refresh(
    articles: Sequence[Article],
    folder: Path,
    embedder: Embedder,
    rebuild: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[Index, list[str], list[str]]:
    """Bring the index in ``folder`` up to date with ``articles``.

    Returns (index, ids of articles embedded now, ids of articles removed).
    An index built by another embedder is an error unless ``rebuild``; a
    corrupt one is rebuilt from the articles.
    """
    previous: Index | None = None
    if not rebuild and (folder / "manifest.json").exists():
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
    if previous is not None and previous.corpus_sha256 == corpus_hash(a.sha256 for a in articles) and [
        a.id for a in previous.articles
    ] == [a.id for a in articles]:
        return previous, [], []
    index, embedded = build(articles, embedder, previous, progress)
    removed = sorted({a.id for a in previous.articles} - {a.id for a in articles}) if previous else []
    save(index, folder)
    return index, embedded, removed
