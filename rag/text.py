"""Text helpers shared by the stages: sentence splitting and content words.

One tokenizer for every lexical comparison in the project (BM25 retrieval,
citation support, evaluation), so "matches" means the same thing everywhere:
lower-cased words and numbers ("3.5", "$40", "2020" stay whole), possessive
and plural "s" stripped, English function words dropped.
"""

from __future__ import annotations

import re

_SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"”’)]))\s+(?=[\"“‘(]?[A-Z0-9])")
STOPWORDS = frozenset(
    """a an the and or but if of to in on at by for with from as into about over after before between
    during under than then that this these those there here is are was were be been being am do does did
    has have had having will would shall should can could may might must it its he she they them his her
    their him we us our you your i me my who whom whose what which when where why how not no yes also
    only very just so such said says say according one more most other some any all each both up out off
    again""".split()
)
_WORD = re.compile(r"[\w$%]+(?:[.,'’][\w]+)*", re.UNICODE)


def sentences(text: str) -> list[str]:
    """Split text into sentences at '. ' followed by a capital or digit.

    >>> sentences('He met Mr. Hussein. "We agree," he said. Then 3 left.')
    ['He met Mr.', 'Hussein.', '"We agree," he said.', 'Then 3 left.']

    Over-splitting after abbreviations is harmless here: sentences are only
    grouped back into pieces or scored one by one.
    """
    return [s for s in _SENTENCE_END.split(text.strip()) if s]


def words(text: str) -> list[str]:
    """Lower-cased content words, possessives and plural 's' stripped.

    >>> words("Iran's Speaker met the Iraqi ministers in 2020.")
    ['iran', 'speaker', 'met', 'iraqi', 'minister', '2020']
    """
    out = []
    for w in _WORD.findall(text.lower()):
        w = re.sub(r"['’]s$", "", w)
        if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
            w = w[:-1]
        if w not in STOPWORDS:
            out.append(w)
    return out
