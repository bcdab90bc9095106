"""Articles: adding and removing article files, each checked first, and recognising what the folder holds.

The web page's paste, upload, fetch and remove go through here. Everything here
handles text a stranger typed or uploaded (the file names and the writing
itself are ``rag.folder``'s: derived names, never outside the folder, whole or
not at all), so:

- an uploaded web page or PDF is kept as it came (``import_file``): the index
  reads a page for its main text with ``trafilatura`` (scripts, templates
  and other never-shown elements dropped first: ``rag.extract``) and a PDF
  with ``pypdf``. Nothing is rendered or executed;
- an article is checked with the same parser (and length limit) the index
  uses before it is written, so a file that would be refused at indexing is
  refused here with the reason, and never half-added; a copy of an article
  already there under another name is refused at indexing (``rag.ingest``)
  and the UI then removes the file again.

``rag add`` and ``rag watch`` (``rag.fetch``) grow the archive through the
functions at the end: a fetched page is stored as Markdown with front matter
(``save_page``), a file as a copy (``import_file``), and a story already there
(same source URL or same text, anywhere under the folder; a file with the
same bytes) is recognised by ``Archive``.

Trade-off: a file is parsed twice, here and again by the index, so that a
refusal comes before anything is written rather than at the next refresh.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from rag.extract import Extracted, ExtractError, split_front_matter, to_markdown
from rag.folder import ArticleError, article_path, create_whole, replace_whole, safe_stem, write_new
from rag.ingest import FORMATS, HTML_SUFFIXES, MAX_BYTES, SUFFIXES, IngestError, article_files, check_length, decode
from rag.parse import parse_article, parse_html, parse_pdf


@dataclass(frozen=True, kw_only=True)
class Saved:
    path: Path
    title: str
    paragraphs: int
    existed: bool  # the same text was already there under this name


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
        path, existed = write_new(folder, stem, suffix, data)
    except OSError as err:  # disk full, read-only folder
        raise ArticleError(f"cannot save the article in {folder} ({err.strerror or err})") from None
    return Saved(path=path, title=article.title, paragraphs=len(article.paragraphs), existed=existed)


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


# --- The archive that ``rag add`` and ``rag watch`` grow (the fetching is ``rag.fetch``) -------------
#
# A fetched page is stored as Markdown with YAML front matter (``rag.extract.to_markdown``), so its
# title, authors, date, outlet and source URL travel with the file. A story is recognised as already
# there by its source URL (in any ``.md``/``.txt`` file's front matter, anywhere under the folder) or
# by its text; a file by its bytes. Every file is written whole or not at all (``rag.folder``): a new
# article under a free name, a story whose text changed over its older version.

_FRONT_MATTER_SUFFIXES = (".md", ".txt")


@dataclass(frozen=True, kw_only=True)
class Stored:
    """An article file written into the archive, with what it says about itself."""

    path: Path
    title: str
    date: str = ""
    outlet: str = ""
    updated: str = ""


def canonical_url(url: str) -> str:
    """The form two spellings of one page's URL share: scheme and host lower-cased, default port and fragment dropped.

    >>> canonical_url("HTTPS://Example-News.test:443/a/b.html?x=1#top"), canonical_url("http://x.test")
    ('https://example-news.test/a/b.html?x=1', 'http://x.test/')
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = parts.hostname or ""  # lower-cased, without user:password@
    if ":" in host:
        host = f"[{host}]"  # an IPv6 literal
    try:
        port = parts.port
    except ValueError:  # a port that is not a number: keep the URL's own spelling apart
        return url.strip()
    netloc = host if port in (None, {"http": 80, "https": 443}.get(scheme)) else f"{host}:{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def text_key(text: str) -> str:
    """A fingerprint of an article's text that ignores how it is wrapped and spaced."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


def page_body(page: Extracted) -> str:
    """The text a fetched page is stored with: without the headline repeated as its first paragraph."""
    blocks = [b.strip() for b in page.text.strip().split("\n\n") if b.strip()]
    if blocks and page.title and " ".join(blocks[0].split()) == page.title:
        blocks = blocks[1:]
    return "\n\n".join(blocks)


@dataclass
class Archive:
    """What the articles folder already holds: source URLs, texts and sizes of its files, to recognise a copy.

    Built by reading the folder once (``scan``); ``note`` adds a file written since, so one
    ``rag add`` never stores the same story twice even when a feed lists it twice.
    """

    folder: Path
    urls: dict[str, Path] = field(default_factory=dict)  # canonical source URL -> file
    texts: dict[str, Path] = field(default_factory=dict)  # text_key of the body -> file
    meta: dict[Path, Extracted] = field(default_factory=dict)  # front matter of each file that has one
    sizes: dict[int, list[Path]] = field(default_factory=dict)  # byte size -> files, to find identical copies

    @classmethod
    def scan(cls, folder: Path) -> Archive:
        archive = cls(folder=folder.resolve())
        for path in article_files(archive.folder):
            archive.note(path)
        return archive

    def note(self, path: Path) -> None:
        """Record one article file (read now: a file that cannot be read is the index's to report)."""
        try:
            size = path.stat().st_size
        except OSError:
            return
        same_size = self.sizes.setdefault(size, [])
        if path not in same_size:
            same_size.append(path)
        if path.suffix.lower() not in _FRONT_MATTER_SUFFIXES or size > MAX_BYTES:
            return
        try:
            meta, body = split_front_matter(decode(path.read_bytes(), path.name).replace("\r\n", "\n"))
        except (OSError, IngestError, ExtractError):
            return
        if meta is not None:
            self.meta[path] = meta
            if meta.url:
                self.urls[canonical_url(meta.url)] = path
        if body.strip():
            self.texts.setdefault(text_key(body), path)

    def by_url(self, *urls: str) -> Path | None:
        """The file whose front matter names one of ``urls`` as its source, if any."""
        return next((self.urls[k] for k in map(canonical_url, urls) if k in self.urls), None)

    def by_text(self, text: str) -> Path | None:
        return self.texts.get(text_key(text))

    def by_bytes(self, data: bytes) -> Path | None:
        """A file with exactly these bytes (only files of the same size are read)."""
        for path in self.sizes.get(len(data), []):
            try:
                if path.read_bytes() == data:
                    return path
            except OSError:
                continue
        return None


def save_page(folder: Path, page: Extracted, replace: Path | None = None) -> Stored:
    """Store a fetched page as Markdown with front matter: under a new safe name, or over ``replace``.

    ``replace`` is the older version of the same story (found by ``Archive.by_url``). The file is
    checked with the index's own parser first, so nothing the index would refuse is written.
    """
    page = dataclasses.replace(page, text=page_body(page))
    markdown = to_markdown(page)
    where = page.url or page.title or "the page"
    data = markdown.encode("utf-8")
    if len(data) > MAX_BYTES:
        raise ArticleError(f"{where}: the article is too large (limit {MAX_BYTES:,} bytes)")
    stem = safe_stem(page.title or Path(urlsplit(page.url).path).stem)
    article = parse_article(markdown, stem)
    if not article.paragraphs:
        raise ArticleError(f"{where}: no article text in the page")
    try:
        check_length(article, where)
    except IngestError as err:
        raise ArticleError(str(err)) from None
    folder = folder.resolve()
    try:
        if replace is None:
            path = create_whole(folder, stem, ".md", data)
        else:
            path = replace.resolve()
            if not path.is_relative_to(folder) or path.name.startswith("."):
                raise ArticleError(f"refused: {path} is not an article in the articles folder")
            replace_whole(path, data)
    except OSError as err:  # disk full, read-only folder
        raise ArticleError(f"cannot save the article in {folder} ({err.strerror or err})") from None
    return Stored(path=path, title=article.title, date=page.date, outlet=page.outlet, updated=page.updated)


def import_file(folder: Path, data: bytes, name: str, stem: str = "") -> Stored:
    """Copy an article file's bytes (any format the index reads) into ``folder`` under a safe, unused name.

    ``name`` is the file name the bytes had (for its type and the messages); ``stem``, if given,
    names the copy instead. The bytes are read with the index's own parser first, so a file the
    index would refuse is refused here with the reason, and nothing is written.
    """
    suffix = Path(name).suffix.lower()
    if suffix not in FORMATS:
        raise ArticleError(f"{name}: unsupported file type (use {', '.join(FORMATS)})")
    if len(data) > MAX_BYTES:
        raise ArticleError(f"{name}: too large ({len(data):,} bytes; limit {MAX_BYTES:,})")
    stem = safe_stem(stem or Path(name).stem)
    try:
        if suffix == ".pdf":
            article = parse_pdf(data, stem)
        elif suffix in HTML_SUFFIXES:
            article = parse_html(decode(data, name), stem)
        else:
            article = parse_article(decode(data, name), stem)
        if not article.paragraphs:
            raise ArticleError(f"{name}: no paragraphs after the title lines")
        check_length(article, name)
    except ExtractError as err:
        raise ArticleError(f"{name}: {err}") from None
    except IngestError as err:
        raise ArticleError(str(err)) from None
    folder = folder.resolve()
    try:
        path = create_whole(folder, stem, suffix, data)
    except OSError as err:
        raise ArticleError(f"cannot save {name} in {folder} ({err.strerror or err})") from None
    return Stored(path=path, title=article.title, date=article.date, outlet=article.outlet)
