"""Folder: writing files into the articles folder safely, whatever name a stranger typed.

Every write of ``rag.articles`` (paste, upload, fetched page) and the
remembered feeds (``rag.feeds``) end up here. So:

- the file name is derived, never taken (``safe_stem``): the title (or the
  uploaded name) is reduced to ``[a-z0-9-]`` and capped in length, and the
  final path is checked to sit directly inside the articles folder, so
  ``../../etc/passwd``, absolute paths, hidden names and Windows separators
  all land as an ordinary file there;
- a name is never reused for different bytes: the next free one
  (``stem-2``, ``stem-3``, ...) is taken, and a file is never overwritten
  except on purpose (``replace_whole``);
- a file is written whole or not at all (``create_whole``,
  ``replace_whole``): the bytes go to a hidden temporary file in the same
  folder first (hidden files are never read as articles), which is then
  linked under its final name (a link, unlike a rename, fails if the name is
  taken) or renamed over the older version.

Trade-offs: a pasted article (``write_new``) is written in place with an
exclusive create, not through a temporary file: it is small and written in
one call, and finding the same bytes already under the name counts as done.
On a filesystem without hard links (FAT, some network shares)
``create_whole`` falls back to an exclusive create as well, so a reader may
briefly see a file being written there.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from rag.errors import RagError

MAX_NAME = 60


class ArticleError(RagError):
    """The article cannot be added or removed; the message says why, for the user."""


def safe_stem(name: str) -> str:
    """A file stem that is safe on any filesystem and cannot name another folder.

    >>> safe_stem("../../etc/passwd"), safe_stem("Iran slams US & Israel!"), safe_stem("..."), safe_stem("C:\\\\x.txt")
    ('etc-passwd', 'iran-slams-us-israel', 'article', 'c-x-txt')
    """
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:MAX_NAME].strip("-")
    return stem or "article"


def article_path(folder: Path, source: str) -> Path:
    """The file of an indexed article, refusing anything outside ``folder``."""
    folder = folder.resolve()
    path = Path(source)
    path = (path if path.is_absolute() else folder / path).resolve()
    if path.parent != folder:
        raise ArticleError(f"refused: {path.name} is not in the articles folder")
    return path


def _names(folder: Path, stem: str, suffix: str) -> Iterator[Path]:
    """``stem``, ``stem-2``, ... up to 999 in ``folder`` (resolved), each checked to sit directly inside it."""
    for n in range(1, 1000):
        path = folder / f"{stem if n == 1 else f'{stem}-{n}'}{suffix}"
        if path.resolve().parent != folder:  # cannot happen with safe_stem; kept as the last line of defence
            raise ArticleError("refused: the file name would leave the articles folder")
        yield path


def write_new(folder: Path, stem: str, suffix: str, data: bytes) -> tuple[Path, bool]:
    """Write ``data`` under the first free name ``stem``, ``stem-2``, ...; (the path, whether it was already there).

    A name that already holds exactly these bytes is the answer itself (nothing is written).
    """
    for path in _names(folder, stem, suffix):
        if path.exists():
            if hashlib.sha256(path.read_bytes()).digest() == hashlib.sha256(data).digest():
                return path, True
            continue
        try:
            with path.open("xb") as f:  # "x": never overwrite a file that appeared meanwhile
                f.write(data)
        except FileExistsError:
            continue
        return path, False
    raise ArticleError(f"too many articles named {stem!r}")


def create_whole(folder: Path, stem: str, suffix: str, data: bytes) -> Path:
    """Write ``data`` under the first free name ``stem``, ``stem-2``, ..., whole or not at all."""
    incoming = _hidden_copy(folder, data)
    try:
        for path in _names(folder, stem, suffix):
            try:
                os.link(incoming, path)  # fails if the name is taken: never overwrites a file
            except FileExistsError:
                continue
            except OSError:  # a filesystem without hard links (FAT, some network shares): exclusive create
                try:
                    target = path.open("xb")
                except FileExistsError:
                    continue
                try:
                    with target:
                        target.write(data)
                except BaseException:  # only the file created just now is removed
                    path.unlink(missing_ok=True)
                    raise
            return path
        raise ArticleError(f"too many articles named {stem!r}")
    finally:
        incoming.unlink(missing_ok=True)


def replace_whole(path: Path, data: bytes) -> None:
    """Replace ``path``'s content with ``data`` in one step (a reader sees the old file or the new one)."""
    incoming = _hidden_copy(path.parent, data)
    try:
        os.replace(incoming, path)
    finally:
        incoming.unlink(missing_ok=True)


def _hidden_copy(folder: Path, data: bytes) -> Path:
    """``data`` written to a new hidden file in ``folder`` (hidden: never read as an article meanwhile).

    Opened with the default permissions (the umask decides, as for any other article file),
    not ``mkstemp``'s owner-only ones, since it becomes the article file itself.
    """
    for _ in range(100):
        path = folder / f".incoming-{secrets.token_hex(8)}.tmp"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
        except BaseException:  # disk full, interrupted: no half file left behind
            path.unlink(missing_ok=True)
            raise
        return path
    raise ArticleError(f"cannot create a temporary file in {folder}")
