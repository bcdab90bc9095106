"""Index: paragraphs + their vectors + a FAISS inner-product index, on disk.

Layout of ``index/`` (no pickle anywhere):

- ``manifest.json``   embedder name, dimension, counts, corpus hash, one
  entry per article (content hash, rows), and the sha256 of every file below
- ``paragraphs.jsonl`` one ``Paragraph`` per line
- ``vectors.npy``      float32 (rows, dim), unit length; a long paragraph has
  several rows (pieces)
- ``owners.npy``       int32 (rows,): the paragraph each row belongs to
- ``faiss.index``      exact inner product (``IndexFlatIP``) below
  ``HNSW_ROWS`` rows, HNSW above

Incremental: ``build`` reuses the stored vectors of every article whose
content hash is unchanged and embeds only new or edited ones. Saving writes
each file under a temporary name and renames it into place, manifest last;
``load`` checks every file's hash, so a half-written index is reported,
never used.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import faiss
import numpy as np

from rag.embed import Embedder, pieces
from rag.records import Article, Paragraph

FORMAT = 1
HNSW_ROWS = 200_000
FILES = ("paragraphs.jsonl", "vectors.npy", "owners.npy", "faiss.index")


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


@dataclass(frozen=True)
class Index:
    embedder: str
    paragraphs: tuple[Paragraph, ...]
    vectors: np.ndarray
    owners: np.ndarray
    articles: tuple[ArticleEntry, ...]
    faiss: faiss.Index

    @property
    def corpus_sha256(self) -> str:
        return corpus_hash(a.sha256 for a in self.articles)

    def article_paragraphs(self, entry: ArticleEntry) -> tuple[Paragraph, ...]:
        return self.paragraphs[entry.first_paragraph : entry.first_paragraph + entry.paragraphs]


def corpus_hash(article_hashes: Sequence[str] | object) -> str:
    return hashlib.sha256("\n".join(sorted(article_hashes)).encode()).hexdigest()  # type: ignore[arg-type]


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
    texts: list[str] = []
    text_owner: list[int] = []  # paragraph position within `todo` flattening
    flat_todo: list[Paragraph] = [p for a in todo for p in a.paragraphs]
    for i, p in enumerate(flat_todo):
        for piece in pieces(p.text):
            texts.append(piece)
            text_owner.append(i)
    new_vectors = _embed_batches(embedder, texts, progress)

    paragraphs: list[Paragraph] = []
    vector_parts: list[np.ndarray] = []
    owner_parts: list[np.ndarray] = []
    entries: list[ArticleEntry] = []
    row = 0
    todo_offset = 0
    new_owner = np.asarray(text_owner, dtype=np.int64)
    for article in articles:
        old = reusable.get((article.id, article.sha256))
        if old is not None and previous is not None:
            vecs = previous.vectors[old.first_row : old.first_row + old.rows]
            local = previous.owners[old.first_row : old.first_row + old.rows] - old.first_paragraph
            paras = previous.article_paragraphs(old)
        else:
            n = len(article.paragraphs)
            mask = (new_owner >= todo_offset) & (new_owner < todo_offset + n)
            vecs = new_vectors[mask]
            local = new_owner[mask] - todo_offset
            paras = article.paragraphs
            todo_offset += n
        entries.append(
            ArticleEntry(
                article.id, article.title, article.subtitle, article.byline, article.source,
                article.sha256, row, len(vecs), len(paragraphs), len(paras),
            )
        )
        vector_parts.append(vecs)
        owner_parts.append(local + len(paragraphs))
        paragraphs.extend(paras)
        row += len(vecs)
    dim = new_vectors.shape[1] if len(texts) else (previous.vectors.shape[1] if previous else 0)
    vectors = np.concatenate(vector_parts) if vector_parts else np.zeros((0, dim), np.float32)
    owners = np.concatenate(owner_parts).astype(np.int32) if owner_parts else np.zeros(0, np.int32)
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    index = Index(embedder.name, tuple(paragraphs), vectors, owners, tuple(entries), make_faiss(vectors))
    return index, [a.id for a in todo]


def _embed_batches(
    embedder: Embedder, texts: list[str], progress: Callable[[int, int], None] | None, batch: int = 256
) -> np.ndarray:
    """Embed in length-sorted chunks: similar lengths pad little, and progress can be shown."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out: np.ndarray | None = None
    for start in range(0, len(order), batch):
        ids = order[start : start + batch]
        vectors = embedder.embed([texts[i] for i in ids])
        if out is None:
            out = np.zeros((len(texts), vectors.shape[1]), np.float32)
        out[ids] = vectors
        if progress:
            progress(min(start + batch, len(texts)), len(texts))
    return out if out is not None else np.zeros((0, 0), np.float32)


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def save(index: Index, folder: Path) -> None:
    """Write atomically: every file under a temporary name, renamed into place, manifest last."""
    folder.mkdir(parents=True, exist_ok=True)
    tmp = {name: folder / f".{name}.tmp{os.getpid()}" for name in (*FILES, "manifest.json")}
    with tmp["paragraphs.jsonl"].open("w", encoding="utf-8") as f:
        for p in index.paragraphs:
            f.write(json.dumps(asdict(p), ensure_ascii=False) + "\n")
    with tmp["vectors.npy"].open("wb") as f:
        np.save(f, index.vectors, allow_pickle=False)
    with tmp["owners.npy"].open("wb") as f:
        np.save(f, index.owners, allow_pickle=False)
    faiss.write_index(index.faiss, str(tmp["faiss.index"]))
    manifest = {
        "format": FORMAT,
        "embedder": index.embedder,
        "dim": int(index.vectors.shape[1]),
        "paragraphs": len(index.paragraphs),
        "rows": len(index.vectors),
        "corpus_sha256": index.corpus_sha256,
        "articles": [asdict(a) for a in index.articles],
        "files": {name: _sha256_file(tmp[name]) for name in FILES},
    }
    tmp["manifest.json"].write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
    for name in FILES:
        _fsync(tmp[name])
        os.replace(tmp[name], folder / name)
    _fsync(tmp["manifest.json"])
    os.replace(tmp["manifest.json"], folder / "manifest.json")


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
    for name in FILES:
        path = folder / name
        if not path.exists() or _sha256_file(path) != manifest["files"][name]:
            raise BadIndexError(f"{path}: missing or does not match the manifest (interrupted write?)")
    with (folder / "paragraphs.jsonl").open(encoding="utf-8") as f:
        paragraphs = tuple(Paragraph(**json.loads(line)) for line in f)
    vectors = np.load(folder / "vectors.npy", allow_pickle=False)
    owners = np.load(folder / "owners.npy", allow_pickle=False)
    if vectors.shape != (manifest["rows"], manifest["dim"]) or len(paragraphs) != manifest["paragraphs"]:
        raise BadIndexError(f"{folder}: sizes do not match the manifest")
    articles = tuple(ArticleEntry(**a) for a in manifest["articles"])
    searcher = faiss.read_index(str(folder / "faiss.index"))
    return Index(manifest["embedder"], paragraphs, vectors, owners, articles, searcher)


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
        manifest = read_manifest(folder)
        if manifest["embedder"] != embedder.name:
            load(folder, embedder.name)  # raises the mismatch error
        try:
            previous = load(folder, embedder.name)
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
