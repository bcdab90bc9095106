"""Boilerplate: the paragraphs of a scraped article that are not the story.

Scraped news carries the page around the story: "Updated June 16, 2026,
11:14 a.m. ET", a bare dateline ("WASHINGTON (AP) —"), photo captions and
credits, "Sign up for our newsletter", "Advertisement", share buttons,
"Read more: ..." links, cookie notices, "Download our app", copyright
footers, reporters' contact lines. Indexed, they fill the retrieved slots
and get cited as evidence. ``kind(text)`` names the kind of boilerplate a
paragraph is, or None for story text; ``split`` sorts an article's
paragraphs into kept and dropped; ``date_of`` reads the date a timestamp or
dateline states, since such a line is often the only date an article has.

Trade-offs. Rules, not a model: cheap, deterministic (paragraph ids must
survive re-indexing) and each one readable. They are tuned for precision,
not recall: a dropped story paragraph is an answer lost for good, a kept
prompt is only noise. So every rule is anchored (the paragraph *starts*
with the prompt, *is* the label, or *ends* with a photo credit) and short
(nothing over ``MAX_CHARS`` is ever boilerplate), and a story paragraph that
merely mentions a newsletter, a photo or Facebook is kept:

>>> kind("Sign up for our newsletter to get the latest news of the day."), kind("Advertisement")
('newsletter', 'advertisement')
>>> print(kind("More than 50,000 readers signed up for the newsletter in its first week, the paper said."))
None

The kinds, each a short anchored rule (``_CHECKS`` runs them in this order):

- updated: "Updated"/"Published"/"Posted" and nothing but date and time words;
  dateline-only: "WASHINGTON (AP) —", a place, an agency and a dash, no story;
- separator: no letter or digit ("* * *", "_____");
- update-note: "(This story has been updated to add new information.)" when
  only generic words follow (a note naming what was corrected is kept);
- newsletter, subscribe, promo, app: an imperative at a sentence start ("Sign
  up for ... newsletter", "Subscribe today", "Play the daily crossword",
  "Download the ... app for news");
- advertisement, share, related, navigation: the paragraph *is* the label
  ("Advertisement", "Copy link", "Back to the top") or starts with it
  ("Read more: <headline>", "RELATED: ...");
- cookie, copyright: cookie notices, "© 2026 ...", "All rights reserved";
- contributors: "Contributing: ...", "Reporting by ...; Editing by ...", a
  wire agency alone; contact: an e-mail or @handle with "reach/contact/follow
  him at"; signature: "– Jane Doe" under a live-blog update;
- caption and credit: a paragraph ending in a photo credit ("... on Tuesday.
  Jane Doe/AP", "(Image credit: ...)") or a credit alone ("Getty Images").

Only generic English patterns: no outlet's or person's name, so a new
source's boilerplate may be missed (the dev set was news-2025; see
``benchmarks/boilerplate.py`` for what is dropped, by kind, and the check
that no quiz answer is lost). Headline-only links to other stories without
a "More:"/"Related:" label look like subheadings and are kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from rag.extract import iso_date
from rag.text import is_abbreviation

MAX_CHARS = 450  # the longest newsletter pitch seen is ~430 characters; story paragraphs run longer

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

# --- timestamps and datelines --------------------------------------------------------------------------------

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


def _is_stamp(text: str) -> bool:
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


# --- photos ----------------------------------------------------------------------------------------------------

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


def _photo(text: str) -> str | None:
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


# --- prompts addressed to the reader ---------------------------------------------------------------------------

# A sentence start: the paragraph's, or after ". ", "? ", ": ", "; ", ", ", ") ".
_S = r"(?:^|[.!?:;,)]\s*)\W*"
# (kind, needles, pattern): the pattern is tried only if the lower-cased text contains a needle (or there are none),
# which keeps the unanchored patterns off the ~95% of paragraphs that are plainly story.
_RULES: list[tuple[str, tuple[str, ...], re.Pattern[str]]] = [
    (
        "update-note",
        ("updated",),
        re.compile(
            r"""^\W*(?:editor'?s?’?s?\s+note\s*:\s*)?this\s+(?:story|article|report|post|page)(?:\s+and\s+(?:its\s+)?headlines?)?
            \s+(?:has\s+been|have\s+been|was|has|will\s+be|is\s+being)\s+updated
            (?:\s+(?:to|with|and|add|added|include|includes|including|new|additional|more|latest|information|details
            |developments|videos?|photos?|photographs?|graphics?|an?|the|or|because|earlier|version|included|inaccuracy
            |typo|correct|fix|spacing|issue|misspelling|typing|error|reflect|news|comments?|throughout|also|as
            |a\s+typographical)\b[,/]?)*\W*$""",
            _FLAGS,
        ),
    ),
    (
        "newsletter",
        ("newsletter", "inbox", "email", "sign up"),
        re.compile(
            rf"""{_S}(?:sign\s+up|subscribe|register|join)\b[^.]{{0,160}}\b(?:newsletters?|inbox|emails?)\b
            | \bsign\s+up\s+(?:here|now|today|for\s+free|below)\b
            | \b(?:version\s+of\s+this\s+(?:story|article)|this\s+(?:story|article)\s+(?:first\s+)?appear(?:s|ed))
              \s+(?:first\s+)?(?:appear(?:s|ed)\s+)?in\b[^.]{{0,80}}\bnewsletter
            | (?:delivered|straight|right|directly)\s+(?:\w+\s+)?to\s+your\s+inbox
            | {_S}get\s+(?:our|the|it|[^.]{{0,40}}\bin\s+your\s+inbox)\b[^.]{{0,60}}\bnewsletter
            | {_S}don'?’?t\s+miss\b[^.]{{0,60}}\bsign\s+up
            | \b(?:or|and)\s+sign\s+up\s+for\b[^.]{{0,80}}\bnewsletter
            | \bnewsletters?\b[^.]{{0,40}}\?\s*sign\s+up\b""",
            _FLAGS,
        ),
    ),
    (
        "subscribe",
        ("subscri", "journalism", "unlimited", "support"),
        re.compile(
            rf"""{_S}(?:please\s+)?(?:subscribe|make\s+sure\s+to\s+subscribe|you\s+can\s+(?:also\s+)?subscribe)\b
            | \bplease\s+(?:subscribe|consider\s+(?:subscribing|supporting))\b
            | \bsupport(?:ing)?\s+(?:local\s+|quality\s+|independent\s+|our\s+)?journalism\b
            | \bsupport\s+it\s+with\s+a\s+subscription\b | \byour\s+subscription\s+makes\b
            | \bthanks?\s+(?:you\s+)?(?:to\s+our|for\s+(?:being|supporting))\s+(?:subscribers?|our\s+journalism)\b
            | \bbecome\s+an?\s+[^.]{{0,40}}\bsubscriber\b | \bunlimited\s+(?:digital\s+)?access\b
            | \bto\s+support\s+(?:his|her|their|our|this)\s+work\W{{0,3}}\s*subscrib""",
            _FLAGS,
        ),
    ),
    (
        "advertisement",
        (),
        re.compile(
            r"""^\W*(?:advertisement|advertising|ads?|sponsored(?:\s+content|\s+by\b.*)?|paid\s+(?:content|post|partner\w*)
            |partner\s+content|promoted\s+content|story\s+continues\s+below\s+(?:this\s+)?advertisement
            |continue\s+reading\s+(?:below|the\s+main\s+story)|scroll\s+to\s+continue(?:\s+with\s+content)?)\W*$
            | ^\W*video\s+ad\s+feedback\b""",
            _FLAGS,
        ),
    ),
    (
        "advertisement",
        ("fee", "commission"),
        re.compile(
            r"\b(?:we|may)\s+(?:may\s+)?(?:earn|receive|get)\s+(?:an?\s+)?(?:small\s+)?(?:affiliate\s+)?(?:fee|commission)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "promo",
        ("play ",),
        re.compile(
            r"""^\W*(?:need\s+a\s+break\?\s*|looking\s+for\s+[^?]{0,40}\?\s*)?
            play\s+(?:the|our|today'?’?s)\b[^.]{0,50}\b(?:crossword|puzzles?|sudoku|quick\s+cross|word\s+games?|games)\b""",
            _FLAGS,
        ),
    ),
    (
        "share",
        ("us on", "share", "link"),
        re.compile(
            r"""\b(?:follow|join|like|find)\s+us\s+on\s+(?:twitter|facebook|instagram|x|threads|tiktok|linkedin|social\s+media)\b
            | ^\W*(?:share|copy\s+(?:article\s+)?link|link\s+copied|share\s+(?:this|on|via)\b[^.]{0,40})\W*$""",
            _FLAGS,
        ),
    ),
    (
        "related",
        (),
        re.compile(
            r"""^\W*(?:read\s+more|more|related(?:\s+(?:stories|articles|coverage|content|reading))?|see\s+also|recommended
            |read\s+next|also\s+read|read\s+also|(?:read\s+)?(?:the\s+)?full\s+story|must\s+read|you\s+may\s+also\s+like
            |most\s+(?:read|popular)|more\s+(?:from|on)\s+[\w ]{1,30}|read\s+more\s+[\w ]{1,30}|watch|listen
            |photos|in\s+pictures|(?:photo\s+)?gallery|videos)\s*[:|]
            | ^\W*(?:read\s+more|read\s+more\s+here|read\s+the\s+full\s+story(?:\s+here)?
            |continue\s+reading|keep\s+reading
            |more\s+stories|related\s+stories|you\s+may\s+also\s+like|see\s+more|recommended(?:\s+for\s+you)?
            |click\s+here\s+to\s+(?:read|see|view|watch|learn)\b.{0,100}|read\s+more\s+(?:on|about)\b.{0,160}
            |read\s+(?:the\s+|[\w'’ ]{0,30}?)full\s+story\b.{0,120}
            |see\s+(?:photos|pictures|more\s+photos)\s+(?:of|from)\b.{0,80})\W*$""",
            _FLAGS,
        ),
    ),
    (
        "navigation",
        (),
        re.compile(
            r"""^\W*(?:back\s+to\s+(?:the\s+)?top|skip\s+to\s+(?:main\s+)?content|(?:the\s+)?story\s+continues\s+below.{0,40}
            |scroll\s+down.{0,40}|jump\s+to.{0,40}|table\s+of\s+contents|click\s+here|tap\s+here|loading)\W*$
            | ^\W*(?:can'?’?t|cannot|unable\s+to|having\s+trouble)\s+(?:see|view|seeing|viewing)\b[^?]{0,60}\?
              \s*(?:click|tap|please)\b""",
            _FLAGS,
        ),
    ),
    (
        "cookie",
        ("cookie", "by continuing", "by using", "by clicking"),
        re.compile(
            r"""\bwe\s+use\s+cookies\b | \b(?:accept|allow|manage|reject)\s+(?:all\s+)?cookies\b
            | \bcookie\s+(?:policy|settings|preferences|consent)\b
            | \bby\s+(?:continuing|using\s+(?:this|our)\s+(?:site|website)|clicking)\b
              [^.]{0,80}\b(?:agree|consent|accept)""",
            _FLAGS,
        ),
    ),
    (
        "app",
        ("app", "download"),
        re.compile(
            rf"""{_S}(?:download|get|try)\s+(?:the|our|your)\b[^.]{{0,40}}\bapp\b[^.]{{0,80}}\b(?:news|stories|story|coverage|reading|articles|headlines|more|connected)\b
            | {_S}download\s+(?:for|now|today|it)\b[^.]{{0,80}}\b(?:coverage|news|stories)\b
            | \bconsider\s+downloading\s+(?:the|our)\s+app\b""",
            _FLAGS,
        ),
    ),
    (
        "copyright",
        ("©", "(c)", "copyright", "℗", "rights reserved", "may not be"),
        re.compile(
            r"""^\W*(?:©|\(c\)\s*\d|copyright\b|℗)
            | \ball\s+rights\s+reserved\b
            | \bmay\s+not\s+be\s+(?:re)?published,?\s+broadcast,?\s+rewritten,?\s+or\s+redistributed\b""",
            _FLAGS,
        ),
    ),
    (
        "contributors",
        (),
        re.compile(
            r"""^\W*contribut\w*(?:\s+to\s+this\s+(?:report|story|article))?\s*:
            | ^\W*(?-i:CONTRIBUTING\s+[A-Z])
            | ^\W*(?:(?:with\s+)?additional\s+reporting|editing|writing|compiled)\s+by\b
            | ^\W*reporting\s+by\b[^.]*;\s*editing\s+by\b
            | ^\W*(?:from\s+)?[\w ]{0,60}\bwire\s+(?:reports|services)\W*$
            | ^\W*(?:the\s+)?(?:associated\s+press|reuters|afp|agence\s+france-presse|ap|upi)\W*$
            | ^[^.]{0,120}\bcontributed\s+(?:reporting|to\s+this\s+(?:report|story|article))\W*$""",
            _FLAGS,  # "Contributing factors: ..." is story (no colon after the word), "CONTRIBUTING Jane Doe" is not
        ),
    ),
]
_CONTACT_HANDLE = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+|(?<![\w@])@\w{2,}")
_CONTACT = re.compile(
    r"""^\W*(?:contact|reach|e-?mail|follow)\b
    | \b(?:reach|contact|e-?mail|follow|message|tweet(?:\s+at)?)\s+(?:him|her|them|me|us)\b
    | (?:^|[.!?]\s+)[^,.;]{0,60}?\b(?:can|may)\s+(?:also\s+)?be\s+(?:reached|contacted|emailed)\b
    | \b(?:is|are)\s+an?\s+[^.]{0,60}
      \b(?:reporter|writer|columnist|editor|correspondent|producer|journalist|critic)\b""",
    _FLAGS,
)
# "– Jane Doe": a live blog's signature under an update: capitalised names (and outlets after a comma), up to 100
# characters; not a street in a list of road closures ("--East Main Street").
_SIGNATURE = re.compile(
    r"""^[-–—−‒]{1,2}\s*[A-Z][\w'’.-]*(?:\s+(?:[A-Z][\w'’.-]*|and|&|de|van|von|der|la|le)|\s*[,;]\s*[A-Z][\w'’.-]*){1,11}\s*$""",
    re.VERBOSE,
)
_STREET = re.compile(
    r"\b(?:road|street|avenue|ave|st|rd|drive|dr|lane|ln|boulevard|blvd|highway|hwy|parkway|pkwy|way|court|place"
    r"|circle|trail|bridge|route|interstate|county|river|creek|park)\b\.?",
    re.IGNORECASE,
)


def _rule(needles: tuple[str, ...], pattern: re.Pattern[str]) -> Callable[[str], bool]:
    def check(text: str) -> bool:
        low = text.lower()
        return (not needles or any(n in low for n in needles)) and bool(pattern.search(text))

    return check


def _contact(text: str) -> bool:
    if len(text) > 350 or "@" not in text or not _CONTACT_HANDLE.search(text):
        return False
    return bool(_CONTACT.search(text)) or bool(_CONTACT_HANDLE.fullmatch(text.strip(" .")))


def _signature(text: str) -> bool:
    return len(text) <= 100 and bool(_SIGNATURE.match(text)) and not _STREET.search(text)


_CHECKS: list[tuple[str, Callable[[str], bool]]] = [
    ("separator", lambda t: not any(c.isalnum() for c in t)),
    ("updated", _is_stamp),
    ("dateline-only", lambda t: len(t) <= 80 and bool(_DATELINE_ONLY.match(t))),
    *((name, _rule(needles, rule)) for name, needles, rule in _RULES),
    ("contact", _contact),
    ("signature", _signature),
]


def kind(text: str) -> str | None:
    """The kind of boilerplate a paragraph is, or None for story text.

    >>> [kind(t) for t in ["Updated 11:14 AM ET, Mon June 16, 2026", "PARIS (AFP) —", "* * *"]]
    ['updated', 'dateline-only', 'separator']
    >>> [kind(t) for t in ["(Photo: Jane Doe/AP)", "Image source, Reuters", "Getty Images"]]
    ['credit', 'credit', 'credit']
    >>> kind("Firefighters battle the blaze near Elm Creek on Tuesday. Jane Doe/AP")
    'caption'
    >>> [kind(t) for t in ["Share on Facebook", "Copy link", "Read more: Storm closes harbour", "Back to the top"]]
    ['share', 'share', 'related', 'navigation']
    >>> [kind(t) for t in ["We use cookies to improve your experience.", "© 2026 Example Media. All rights reserved."]]
    ['cookie', 'copyright']
    >>> kind("Reach Jane Doe at jdoe@example.test or follow her on X @janedoe.")
    'contact'
    >>> print(kind("The mayor shared a photo of the flooded street on Facebook and urged residents to stay home."))
    None
    """
    text = " ".join(text.split())
    if not text or len(text) > MAX_CHARS:
        return None
    for name, check in _CHECKS:
        if check(text):
            return name
    return _photo(text)


def date_of(text: str) -> str:
    """The YYYY-MM-DD date an "Updated ..."/"Published ..." line or a dateline states; "" for any other paragraph.

    The first date of the line counts ("Published ... | Updated ..." gives the publication). Absolute dates
    only (``rag.extract.iso_date``): a dateline without a year states no date.

    >>> date_of("Updated June 16, 2026, 11:14 a.m. ET"), date_of("Published 9 a.m. ET Sept. 5, 2025 | Updated 1 p.m.")
    ('2026-06-16', '2025-09-05')
    >>> date_of("LONDON, June 5, 2025 (Reuters) - The central bank held rates."), date_of("LONDON, June 5 (Reuters) -")
    ('2025-06-05', '')
    >>> date_of("The storm hit on June 16, 2026, officials said.")
    ''
    """
    text = " ".join(text.split())
    if kind(text) not in ("updated", "dateline-only") and not _DATELINE_START.match(text):
        return ""
    m = _DATE.search(text)
    return iso_date(m.group(0)) if m else ""


def split(paragraphs: Iterable[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """(the story paragraphs, the dropped ones as (kind, text)), in their order.

    An article is never emptied: if every paragraph looks like boilerplate, all are kept (a one-paragraph
    note is still something the person chose to index).

    >>> split(["Advertisement", "The harbour closed on Friday.", "Sign up for our newsletter."])[1]
    [('advertisement', 'Advertisement'), ('newsletter', 'Sign up for our newsletter.')]
    >>> split(["Advertisement"])
    (['Advertisement'], [])
    """
    kept: list[str] = []
    dropped: list[tuple[str, str]] = []
    texts = list(paragraphs)
    for text in texts:
        name = kind(text)
        if name is None:
            kept.append(text)
        else:
            dropped.append((name, text))
    if not kept:
        return texts, []
    return kept, dropped
