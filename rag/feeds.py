"""Feeds: the entries of an RSS or Atom feed, and the feeds the articles folder remembers for ``rag watch``.

Feeds are parsed by ``feedparser`` from the bytes ``rag.download`` fetched
(it never fetches by itself here: it is handed a stream, since it takes a
``bytes`` or ``str`` argument for a file name or URL when it can). An entry's
link is made absolute against the feed's own URL; the articles behind the
entries are fetched by ``rag.fetch``, one by one.

``rag add --feed URL`` remembers the feed in the folder's hidden ``.feeds``
file, one URL a line, kept as the user wrote it (comments included), so that
``rag watch`` and the web page's timer can read it again.

Trade-offs: at most ``MAX_FEED_ENTRIES`` entries of a feed are read (a feed
is read for what is new; a 10,000-entry dump is not 10,000 fetches), and the
rest is only counted. An entry's title is kept for messages only: the
article's own page is what is stored.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

from rag.articles import canonical_url
from rag.download import FEED_TYPES, FetchError, fetch
from rag.folder import ArticleError, replace_whole
from rag.settings import Settings

MAX_FEED_ENTRIES = 100  # a feed is read for what is new; a 10,000-entry dump is not 10,000 fetches
FEEDS_FILE = ".feeds"  # the remembered feeds, one URL a line; hidden, so never read as an article


@dataclass(frozen=True, kw_only=True)
class FeedEntry:
    link: str  # absolute; "" when the entry has none
    title: str


@dataclass(frozen=True, kw_only=True)
class Feed:
    url: str
    entries: tuple[FeedEntry, ...]
    unread: int = 0  # entries past MAX_FEED_ENTRIES


def read_feed(url: str, settings: Settings) -> Feed:
    """The entries of an RSS or Atom feed (links made absolute against the feed's URL)."""
    import feedparser

    fetched = fetch(url, settings, FEED_TYPES, "feed")
    content_type = fetched.media_type + (f"; charset={fetched.charset}" if fetched.charset else "")
    # A stream, not the bytes: feedparser would try bytes as a file name (and a str as a URL) first.
    parsed = feedparser.parse(
        io.BytesIO(fetched.data), response_headers={"content-location": fetched.url, "content-type": content_type}
    )
    if not parsed.entries and (parsed.get("bozo") or not parsed.get("version")):
        why = parsed.get("bozo_exception") or "no RSS or Atom in it"
        raise FetchError(f"{url}: not a readable feed ({str(why).splitlines()[0] if str(why) else why})")
    entries = []
    for entry in parsed.entries[:MAX_FEED_ENTRIES]:
        link = _entry_link(entry)
        title = " ".join(str(entry.get("title") or "").split())
        entries.append(FeedEntry(link=urljoin(fetched.url, link) if link else "", title=title))
    return Feed(url=fetched.url, entries=tuple(entries), unread=max(0, len(parsed.entries) - MAX_FEED_ENTRIES))


def _entry_link(entry: dict) -> str:
    """The address of an entry's article: its ``<link>`` (the alternate one first), else an id that
    is an http(s) URL (an RSS permalink ``<guid>``); feedparser also offers an ``urn:`` id as the link."""
    links = [link for link in entry.get("links") or [] if str(link.get("href") or "").strip()]
    alternate = [link for link in links if link.get("rel", "alternate") == "alternate"]
    if alternate or links:
        return str((alternate or links)[0]["href"]).strip()
    guid = str(entry.get("link") or "").strip() if entry.get("guidislink") else ""
    return guid if guid.lower().startswith(("http://", "https://")) else ""


def remembered_feeds(folder: Path) -> list[str]:
    """The feeds ``rag add --feed`` remembered in ``folder/.feeds`` (blank lines and ``#`` comments left out)."""
    path = folder / FEEDS_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as err:
        raise ArticleError(f"cannot read the remembered feeds in {path} ({err})") from None
    lines = (line.strip() for line in text.splitlines())
    return list(dict.fromkeys(line for line in lines if line and not line.startswith("#")))


def remember_feed(folder: Path, url: str) -> bool:
    """Add ``url`` to ``folder/.feeds`` (kept as the user wrote it, comments included); False if already there."""
    if canonical_url(url) in {canonical_url(f) for f in remembered_feeds(folder)}:
        return False
    path = folder.resolve() / FEEDS_FILE
    try:
        old = path.read_bytes() if path.exists() else b""
        replace_whole(path, old + (b"\n" if old and not old.endswith(b"\n") else b"") + url.encode("utf-8") + b"\n")
    except OSError as err:
        raise ArticleError(f"cannot remember the feed in {path} ({err.strerror or err})") from None
    return True
