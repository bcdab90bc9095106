"""Fetch: news pages and feeds from the web, bounded and refusing private addresses, into the archive.

``rag add URL``, ``rag add --feed URL`` and ``rag watch`` come through here;
so, one day, may a URL a stranger types into the web page. A fetch is
therefore bounded and suspicious:

- only ``http``/``https``; at most ``MAX_REDIRECTS`` redirects, followed by
  hand so that every hop is checked like the first (a loop is named as one);
- the host name is resolved here and every address it resolves to is
  checked: loopback, private, link-local, multicast, reserved, unspecified
  (and IPv4 hidden in IPv6) are refused unless ``allow_private_urls``, so a
  public server running this cannot be made to read its own network (cloud
  metadata at 169.254.169.254, an admin page on 127.0.0.1). The connection
  then goes to the checked address itself (the host name travels in the
  ``Host`` header and the TLS ``sni_hostname``, so certificates are still
  verified against the name): a name that resolves to a public address for
  the check and to 127.0.0.1 for the connection (DNS rebinding) gets nowhere;
- time: ``fetch_timeout`` bounds the connection and each read, and is also
  the deadline of the whole fetch, redirects included (checked between reads,
  so one stalled read can overrun it by at most one read timeout);
- size: the body is streamed and reading stops at ``fetch_max_bytes``; a
  compressed body is inflated here, never beyond the limit (a 50 KB gzip can
  inflate to 50 MB);
- the content type must be the one asked for (a web page, a feed, a PDF)
  before any of the body is read.

Feeds are parsed by ``feedparser`` from the fetched bytes (it never fetches by
itself here: it is handed a stream, since it takes a ``bytes`` or ``str``
argument for a file name or URL when it can). Each entry's article is then
fetched like any page; an entry without a link, or whose page fails, is
reported and the others go on.

The orchestration of ``rag add`` (``add_url``, ``add_feed``, ``add_file``)
lives here too and returns one ``Outcome`` per item; storing is
``rag.articles``. A page's ``source`` is the URL it was actually fetched from
(after redirects), never the canonical URL the page claims for itself.

Trade-offs: environment proxies are not used (``trust_env=False``): a proxy
would resolve names itself, beyond the address check. Connections are not
kept alive between requests, since one pinned to an address could be reused
for another host name at the same address. The name look-up itself is the
system resolver's and has its own timeout, not ``fetch_timeout``. A feed
entry already in the archive is not fetched again (``rag watch`` re-reads
feeds often); ``rag add URL`` always fetches, and replaces a story whose text
changed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import ipaddress
import re
import socket
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx

from rag import articles
from rag.errors import RagError
from rag.extract import Extracted, from_html, iso_date
from rag.ingest import MAX_BYTES, IngestError, decode
from rag.settings import Settings

MAX_REDIRECTS = 5
MAX_FEED_ENTRIES = 100  # a feed is read for what is new; a 10,000-entry dump is not 10,000 fetches
PAGE_TYPES = frozenset({"text/html", "application/xhtml+xml"})
PDF_TYPES = frozenset({"application/pdf"})
FEED_TYPES = frozenset(
    {"application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml", "text/xml"}
)
ALREADY = "already in the archive"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_HEADERS = {
    "User-Agent": "rag-news/0.1 (personal news archive)",
    "Accept-Encoding": "gzip, deflate",  # the two inflated here within the size limit
}
# lxml refuses a str that starts with an XML declaration (XHTML pages often do); it is only about bytes.
_XML_DECLARATION = re.compile(r"\A\s*<\?xml[^>]*\?>")


class FetchError(RagError):
    """A page or feed that cannot be fetched or read; the message names the URL and the reason."""


@dataclass(frozen=True, kw_only=True)
class Fetched:
    """A fetched body: where it finally came from, what it says it is, and its bytes."""

    url: str  # after redirects
    media_type: str
    charset: str
    data: bytes

    def text(self) -> str:
        """The body as text: in the charset the server named, else guessed like a file's."""
        if self.charset:
            try:
                return self.data.decode(self.charset, errors="replace")
            except LookupError:  # a charset Python does not know: guess as for a file
                pass
        try:
            return decode(self.data, self.url)
        except IngestError as err:
            raise FetchError(str(err)) from None


@dataclass(frozen=True, kw_only=True)
class FeedEntry:
    link: str  # absolute; "" when the entry has none
    title: str


@dataclass(frozen=True, kw_only=True)
class Feed:
    url: str
    entries: tuple[FeedEntry, ...]
    unread: int = 0  # entries past MAX_FEED_ENTRIES


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


# --- Fetching -------------------------------------------------------------------------------------


def fetch(url: str, settings: Settings, accept: frozenset[str], what: str = "web page") -> Fetched:
    """GET ``url`` within the limits of the module docstring; ``accept``: the media types wanted."""
    deadline = time.monotonic() + settings.fetch_timeout
    current = _checked_url(url, url)
    seen = {articles.canonical_url(str(current))}
    client = httpx.Client(
        headers=_HEADERS,
        follow_redirects=False,  # followed by hand: every hop is checked
        trust_env=False,
        limits=httpx.Limits(max_keepalive_connections=0),
    )
    with client:
        for _ in range(MAX_REDIRECTS + 1):
            with _open(client, current, settings, deadline, url) as response:
                location = response.headers.get("location", "")
                if response.status_code in _REDIRECTS and location:
                    target = _checked_url(urljoin(str(current), location), url)
                    key = articles.canonical_url(str(target))
                    if key in seen:
                        raise FetchError(f"{url}: redirect loop ({current} -> {target})")
                    seen.add(key)
                    current = target
                    continue
                if not 200 <= response.status_code < 300:
                    raise FetchError(f"{url}: HTTP {response.status_code} {response.reason_phrase}".rstrip())
                media_type, charset = _content_type(response.headers.get("content-type", ""))
                if media_type not in accept:
                    raise FetchError(f"{url}: not a {what} (content type {media_type or 'missing'})")
                data = _read_body(response, settings.fetch_max_bytes, deadline, url, settings.fetch_timeout)
                return Fetched(url=str(current), media_type=media_type, charset=charset, data=data)
    raise FetchError(f"{url}: too many redirects (more than {MAX_REDIRECTS})")


def _checked_url(url: str, shown: str) -> httpx.URL:
    """``url`` parsed, if it is an absolute http(s) URL with a host."""
    if not url or any(ch.isspace() or not ch.isprintable() for ch in url):
        raise FetchError(f"{shown}: not a valid URL (it contains spaces or control characters)")
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as err:
        raise FetchError(f"{shown}: not a valid URL ({err})") from None
    if parsed.scheme not in ("http", "https"):
        raise FetchError(f"{shown}: only http and https URLs are fetched (not {parsed.scheme or 'a relative URL'})")
    if not parsed.host:
        raise FetchError(f"{shown}: not a valid URL (no host name)")
    return parsed


def not_public(address: str) -> str:
    """Why an IP address is not a public one ("" when it is).

    >>> not_public("127.0.0.1"), not_public("::ffff:10.0.0.1"), not_public("169.254.169.254"), not_public("9.9.9.9")
    ('loopback', 'private', 'link-local', '')
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # without an IPv6 zone ("fe80::1%eth0")
    if isinstance(ip, ipaddress.IPv6Address):
        # IPv4 inside IPv6 reaches the IPv4 address: judge that one.
        inner = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if inner is not None and (ip.ipv4_mapped or not_public(str(inner))):
            return not_public(str(inner))
    checks = (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved),
        ("not public", not ip.is_global),  # e.g. 100.64.0.0/10, shared by carrier-grade NAT
    )
    return next((name for name, hit in checks if hit), "")


def _addresses(url: httpx.URL, settings: Settings, shown: str) -> list[str]:
    """Every address the URL's host resolves to; refused if any is not public (unless allowed)."""
    host = url.raw_host.decode("ascii")
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as err:  # socket.gaierror is an OSError
        raise FetchError(f"{shown}: cannot resolve {host} ({getattr(err, 'strerror', None) or err})") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not settings.allow_private_urls:
        via = "" if str(url) == shown else f" (redirected to {url})"
        for address in addresses:
            why = not_public(address)
            if why:
                raise FetchError(
                    f"{shown}: refused {why} address {address} of {host}{via}; set RAG_ALLOW_PRIVATE_URLS=1 to allow"
                )
    if not addresses:
        raise FetchError(f"{shown}: cannot resolve {host} (no addresses)")
    return addresses


@contextlib.contextmanager
def _open(
    client: httpx.Client, url: httpx.URL, settings: Settings, deadline: float, shown: str
) -> Iterator[httpx.Response]:
    """A streamed response for ``url``, connected to one of its checked addresses (tried in turn)."""
    failure = ""
    for address in _addresses(url, settings, shown):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchError(f"{shown}: timed out (no answer within {settings.fetch_timeout:g} s)")
        headers = {"Host": url.netloc.decode("ascii")}
        extensions = {"sni_hostname": url.raw_host.decode("ascii")} if url.scheme == "https" else {}
        try:
            request = client.build_request(
                "GET",
                url.copy_with(host=address.split("%", 1)[0]),
                headers=headers,
                extensions=extensions,
                timeout=httpx.Timeout(min(settings.fetch_timeout, remaining)),
            )
            response = client.send(request, stream=True)
        except httpx.ConnectError as err:  # this address does not answer: the next one may
            failure = str(err) or type(err).__name__
            continue
        except httpx.TimeoutException:
            raise FetchError(f"{shown}: timed out (no answer within {settings.fetch_timeout:g} s)") from None
        except (httpx.HTTPError, httpx.InvalidURL) as err:
            raise FetchError(f"{shown}: the request failed ({err or type(err).__name__})") from None
        try:
            yield response
        finally:
            response.close()
        return
    raise FetchError(f"{shown}: cannot connect to {url.host} ({failure})")


def _content_type(header: str) -> tuple[str, str]:
    """(media type, charset) of a Content-Type header.

    >>> _content_type('Text/HTML; charset="UTF-8"'), _content_type("")
    (('text/html', 'utf-8'), ('', ''))
    """
    media_type, *params = header.split(";")
    charset = ""
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip("\"'").lower()
    return media_type.strip().lower(), charset


def _read_body(response: httpx.Response, limit: int, deadline: float, shown: str, timeout: float) -> bytes:
    """The body, at most ``limit`` bytes after inflating, read before ``deadline``."""
    too_large = f"{shown}: too large (more than {limit:,} bytes, the RAG_FETCH_MAX_BYTES limit)"
    length = response.headers.get("content-length", "").strip()
    if length.isdigit() and int(length) > limit:  # said up front: nothing is read
        raise FetchError(f"{shown}: too large ({int(length):,} bytes; the RAG_FETCH_MAX_BYTES limit is {limit:,})")
    coding = response.headers.get("content-encoding", "").strip().lower()
    if coding in ("", "identity"):
        inflate = None
    elif coding in ("gzip", "x-gzip", "deflate"):
        inflate = zlib.decompressobj(32 + zlib.MAX_WBITS)  # 32: a gzip or a zlib header, told apart by zlib
    else:
        raise FetchError(f"{shown}: unsupported content encoding {coding!r}")
    body = bytearray()
    try:
        for chunk in response.iter_raw():
            if inflate is not None:
                # max_length: never inflate past the limit, whatever the ratio.
                chunk = inflate.decompress(chunk, limit + 1 - len(body))
            body += chunk
            if len(body) > limit:
                raise FetchError(too_large)
            if time.monotonic() > deadline:
                raise FetchError(f"{shown}: timed out (the page took more than {timeout:g} s)")
        if inflate is not None:
            body += inflate.flush()
            if len(body) > limit:
                raise FetchError(too_large)
    except httpx.TimeoutException:
        raise FetchError(f"{shown}: timed out (reading stalled for {timeout:g} s)") from None
    except httpx.HTTPError as err:
        raise FetchError(f"{shown}: the connection broke while reading ({err or type(err).__name__})") from None
    except zlib.error as err:
        raise FetchError(f"{shown}: the compressed body is corrupt ({err})") from None
    return bytes(body)


# --- Pages and feeds ------------------------------------------------------------------------------


def read_page(fetched: Fetched) -> Extracted:
    """A fetched web page's text and metadata, its ``url`` the one it was fetched from."""
    html = _XML_DECLARATION.sub("", fetched.text(), count=1)
    page = from_html(html, fetched.url)  # ExtractError names the URL
    return replace(page, url=fetched.url)  # where it came from, not the canonical URL the page claims


def modified_date(html: str) -> str:
    """The page's own last-modified date (YYYY-MM-DD, "" when it gives none), as trafilatura reads it."""
    import trafilatura

    meta = trafilatura.extract_metadata(
        _XML_DECLARATION.sub("", html, count=1), date_config={"original_date": False, "extensive_search": False}
    )
    return iso_date(getattr(meta, "date", "") or "")


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


# --- rag add --------------------------------------------------------------------------------------


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
        feed = read_feed(url, settings)
        if remember:
            articles.remember_feed(archive.folder, url)
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
        reason = f"{feed.unread} older entries not read (at most {MAX_FEED_ENTRIES} a feed)"
        yield Outcome(status="skipped", item=url, reason=reason)


def watch_round(folder: Path, settings: Settings) -> Iterator[Outcome]:
    """One round of ``rag watch`` (and of the web page's feed watching): the new entries of every remembered feed."""
    feeds = articles.remembered_feeds(folder)
    if not feeds:
        where = folder / articles.FEEDS_FILE
        raise articles.ArticleError(f"no feeds to watch in {where}: add one with rag add --feed URL")
    archive = articles.Archive.scan(folder)  # read again each round: files may have come or gone meanwhile
    for feed in feeds:
        yield from add_feed(feed, settings, archive, remember=False)


def add_file(name: str, archive: articles.Archive) -> Outcome:
    """Copy a local article file into the archive (unless the same bytes are already there)."""
    path = Path(name).expanduser()
    try:
        if not path.is_file():
            raise articles.ArticleError(f"{name}: no such file" if not path.exists() else f"{name}: not a file")
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise articles.ArticleError(f"{name}: too large ({size:,} bytes; limit {MAX_BYTES:,})")
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
