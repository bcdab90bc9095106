"""The article file store: adding and removing article files in the articles folder, safely.

The web page's paste, upload and remove go through here. Everything here
handles text a stranger typed or uploaded, so:

- the file name is derived, never taken: the title (or the uploaded name) is
  reduced to ``[a-z0-9-]``, capped in length, and the final path is checked
  to sit directly inside the articles folder, so ``../../etc/passwd``,
  absolute paths, hidden names and Windows separators all land as an ordinary
  file there (and a name is never reused for different text);
- HTML is turned into plain text with the stdlib ``html.parser``: tags are
  dropped, ``<script>``/``<style>`` bodies skipped, block elements become
  line breaks (ingest reads lines as paragraphs), the ``<title>`` or first
  ``<h1>`` becomes the article title. Nothing is rendered or executed;
- an article is checked with the same parser (and length limit) the index
  uses before it is written, so a file that would be refused at indexing is
  refused here with the reason, and never half-added; a copy of an article
  already there under another name is refused at indexing (``rag.ingest``)
  and the UI then removes the file again.

Trade-off: ``html.parser`` is lenient and dependency-free but knows no
article structure (menus and footers of a saved web page come along as
paragraphs); pasting the article text gives cleaner paragraphs.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from rag.errors import RagError
from rag.ingest import MAX_BYTES, SUFFIXES, IngestError, check_length, decode, parse_article

HTML_SUFFIXES = (".html", ".htm")
UPLOAD_SUFFIXES = SUFFIXES + HTML_SUFFIXES
MAX_NAME = 60


class ArticleError(RagError):
    """The article cannot be added or removed; the message says why, for the user."""


@dataclass(frozen=True, kw_only=True)
class Saved:
    path: Path
    title: str
    paragraphs: int
    existed: bool  # the same text was already there under this name


def safe_stem(name: str) -> str:
    """A file stem that is safe on any filesystem and cannot name another folder.

    >>> safe_stem("../../etc/passwd"), safe_stem("Iran slams US & Israel!"), safe_stem("..."), safe_stem("C:\\\\x.txt")
    ('etc-passwd', 'iran-slams-us-israel', 'article', 'c-x-txt')
    """
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:MAX_NAME].strip("-")
    return stem or "article"


class _TextExtractor(HTMLParser):
    """Collects visible text; block-level tags end a line."""

    BLOCKS = frozenset(
        "p div br li ul ol h1 h2 h3 h4 h5 h6 tr table section article header footer blockquote pre hr title".split()
    )
    SKIP = frozenset({"script", "style", "noscript", "template", "svg", "iframe", "object"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = [""]
        self.title = ""
        self.h1 = ""
        self._skip = 0
        self._in: str | None = None  # "title" or "h1" while inside one

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title" or (tag == "h1" and not self.h1):
            self._in = tag
        if tag in self.SKIP:
            self._skip += 1
        elif tag in self.BLOCKS:
            self.lines.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            self._in = None
        if tag in self.SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in self.BLOCKS:
            self.lines.append("")

    def handle_data(self, data: str) -> None:
        if self._skip:  # checked first: a <script> inside the <title> must not become the title
            return
        if self._in == "title":  # the <title> names the page; it is not body text
            self.title += data
            return
        if self._in == "h1":
            self.h1 += data
        self.lines[-1] += data


def html_to_text(markup: str) -> str:
    """HTML -> article text: title line first, then one paragraph per line.

    >>> print(html_to_text("<html><head><title>T</title><script>alert(1)</script></head>"
    ...                    "<body><h1>Big news</h1><p>One &amp; two.</p><p>Three<br>four</p></body></html>"))
    Big news
    One & two.
    Three
    four
    """
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    lines = [" ".join(line.split()) for line in parser.lines]
    lines = [line for line in lines if line]
    title = " ".join(parser.h1.split()) or " ".join(parser.title.split())
    if title and (not lines or lines[0] != title):
        lines.insert(0, title)
    return "\n".join(lines)


def upload_text(filename: str, data: bytes) -> str:
    """The article text of an uploaded file (.txt/.md as is, .html converted)."""
    suffix = Path(filename).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise ArticleError(f"{Path(filename).name}: unsupported file type (use {', '.join(UPLOAD_SUFFIXES)})")
    if len(data) > MAX_BYTES:
        raise ArticleError(f"{Path(filename).name}: too large ({len(data):,} bytes; limit {MAX_BYTES:,})")
    try:
        text = decode(data, Path(filename).name)
    except IngestError as err:
        raise ArticleError(str(err)) from None
    return html_to_text(text) if suffix in HTML_SUFFIXES else text


def save_article(folder: Path, text: str, title: str = "", name: str = "", suffix: str = ".txt") -> Saved:
    """Write an article into ``folder`` under a safe, unused name; nothing is written if it is refused.

    ``title``, if given, becomes the first line (the ingest format); ``name``
    (e.g. the uploaded file name) is preferred over the title for the file name.
    """
    text = text.replace("\r\n", "\n").strip()
    title = " ".join(title.split())
    if title:
        text = f"{title}\n{text}"
    if not text:
        raise ArticleError("the article is empty")
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise ArticleError(f"the article is too large (limit {MAX_BYTES:,} bytes)")
    if suffix not in SUFFIXES:
        suffix = ".txt"
    first_line = text.split("\n", 1)[0]
    stem = safe_stem(Path(name).stem if name else first_line)
    article = parse_article(text + "\n", stem)
    if not article.paragraphs:
        raise ArticleError("no paragraphs: the first line is the title, the text must follow on the next lines")
    try:
        check_length(article, f"{stem}{suffix}")
    except IngestError as err:
        raise ArticleError(str(err)) from None
    folder = folder.resolve()
    data = (text + "\n").encode("utf-8")
    try:
        return _write_new(folder, stem, suffix, data, article.title, len(article.paragraphs))
    except OSError as err:  # disk full, read-only folder
        raise ArticleError(f"cannot save the article in {folder} ({err.strerror or err})") from None


def _write_new(folder: Path, stem: str, suffix: str, data: bytes, title: str, paragraphs: int) -> Saved:
    """Write ``data`` under the first free name ``stem``, ``stem-2``, ... (or find it already there)."""
    for n in range(1, 1000):
        path = folder / f"{stem if n == 1 else f'{stem}-{n}'}{suffix}"
        if path.resolve().parent != folder:  # cannot happen with safe_stem; kept as the last line of defence
            raise ArticleError("refused: the file name would leave the articles folder")
        if path.exists():
            if hashlib.sha256(path.read_bytes()).digest() == hashlib.sha256(data).digest():
                return Saved(path=path, title=title, paragraphs=paragraphs, existed=True)
            continue
        try:
            with path.open("xb") as f:  # "x": never overwrite a file that appeared meanwhile
                f.write(data)
        except FileExistsError:
            continue
        return Saved(path=path, title=title, paragraphs=paragraphs, existed=False)
    raise ArticleError(f"too many articles named {stem!r}")


def article_path(folder: Path, source: str) -> Path:
    """The file of an indexed article, refusing anything outside ``folder``."""
    folder = folder.resolve()
    path = Path(source)
    path = (path if path.is_absolute() else folder / path).resolve()
    if path.parent != folder:
        raise ArticleError(f"refused: {path.name} is not in the articles folder")
    return path


def remove_article(folder: Path, source: str) -> Path:
    """Delete an article file (by its indexed ``source`` path) from ``folder``."""
    path = article_path(folder, source)
    try:
        path.unlink()
    except FileNotFoundError:
        raise ArticleError(f"{path.name} was already removed") from None
    except OSError as err:
        raise ArticleError(f"cannot remove {path.name} ({err.strerror or err})") from None
    return path
