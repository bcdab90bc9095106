"""Datelines: "Updated ..."/"Published ..." stamps and bare datelines, and the dates they state.

A news page often carries its date only in a line like "Updated 11:14 AM ET,
Mon June 16, 2026" or a dateline "LONDON, June 5, 2025 (Reuters) -". Such a
line is boilerplate when it is nothing but the stamp (``is_stamp``) or the
place, agency and dash (``is_dateline_only``), and it is where
``rag.boilerplate.date_of`` reads the article's date (``first_date``).

Trade-offs: English words only, and a stamp is every word a date or time word
("Updated 2 hours ago", "June 16, 2026 / 11:14 AM"), so one story word makes
the line story text. A date alone ("Thursday, June 11") is not a stamp: in a
timeline it heads the events below it. Only absolute dates are read: "2 hours
ago" is the time of reading, not of writing.
"""

from __future__ import annotations

import re

from rag.extract import iso_date

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_WEEKDAY = r"(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|sday|nesday|urday|rsday)?\.?"
# A full date: "June 16, 2026", "16 June 2026", "2026-06-16", "6/16/2026".
_DATE = re.compile(
    rf"\b(?:{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\d{{1,2}}\s+{_MONTH},?\s+\d{{4}}"
    r"|\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{4})\b",
    re.IGNORECASE,
)
_FLAGS = re.IGNORECASE | re.VERBOSE

_STAMP_START = re.compile(
    r"^\W*(?:last\s+|originally\s+|first\s+)?(?:updated|published|posted|modified)(?:\s+(?:on|at))?\b[\s:,]*",
    re.IGNORECASE,
)
# What may follow "Updated": dates, times, zones and the separators between two stamps.
_STAMP_WORD = re.compile(
    rf"""^(?:{_MONTH}|{_WEEKDAY}|\d+(?:st|nd|rd|th)?|\d{{1,2}}[:.]\d\d(?:[ap]m)?|[ap]\.?m\.?|noon|midnight
    |[ecmp][sd]?t|ak[sd]t|h[sd]t|gmt|utc|bst|cest?|eest?|ist|jst|kst|hkt|sgt|aes?[sd]?t|z
    |at|on|and|ago|just|now|today|yesterday|minutes?|mins?|hours?|hrs?|days?
    |updated|published|posted|modified|last|first|originally)$""",
    _FLAGS,
)
_DATELINE_ONLY = re.compile(
    r"""^(?:[A-Z][\w.'’-]*|\d{1,4}(?:st|nd|rd|th)?)      # WASHINGTON, New, June, 5, 2025
    (?:[ ,/]+(?:[A-Z][\w.'’-]*|\d{1,4}(?:st|nd|rd|th)?|and|de|la|el|of))*
    \s*(?:\([A-Z][\w .&'-]{0,30}\))?                    # (AP), (Reuters)
    \s*(?:—|–|―|-{1,2})$""",
    re.VERBOSE,
)
_DATELINE_START = re.compile(
    rf"^[A-Z][\w.'’ ,/-]{{0,40}},\s+(?:{_WEEKDAY},?\s+)?{_MONTH}\s+\d{{1,2}},?\s+\d{{4}}"
    r"\s*(?:\([^)]{0,30}\))?\s*(?:—|–|-{1,2})",
    re.IGNORECASE,
)


def is_stamp(text: str) -> bool:
    """ "Updated 11:14 AM ET, Mon June 16, 2026": a stamp keyword and nothing but date and time words.

    The keyword opens the line, or the line is all date words around it ("June 16, 2026 / 11:14 AM / Updated 2
    hours ago"). A date alone ("Thursday, June 11") is not a stamp: in a timeline it heads the events below it.
    """
    m = _STAMP_START.match(text)
    rest = text[m.end() :] if m else text
    if not m and not re.search(r"\b(?:updated|published|posted)\b", text, re.IGNORECASE):
        return False
    if not any(c.isdigit() for c in rest) and not re.search(r"\b(?:ago|just now)\b", rest, re.IGNORECASE):
        return False
    tokens = (t.rstrip(".:") for t in re.split(r"[\s,|·•/()–—-]+", rest))
    return all(_STAMP_WORD.match(t) or not t for t in tokens)


def is_dateline_only(text: str) -> bool:
    """A dateline and nothing after it: "WASHINGTON (AP) —", a place, an agency and a dash, no story."""
    return len(text) <= 80 and bool(_DATELINE_ONLY.match(text))


def opens_with_dateline(text: str) -> bool:
    """The line starts with a dated dateline: "LONDON, June 5, 2025 (Reuters) - ..."."""
    return bool(_DATELINE_START.match(text))


def first_date(text: str) -> str:
    """The first full date in ``text`` as YYYY-MM-DD ("" when there is none)."""
    m = _DATE.search(text)
    return iso_date(m.group(0)) if m else ""
