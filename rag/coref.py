"""Coreference across paragraphs: who "Hussein" or "the minister" is, from where the article introduced them.

News introduces a person once, in full and with a title ("Iraqi Foreign
Minister Fuad Hussein"), and names them by surname or by title after ("a
meeting between Hussein and Qalibaf", "she also met the minister"). So a
paragraph can answer "who met the Iraqi foreign minister?" without saying
"foreign minister": the evidence is that paragraph *and* the earlier one
that says who Hussein is. ``antecedent`` finds that earlier sentence, by
two rules of news style:

- a name given alone (one capitalized word, not starting the sentence) is
  the surname of the first earlier full mention ending in it;
- "the <title>" ("the minister", "the chairwoman") is the first earlier
  person given that title before their name ("Minister Helena Quintas").

Trade-off: rules, not a model, so pronouns ("he") are left to the sentence
before (``rag.claims.evidence_of``) and anything unusual finds nothing, which
verifies nothing; a wrong antecedent would only add a sentence that the
cross-encoder then judges.

>>> earlier = ["On Saturday, Iraqi Foreign Minister Fuad Hussein met Iranian officials."]
>>> antecedent("The talks began with a meeting between Hussein and Qalibaf.", earlier)
(0, 'On Saturday, Iraqi Foreign Minister Fuad Hussein met Iranian officials.')
>>> antecedent("Alvim also held talks with the minister.", ["Infrastructure Minister Helena Quintas met Calado."])
(0, 'Infrastructure Minister Helena Quintas met Calado.')
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.text import STOPWORDS, sentences

_TOKEN = r"[A-ZÀ-Þ][\w'’-]+"
_WORD = re.compile(r"[\w'’-]+|[.!?“\"]")
_THE_TITLE = re.compile(r"\bthe\s+([a-z]+)\b")
_FIRST_WORDS = frozenset("the a an he she it they we i this that these those on in at but and or as after".split())


def references(sentence: str) -> list[tuple[str, str]]:
    """The people ``sentence`` names only by surname or title: ("surname", "Hussein") or ("title", "minister").

    A surname is a capitalized word standing alone (no capitalized word next to it: "Mohammad Baqer Qalibaf"
    and "Iran's Speaker" are full names), not the sentence's first.

    >>> references("A meeting between Hussein and Iran's Speaker, Mohammad Baqer Qalibaf, and the minister.")
    [('surname', 'Hussein'), ('title', 'minister')]
    """
    tokens = _WORD.findall(sentence)
    capital = [t[:1].isupper() for t in tokens]
    out: list[tuple[str, str]] = []
    for i, token in enumerate(tokens):
        first = i == 0 or tokens[i - 1] in ".!?“\""
        alone = capital[i] and not (i and capital[i - 1]) and not (i + 1 < len(tokens) and capital[i + 1])
        word = re.sub(r"['’]s$", "", token)
        if not alone or first or token.isupper() or word.casefold() in STOPWORDS | _FIRST_WORDS or len(word) < 3:
            continue
        out.append(("surname", word))
    out += [("title", t) for t in _THE_TITLE.findall(sentence) if t not in STOPWORDS]
    return list(dict.fromkeys(out))


def antecedent(sentence: str, earlier: Sequence[str]) -> tuple[int, str] | None:
    """(index in ``earlier``, sentence) of the first earlier sentence introducing someone ``sentence`` names
    only by surname or title; None if there is none (everyone is named in full, or never introduced)."""
    for kind, word in references(sentence):
        if kind == "surname":
            full = re.compile(rf"\b{_TOKEN}(?:\s+{_TOKEN})*\s+{re.escape(word)}\b")
        else:
            full = re.compile(rf"\b{re.escape(word)}\s+{_TOKEN}\s+{_TOKEN}", re.IGNORECASE)
        for i, paragraph in enumerate(earlier):
            for candidate in sentences(paragraph) or [paragraph]:
                match = full.search(candidate)
                if match and (kind == "surname" or match.group(0)[0].isupper()):  # "Minister Quintas", a title
                    return i, candidate
    return None
