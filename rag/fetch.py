"""Fetch: ``rag add`` and ``rag watch``: web pages, feeds' articles and files into the archive, one outcome each.

``add_url``, ``add_feed``, ``add_file`` and ``watch_round`` return one
``Outcome`` per item, for one line of output; an item that fails (a page
that cannot be fetched or read, a feed entry without a link) is reported and
the others go on. The fetching itself, bounded and refusing private
addresses, is ``rag.download``; reading feeds, ``rag.feeds``; storing,
``rag.articles``. A page's ``source`` is the URL it was actually fetched from
(after redirects), never the canonical URL the page claims for itself.

Trade-offs: a feed entry already in the archive is not fetched again (``rag
watch`` re-reads feeds often); ``rag add URL`` always fetches, and replaces a
story whose text changed. The date of fetching is never an article's
``date``; it is only the ``updated`` date of a changed story whose page
gives no newer date of its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from rag import articles, feeds
from rag.download import PAGE_TYPES, PDF_TYPES, Fetched, fetch
from rag.errors import RagError
from rag.extract import Extracted, from_html, modified_date
from rag.folder import ArticleError
from rag.ingest import MAX_BYTES
from rag.settings import Settings

ALREADY = "already in the archive"


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """What ``rag add`` did with one item (a URL, a feed entry, a file), for one line of output."""

    status: str  # "added", "updated" (a story whose text changed), "skipped" or "failed"
    item: str  # the URL or file as given
    path: Path | None = None
    title: str = ""
    date: str = ""
    outlet: str = ""
    updated: str = ""
    reason: str = ""

    @property
    def changed(self) -> bool:
        return self.status in ("added", "updated")

    @property
    def known(self) -> bool:
        """Skipped because the archive already has it (not news to ``rag watch``)."""
        return self.status == "skipped" and self.reason == ALREADY


def read_page(fetched: Fetched) -> Extracted:
    """A fetched web page's text and metadata, its ``url`` the one it was fetched from."""
    page = from_html(fetched.text(), fetched.url)  # ExtractError names the URL
    return replace(page, url=fetched.url)  # where it came from, not the canonical URL the page claims


def add_url(url: str, settings: Settings, archive: articles.Archive) -> Outcome:
    """Fetch one article (a web page or a PDF) into the archive, or say why not."""
    try:
        fetched = fetch(url, settings, PAGE_TYPES | PDF_TYPES)
        if fetched.media_type in PDF_TYPES:
            name = f"{Path(urlsplit(fetched.url).path).stem or 'document'}.pdf"
            return _add_bytes(url, fetched.data, name, "", archive)
        page = read_page(fetched)
        body = articles.page_body(page)
        same = archive.by_text(body) if body else None  # an empty text is refused by save_page
        if same is not None:
            return Outcome(status="skipped", item=url, path=same, reason=ALREADY)
        older = archive.by_url(url, fetched.url)
        if older is not None:  # the same story, its text changed: the newer version replaces the file
            page = replace(page, updated=_updated(fetched, page, archive.meta.get(older)))
        stored = articles.save_page(archive.folder, page, replace=older)
    except RagError as err:  # FetchError, ExtractError, ArticleError: this item fails, the next goes on
        return _failed(url, err)
    archive.note(stored.path)
    return _stored("added" if older is None else "updated", url, stored)


def _updated(fetched: Fetched, page: Extracted, before: Extracted | None) -> str:
    """When a changed story changed: the page's own modified date if it is newer than what was
    known (its publication date, the last update seen), else today: the one place the date of
    fetching is used, and never as the article's ``date``."""
    modified = modified_date(fetched.text())
    known = max(page.date, before.updated if before else "", before.date if before else "")
    return modified if modified > known else dt.date.today().isoformat()


def add_feed(url: str, settings: Settings, archive: articles.Archive, remember: bool = True) -> Iterator[Outcome]:
    """The articles of a feed's entries, one ``Outcome`` each as it is done; entries already in are not fetched.

    With ``remember`` the feed goes into the folder's ``.feeds`` for ``rag watch`` (once it was read).
    """
    try:
        feed = feeds.read_feed(url, settings)
        if remember:
            feeds.remember_feed(archive.folder, url)
    except RagError as err:
        yield _failed(url, err)
        return
    for n, entry in enumerate(feed.entries, start=1):
        if not entry.link:
            named = f"{url} (entry {n}{f', {entry.title!r}' if entry.title else ''})"
            yield Outcome(status="skipped", item=named, reason="the entry has no link")
            continue
        known = archive.by_url(entry.link)
        if known is not None:
            yield Outcome(status="skipped", item=entry.link, path=known, reason=ALREADY)
            continue
        yield add_url(entry.link, settings, archive)
    if feed.unread:
        reason = f"{feed.unread} older entries not read (at most {feeds.MAX_FEED_ENTRIES} a feed)"
        yield Outcome(status="skipped", item=url, reason=reason)


def watch_round(folder: Path, settings: Settings) -> Iterator[Outcome]:
    """One round of ``rag watch`` (and of the web page's feed watching): the new entries of every remembered feed."""
    remembered = feeds.remembered_feeds(folder)
    if not remembered:
        where = folder / feeds.FEEDS_FILE
        raise ArticleError(f"no feeds to watch in {where}: add one with rag add --feed URL")
    archive = articles.Archive.scan(folder)  # read again each round: files may have come or gone meanwhile
    for feed in remembered:
        yield from add_feed(feed, settings, archive, remember=False)


def add_file(name: str, archive: articles.Archive) -> Outcome:
    """Copy a local article file into the archive (unless the same bytes are already there)."""
    path = Path(name).expanduser()
    try:
        if not path.is_file():
            raise ArticleError(f"{name}: no such file" if not path.exists() else f"{name}: not a file")
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ArticleError(f"{name}: too large ({size:,} bytes; limit {MAX_BYTES:,})")
        data = path.read_bytes()
    except OSError as err:
        return Outcome(status="failed", item=name, reason=f"cannot read ({err.strerror or err})")
    except RagError as err:
        return _failed(name, err)
    return _add_bytes(name, data, path.name, "", archive)


def _add_bytes(item: str, data: bytes, name: str, stem: str, archive: articles.Archive) -> Outcome:
    same = archive.by_bytes(data)
    if same is not None:
        return Outcome(status="skipped", item=item, path=same, reason=ALREADY)
    try:
        stored = articles.import_file(archive.folder, data, name, stem)
    except RagError as err:
        return _failed(item, err)
    archive.note(stored.path)
    return _stored("added", item, stored)


def _stored(status: str, item: str, stored: articles.Stored) -> Outcome:
    return Outcome(
        status=status,
        item=item,
        path=stored.path,
        title=stored.title,
        date=stored.date,
        outlet=stored.outlet,
        updated=stored.updated,
    )


def _failed(item: str, err: RagError) -> Outcome:
    """A failure, its reason without the item's name in front (the line names it already)."""
    reason = str(err)
    for prefix in (f"{item}: ", f"{Path(item).name}: "):
        reason = reason.removeprefix(prefix)
    return Outcome(status="failed", item=item, reason=reason)
