"""The vectors of an unfinished build, on disk, so that a killed ``rag index`` resumes where it stopped.

Embedding is nearly all of a build's time (an archive of 70k paragraphs is
minutes of CPU), so a build writes what it has embedded every few thousand
texts into ``<index>/embed-cache/``: chunk files of (text digest, vector),
each written to a temporary name and renamed, so a kill loses at most the
chunk being written, never a whole file. The next build looks every text up
before embedding it; a finished build deletes the folder. Vectors are keyed
by the sha1 of the text and the embedder's name, so a chunk written by
another embedder is never used. No pickle: digests are stored as rows of bytes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import numpy as np

FOLDER = "embed-cache"


def digest(text: str) -> bytes:
    """The key of a text.

    >>> len(digest("Rouhani met the minister."))
    20
    """
    return hashlib.sha1(text.encode("utf-8")).digest()


class EmbedCache:
    """Vectors embedded so far by the build of one index folder, by one embedder."""

    def __init__(self, index_dir: Path, embedder: str) -> None:
        self.folder = index_dir / FOLDER
        self.tag = hashlib.sha1(embedder.encode()).hexdigest()[:12]
        self._rows: dict[bytes, np.ndarray] = {}
        for path in sorted(self.folder.glob(f"{self.tag}-*.npz")):
            try:
                with np.load(path, allow_pickle=False) as chunk:
                    keys = [row.tobytes() for row in chunk["keys"]]
                    self._rows.update(zip(keys, chunk["vectors"], strict=True))
            except (OSError, ValueError, KeyError):  # a damaged chunk: its texts are embedded again
                path.unlink(missing_ok=True)

    def __len__(self) -> int:
        return len(self._rows)

    def get(self, text: str) -> np.ndarray | None:
        return self._rows.get(digest(text))

    def add(self, texts: list[str], vectors: np.ndarray) -> None:
        """Keep ``vectors`` (one row per text) in memory and in a new chunk file."""
        keys = [digest(t) for t in texts]
        self._rows.update(zip(keys, vectors, strict=True))
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            target = self.folder / f"{self.tag}-{len(self._rows):09d}-{os.getpid()}.npz"
            tmp = target.with_name(target.name + ".tmp.npz")
            # Digests as rows of bytes: numpy's fixed-width bytes type would drop trailing NULs.
            rows = np.frombuffer(b"".join(keys), np.uint8).reshape(len(keys), 20)
            np.savez(tmp, keys=rows, vectors=np.asarray(vectors, np.float32))
            os.replace(tmp, target)
        except OSError:  # a full or read-only disk: the build goes on, only resuming is lost
            pass

    def clear(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
