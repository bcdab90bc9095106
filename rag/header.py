"""Article headers as facts: who wrote an article, when it was published, by which outlet, its title and URL.

News carries facts outside its paragraphs: the byline, the date, the outlet.
They are kept as an article's metadata (``ArticleEntry``), and a question
about one of them ("who wrote the article about the port strike?", "when
was the report on ... published?", "which outlet reported ...?") is
answered from it, not by the model: the article is found by retrieving its
topic, and the answer is composed here from the header and cited to it. The
header is a paragraph of its own kind: number 0 of its article
(``Paragraph.place`` says "article header"), whose text lists the fields, so
every citation, card and JSON shape that shows a paragraph shows it too.

Which field is asked, and of which article, is read from the question once
(``Question.field`` and ``Question.topic``, ``rag.question``): a question
must name an article-like thing (article, story, report, headline, byline,
outlet, newspaper) and ask for one field; "who reported the fire?" is a
question about the news, not about a byline. A question that names no topic
("who is the author?") is about the one article an archive of one holds, or,
in a conversation, the article the previous answer came from. Where the
article gives no author or date, the answer says so; it never guesses.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import replace

from rag import generate, retrieve, search, wording
from rag.claims import terms
from rag.records import Answer, ArticleEntry, Citation, Found, Hit, Paragraph, Question, Timings
from rag.resources import Resources

TITLE_MATCH = 0.6  # share of the topic's words an article's title must hold to be the article asked about


def by_title(topic: str, entries: Sequence[ArticleEntry]) -> ArticleEntry | None:
    """The article whose title holds most of the topic's content words (word endings folded), if it holds
    ``TITLE_MATCH`` of them: a question names an article by what its headline says.

    >>> e = ArticleEntry(id="a", title="Iran slams US and Israel in high-level meetings with Iraq", subtitle="",
    ...     byline="", authors=(), date="", updated="", outlet="", url="", path="", sha256="", first_row=0,
    ...     rows=1, first_paragraph=0, paragraphs=1, first_sentence=0, sentences=1)
    >>> by_title("Iran slamming the US and Israel", [e]).id, by_title("the port strike", [e])
    ('a', None)
    """
    asked = {t[:4] for t in terms(topic)}  # four letters: "slamming" and "slams" meet at "slam"
    if not asked:
        return None
    share, best = max(((len(asked & {t[:4] for t in terms(e.title)}) / len(asked), e) for e in entries),
                      key=lambda t: t[0], default=(0.0, None))
    return best if share >= TITLE_MATCH else None


def named_outlets(question: str, outlets: Sequence[str]) -> set[str]:
    """The outlets of the archive that ``question`` names ("the Meridian Wire story about ...").

    >>> sorted(named_outlets("Who wrote the Meridian Wire story?", ["Meridian Wire", "Harbor Gazette", ""]))
    ['Meridian Wire']
    """
    asked = question.casefold()
    return {o for o in outlets if o and re.search(rf"\b{re.escape(o.casefold())}\b", asked)}


def paragraph(entry: ArticleEntry) -> Paragraph:
    """An article's header as a citable paragraph: number 0, one line per field (those it lacks said so)."""
    lines = [
        f"Title: {entry.title}",
        f"Authors: {', '.join(entry.authors)}" if entry.authors else "Authors: none named (no byline)",
        f"Published: {entry.date[:10]}" if entry.date else "Published: no date given",
        f"Outlet: {entry.outlet}" if entry.outlet else "Outlet: not named",
        f"Source: {entry.url}" if entry.url else "Source: no URL",
    ]
    return Paragraph(
        id=f"{entry.id}:0",
        article_id=entry.id,
        article_title=entry.title,
        number=0,
        text="\n".join(lines),
        date=entry.date[:10],
        outlet=entry.outlet,
    )


def _names(names: Sequence[str]) -> str:
    """Names as a sentence lists them.

    >>> _names(["A"]), _names(["A", "B"]), _names(["A", "B", "C"])
    ('A', 'A and B', 'A, B and C')
    """
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def value(entry: ArticleEntry, field: str) -> str:
    """The field's value ("" where the article has none): what an evaluation scores."""
    return {
        "authors": _names(entry.authors) if entry.authors else "",
        "date": entry.date[:10],
        "outlet": entry.outlet,
        "title": entry.title,
        "url": entry.url,
    }[field]


def claim(entry: ArticleEntry, field: str) -> tuple[str, str]:
    """(the answer sentence about ``entry``'s ``field``, the header line that states it).

    >>> e = ArticleEntry(id="a", title="Port strike", subtitle="", byline="", authors=("Ana Reis",),
    ...     date="2025-03-04", updated="", outlet="Meridian Wire", url="", path="", sha256="", first_row=0, rows=1,
    ...     first_paragraph=0, paragraphs=1, first_sentence=0, sentences=1)
    >>> claim(e, "authors"), claim(e, "url")[0]
    (('“Port strike” was written by Ana Reis', 'Authors: Ana Reis'), '“Port strike” gives no source URL')
    """
    found, title = value(entry, field), f"“{entry.title}”"
    line = next(x for x in paragraph(entry).text.splitlines() if x.startswith(_LINE[field]))
    if not found:
        missing = {"authors": "names no author: it has no byline", "date": "gives no publication date",
                   "outlet": "does not name its outlet", "url": "gives no source URL", "title": "has no title"}
        return f"{title} {missing[field]}", line
    said = {"authors": f"was written by {found}", "date": f"was published on {found}",
            "outlet": f"was published by {found}", "url": f"was published at {found}"}
    return (f"The article's headline is {title}" if field == "title" else f"{title} {said[field]}"), line


_LINE = {"authors": "Authors:", "date": "Published:", "outlet": "Outlet:", "title": "Title:", "url": "Source:"}


def answer(question: str, field: str, entries: Sequence[ArticleEntry], hits: Sequence[Hit], timings: Timings) -> Answer:
    """The answer about ``field`` of each of ``entries`` (the articles found), each sentence cited to its header."""
    sentences, citations = [], []
    for marker, entry in enumerate(entries, start=1):
        said, line = claim(entry, field)
        sentences.append(f"{said} [{marker}].")
        citations.append(Citation(marker=marker, paragraph=paragraph(entry), support=1.0, sentence=said, evidence=line))
    short = "; ".join(value(e, field) or ("no byline" if field == "authors" else "") for e in entries)
    return Answer(
        question=question,
        text=" ".join(sentences),
        short=short,
        citations=tuple(citations),
        hits=tuple(hits),
        abstained=False,
        timings=timings,
    )


def answer_of(res: Resources, question: Question, k: int, started: float) -> tuple[Answer, Found] | None:
    """The answer to a question about an article's header (``Question.field``), and what was found on the way:
    the article found by its topic (among an outlet's, when the question names one; the only article of an
    archive of one), answered from its header and cited to it. None for other questions, and when the header
    lacks a date, outlet, title or URL: a question shaped like that may be about the news."""
    field, index = question.field, res.index
    if field is None or not res.settings.headers:
        return None
    entries = {a.id: a for a in index.articles}
    about = replace(question, text=question.topic or question.text)
    named = named_outlets(question.text, sorted({a.outlet for a in entries.values()}))
    found = generate.collect(search.found(res, about, k, outlets=frozenset(named) if named else None))
    timings = Timings(retrieve=time.perf_counter() - started)
    candidates = [e for e in entries.values() if not named or e.outlet in named]
    titled = candidates[0] if len(entries) == 1 else by_title(about.text, candidates)
    weak = not found.hits or retrieve.evidence(about.text, found.hits, res.bm25) < res.settings.min_score
    if titled is None and weak:
        return wording.abstention(question.text, found.hits, timings, res.settings.model), found
    chosen = [titled.id if titled is not None else found.hits[0].paragraph.article_id]
    if field == "outlet":  # "which outlet reported ...?": every article of the story the reranker holds answering
        chosen += [h.paragraph.article_id for h in found.hits[1:] if (h.relevance or 0.0) >= res.settings.min_relevance]
    articles = [entries[a] for a in dict.fromkeys(chosen)]
    if field != "authors" and not value(articles[0], field):
        return None
    return answer(question.text, field, articles, found.hits, timings), found
