"""Download: one HTTP GET of a page, feed or PDF, bounded and refusing private addresses.

``rag add URL``, ``rag add --feed URL`` and ``rag watch`` fetch through here
(``rag.fetch``, ``rag.feeds``); so, one day, may a URL a stranger types into
the web page. A fetch is therefore bounded and suspicious:

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

Trade-offs: environment proxies are not used (``trust_env=False``): a proxy
would resolve names itself, beyond the address check. Connections are not
kept alive between requests, since one pinned to an address could be reused
for another host name at the same address. The name look-up itself is the
system resolver's and has its own timeout, not ``fetch_timeout``.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urljoin

import httpx

from rag.articles import canonical_url
from rag.errors import RagError
from rag.ingest import IngestError, decode
from rag.settings import Settings

MAX_REDIRECTS = 5
PAGE_TYPES = frozenset({"text/html", "application/xhtml+xml"})
PDF_TYPES = frozenset({"application/pdf"})
FEED_TYPES = frozenset(
    {"application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml", "text/xml"}
)
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_HEADERS = {
    "User-Agent": "rag-news/0.1 (personal news archive)",
    "Accept-Encoding": "gzip, deflate",  # the two inflated here within the size limit
}


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


def fetch(url: str, settings: Settings, accept: frozenset[str], what: str = "web page") -> Fetched:
    """GET ``url`` within the limits of the module docstring; ``accept``: the media types wanted."""
    deadline = time.monotonic() + settings.fetch_timeout
    current = _checked_url(url, url)
    seen = {canonical_url(str(current))}
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
                    key = canonical_url(str(target))
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
