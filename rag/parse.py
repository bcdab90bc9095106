"""Parse: an article's text (plain, Markdown with front matter, a saved web page, a PDF) -> ``Article``.

Scraped news text often lost its paragraph breaks, leaving sentences glued
together ("...its western neighbor.On Saturday, Iraqi..."). A sentence end
followed *immediately* (no space) by a capital letter or an opening quote is
taken as a lost paragraph break; abbreviations and initials ("U.S.", "Mr.")
and decimals are not. Newlines are breaks too. A PDF's lines, cut at the page
width, are joined back into paragraphs (``pdf_paragraphs``).

The first lines of a file are metadata, not answerable paragraphs: the title,
then optionally a subtitle and a byline ("By SETH J. FRANTZMAN"). Without a
byline only the first line is taken as the title, since a lone second line is
as likely to be body text. Boilerplate paragraphs (timestamps, captions,
sign-up prompts) are dropped here too (``rag.boilerplate``).

Everything here takes text or bytes already read; reading files, the limits
on what is read and refusing hostile files are ``rag.ingest``'s.

Trade-off: heuristics, not a model. They are cheap, deterministic (paragraph
ids must survive re-indexing) and tested on the seed article.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace

from rag import boilerplate
from rag.extract import Extracted, ExtractError, from_html, iso_date, split_front_matter
from rag.records import Article, Paragraph
from rag.text import is_abbreviation

# Part of every article's content hash: bump it when what a file parses into changes (the boilerplate
# rules, paragraph recovery), so that an index built before re-reads every article.
PARSE_VERSION = 2

# A sentence end, an optional closing quote/bracket, then (looking ahead) an
# optional opening quote and a capital letter, with no space in between.
_GLUED = re.compile(r"([.!?])([\"”’)\]]?)(?=[\"“‘]?[A-Z])")
_BYLINE = re.compile(r"^by\s+\S", re.IGNORECASE)
_BYLINE_WORD = re.compile(r"^by\s+", re.IGNORECASE)
_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_ENDS_SENTENCE = re.compile(r"[.!?:][\"”’)]?$")
# C0 and C1 control characters except tab, newline and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


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


def _article(
    article_id: str, title: str, bodies: list[str], digest_of: str, meta: Extracted | None = None, **fields: object
) -> Article:
    """An ``Article`` from its title, body paragraphs and metadata; a leading byline paragraph is metadata."""
    meta = meta or Extracted(text="")
    bodies, dropped = boilerplate.split(bodies)  # timestamps, captions, sign-up prompts... (rag.boilerplate)
    if not meta.date:
        meta = replace(meta, date=next((d for _, text in dropped if (d := boilerplate.date_of(text))), ""))
    byline = str(fields.pop("byline", ""))
    if bodies and not byline and _BYLINE.match(bodies[0]) and len(bodies[0]) < 120:
        byline, bodies = bodies[0], bodies[1:]
    authors = meta.authors or _byline_names(byline)
    paragraphs = tuple(
        Paragraph(
            id=f"{article_id}:{n}",
            article_id=article_id,
            article_title=title,
            number=n,
            text=text,
            date=meta.date,
            outlet=meta.outlet,
        )
        for n, text in enumerate(bodies, start=1)
    )
    return Article(
        id=article_id,
        title=title,
        paragraphs=paragraphs,
        byline=byline,
        authors=authors,
        date=meta.date,
        updated=meta.updated,
        outlet=meta.outlet,
        url=meta.url,
        sha256=hashlib.sha256(f"{PARSE_VERSION}\n{digest_of}".encode()).hexdigest(),
        **fields,  # type: ignore[arg-type]
    )


def _byline_names(byline: str) -> tuple[str, ...]:
    """ "By SETH J. FRANTZMAN and Jane Doe" -> the names, as written.

    >>> _byline_names("By SETH J. FRANTZMAN and Jane Doe"), _byline_names("")
    (('SETH J. FRANTZMAN', 'Jane Doe'), ())
    """
    rest = _BYLINE_WORD.sub("", byline).strip()
    return tuple(n.strip() for n in re.split(r"\s*(?:,|\band\b|&)\s*", rest) if n.strip())


def parse_article(text: str, article_id: str, path: str = "") -> Article:
    """Article text (title line first, or YAML front matter) -> ``Article``; control characters are dropped.

    Without front matter the first lines are the title, an optional subtitle
    and a byline, and every line is a paragraph (glued ones split). With front
    matter (the archive's format) the metadata comes from it and paragraphs
    are blocks separated by blank lines, as Markdown has them.
    """
    text = _CONTROL.sub("", text.replace("\r\n", "\n"))
    meta, body = split_front_matter(text)
    if meta is not None:
        blocks = markdown_blocks(body)
        title = meta.title or (blocks.pop(0) if blocks else "")
        return _article(article_id, title, blocks, text, meta, path=path)
    lines = [ln for ln in text.split("\n") if ln.strip()]
    title, subtitle, byline, body_lines = split_metadata(lines)
    return _article(
        article_id, title, recover_paragraphs("\n".join(body_lines)), text, subtitle=subtitle, byline=byline, path=path
    )


def markdown_blocks(body: str) -> list[str]:
    """Markdown body -> paragraphs: blocks between blank lines, lines joined, markup dropped, glued ones split.

    >>> markdown_blocks("## Heading\\n\\nOne line\\nwraps here. ![a photo](x.jpg)\\n\\nSee [the report](https://x.test).")
    ['Heading', 'One line wraps here.', 'See the report.']
    """
    out: list[str] = []
    for block in re.split(r"\n[ \t]*\n", body):
        line = " ".join(ln.strip().lstrip("#>").strip() for ln in block.splitlines())
        line = _MD_IMAGE.sub("", line)
        line = _MD_LINK.sub(r"\1", line)
        line = " ".join(line.split())
        if line:
            out.extend(split_glued(line))
    return out


def parse_html(html: str, article_id: str, path: str = "") -> Article:
    """A saved web page -> ``Article``: main text and metadata by ``trafilatura`` (``rag.extract``)."""
    page = from_html(html)
    blocks = markdown_blocks(page.text)
    if blocks and page.title and blocks[0] == page.title:
        blocks = blocks[1:]  # the headline repeated as the first line of the text
    return _article(article_id, page.title or (blocks.pop(0) if blocks else ""), blocks, html, page, path=path)


def parse_pdf(data: bytes, article_id: str, path: str = "") -> Article:
    """A PDF -> ``Article`` (``pypdf``): paragraphs recovered across line and page breaks.

    PDF text comes as lines cut at the page width. A line is joined to the
    next unless it ends a sentence and is clearly shorter than the page's
    typical line, or a blank line follows; a word hyphenated at a line end is
    joined; a page break continues the paragraph unless the page ended a
    sentence. The document title (or the first line) is the title.
    """
    import io

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata
    except (PdfReadError, ValueError, KeyError, OSError) as err:
        raise ExtractError(f"not a readable PDF ({err})") from None
    lines = [ln for page in pages for ln in [*(line.strip() for line in page.splitlines()), _PAGE_BREAK]]
    blocks = pdf_paragraphs(lines)
    title = " ".join(str((info.title if info else "") or "").split())
    if not title and blocks:
        title = blocks.pop(0)
    elif blocks and blocks[0] == title:
        blocks = blocks[1:]
    created = info.creation_date if info is not None else None
    meta = Extracted(
        text="",
        authors=tuple(a for a in [str((info.author if info else "") or "").strip()] if a),
        date=iso_date(created) if created else "",
    )
    return _article(
        article_id, title, [p for b in blocks for p in split_glued(b)], title + "\n".join(blocks), meta, path=path
    )


_PAGE_BREAK = "\f"


def pdf_paragraphs(lines: list[str]) -> list[str]:
    """Lines of PDF text (``"\\f"`` marks a page break) -> paragraphs.

    >>> pdf_paragraphs(["A storm hit the coast on Friday and cut the power of", "thousands of homes in the re-",
    ...                 "gion.", "", "Shelters opened on", "\f", "Saturday, officials said.", "Short line."])
    ['A storm hit the coast on Friday and cut the power of thousands of homes in the region.', \
'Shelters opened on Saturday, officials said.', 'Short line.']
    """
    widths = sorted(len(ln) for ln in lines if ln and ln != _PAGE_BREAK)
    typical = widths[int(len(widths) * 0.9)] if widths else 0
    out: list[str] = []
    current = ""
    for line in lines:
        if line == _PAGE_BREAK:
            if current and _ENDS_SENTENCE.search(current):
                out.append(current)
                current = ""
            continue
        if not line:
            if current:
                out.append(current)
            current = ""
            continue
        hyphenated = current.endswith("-") and line[:1].islower()
        current = current[:-1] + line if hyphenated else f"{current} {line}".strip()
        if _ENDS_SENTENCE.search(line) and len(line) < 0.8 * typical:
            out.append(current)
            current = ""
    if current:
        out.append(current)
    return out
