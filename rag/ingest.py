"""Ingest: the article files of a folder -> ``Article`` records (``rag.parse`` reads each file's text).

Hostile files (tests/test_hostile.py) are refused one by one, each with a
one-line reason naming the file, and the rest of the folder still indexes:

- Encoding: UTF-8 (BOM or not), UTF-16 with a BOM, else Windows-1252 /
  Latin-1, which decode any bytes. NUL bytes without a UTF-16 BOM mean a
  binary file; a UTF-16 BOM followed by invalid UTF-16 is refused.
- Control characters (C0/C1, e.g. terminal escape sequences) are dropped
  (``rag.parse``): ``rag ask`` prints paragraphs to a terminal.
- Length: at most ``MAX_WORDS`` words of article text. Embedding, not
  parsing, is the cost: a 5 MB single-line file parses in 0.05 s but is
  ~6,000 pieces and ~43,000 sentences to embed, half an hour of MiniLM on
  this 2-core machine, during which the web UI's queue waits. 50,000 words
  is several times the longest news feature and about 2 minutes to embed;
  a longer text is refused with its word count, to be split into articles.
  ``MAX_BYTES`` caps what is read at all (a saved web page is mostly markup).
- Duplicates: a file whose title and paragraphs equal another's is skipped
  (same text under two names would fill the k retrieved slots with copies).
  The older file (modification time, then name) is kept, so adding a copy
  never changes the paragraph ids of the article already indexed.
"""

from __future__ import annotations

from pathlib import Path

from rag.errors import RagError
from rag.extract import ExtractError
from rag.parse import parse_article, parse_html, parse_pdf
from rag.records import Article

SUFFIXES = (".txt", ".md")  # text articles
HTML_SUFFIXES = (".html", ".htm")
FORMATS = (*SUFFIXES, *HTML_SUFFIXES, ".pdf")  # every file ``rag index`` reads
MAX_BYTES = 20 * 1024 * 1024
MAX_WORDS = 50_000


class IngestError(RagError):
    """An article file that cannot be ingested; the message names file and reason."""


def decode(data: bytes, name: str) -> str:
    """Bytes -> text: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252 or Latin-1."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as err:
            raise IngestError(f"{name}: starts with a UTF-16 BOM but is not valid UTF-16 ({err.reason})") from None
    if b"\x00" in data:
        raise IngestError(f"{name}: binary file (contains NUL bytes), not an article")
    for encoding in ("utf-8-sig", "cp1252"):  # cp1252: Latin-1 plus the curly quotes Windows puts in 0x80-0x9f
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def read_article(path: Path, folder: Path | None = None) -> Article:
    """Read one article file; raises ``IngestError`` naming the file and reason.

    The article id is the file's path inside ``folder`` without its suffix
    (``week-27/storm`` for ``folder/week-27/storm.md``; just the stem without a folder).
    """
    name = path.relative_to(folder).as_posix() if folder else path.name
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise IngestError(f"{name}: unsupported file type (use {', '.join(FORMATS)})")
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise IngestError(f"{name}: too large ({size:,} bytes; limit {MAX_BYTES:,})")
        data = path.read_bytes()
    except OSError as err:
        raise IngestError(f"{name}: cannot read ({err.strerror or err})") from None
    article_id = name[: -len(path.suffix)] if path.suffix else name
    try:
        if suffix == ".pdf":
            article = parse_pdf(data, article_id, str(path))
        elif suffix in HTML_SUFFIXES:
            article = parse_html(decode(data, name), article_id, str(path))
        else:
            article = parse_article(decode(data, name), article_id, str(path))
    except ExtractError as err:
        raise IngestError(f"{name}: {err}") from None
    if not article.paragraphs:
        raise IngestError(f"{name}: no paragraphs after the title lines")
    check_length(article, name)
    return article


def check_length(article: Article, name: str) -> None:
    """Refuse an article too long to embed in reasonable time (see the module docstring)."""
    n = sum(len(p.text.split()) for p in article.paragraphs)
    if n > MAX_WORDS:
        raise IngestError(f"{name}: too long ({n:,} words; limit {MAX_WORDS:,}): split it into several articles")


def article_files(folder: Path) -> list[Path]:
    """Every file under ``folder``, recursively, sorted; hidden files and folders are left out."""
    if not folder.is_dir():
        raise IngestError(f"{folder}: articles folder not found")
    try:
        paths = [p for p in folder.rglob("*") if p.is_file()]
    except OSError as err:
        raise IngestError(f"{folder}: cannot list the articles folder ({err.strerror or err})") from None
    return sorted(p for p in paths if not any(part.startswith(".") for part in p.relative_to(folder).parts))


def folder_state(folder: Path) -> dict[str, list[int]]:
    """Every article file under ``folder`` -> [size, modification time in ns]: what a change would move."""
    state = {}
    for path in article_files(folder):
        try:
            st = path.stat()
        except OSError:  # removed meanwhile: it is simply not there
            continue
        state[path.relative_to(folder).as_posix()] = [st.st_size, st.st_mtime_ns]
    return state


def load_articles(
    folder: Path, known: dict[str, tuple[tuple[int, int], Article]] | None = None
) -> tuple[list[Article], list[str]]:
    """All articles under ``folder`` (sorted by path) and one error line per refused file.

    Of files with the same title and paragraphs only the oldest is kept.
    ``known`` (kept by a long-running process between calls) maps a file to
    the size and modification time it had when it was read, and its article:
    a file that still has them is not read again, so adding one article to
    an archive of a thousand reads one file.
    """
    found: list[tuple[float, str, Article]] = []
    errors: list[str] = []
    for path in article_files(folder):
        name = path.relative_to(folder).as_posix()
        try:
            st = path.stat()  # before reading: an edit made while it is read shows up next time
            stamp = (st.st_size, st.st_mtime_ns)
            cached = known.get(name) if known is not None else None
            article = cached[1] if cached is not None and cached[0] == stamp else read_article(path, folder)
            if known is not None:
                known[name] = (stamp, article)
            found.append((st.st_mtime, name, article))
        except IngestError as err:
            errors.append(str(err))
        except OSError as err:  # removed between listing and stat
            errors.append(f"{name}: cannot read ({err.strerror or err})")
    kept: dict[tuple[str, ...], str] = {}
    articles: list[tuple[str, Article]] = []
    for _, name, article in sorted(found, key=lambda f: (f[0], f[1])):
        key = (article.title, *(p.text for p in article.paragraphs))
        if key in kept:
            errors.append(f"{name}: same text as {kept[key]}; skipped")
            continue
        kept[key] = name
        articles.append((name, article))
    return [a for _, a in sorted(articles, key=lambda item: item[0])], errors
