"""The time a question names: "this week", "in July", "recently", as a ``Window`` of publication dates.

Calendar phrases are parsed by ``dateparser`` relative to the day the
question is asked on (its period, day/week/month/year, sets the window's
width); the words that are not dates ("recently", "latest", "lately") mean
the ``RECENT_DAYS`` before it. Part of reading the question
(``rag.question``); what the window changes is ``rag.when``'s.

Trade-off: a pattern finds the phrase worth handing to the parser ("in
Paris" is tried too and parses to nothing), so a time said another way
("a fortnight ago") is not read and the question is searched without a
window, the safe side: the window only prefers, never filters.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

from rag.records import Window

RECENT_DAYS = 30
# --- the time a question names (``window``) ---------------------------------------------------------------
# A time phrase worth handing to the date parser; "in Paris" is tried too and parses to nothing.
_PHRASE = re.compile(
    r"\b(?:today|yesterday|(?:this|last|past) (?:week|weekend|month|year)"
    r"|(?:in|during|since|on) (?:[A-Z][a-z]+(?: \d{1,2})?(?:,? \d{4})?|\d{4}))\b"
)
_RECENT = re.compile(r"\b(?:recent|recently|latest|lately|newest)\b", re.IGNORECASE)
_PREPOSITION = re.compile(r"^(?:in|during|since|on) ")


def window(text: str, as_of: dt.date) -> Window | None:
    """The publication dates ``text`` asks about, or None if it names no time.

    >>> day = dt.date(2025, 8, 14)
    >>> w = window("Who won the race this week?", day); (str(w.first), str(w.last), w.phrase)
    ('2025-08-08', '2025-08-14', 'this week')
    >>> w = window("What did the minister say in July?", day); (str(w.first), str(w.last))
    ('2025-07-01', '2025-07-31')
    >>> str(window("Which company recently cut jobs?", day).first), window("Who met him in Paris?", day)
    ('2025-07-15', None)
    >>> window("Who decided against running for governor in 2026?", day) is None
    True
    """
    for match in _PHRASE.finditer(text):
        phrase = match.group(0)
        when = _dates(_PREPOSITION.sub("", phrase), as_of)
        # A time after the day asked on ("running for governor in 2026") is when something will happen, not
        # when it was reported: no window of publication dates.
        if when is not None and when[0] <= as_of:
            return Window(first=when[0], last=when[1], phrase=phrase)
    recent = _RECENT.search(text)
    if recent:
        return Window(first=as_of - dt.timedelta(days=RECENT_DAYS), last=as_of, phrase=recent.group(0))
    return None


@lru_cache(maxsize=64)
def _parser(as_of: dt.date):  # dateparser's language data is loaded once, on first use
    from dateparser.date import DateDataParser

    base = dt.datetime.combine(as_of, dt.time())
    return DateDataParser(languages=["en"], settings={"RELATIVE_BASE": base, "PREFER_DATES_FROM": "past"})


def _dates(phrase: str, as_of: dt.date) -> tuple[dt.date, dt.date] | None:
    """(first, last) day of the period ``phrase`` names, as seen from ``as_of``."""
    data = _parser(as_of).get_date_data(phrase)
    if data is None or data.date_obj is None:
        return None
    day = data.date_obj.date()
    if data.period == "year":
        return dt.date(day.year, 1, 1), min(as_of, dt.date(day.year, 12, 31))
    if data.period == "month":
        first = day.replace(day=1)
        last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        return first, min(as_of, last) if first <= as_of else last
    if data.period == "week":
        return day - dt.timedelta(days=6), day
    return day, day
