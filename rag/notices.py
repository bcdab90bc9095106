"""Notices: what a news page says to its reader or about itself, around the story.

"Sign up for our newsletter", "Subscribe today", "Advertisement", "Share on
Facebook", "Read more: ...", "Back to the top", cookie notices, "Download our
app", "© 2026 ...", "Contributing: ...", "Reach her at jdoe@example.test", a
live blog's "– Jane Doe". ``CHECKS`` holds one (kind, check) per rule, in the
order ``rag.boilerplate`` tries them.

Trade-offs: every rule is anchored (the paragraph *starts* with the prompt,
at a sentence start, or *is* the label), so a story paragraph that merely
mentions a newsletter or Facebook is kept; a rule with needles is tried only
when the lower-cased text contains one of them, which keeps the unanchored
patterns off the ~95% of paragraphs that are plainly story. Generic English
patterns only: no outlet's or person's name.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_FLAGS = re.IGNORECASE | re.VERBOSE

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


CHECKS: list[tuple[str, Callable[[str], bool]]] = [
    *((name, _rule(needles, rule)) for name, needles, rule in _RULES),
    ("contact", _contact),
    ("signature", _signature),
]
