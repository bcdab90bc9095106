"""Captions: photo captions and credits that a scraped article keeps between its paragraphs.

A caption is a description ending in a photo credit ("Firefighters battle the
blaze on Tuesday. Jane Doe/AP", "... (Image credit: ...)"); a credit can also
stand alone ("Getty Images", "Photo: Jane Doe/Reuters"). ``photo_kind`` names
which of the two a paragraph is.

Trade-offs: a credit is recognised by its shape (every word capitalised, no
closing punctuation, an agency or a slash) rather than a list of names, so a
new photographer's credit is caught; a bare "AP" or "Reuters" after a sentence
could be a story's own last word, so those count only inside a slash credit
("Jane Doe/AP"). A caption without any credit is kept as story text.
"""

from __future__ import annotations

import re

from rag.text import is_abbreviation

_FLAGS = re.IGNORECASE | re.VERBOSE

# Photo agencies and credit words; a bare "AP" or "Reuters" after a sentence could be a story's own last word,
# so those count only inside a slash credit ("Jane Doe/AP").
_AGENCY = (
    r"(?:getty\s+images(?:\s+(?:north\s+america|europe|asiapac|sport|entertainment|for\s+[\w ]{2,40}))?|getty"
    r"|shutterstock|alamy|istock(?:photo)?|adobe\s+stock|pool|handout|file|courtesy(?:\s+of\s+[\w .'’&-]+)?)"
)
_WIRE = r"(?:ap|afp|reuters|epa(?:-efe)?|[\w-]+\s+images|nasa|bloomberg|xinhua|dpa|anadolu(?:\s+agency)?|nurphoto|sipa)"
_CREDIT = re.compile(
    rf"""[\w.'’&-]+(?:\s+[\w.'’&-]+){{0,7}}(?:\s*/+\s*[\w.'’&-]+(?:\s+[\w.'’&-]+)*)+  # Xu Fugeng/VCG/Getty Images
    | (?:[\w.'’&-]+\s+){{0,4}}{_AGENCY}                                # Spencer Platt Getty Images, Shutterstock""",
    _FLAGS,
)
_AGENCY_END = re.compile(_AGENCY + r"\s*$", re.IGNORECASE)
_WIRE_END = re.compile(r"(?:^|/)\s*" + _WIRE + r"\s*$", re.IGNORECASE)
_BREAK = re.compile(r"(?<=[.!?\"”’)\d])\s+")  # where a caption's sentence (or its date) ends and the credit begins
_PAREN_CREDIT = re.compile(r"\((?:photo|image|picture|video)s?(?:\s+credit)?\s*:\s*[^()]{2,80}\)+$", re.IGNORECASE)
_LABELLED_CREDIT = re.compile(
    r"(?<=[.!?\"”’)])\s+(?:(?:photo|image|picture)\s+)?credit\s*:\s*[^.]{2,80}$", re.IGNORECASE
)
_CREDIT_LINE = re.compile(
    r"""^\W*(?:(?:photo|image|picture|video|illustration|graphic|photograph)s?\s*(?:credit|source|courtesy|by)?\s*[:,]
    | (?:photo|image|picture|photograph)s?\s+(?:by|courtesy\s+of)\b
    | credit\s*:|courtesy\s+of\b
    | (?:ap|afp|reuters|epa)\s+photo\b)""",
    _FLAGS,
)
_CAPTION_START = re.compile(r"^\W*(?:image\s+|photo\s+|video\s+)?caption\s*[:,]", re.IGNORECASE)
_SMALL_WORDS = frozenset("via of for and the de la van von der".split())


def _credit_like(credit: str) -> bool:
    """Every word capitalised (or a small joining word), as names and agencies are; a credit ends unpunctuated."""
    if credit.rstrip()[-1:] in ".!?:;," or len(credit) > 100:
        return False
    words = re.findall(r"[^\s/]+", credit)
    lower = [w for w in words if not w[:1].isupper() and not w[:1].isdigit() and w.lower() not in _SMALL_WORDS]
    return len(lower) <= (1 if _AGENCY_END.search(credit) else 0) and bool(_CREDIT.fullmatch(credit))


def _trailing_credit(text: str) -> tuple[int, str] | None:
    """(where it starts, the credit) of the longest photo credit ending ``text``, if any."""
    breaks = (
        m for m in _BREAK.finditer(text) if not (text[m.start() - 1] == "." and is_abbreviation(text, m.start() - 1))
    )
    for start in (0, *(m.end() for m in breaks)):
        tail = text[start:]
        if len(tail) <= 100 and _credit_like(tail):
            after_sentence = start > 0 and not text[:start].rstrip()[-1:].isdigit()
            slash = "/" in tail
            if _AGENCY_END.search(tail) or (slash and (_WIRE_END.search(tail) or after_sentence)):
                return start, tail
    return None


def photo_kind(text: str) -> str | None:
    """ "caption" for a description ending in a photo credit, "credit" for a credit alone."""
    if _CAPTION_START.match(text):
        return "caption"
    if len(text) <= 140 and (_CREDIT_LINE.match(text) or _PAREN_CREDIT.fullmatch(text.strip())):
        return "credit"
    found = _trailing_credit(text)
    if found:
        return "caption" if found[0] > 0 else "credit"
    if (_PAREN_CREDIT.search(text) or _LABELLED_CREDIT.search(text)) and len(text) <= 400:
        return "caption"
    return None
