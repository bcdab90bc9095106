"""When: the dates a question is about, relative to the day it is asked (``as_of``).

News questions carry time: "this week", "recently", "last month", "in July".
``rag.question`` reads such a phrase into the question's ``Window`` of
publication dates; this module applies it, and the day asked on.

The retriever does not *filter* by the window, it prefers paragraphs inside
it (``prefer``): on ``news-2025`` a paragraph holding the answer was dated
within the week before the quiz for fewer than half of the questions (news
is reported before the week that asks about it, and archives hold background
pieces), so a filter would lose the other half (``docs/decisions.md``).
Undated paragraphs are never inside a window. One published long before the
window cannot report it, so it verifies no answer (``reports``, read by
``rag.verify``). What the window changes for the user is said in the answer
(``note``): an answer drawn from before the window, or nothing in the archive
from it at all.

A question asked of a *current* archive (one holding articles from the
month before ``as_of``) is about the news of its day, even with no time
phrase: "which tech company cut 9,000 jobs?" asked on 2025-07-04 is not
answered by a 2024 article about another company's cuts. So paragraphs
published more than a horizon (``Settings.horizon_days``) before ``as_of``
(or before the window the question names) are *older news*: not searched,
and named in the answer's note when nothing newer answers (``since``,
``news``, ``split``). An archive that is not current (a reader's saved
articles asked about years later) has no horizon, and undated paragraphs
are never older news: their age is unknown. Whatever the archive, an
article published after ``as_of`` is not searched: it did not exist on the
day the question is asked on.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import replace

from rag.index import Index
from rag.records import Answer, Filter, Found, Hit, Paragraph, Question, Window
from rag.timespan import RECENT_DAYS

PREFER_BONUS = 0.1  # added to the rank score of a hit inside the window


def since(as_of: dt.date, when: Window | None, dates: Sequence[str], days: int) -> dt.date | None:
    """The first publication day that is news as of ``as_of``, or None (no horizon: ``days`` 0, or the
    archive, whose sorted article ``dates`` are given, holds nothing from the ``RECENT_DAYS`` before it).

    >>> day = dt.date(2025, 7, 4)
    >>> str(since(day, None, ["2019-03-01", "2025-06-30"], 90)), since(day, None, ["2019-03-01"], 90)
    ('2025-04-05', None)
    >>> march = Window(first=dt.date(2025, 3, 1), last=dt.date(2025, 3, 31), phrase="in March")
    >>> str(since(day, march, ["2025-06-30"], 90))
    '2024-12-01'
    """
    first = str(as_of - dt.timedelta(days=RECENT_DAYS))
    i = bisect_left(dates, first)
    if days <= 0 or i == len(dates) or dates[i][:10] > str(as_of):
        return None
    return min(as_of, when.first if when else as_of) - dt.timedelta(days=days)


def news(first: dt.date | None, last: dt.date) -> Filter:
    """The paragraphs that are news as of ``last``: published by then, and not before ``first`` (a horizon; None:
    none); undated ones too (``Filter``).

    The retriever searches only these. Filtering after ranking let older articles that merely
    name an answer fill the candidates, and an article published after the day a question is
    asked on is not what was known that day (``docs/decisions.md``).

    >>> news(dt.date(2025, 5, 16), dt.date(2025, 8, 14))
    Filter(first='2025-05-16', last='2025-08-14', outlets=None)
    """
    return Filter(first=None if first is None else str(first), last=str(last))


def split(hits: Sequence[Hit], first: dt.date | None) -> tuple[list[Hit], list[Hit]]:
    """(hits that are news since ``first``, older ones), each in order; undated hits are news."""
    if first is None:
        return list(hits), []
    news: list[Hit] = []
    older: list[Hit] = []
    for h in hits:
        (older if h.paragraph.date and h.paragraph.date[:10] < str(first) else news).append(h)
    return news, older


def inside(hit: Hit, when: Window) -> bool:
    """The hit's paragraph is dated within the window (undated ones never are)."""
    date = hit.paragraph.date[:10]
    return bool(date) and str(when.first) <= date <= str(when.last)


def reports(paragraph: Paragraph, when: Window | None) -> bool:
    """Whether ``paragraph`` may report what happened in ``when``: it was not published long before it.

    A claim about "this week" is not verified by an article from two months ago, however well its sentence
    matches (news-2025's tuning split: "a startup recently added which creature to its list?" answered from an
    April story of another creature; "which state was drenched this week?" from a storm five weeks earlier).
    Follow-ups of a story begun earlier are common (the week's quiz asks about news reported days before it),
    so a paragraph counts as too early only if published more than the window's own length before it starts:
    "this week" takes the two weeks before the day asked, "recently" (30 days) the 60. Undated paragraphs and
    questions that name no time are never too early (their age or the time asked about is unknown).

    >>> week = Window(first=dt.date(2025, 8, 8), last=dt.date(2025, 8, 14), phrase="this week")
    >>> def p(date): return Paragraph(id="a:1", article_id="a", article_title="", number=1, text="", date=date)
    >>> reports(p("2025-08-01"), week), reports(p("2025-07-31"), week), reports(p(""), week)
    (True, False, True)
    """
    if when is None or not paragraph.date:
        return True
    span = when.last - when.first + dt.timedelta(days=1)
    return paragraph.date[:10] >= str(when.first - span)


def prefer(hits: Sequence[Hit], when: Window | None, bonus: float) -> list[Hit]:
    """Hits inside ``when`` ranked ``bonus`` higher (``rank_score``), then re-ordered; others unchanged."""
    if when is None:
        return list(hits)
    scored = [replace(h, rank_score=(h.rank_score or 0.0) + bonus) if inside(h, when) else h for h in hits]
    return sorted(scored, key=lambda h: -(h.rank_score or 0.0))


def note(
    hits: Sequence[Hit],
    cited: Sequence[Hit],
    when: Window | None,
    older: Sequence[Hit] = (),
    first: dt.date | None = None,
) -> str:
    """What the user should know about the dates of an answer asked about ``when`` ("" if nothing).

    An abstention with ``older`` news left out (published before ``first``):
    the best of it, so the reader can look. Nothing retrieved from the window:
    where the latest retrieved paragraph is from. An answer cited only from
    before the window: that it is older.
    """
    if older and first and not cited:
        o = older[0].paragraph
        return (
            f"Nothing published since {first} answers this; older news left out: \"{o.article_title}\" "
            f"({o.provenance})."
        )
    if when is None or not hits:
        return ""
    span = f"{when.phrase} ({when.first} to {when.last})"
    if not any(inside(h, when) for h in hits):
        dated = sorted((h.paragraph.date[:10] for h in hits if h.paragraph.date), reverse=True)
        latest = f"; the latest on this is from {dated[0]}" if dated else ""
        return f"Nothing in the articles is from {span}{latest}."
    if cited and not any(inside(h, when) for h in cited):
        return f"The cited articles are from before {span}."
    return ""


def dated(answer: Answer, question: Question, found: Found, index: Index) -> Answer:
    """``answer`` with what the user should know about its dates (``note``), and for each citation the other
    articles that ran the same paragraph ("also reported by")."""
    ids = {c.paragraph.id for c in answer.citations}
    cited = [h for h in answer.hits if h.paragraph.id in ids]
    citations = tuple(replace(c, also=index.copies_of(c.paragraph.id)) for c in answer.citations)
    return replace(answer, note=note(answer.hits, cited, question.window, found.older, found.first),
                   citations=citations)
