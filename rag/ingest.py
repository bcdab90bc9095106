"""Ingest: article files -> ``Article`` records with recovered paragraphs.

Scraped news text often lost its paragraph breaks, leaving sentences glued
together ("...its western neighbor.On Saturday, Iraqi..."). A sentence end
followed *immediately* (no space) by a capital letter or an opening quote is
taken as a lost paragraph break; abbreviations and initials ("U.S.", "Mr.")
and decimals are not. Newlines are breaks too.

The first lines of a file are metadata, not answerable paragraphs: the title,
then optionally a subtitle and a byline ("By SETH J. FRANTZMAN"). Without a
byline only the first line is taken as the title, since a lone second line is
as likely to be body text.

Trade-off: heuristics, not a model. They are cheap, deterministic (paragraph
ids must survive re-indexing) and tested on the seed article.

Hostile files (tests/test_hostile.py) are refused one by one, each with a
one-line reason naming the file, and the rest of the folder still indexes:

- Encoding: UTF-8 (BOM or not), UTF-16 with a BOM, else Windows-1252 /
  Latin-1, which decode any bytes. NUL bytes without a UTF-16 BOM mean a
  binary file; a UTF-16 BOM followed by invalid UTF-16 is refused.
- Control characters (C0/C1, e.g. terminal escape sequences) are dropped:
  ``rag ask`` prints paragraphs to a terminal.
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

import hashlib
import re
from pathlib import Path

from rag.errors import RagError
from rag.records import Article, Paragraph
from rag.text import is_abbreviation

SUFFIXES = (".txt", ".md")
MAX_BYTES = 20 * 1024 * 1024
MAX_WORDS = 50_000

# A sentence end, an optional closing quote/bracket, then (looking ahead) an
# optional opening quote and a capital letter, with no space in between.
_GLUED = re.compile(r"([.!?])([\"”’)\]]?)(?=[\"“‘]?[A-Z])")
_BYLINE = re.compile(r"^by\s+\S", re.IGNORECASE)
# C0 and C1 control characters except tab, newline and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class IngestError(RagError):
    """An article file that cannot be ingested; the message names file and reason."""


def split_glued(line: str) -> list[str]:
    """Split one line at glued sentence ends.

    >>> split_glued('in its neighbor.On Saturday, Iraq."Some said.He left.')
    ['in its neighbor.', 'On Saturday, Iraq.', '"Some said.', 'He left.']
    """
    parts: list[str] = []
    start = 0
    for m in _GLUED.finditer(line):
        if m.group(1) == "." and is_abbreviation(line, m.start(1)):
            continue
        cut = m.end()
        # A straight quote is closing only if the paragraph so far has an odd
        # number of them; otherwise it opens the next paragraph.
        if m.group(2) == '"' and line.count('"', start, m.start(2)) % 2 == 0:
            cut = m.start(2)
        parts.append(line[start:cut])
        start = cut
    parts.append(line[start:])
    return [p.strip() for p in parts if p.strip()]


def recover_paragraphs(text: str) -> list[str]:
    """Body text -> paragraphs, using newlines and glued sentence ends."""
    out: list[str] = []
    for line in text.splitlines():
        out.extend(split_glued(line.strip()))
    return out


def split_metadata(lines: list[str]) -> tuple[str, str, str, list[str]]:
    """(title, subtitle, byline, body lines) from an article's non-empty lines."""
    lines = [ln.strip().lstrip("#").strip() if i < 3 else ln for i, ln in enumerate(lines)]
    title = lines[0] if lines else ""
    for i in (1, 2):
        if i < len(lines) and _BYLINE.match(lines[i]) and len(lines[i]) < 120:
            subtitle = lines[1] if i == 2 else ""
            return title, subtitle, lines[i], lines[i + 1 :]
    return title, "", "", lines[1:]


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


def parse_article(text: str, article_id: str, source: str = "") -> Article:
    """Article text (title line first) -> ``Article``; control characters are dropped."""
    text = _CONTROL.sub("", text.replace("\r\n", "\n"))
    lines = [ln for ln in text.split("\n") if ln.strip()]
    title, subtitle, byline, body = split_metadata(lines)
    paragraphs = tuple(
        Paragraph(id=f"{article_id}:{n}", article_id=article_id, article_title=title, number=n, text=p)
        for n, p in enumerate(recover_paragraphs("\n".join(body)), start=1)
    )
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Article(
        id=article_id,
        title=title,
        paragraphs=paragraphs,
        subtitle=subtitle,
        byline=byline,
        source=source,
        sha256=digest,
    )


def read_article(path: Path) -> Article:
    """Read one article file; raises ``IngestError`` naming the file and reason."""
    if path.suffix.lower() not in SUFFIXES:
        raise IngestError(f"{path.name}: unsupported file type (use {', '.join(SUFFIXES)})")
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise IngestError(f"{path.name}: too large ({size:,} bytes; limit {MAX_BYTES:,})")
        data = path.read_bytes()
    except OSError as err:
        raise IngestError(f"{path.name}: cannot read ({err.strerror or err})") from None
    article = parse_article(decode(data, path.name), path.stem, str(path))
    if not article.paragraphs:
        raise IngestError(f"{path.name}: no paragraphs after the title lines")
    check_length(article, path.name)
    return article


def check_length(article: Article, name: str) -> None:
    """Refuse an article too long to embed in reasonable time (see the module docstring)."""
    n = sum(len(p.text.split()) for p in article.paragraphs)
    if n > MAX_WORDS:
        raise IngestError(f"{name}: too long ({n:,} words; limit {MAX_WORDS:,}): split it into several articles")


def load_articles(folder: Path) -> tuple[list[Article], list[str]]:
    """All articles in ``folder`` (sorted by name) and one error line per refused file.

    Of files with the same title and paragraphs only the oldest is kept.
    """
    if not folder.is_dir():
        raise IngestError(f"{folder}: articles folder not found")
    try:
        paths = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    except OSError as err:
        raise IngestError(f"{folder}: cannot list the articles folder ({err.strerror or err})") from None
    found: list[tuple[float, Path, Article]] = []
    errors: list[str] = []
    for path in paths:
        try:
            article = read_article(path)
            found.append((path.stat().st_mtime, path, article))
        except IngestError as err:
            errors.append(str(err))
        except OSError as err:  # removed between listing and stat
            errors.append(f"{path.name}: cannot read ({err.strerror or err})")
    kept: dict[tuple[str, ...], Path] = {}
    articles: list[Article] = []
    for _, path, article in sorted(found, key=lambda f: (f[0], f[1].name)):
        key = (article.title, *(p.text for p in article.paragraphs))
        if key in kept:
            errors.append(f"{path.name}: same text as {kept[key].name}; skipped")
            continue
        kept[key] = path
        articles.append(article)
    articles.sort(key=lambda a: Path(a.source).name)
    return articles, errors
