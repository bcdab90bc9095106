"""``rag add`` (URLs, feeds, files) and ``rag watch`` against a web server on 127.0.0.1 started here.

Nothing leaves the machine: every page is served by ``Site`` (a ``ThreadingHTTPServer`` on port 0),
and name look-ups of made-up hosts are answered by a patched ``getaddrinfo``.
"""

from __future__ import annotations

import datetime as dt
import gzip
import socket
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from rag import cli, download, feeds
from rag.pipeline import Engine
from rag.settings import Settings, SettingsError
from tests.fakes import FakeEmbedder, FakeLLM, FakeReranker

HUGE = 50 * 1024 * 1024
LIMIT = 256 * 1024


def article_html(
    title: str,
    paragraphs: list[str],
    *,
    author: str = "Jane Doe",
    published: str = "",
    site: str = "Example News",
    modified: str = "",
) -> bytes:
    """A news page with its metadata in the usual meta tags, and navigation around the story."""
    meta = [f'<meta name="author" content="{author}">', f'<meta property="og:site_name" content="{site}">']
    meta.append(f'<meta property="og:title" content="{title}">')
    if published:
        meta.append(f'<meta property="article:published_time" content="{published}">')
    if modified:
        meta.append(f'<meta property="article:modified_time" content="{modified}">')
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title} | {site}</title>'
        f"{''.join(meta)}</head><body><nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
        f"<article><h1>{title}</h1>{body}</article><footer>Copyright {site}</footer></body></html>"
    ).encode()


STORM = [
    "A powerful storm hit the coast of Northland on Friday, cutting power to forty thousand homes and closing the "
    "harbour at Port Ellis.",
    "Officials said the shelters in Port Ellis opened on Saturday morning and would stay open until the roads are "
    "cleared of fallen trees.",
    "The weather service expects the wind to ease by Sunday evening, although heavy rain will continue in the hills.",
]
STORM_V2 = [*STORM[:2], "The storm left two fishermen missing off Cape Rell, the coastguard said on Sunday night."]


def story(topic: str) -> list[str]:
    """Three paragraphs about ``topic``, different from every other story's."""
    return [
        f"The council of Vantor voted on Tuesday to approve the {topic} plan after a debate that lasted most of "
        "the night, according to members present.",
        f"Supporters of the {topic} plan said it would bring jobs to the valley within two years, while critics "
        "warned about the cost to local taxpayers.",
        f"A final decision on the funding of the {topic} plan is expected next month, when the regional budget "
        "is presented to the assembly.",
    ]


class Site:
    """The pages the test server serves (a test may change them) and the requests it saw."""

    def __init__(self) -> None:
        self.base = ""
        self.pages: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.requests: list[tuple[str, str]] = []  # (path, Host header)
        self.stop = threading.Event()
        self.huge_sent = 0
        self.huge_done = threading.Event()

    def page(
        self, path: str, body: bytes, content_type: str = "text/html; charset=utf-8", status: int = 200, **headers: str
    ) -> None:
        self.pages[path] = (status, {"Content-Type": content_type, **headers}, body)

    def redirect(self, path: str, to: str, status: int = 302) -> None:
        self.pages[path] = (status, {"Location": to}, b"")

    def url(self, path: str) -> str:
        return self.base + path

    def rss(self, items: list[tuple[str, str]]) -> None:
        entries = "".join(f"<item><title>{t}</title><link>{link}</link></item>" for t, link in items)
        self.page(
            "/rss.xml",
            f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Example News</title>'
            f"<link>{self.base}/</link><description>News</description>{entries}</channel></rss>".encode(),
            "application/rss+xml",
        )


class Handler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer  # with a ``site``

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        site: Site = self.server.site  # type: ignore[attr-defined]
        path = self.path.split("?", 1)[0]
        site.requests.append((path, self.headers.get("Host", "")))
        try:
            if path == "/slow.html":
                site.stop.wait(3)  # past the test's timeout; ended early when the server stops
                self._send(200, {"Content-Type": "text/html"}, article_html("Slow", story("slow")))
            elif path == "/drip.html":  # a byte at a time: no read ever times out, the deadline must
                self._head(200, {"Content-Type": "text/html"})
                for _ in range(100):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    if site.stop.wait(0.05):
                        break
            elif path in ("/huge.html", "/huge-declared.html"):
                length = {"Content-Length": str(HUGE)} if path == "/huge-declared.html" else {}
                self._head(200, {"Content-Type": "text/html", **length})
                self._huge(site)
            elif path in site.pages:
                self._send(*site.pages[path])
            else:
                self._send(404, {"Content-Type": "text/html"}, b"<html><body>Not here</body></html>")
        except (BrokenPipeError, ConnectionResetError):  # the client stopped reading, as it should
            pass

    def _head(self, status: int, headers: dict[str, str]) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self._head(status, {**headers, "Content-Length": str(len(body))})
        self.wfile.write(body)

    def _huge(self, site: Site) -> None:
        chunk = b"<p>" + b"x" * (64 * 1024 - 7) + b"</p>"
        try:
            while site.huge_sent < HUGE:
                self.wfile.write(chunk)
                site.huge_sent += len(chunk)
        finally:
            site.huge_done.set()


@pytest.fixture
def site() -> Iterator[Site]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.site = Site()  # type: ignore[attr-defined]
    site: Site = server.site  # type: ignore[attr-defined]
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    storm = article_html("Storm hits the coast", STORM, published="2025-09-12T08:00:00Z")
    site.page("/2025/09/12/storm.html", storm)
    site.page("/2025/09/13/second.html", article_html("Bridge plan approved", story("bridge"), published="2025-09-13"))
    site.page("/2025/09/14/third.html", article_html("Tram plan approved", story("tram"), published="2025-09-14"))
    site.page("/2025/09/16/fourth.html", article_html("Dam plan approved", story("dam"), published="2025-09-16"))
    site.page("/2025/09/17/fifth.html", article_html("Park plan approved", story("park"), published="2025-09-17"))
    site.redirect("/moved.html", "/2025/09/13/second.html", 301)
    site.redirect("/loop-a.html", "/loop-b.html")
    site.redirect("/loop-b.html", site.url("/loop-a.html"))
    for n in range(1, 8):
        site.redirect(f"/hop/{n}", f"/hop/{n + 1}")
    site.page("/image.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "image/png")
    site.page("/empty.html", b"<html><head><title>App</title></head><body><script>render()</script></body></html>")
    bomb = gzip.compress(b"<p>" + b"x" * (20 * 1024 * 1024) + b"</p>", compresslevel=9)
    site.page("/bomb.html", bomb, "text/html", **{"Content-Encoding": "gzip"})
    site.page("/gz/storm.html", gzip.compress(storm), "text/html; charset=utf-8", **{"Content-Encoding": "gzip"})
    site.rss(
        [
            ("Bridge plan approved", site.url("/2025/09/13/second.html")),
            ("Tram plan approved", "/2025/09/14/third.html"),  # relative: resolved against the feed
            ("Gone", site.url("/2025/09/15/gone.html")),  # 404
        ]
    )
    site.page(
        "/atom.xml",
        (
            '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Atom News</title>'
            "<id>urn:atom-news</id><updated>2025-09-16T00:00:00Z</updated>"
            f'<entry><title>Dam plan approved</title><id>urn:4</id><link rel="alternate" '
            f'href="{site.url("/2025/09/16/fourth.html")}"/><updated>2025-09-16T00:00:00Z</updated></entry>'
            "<entry><title>A note without a page</title><id>urn:5</id><updated>2025-09-16T00:00:00Z</updated>"
            "<summary>Nothing to fetch.</summary></entry></feed>"
        ).encode(),
        "application/atom+xml",
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield site
    site.stop.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    """An empty articles folder (``rag add`` starts the archive)."""
    folder = tmp_path / "archive"
    folder.mkdir()
    return folder.resolve()


@pytest.fixture
def configure(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, seeds: Path) -> Callable[..., Settings]:
    """Make the CLI use these settings (private URLs allowed: the server is on 127.0.0.1)."""

    def use(**changes: object) -> Settings:
        base = Settings(
            seeds_dir=seeds,
            index_dir=tmp_path / "index",
            allow_private_urls=True,
            fetch_timeout=5.0,
            fetch_max_bytes=LIMIT,
        )
        settings = base.with_(**changes)
        monkeypatch.setattr(cli, "load_settings", lambda: settings)
        return settings

    use()
    return use


@pytest.fixture
def engines(monkeypatch: pytest.MonkeyPatch) -> list[Engine]:
    """Make the CLI build engines with fake models; returns the engines it built."""
    built: list[Engine] = []

    def make(settings: Settings) -> Engine:
        engine = Engine(settings, embedder=FakeEmbedder(), llm=FakeLLM(), reranker=FakeReranker())
        built.append(engine)
        return engine

    monkeypatch.setattr(cli, "Engine", make)
    return built


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str], str]:
    code = cli.main(list(args))
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err


def files(folder: Path) -> list[str]:
    """Every file in ``folder``, hidden ones included (a temporary file left behind would show)."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_a_page_is_saved_with_its_metadata_and_indexed(site: Site, seeds: Path, configure, engines, capsys) -> None:
    url = site.url("/2025/09/12/storm.html")
    code, out, _ = run(capsys, "add", url)
    path = seeds / "storm-hits-the-coast.md"
    assert (code, out) == (0, [f'added {path}: "Storm hits the coast" (2025-09-12, Example News)'])
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\ntitle: Storm hits the coast\ndate: '2025-09-12'\nauthors:\n- Jane Doe\n")
    assert f"source: {url}\noutlet: Example News\n---\n" in text and "updated" not in text
    assert "Home" not in text and "Copyright" not in text  # only the story is kept
    [entry] = engines[-1].index.articles
    assert (entry.title, entry.authors, entry.date, entry.outlet, entry.url) == (
        "Storm hits the coast",
        ("Jane Doe",),
        "2025-09-12",
        "Example News",
        url,
    )
    texts = [p.text for p in engines[-1].index.paragraphs]
    assert texts == STORM  # the headline is the title, not a paragraph


def test_the_same_url_again_is_skipped(site: Site, seeds: Path, configure, engines, capsys) -> None:
    url = site.url("/2025/09/12/storm.html")
    assert run(capsys, "add", url)[0] == 0
    code, out, _ = run(capsys, "add", url)
    assert (code, out) == (0, [f"skipped {url}: already in the archive ({seeds / 'storm-hits-the-coast.md'})"])
    assert files(seeds) == ["storm-hits-the-coast.md"]
    assert len(engines) == 1  # nothing new: no re-indexing


def test_a_changed_page_replaces_its_file_and_sets_updated(site: Site, seeds: Path, configure, engines, capsys):
    url = site.url("/2025/09/12/storm.html")
    run(capsys, "add", url)
    modified = "2025-09-14T10:00:00Z"
    site.page(
        url.removeprefix(site.base),
        article_html("Storm hits the coast", STORM_V2, published="2025-09-12T08:00:00Z", modified=modified),
    )
    code, out, _ = run(capsys, "add", url)
    path = seeds / "storm-hits-the-coast.md"
    expected = f'updated {path}: "Storm hits the coast" (2025-09-12, Example News; text changed, updated 2025-09-14)'
    assert (code, out) == (0, [expected])
    assert files(seeds) == ["storm-hits-the-coast.md"]
    text = path.read_text(encoding="utf-8")
    assert "date: '2025-09-12'" in text and "updated: '2025-09-14'" in text
    assert STORM_V2[2] in text and STORM[2] not in text
    assert [p.text for p in engines[-1].index.paragraphs] == STORM_V2


def test_a_change_without_a_modified_date_is_dated_today(site: Site, seeds: Path, configure, engines, capsys):
    url = site.url("/2025/09/12/storm.html")
    run(capsys, "add", url)
    site.page("/2025/09/12/storm.html", article_html("Storm hits the coast", STORM_V2, published="2025-09-12"))
    before = dt.date.today().isoformat()
    code, out, _ = run(capsys, "add", url)
    today = {before, dt.date.today().isoformat()}  # the test may straddle midnight
    assert code == 0 and out[0].startswith("updated ")
    text = (seeds / "storm-hits-the-coast.md").read_text(encoding="utf-8")
    assert "date: '2025-09-12'" in text  # the publication date, never the day it was fetched
    assert any(f"updated: '{day}'" in text for day in today)


def test_a_redirect_to_a_working_page_saves_it_under_its_final_url(
    site: Site, seeds: Path, configure, engines, capsys
) -> None:
    code, out, _ = run(capsys, "add", site.url("/moved.html"))
    path = seeds / "bridge-plan-approved.md"
    assert (code, out) == (0, [f'added {path}: "Bridge plan approved" (2025-09-13, Example News)'])
    assert f"source: {site.url('/2025/09/13/second.html')}\n" in path.read_text(encoding="utf-8")
    # The page itself, under its own URL, is the same story.
    code, out, _ = run(capsys, "add", site.url("/2025/09/13/second.html"))
    assert out == [f"skipped {site.url('/2025/09/13/second.html')}: already in the archive ({path})"]


def test_the_source_is_where_the_page_came_from_not_the_url_it_claims(
    site: Site, seeds: Path, configure, engines, capsys
) -> None:
    page = article_html("Tram plan approved", story("tram"), published="2025-09-14").replace(
        b"</head>", b'<link rel="canonical" href="https://trusted-outlet.test/tram.html"></head>'
    )
    site.page("/copied/tram.html", page)
    assert run(capsys, "add", site.url("/copied/tram.html"))[0] == 0
    text = (seeds / "tram-plan-approved.md").read_text(encoding="utf-8")
    assert f"source: {site.url('/copied/tram.html')}\n" in text and "trusted-outlet" not in text


def test_a_gzip_encoded_page_is_inflated(site: Site, seeds: Path, configure, engines, capsys) -> None:
    code, out, _ = run(capsys, "add", site.url("/gz/storm.html"))
    assert code == 0 and out == [
        f'added {seeds / "storm-hits-the-coast.md"}: "Storm hits the coast" (2025-09-12, Example News)'
    ]


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/slow.html", "timed out (no answer within 0.5 s)"),
        ("/drip.html", "timed out (the page took more than 0.5 s)"),
        ("/huge.html", f"too large (more than {LIMIT:,} bytes, the RAG_FETCH_MAX_BYTES limit)"),
        ("/huge-declared.html", f"too large ({HUGE:,} bytes; the RAG_FETCH_MAX_BYTES limit is {LIMIT:,})"),
        ("/bomb.html", f"too large (more than {LIMIT:,} bytes"),
        ("/image.png", "not a web page (content type image/png)"),
        ("/loop-a.html", "redirect loop"),
        ("/hop/1", "too many redirects (more than 5)"),
        ("/2025/09/15/gone.html", "HTTP 404 Not Found"),
        ("/empty.html", "no article text found in the page"),
    ],
)
def test_each_bad_page_is_one_failed_line_and_writes_nothing(
    path: str, reason: str, site: Site, seeds: Path, configure, engines, capsys
) -> None:
    configure(fetch_timeout=0.5)
    url = site.url(path)
    started = time.monotonic()
    code, out, err = run(capsys, "add", url)
    assert time.monotonic() - started < 4
    assert code == 2 and len(out) == 1 and out[0].startswith(f"failed {url}: ") and reason in out[0], out
    assert "Traceback" not in err
    assert files(seeds) == [] and engines == []


def test_other_schemes_and_missing_files_fail(seeds: Path, configure, engines, capsys) -> None:
    code, out, _ = run(capsys, "add", "ftp://example-news.test/story.html", "no-such-file.html")
    assert code == 2
    assert out == [
        "failed ftp://example-news.test/story.html: only http and https URLs are fetched (not ftp)",
        "failed no-such-file.html: no such file",
    ]
    assert files(seeds) == []


def test_a_loopback_url_is_refused_unless_private_urls_are_allowed(
    site: Site, seeds: Path, configure, engines, capsys
) -> None:
    configure(allow_private_urls=False)
    url = site.url("/2025/09/12/storm.html")
    code, out, _ = run(capsys, "add", url)
    assert code == 2 and out[0].startswith(f"failed {url}: refused loopback address 127.0.0.1 of 127.0.0.1")
    assert "RAG_ALLOW_PRIVATE_URLS=1" in out[0]
    assert site.requests == [] and files(seeds) == []  # refused before connecting


@pytest.mark.parametrize("path", ["/huge.html", "/bomb.html"])
def test_a_huge_or_inflating_body_is_not_read_into_memory(path: str, site: Site, configure) -> None:
    settings = configure()
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(download.FetchError, match="too large"):
            download.fetch(site.url(path), settings, download.PAGE_TYPES)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.monotonic() - started < 5
    assert peak < 4 * 1024 * 1024, peak  # 50 MB sent, 20 MB once inflated; the limit is 256 KB
    if path == "/huge.html":
        assert site.huge_done.wait(5) and site.huge_sent < HUGE  # the server was cut off, not read to the end


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Host name -> the addresses ``getaddrinfo`` answers for it (other names resolve as usual).

    Like a rebinding name server, it answers 127.0.0.9 (where nothing listens) from the second
    look-up of a name on; ``answers["looked up"]`` lists the names looked up.
    """
    answers: dict[str, list[str]] = {"looked up": []}
    real = socket.getaddrinfo

    def getaddrinfo(host: str, port: object, *args: object, **kwargs: object) -> list:
        if host in answers:
            again = host in answers["looked up"]
            answers["looked up"].append(host)
            return [
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.9" if again else a, port)) for a in answers[host]
            ]
        return real(host, port, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


def test_every_address_of_a_name_is_checked(site: Site, configure, fake_dns: dict[str, list[str]]) -> None:
    settings = configure(allow_private_urls=False)
    fake_dns["news.test"] = ["93.184.216.34", "127.0.0.1"]  # one public address is not enough
    port = site.base.rsplit(":", 1)[1]
    with pytest.raises(download.FetchError, match=r"refused loopback address 127\.0\.0\.1 of news\.test"):
        download.fetch(f"http://news.test:{port}/2025/09/12/storm.html", settings, download.PAGE_TYPES)
    assert site.requests == []


def test_the_connection_goes_to_the_checked_address_with_the_name_as_host(site: Site, configure, fake_dns) -> None:
    settings = configure()
    fake_dns["news.test"] = ["127.0.0.1"]
    port = site.base.rsplit(":", 1)[1]
    fetched = download.fetch(f"http://news.test:{port}/2025/09/12/storm.html", settings, download.PAGE_TYPES)
    assert fetched.url == f"http://news.test:{port}/2025/09/12/storm.html" and b"Port Ellis" in fetched.data
    assert site.requests == [("/2025/09/12/storm.html", f"news.test:{port}")]
    assert fake_dns["looked up"] == ["news.test"]  # checked once, connected to what was checked


def test_every_redirect_hop_is_checked(site: Site, configure, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = configure(allow_private_urls=False)
    real = download.not_public
    monkeypatch.setattr(download, "not_public", lambda a: "" if a == "127.0.0.1" else real(a))  # the server "public"
    site.redirect("/to-private.html", "http://10.0.0.1/admin")
    with pytest.raises(download.FetchError, match=r"refused private address 10\.0\.0\.1 .*redirected to"):
        download.fetch(site.url("/to-private.html"), settings, download.PAGE_TYPES)


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fc00::1", "private"),
        ("169.254.169.254", "link-local"),  # cloud metadata
        ("fe80::1%eth0", "link-local"),
        ("224.0.0.1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4 inside IPv6
        ("2002:c0a8:101::", "private"),  # 6to4 of 192.168.1.1
        ("100.64.0.1", "not public"),
        ("93.184.216.34", ""),
        ("2606:2800:220:1::", ""),
    ],
)
def test_not_public_addresses(address: str, why: str) -> None:
    assert download.not_public(address) == why


def test_a_feed_adds_its_good_entries_and_reports_the_broken_one(
    site: Site, seeds: Path, configure, engines, capsys
) -> None:
    feed = site.url("/rss.xml")
    code, out, _ = run(capsys, "add", "--feed", feed)
    assert code == 0
    assert out == [
        f'added {seeds / "bridge-plan-approved.md"}: "Bridge plan approved" (2025-09-13, Example News)',
        f'added {seeds / "tram-plan-approved.md"}: "Tram plan approved" (2025-09-14, Example News)',
        f"failed {site.url('/2025/09/15/gone.html')}: HTTP 404 Not Found",
    ]
    assert (seeds / ".feeds").read_text() == feed + "\n"
    assert sorted(a.title for a in engines[-1].index.articles) == ["Bridge plan approved", "Tram plan approved"]
    assert len(engines) == 1  # indexed once for the whole feed
    # Again: what is in is skipped without being fetched again; the feed is remembered once.
    fetched_before = len(site.requests)
    code, out, _ = run(capsys, "add", "--feed", feed)
    assert code == 0 and [line.split(" ", 1)[0] for line in out] == ["skipped", "skipped", "failed"]
    assert [p for p, _ in site.requests[fetched_before:]] == ["/rss.xml", "/2025/09/15/gone.html"]
    assert (seeds / ".feeds").read_text() == feed + "\n"


def test_an_atom_feed_entry_without_a_link_is_skipped_with_the_reason(
    site: Site, seeds: Path, configure, engines, capsys
) -> None:
    feed = site.url("/atom.xml")
    code, out, _ = run(capsys, "add", "--feed", feed)
    assert code == 0
    assert out == [
        f'added {seeds / "dam-plan-approved.md"}: "Dam plan approved" (2025-09-16, Example News)',
        f"skipped {feed} (entry 2, 'A note without a page'): the entry has no link",
    ]


def test_a_failed_feed_is_not_remembered(site: Site, seeds: Path, configure, engines, capsys) -> None:
    code, out, _ = run(capsys, "add", "--feed", site.url("/2025/09/12/storm.html"))
    assert code == 2 and out == [f"failed {site.url('/2025/09/12/storm.html')}: not a feed (content type text/html)"]
    assert files(seeds) == []


def test_feed_bytes_are_never_taken_for_a_file_name(site: Site, tmp_path: Path, configure) -> None:
    settings = configure()
    local = tmp_path / "local.xml"  # a feed on disk that the served body names
    local.write_text(
        '<rss version="2.0"><channel><item><title>x</title><link>http://x.test/a</link></item></channel></rss>'
    )
    site.page("/names-a-file.xml", str(local).encode(), "application/xml")
    with pytest.raises(download.FetchError, match="not a readable feed"):
        feeds.read_feed(site.url("/names-a-file.xml"), settings)


def test_watch_adds_only_new_entries(site: Site, seeds: Path, configure, engines, capsys) -> None:
    feed = site.url("/rss.xml")
    run(capsys, "add", "--feed", feed)
    site.rss(
        [
            ("Park plan approved", site.url("/2025/09/17/fifth.html")),  # new
            ("Bridge plan approved", site.url("/2025/09/13/second.html")),
            ("Tram plan approved", site.url("/2025/09/14/third.html")),
            ("Gone", site.url("/2025/09/15/gone.html")),
        ]
    )
    fetched_before = len(site.requests)
    code, out, _ = run(capsys, "watch", "--times", "1")
    assert code == 0
    assert out == [
        f'added {seeds / "park-plan-approved.md"}: "Park plan approved" (2025-09-17, Example News)',
        f"failed {site.url('/2025/09/15/gone.html')}: HTTP 404 Not Found",
    ]
    assert [p for p, _ in site.requests[fetched_before:]] == [
        "/rss.xml",
        "/2025/09/17/fifth.html",
        "/2025/09/15/gone.html",
    ]
    assert "Park plan approved" in {a.title for a in engines[-1].index.articles}
    # Two more rounds: nothing new, and the same failure is not repeated.
    built = len(engines)
    code, out, _ = run(capsys, "watch", "--times", "2", "--every", "0.01")
    assert (code, out) == (0, [f"failed {site.url('/2025/09/15/gone.html')}: HTTP 404 Not Found"])
    assert len(engines) == built  # nothing added: no re-indexing


def test_watch_without_feeds_says_how_to_add_one(seeds: Path, configure, capsys) -> None:
    code, out, err = run(capsys, "watch", "--times", "1")
    assert code == 2 and out == [] and "no feeds to watch" in err and "rag add --feed URL" in err


def test_watch_stops_cleanly_on_ctrl_c(
    site: Site, seeds: Path, configure, engines, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    (seeds / ".feeds").write_text(site.url("/rss.xml") + "\n")

    def interrupt(seconds: float) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli.time, "sleep", interrupt)
    code, out, err = run(capsys, "watch")  # forever, but the first sleep is interrupted
    assert code == 0 and "watch stopped" in err and len(out) == 3
    assert files(seeds) == [".feeds", "bridge-plan-approved.md", "tram-plan-approved.md"]


def _pdf(title: str, lines: list[str]) -> bytes:
    """A one-page PDF with a title and one text line per entry."""
    text = " ".join(f"({line}) Tj T*" for line in lines)
    stream = f"BT /F1 11 Tf 14 TL 72 760 Td {text} ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Title ({title}) >>",
    ]
    out, offsets = "%PDF-1.4\n", []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n{body}\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n" + "".join(f"{o:010d} 00000 n \n" for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 6 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    return out.encode("latin-1")


PDF_LINES = ["The ferry company said on Monday that it would add two boats.", "Prices will not change this year."]


def test_local_files_are_copied_in_and_indexed(tmp_path: Path, seeds: Path, configure, engines, capsys) -> None:
    page = tmp_path / "Saved Page.html"
    page.write_bytes(article_html("Harbour plan approved", story("harbour"), published="2025-09-20"))
    notes = tmp_path / "notes.md"
    notes.write_text('---\ntitle: "Road plan approved"\ndate: 2025-09-21\n---\n' + "\n\n".join(story("road")))
    pdf = tmp_path / "ferry.pdf"
    pdf.write_bytes(_pdf("Ferry boats added", PDF_LINES))
    (tmp_path / "letter.docx").write_bytes(b"PK\x03\x04")
    items = [str(p) for p in (page, notes, pdf, tmp_path / "letter.docx", tmp_path / "gone.txt")]
    code, out, _ = run(capsys, "add", *items)
    assert code == 0
    assert out == [
        f'added {seeds / "saved-page.html"}: "Harbour plan approved" (2025-09-20, Example News)',
        f'added {seeds / "notes.md"}: "Road plan approved" (2025-09-21)',
        f'added {seeds / "ferry.pdf"}: "Ferry boats added" (no date)',
        f"failed {items[3]}: unsupported file type (use .txt, .md, .html, .htm, .pdf)",
        f"failed {items[4]}: no such file",
    ]
    assert (seeds / "saved-page.html").read_bytes() == page.read_bytes()  # kept as it was
    titles = {a.title for a in engines[-1].index.articles}
    assert titles == {"Harbour plan approved", "Road plan approved", "Ferry boats added"}
    code, out, _ = run(capsys, "add", *items[:3])
    assert code == 0 and [line.split(":", 1)[0] for line in out] == [f"skipped {i}" for i in items[:3]]
    assert files(seeds) == ["ferry.pdf", "notes.md", "saved-page.html"]


def test_a_pdf_url_is_saved_as_a_pdf(site: Site, seeds: Path, configure, engines, capsys) -> None:
    site.page("/reports/ferry-report.pdf", _pdf("Ferry boats added", PDF_LINES), "application/pdf")
    code, out, _ = run(capsys, "add", site.url("/reports/ferry-report.pdf"))
    assert (code, out) == (0, [f'added {seeds / "ferry-report.pdf"}: "Ferry boats added" (no date)'])


def test_fetch_settings_are_validated_and_read_from_the_environment() -> None:
    assert Settings().allow_private_urls is False
    env = Settings.from_env({"RAG_ALLOW_PRIVATE_URLS": "1", "RAG_FETCH_TIMEOUT": "2.5", "RAG_FETCH_MAX_BYTES": "4096"})
    assert (env.allow_private_urls, env.fetch_timeout, env.fetch_max_bytes) == (True, 2.5, 4096)
    with pytest.raises(SettingsError, match="fetch_timeout"):
        Settings(fetch_timeout=0)
    with pytest.raises(SettingsError, match="fetch_max_bytes"):
        Settings(fetch_max_bytes=10)


def test_the_web_page_adds_by_url_and_watches_the_remembered_feeds(site: Site, seeds: Path, configure) -> None:
    from rag.ui import library as ui_library
    from rag.ui.engines import EngineHub

    settings = configure()
    hub = EngineHub(Engine(settings, embedder=FakeEmbedder(), llm=FakeLLM(), reranker=FakeReranker()))
    listing, _, box = ui_library.add_from_web(hub, site.url("/rss.xml"), is_feed=True)
    assert box == "" and "added " in listing and "Bridge plan approved" in listing
    before = {a.title for a in hub.articles()}
    site.rss([("Park plan approved", site.url("/2025/09/17/fifth.html"))])
    listing, _ = ui_library.watch_feeds(hub)  # what the page's timer runs, every WATCH_EVERY seconds when ticked
    assert "Feeds read: 1 new or updated article(s)." in listing
    assert {a.title for a in hub.articles()} - before == {"Park plan approved"}
    listing, _ = ui_library.watch_feeds(hub)
    assert "Feeds read: 0 new or updated article(s)." in listing
