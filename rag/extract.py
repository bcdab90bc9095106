"""Extract: a saved web page or a Markdown file's front matter -> the article's text and metadata.

News arrives as web pages full of navigation, ads and comments; the field's
library for that is ``trafilatura``, which keeps the main text and reads the
page's own metadata (title, author, publication date, site name). The one
thing read by hand is how the page writes its authors' names: trafilatura
normalises "Jane Q. Reporter" to "Jane Q Reporter", with no switch to keep
it, so its names are matched back, letter for letter, to the ``<meta>`` and
JSON-LD author names the page states (``_authors``). A name trafilatura took
from the visible byline alone keeps its normalised form.

The archive on disk is Markdown with YAML front matter, the format of
``../shared/eval/news-2025``::

    ---
    title: "Big storm hits coast"
    date: 2025-09-12
    authors: ["Jane Doe"]
    source: "https://example-news.test/2025/09/12/storm.html"
    outlet: "Example News"
    ---
    A powerful storm hit the coast on Friday ...

so a fetched page is saved as such a file (``to_markdown``): a folder a
person can read and back up, with its metadata kept. A date is always the
article's own (front matter, page metadata), never the time it was read.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rag.errors import RagError

if TYPE_CHECKING:
    from lxml.html import HtmlElement

_FRONT = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
# The <meta> names and properties an author is read from (as trafilatura reads them), lower-cased.
_AUTHOR_META = frozenset(
    {"author", "article:author", "og:author", "og:article:author", "byl", "dc.creator", "dcterms.creator"}
    | {"citation_author", "sailthru.author", "parsely-author"}
)
_AUTHOR_SEPARATOR = re.compile(r"\s*(?:;|,|\||&|/|\band\b)\s*", re.IGNORECASE)  # trafilatura splits names at these
_BY = re.compile(r"^by\s+", re.IGNORECASE)


class ExtractError(RagError):
    """A page or front matter that cannot be read; the message names it and says why."""


@dataclass(frozen=True, kw_only=True)
class Extracted:
    """An article's text (paragraphs separated by blank lines) and what it says about itself."""

    text: str
    title: str = ""
    authors: tuple[str, ...] = ()
    date: str = ""  # YYYY-MM-DD, or "" when the article does not say
    outlet: str = ""
    url: str = ""
    updated: str = ""  # YYYY-MM-DD of the last change seen, when known


def iso_date(value: object) -> str:
    """A date as ``YYYY-MM-DD`` ("" when it is not one).

    >>> iso_date("2025-09-12T08:00:00Z"), iso_date(dt.date(2015, 7, 4)), iso_date("September 12, 2025")
    ('2025-09-12', '2015-07-04', '2025-09-12')
    >>> iso_date("x"), iso_date("3 days ago"), iso_date("June 2025")
    ('', '', '')
    """
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%Y-%m-%d")
    text = str(value or "").strip()
    if _ISO.match(text):
        return text[:10]
    if not text or not any(c.isdigit() for c in text):
        return ""
    import dateparser  # a few hundred ms to import: only when a date is not already ISO

    # Absolute dates with day, month and year only: "3 days ago" would be a date of reading, not of writing.
    parsed = dateparser.parse(
        text, languages=["en"], settings={"PARSERS": ["custom-formats", "absolute-time"], "STRICT_PARSING": True}
    )
    return parsed.strftime("%Y-%m-%d") if parsed else ""


def _names(value: object) -> tuple[str, ...]:
    """Authors as a tuple, from a YAML list, or a string of names joined by ";", "," or "and"."""
    if isinstance(value, list | tuple):
        return tuple(str(v).strip() for v in value if str(v).strip())
    parts = re.split(r"\s*(?:;|,|\band\b|\|)\s*", str(value or ""))
    return tuple(p.strip() for p in parts if p.strip())


def split_front_matter(text: str) -> tuple[Extracted | None, str]:
    """(the metadata of a leading ``---`` YAML block, the body after it); (None, text) without one.

    >>> meta, body = split_front_matter('---\\ntitle: "T"\\ndate: 2015-07-04\\noutlet: x.com\\n---\\nBody.\\n')
    >>> meta.title, meta.date, meta.outlet, body
    ('T', '2015-07-04', 'x.com', 'Body.\\n')
    """
    match = _FRONT.match(text)
    if not match:
        return None, text
    import yaml

    try:
        data = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as err:
        raise ExtractError(f"front matter is not valid YAML ({str(err).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise ExtractError("front matter is not a YAML mapping")
    meta = Extracted(
        text="",
        title=" ".join(str(data.get("title") or "").split()),
        authors=_names(data.get("authors") or data.get("author")),
        date=iso_date(data.get("date")),
        outlet=str(data.get("outlet") or "").strip(),
        url=str(data.get("source") or data.get("url") or "").strip(),
        updated=iso_date(data.get("updated")),
    )
    return meta, text[match.end() :]


def from_html(html: str, url: str = "") -> Extracted:
    """The main text and metadata of a web page (``trafilatura``); paragraphs separated by blank lines.

    Errors name the ``url`` when there is one (the caller names a file).
    """
    import trafilatura
    from lxml import etree
    from lxml import html as lxml_html

    # lxml refuses a str that declares its own encoding (XHTML's <?xml ... encoding="utf-8"?>).
    html = _XML_DECLARATION.sub("", html, count=1)
    try:
        tree = lxml_html.fromstring(html)
    except (etree.ParserError, ValueError) as err:
        raise ExtractError(f"{url + ': ' if url else ''}not a readable web page ({err})") from None
    stated = _stated_authors(tree)  # before the scripts (JSON-LD among them) go
    # Never shown by a browser (trafilatura keeps what is inside <template>), or page furniture that
    # trafilatura's fallback keeps on short pages: never article text.
    for hidden in tree.xpath(
        "//template|//noscript|//svg|//iframe|//object|//script|//style|//nav|//footer|//aside|//form"
    ):
        hidden.drop_tree()
    doc = trafilatura.bare_extraction(
        tree, url=url or None, with_metadata=True, include_comments=False, include_tables=False
    )
    text = getattr(doc, "text", None) or ""
    if not text.strip():
        raise ExtractError(f"{url + ': ' if url else ''}no article text found in the page")
    return Extracted(
        text="\n\n".join(line.strip() for line in text.splitlines() if line.strip()),
        title=" ".join(str(getattr(doc, "title", "") or "").split()),
        authors=_authors(_names(getattr(doc, "author", "")), *stated),
        date=iso_date(getattr(doc, "date", "")),
        outlet=str(getattr(doc, "sitename", "") or getattr(doc, "hostname", "") or "").strip(),
        url=str(getattr(doc, "url", "") or url or ""),
    )


def _stated_authors(tree: HtmlElement) -> tuple[list[str], list[str]]:
    """The author names a page states, as written: (its ``<meta>`` tags', the persons of its JSON-LD)."""
    meta = [
        str(element.get("content"))
        for element in tree.xpath("//meta[@content]")
        if (element.get("name") or element.get("property") or element.get("itemprop") or "").lower() in _AUTHOR_META
    ]
    linked: list[str] = []
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        try:
            linked.extend(_persons(json.loads(script.text or "")))
        except ValueError:  # a broken block states nothing
            continue
    return meta, linked


def _persons(data: object) -> Iterator[str]:
    """The names of the ``author`` entries anywhere in JSON-LD data, organisations left out."""
    if isinstance(data, list):
        for item in data:
            yield from _persons(item)
    elif isinstance(data, dict):
        for key, value in data.items():
            if key != "author":
                yield from _persons(value)
                continue
            for author in value if isinstance(value, list) else [value]:
                if isinstance(author, dict) and "Organization" not in str(author.get("@type", "")):
                    author = author.get("name")
                if isinstance(author, str) and author.strip():
                    yield " ".join(author.split())


def _authors(found: tuple[str, ...], meta: list[str], linked: list[str]) -> tuple[str, ...]:
    """trafilatura's author names, each as the page writes it where a stated name matches it letter for letter.

    Without any, the JSON-LD persons: trafilatura never sees JSON-LD here (scripts go before it reads the page).

    >>> _authors(("Jane Q Reporter", "John Doe"), ["By Jane Q. Reporter and J.R. Doe"], [])
    ('Jane Q. Reporter', 'John Doe')
    >>> _authors((), [], ["Jane Q. Reporter", "http://example-news.test/staff/jane"])
    ('Jane Q. Reporter',)
    """
    if not found:
        return tuple(dict.fromkeys(n for n in linked if not n.lower().startswith("http")))
    written: dict[str, str] = {}
    for name in (n for text in (*meta, *linked) for n in _AUTHOR_SEPARATOR.split(text)):
        name = _BY.sub("", " ".join(name.split()))
        written.setdefault(_letters(name), name)
    return tuple(written.get(_letters(name), name) for name in found)


def _letters(name: str) -> str:
    """A name's letters and digits only, lower-cased: what trafilatura's normalisation leaves alone."""
    return " ".join(re.findall(r"[^\W_]+", name.casefold()))


def modified_date(html: str) -> str:
    """The page's own last-modified date (YYYY-MM-DD, "" when it gives none), as trafilatura reads it."""
    import trafilatura

    meta = trafilatura.extract_metadata(
        _XML_DECLARATION.sub("", html, count=1), date_config={"original_date": False, "extensive_search": False}
    )
    return iso_date(getattr(meta, "date", "") or "")


def to_markdown(article: Extracted) -> str:
    """The article as a Markdown file with YAML front matter (the archive's format).

    >>> print(to_markdown(Extracted(text="One.\\n\\nTwo.", title="T", date="2025-09-12", url="https://x.test/a")))
    ---
    title: T
    date: '2025-09-12'
    source: https://x.test/a
    ---
    One.
    <BLANKLINE>
    Two.
    <BLANKLINE>
    """
    import yaml

    fields = {
        "title": article.title,
        "date": article.date,
        "authors": list(article.authors),
        "source": article.url,
        "outlet": article.outlet,
        "updated": article.updated,
    }
    head = yaml.safe_dump({k: v for k, v in fields.items() if v}, allow_unicode=True, sort_keys=False, width=1000)
    return f"---\n{head}---\n{article.text.strip()}\n"
