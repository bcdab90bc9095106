"""The index on disk: generation folders, the manifest switched in one rename, checked loads.

See the package docstring for the layout and the crash and corruption rules.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict
from pathlib import Path

import faiss
import numpy as np

from rag.index.record import BadIndexError, Index
from rag.index.searcher import MMAP, kind, tune
from rag.records import ArticleEntry, Paragraph

# Sentence rows follow rag.text.sentences: bump FORMAT whenever its splitting or a record's fields change.
FORMAT = 5
FILES = (
    "paragraphs.jsonl",
    "vectors.npy",
    "owners.npy",
    "faiss.index",
    "sentence_vectors.npy",
    "sentence_offsets.npy",
)
STAMP = "stat.json"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def save(index: Index, folder: Path, folder_state: dict | None = None) -> None:
    """Write a new generation folder, then switch ``manifest.json`` to it in one rename.

    Killed at any point before that rename, the previous manifest still
    names the previous, complete generation; after it, the new one. Old
    generations are deleted only once the switch is done. ``folder_state``
    (what the articles folder looked like when it was read: see ``current``)
    is kept in the manifest.
    """
    generation = f"gen-{time.time_ns()}-{os.getpid()}"
    target = folder / generation
    try:
        _write(index, folder, generation, folder_state or {})
    except OSError as err:  # disk full, read-only folder: the previous index stays in force
        shutil.rmtree(target, ignore_errors=True)
        raise BadIndexError(f"cannot write the index into {folder} ({err.strerror or err})") from None
    for old in folder.iterdir():  # earlier generations (never a newer one being written), older flat layout
        if old.name.startswith("gen-") and old.is_dir() and _born(old.name) < _born(generation):
            shutil.rmtree(old, ignore_errors=True)
        elif old.name in FILES:
            old.unlink(missing_ok=True)


def _write(index: Index, folder: Path, generation: str, folder_state: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / generation
    target.mkdir()
    with (target / "paragraphs.jsonl").open("w", encoding="utf-8") as f:
        for p in index.paragraphs:
            # vars(), not asdict(): a paragraph holds no nested records, and asdict's deep copy was 2.7 s
            # of a 68k-paragraph save.
            f.write(json.dumps(vars(p), ensure_ascii=False) + "\n")
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
        "folder_state": folder_state,
    }
    _write_manifest(folder, manifest)


def _write_manifest(folder: Path, manifest: dict) -> None:
    tmp = folder / f".manifest.json.tmp{os.getpid()}"
    tmp.write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
    _fsync(tmp)
    os.replace(tmp, folder / "manifest.json")


@contextmanager
def building(folder: Path) -> Iterator[None]:
    """Held (an exclusive ``flock`` on ``<index>/.building``) while a build runs; see ``is_building``."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".building").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def is_building(folder: Path) -> bool:
    """Whether a build (in any process) holds ``folder``'s lock: a paragraphs-only index is then being completed."""
    try:
        with (folder / ".building").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:  # no such folder, read-only: nobody is writing there
        return False
    return False


def current(folder: Path, embedder_name: str, files: dict[str, list[int]]) -> tuple[Index, list[str]] | None:
    """(the saved index, the files it refused) if the articles folder is exactly as when it was indexed.

    ``files`` maps every article file to its size and modification time:
    equal to the manifest's, nothing needs reading, so a new process starts
    without parsing a thousand files. None when anything differs.
    """
    try:
        manifest = read_manifest(folder)
        state = manifest.get("folder_state") or {}
        if state.get("files") != json.loads(json.dumps(files)):
            return None
        return load(folder, embedder_name), list(state.get("skipped", []))
    except BadIndexError:
        return None


def remember_folder_state(folder: Path, folder_state: dict) -> None:
    """Record ``folder_state`` in the manifest of an index that is already up to date (files touched, not changed)."""
    try:
        manifest = read_manifest(folder)
        manifest["folder_state"] = folder_state
        _write_manifest(folder, manifest)
    except (BadIndexError, OSError):  # a read-only index: the articles are read again next time
        pass


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
    articles = tuple(ArticleEntry(**{**a, "authors": tuple(a["authors"])}) for a in manifest["articles"])
    searcher = tune(faiss.read_index(str(files / "faiss.index"), MMAP.get(manifest.get("faiss", ""), 0)))
    return Index(
        embedder=manifest["embedder"],
        paragraphs=paragraphs,
        vectors=vectors,
        owners=owners,
        articles=articles,
        faiss=searcher,
        sentence_vectors=sentence_vectors,
        sentence_offsets=sentence_offsets,
    )
