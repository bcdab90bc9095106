"""Index: paragraphs + their vectors + a FAISS inner-product index, on disk.

Layout of ``index/`` (no pickle anywhere): ``manifest.json`` (embedder
name, dimension, counts, corpus hash, one entry per article with its content
hash and rows, the sha256 and size of every data file, the FAISS index
type, and the generation folder that holds them), and in ``gen-<time>-<pid>/``:

- ``paragraphs.jsonl`` one ``Paragraph`` per line
- ``vectors.npy``      float32 (rows, dim), unit length; a long paragraph has
  several rows (pieces)
- ``owners.npy``       int32 (rows,): the paragraph each row belongs to
- ``faiss.index``      inner-product search over the rows: exact
  (``IndexFlatIP``) below ``EXACT_ROWS`` rows, IVF-Flat above (see
  ``make_faiss`` for why, and ``benchmarks/search.py`` for the numbers)
- ``sentence_vectors.npy``, ``sentence_offsets.npy``  one vector per
  sentence, so the prompt can be cut to the sentences a question needs
  without embedding anything at query time

- ``stat.json``        each file's size, mtime, ctime and inode when it
  was last hashed (not itself checksummed: see below)

Incremental: ``build`` reuses the stored vectors of every article whose
content hash is unchanged and embeds only new or edited ones (and, above
``EXACT_ROWS``, the trained IVF centroids and list assignments). Saving
writes a new generation folder and then replaces the manifest in one
rename, so a process killed mid-save leaves the previous index whole.

``load`` memory-maps the arrays and the FAISS file, so starting costs
milliseconds however large the index, and pages are read as searches touch
them. It checks every file's size against the manifest; a file's sha256 is
recomputed only when its ``stat`` differs from ``stat.json`` (copied,
edited, rewritten) or changed in the same clock tick as the stamp (the
"racy git" rule), so a truncated or modified index is reported (and
rebuilt by ``refresh``), never used. Hashing everything on every start
cost 1.2 s per 1.5 GB from a warm page cache (1M paragraphs are ~10 GB:
vectors, the FAISS copy, ~5 sentence rows per paragraph), and more from
disk; the trade-off is that corruption which keeps a file's size and
times (bit rot) is caught only by ``load(..., full_check=True)``. One
writer at a time is assumed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
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
EXACT_ROWS = 100_000
IVF_PROBES = 16
IVF_TRAIN_PER_LIST = 64
HNSW_EF = 128  # only for indexes built before IVF replaced HNSW
FILES = (
    "paragraphs.jsonl",
    "vectors.npy",
    "owners.npy",
    "faiss.index",
    "sentence_vectors.npy",
    "sentence_offsets.npy",
)
STAMP = "stat.json"
# IVF lists are memory-mapped by IO_FLAG_MMAP, flat codes (IndexFlat) by IO_FLAG_MMAP_IFC; the two don't combine.
_MMAP = {"flat": faiss.IO_FLAG_MMAP_IFC, "ivf": faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY}


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


@contextmanager
def _all_cores() -> Iterator[None]:
    """FAISS uses every core for building (k-means, adding rows) and one for searching.

    One query at a time gains nothing from a second thread and loses a lot when the other core
    is busy: exact search over 100k rows took 45 ms with 2 OpenMP threads next to another job,
    6 ms with one. FAISS links its own OpenMP runtime, so torch and llama.cpp are unaffected.
    """
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(1)


def tune(searcher: faiss.Index) -> faiss.Index:
    """Search parameters, set on every index made or loaded (the hook ``rag.retrieve`` relies on)."""
    faiss.omp_set_num_threads(1)
    if isinstance(searcher, faiss.IndexHNSW):
        searcher.hnsw.efSearch = HNSW_EF
    elif searcher.ntotal and isinstance(searcher, faiss.IndexIVF):
        searcher.nprobe = IVF_PROBES
    return searcher


def kind(searcher: faiss.Index) -> str:
    """``flat``, ``ivf`` or ``hnsw``: recorded in the manifest to pick how the file is memory-mapped."""
    if isinstance(searcher, faiss.IndexIVF):
        return "ivf"
    return "hnsw" if isinstance(searcher, faiss.IndexHNSW) else "flat"


def make_faiss(
    vectors: np.ndarray, previous: faiss.Index | None = None, old_rows: np.ndarray | None = None
) -> faiss.Index:
    """Exact search below ``EXACT_ROWS`` rows, IVF-Flat (approximate, memory-mappable) above.

    Measured by ``benchmarks/search.py`` (clustered 384-d vectors, one query at a time, one
    thread, a busy neighbour on the other core): exact search took 0.26 ms at 10k rows, 10 ms
    at 100k (6 ms on a quiet machine) and 94 ms at 1M, so it stops at 100k rows. IVF with
    4*sqrt(N) lists and 16 probes found 0.999 (100k) and 0.994 (1M) of the exact top 10 in
    0.15 and 0.44 ms (1.1 ms memory-mapped, before its pages are warm). HNSW (M=32) found only
    0.91 (100k) and 0.64 (1M, efSearch 128) on the same vectors, took 2.3x longer to build
    (340 s at 1M), can't drop rows and reuses nothing on updates.

    ``previous`` (the index being updated) and ``old_rows`` (for each row of ``vectors``, its row
    in ``previous``, or -1 if new) let an IVF update keep the trained centroids and the list of
    every unchanged row: only new rows are assigned, so adding one article costs no k-means.
    """
    dim = vectors.shape[1]
    with _all_cores():
        if len(vectors) < EXACT_ROWS:
            index = faiss.IndexFlatIP(dim)
            if len(vectors):
                index.add(vectors)
        else:
            index = _ivf(vectors, previous, old_rows)
    return tune(index)


def _ivf(vectors: np.ndarray, previous: faiss.Index | None, old_rows: np.ndarray | None) -> faiss.IndexIVFFlat:
    dim, n = vectors.shape[1], len(vectors)
    nlist = max(1, min(round(4 * np.sqrt(n)), n // 39))  # FAISS wants >= 39 training rows per list
    reuse = (
        isinstance(previous, faiss.IndexIVFFlat)
        and previous.d == dim
        and old_rows is not None
        # Centroids stay good while the corpus is mostly the one they were trained on, at a similar size.
        and nlist / 2 <= previous.nlist <= nlist * 2
        and np.count_nonzero(old_rows >= 0) >= n / 2
    )
    if reuse:
        assert isinstance(previous, faiss.IndexIVFFlat) and old_rows is not None
        quantizer = faiss.clone_index(previous.quantizer)
        index = faiss.IndexIVFFlat(quantizer, dim, previous.nlist, faiss.METRIC_INNER_PRODUCT)
        lists = _lists(previous)[np.maximum(old_rows, 0)]
        new = old_rows < 0
        if new.any():
            lists[new] = quantizer.assign(vectors[new], 1)[:, 0]
        index.add_core(n, faiss.swig_ptr(vectors), None, faiss.swig_ptr(lists))
        return index
    index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
    # k-means on a sample: 64 rows per list is within FAISS's advice (39-256) and 4x cheaper than 256.
    sample = np.random.default_rng(0).choice(n, min(n, IVF_TRAIN_PER_LIST * nlist), replace=False)
    index.train(vectors[np.sort(sample)])
    index.add(vectors)
    return index


def _lists(ivf: faiss.IndexIVF) -> np.ndarray:
    """The inverted list holding each row of ``ivf`` (rows are ids 0..ntotal-1)."""
    out = np.full(ivf.ntotal, -1, np.int64)
    invlists = ivf.invlists
    for number in range(ivf.nlist):
        size = invlists.list_size(number)
        if size:
            ids = invlists.get_ids(number)
            out[faiss.rev_swig_ptr(ids, size)] = number
            invlists.release_ids(number, ids)
    return out


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
                article.id,
                article.title,
                article.subtitle,
                article.byline,
                article.source,
                article.sha256,
                row,
                len(block.vectors),
                paragraph,
                n,
                sentence,
                len(block.sentence_vectors),
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
        embedder_name,
        tuple(p for b in blocks for p in b.paragraphs),
        vectors,
        np.concatenate(owners).astype(np.int32) if owners else np.zeros(0, np.int32),
        tuple(entries),
        make_faiss(vectors, previous, old_rows),
        stack([b.sentence_vectors for b in blocks]),
        offsets.astype(np.int64),
    )


def _embed_batches(
    embedder: Embedder, texts: list[str], progress: Callable[[int, int], None] | None, batch: int = 256
) -> np.ndarray:
    """Embed each distinct text once, in length-sorted chunks (little padding, visible progress).

    Pieces and sentences go through one pass; a one-sentence paragraph is both and is embedded
    once. An embedder's ``embed_bulk`` (faster, equivalent vectors: ``rag.embed``) is preferred.
    """
    embed = getattr(embedder, "embed_bulk", embedder.embed)
    unique = sorted(set(texts), key=len)
    out: np.ndarray | None = None
    for start in range(0, len(unique), batch):
        vectors = embed(unique[start : start + batch])
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
    # Stat before hashing: a change made while hashing then shows up as a stat mismatch at load.
    stats = {name: _stat(target / name) for name in FILES}
    hashes = {name: sha256_file(target / name) for name in FILES}
    _write_stamp(target, stats)
    manifest = {
        "format": FORMAT,
        "generation": generation,
        "embedder": index.embedder,
        "dim": int(index.vectors.shape[1]),
        "paragraphs": len(index.paragraphs),
        "rows": len(index.vectors),
        "corpus_sha256": index.corpus_sha256,
        "articles": [asdict(a) for a in index.articles],
        "faiss": kind(index.faiss),
        "files": hashes,
        "sizes": {name: stat[0] for name, stat in stats.items()},
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


def _stat(path: Path) -> list[int]:
    """What changes when a file is rewritten, edited in place or copied: size, mtime, ctime, inode."""
    st = path.stat()
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def _write_stamp(generation: Path, stats: dict[str, list[int]]) -> None:
    tmp = generation / f".{STAMP}.tmp{os.getpid()}"
    tmp.write_text(json.dumps(stats), encoding="utf-8")
    os.replace(tmp, generation / STAMP)


def _read_stamp(generation: Path) -> tuple[dict[str, list[int]], int]:
    """The stamp's entries and its own mtime; nothing (so every file is hashed) if it is unreadable."""
    path = generation / STAMP
    try:
        return json.loads(path.read_text(encoding="utf-8")), path.stat().st_mtime_ns
    except (OSError, ValueError):
        return {}, 0


def verify(generation: Path, manifest: dict, full_check: bool = False) -> None:
    """Raise ``BadIndexError`` unless every file has its manifest size and (see the module docstring) hash."""
    sizes = manifest.get("sizes", {})  # absent in manifests written before stamps: hash everything
    stamp, stamped_at = _read_stamp(generation)
    hashed: dict[str, list[int]] = {}
    for name in FILES:
        path = generation / name
        try:
            stat = _stat(path)
        except FileNotFoundError:
            raise BadIndexError(f"{path}: missing, so it does not match the manifest (damaged?)") from None
        if name in sizes and stat[0] != sizes[name]:
            raise BadIndexError(f"{path}: {stat[0]} bytes, the manifest says {sizes[name]} (truncated?)")
        # Trusted unhashed only if untouched since it was hashed and changed before the stamp's clock tick.
        if not full_check and stamp.get(name) == stat and stat[2] < stamped_at:
            continue
        if sha256_file(path) != manifest["files"][name]:
            raise BadIndexError(f"{path}: does not match the manifest (damaged?)")
        hashed[name] = stat
    if hashed:
        # The next start trusts what was just hashed (a copied index pays for hashing once); a
        # read-only index stays usable and is hashed again next time.
        with suppress(OSError):
            _write_stamp(generation, {**stamp, **hashed})


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


def load(folder: Path, embedder_name: str, full_check: bool = False) -> Index:
    """Load (memory-mapped) and verify an index; raises ``BadIndexError`` with the reason.

    ``full_check`` hashes every file even when its stat matches the stamp.
    """
    manifest = read_manifest(folder)
    if manifest["embedder"] != embedder_name:
        raise BadIndexError(
            f"index at {folder} was built with {manifest['embedder']}, not {embedder_name}; "
            "rebuild it with `rag index --rebuild`"
        )
    files = folder / manifest["generation"]
    verify(files, manifest, full_check)
    with (files / "paragraphs.jsonl").open(encoding="utf-8") as f:
        paragraphs = tuple(Paragraph(**json.loads(line)) for line in f)
    # Memory-mapped: a 1M-row index starts at once and only touched pages (hits, their sentences) are read.
    vectors, owners, sentence_vectors, sentence_offsets = (
        np.load(files / name, mmap_mode="r", allow_pickle=False)
        for name in ("vectors.npy", "owners.npy", "sentence_vectors.npy", "sentence_offsets.npy")
    )
    if vectors.shape != (manifest["rows"], manifest["dim"]) or len(paragraphs) != manifest["paragraphs"]:
        raise BadIndexError(f"{folder}: sizes do not match the manifest")
    articles = tuple(ArticleEntry(**a) for a in manifest["articles"])
    searcher = tune(faiss.read_index(str(files / "faiss.index"), _MMAP.get(manifest.get("faiss", ""), 0)))
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
    if (
        previous is not None
        and previous.corpus_sha256 == corpus_hash(a.sha256 for a in articles)
        and [a.id for a in previous.articles] == [a.id for a in articles]
    ):
        return previous, [], []
    index, embedded = build(articles, embedder, previous, progress)
    removed = sorted({a.id for a in previous.articles} - {a.id for a in articles}) if previous else []
    save(index, folder)
    return index, embedded, removed
