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
- "the <noun>" ("the minister", "the carmaker's chief executive", "the
  festival's director") is the first earlier name given that noun as a
  title or description (``descriptions``): before the name ("Minister
  Helena Quintas", "carmaker Vranov Automotive") or beside it, in
  apposition ("Kalamaja Film Days, Estonia's largest documentary
  festival"; "The minister, Friederike Stallbaum, ..."). Which noun
  describes which name comes from spaCy's dependency parse
  (``rag.language``), not from capitalization: a lower-case descriptor
  before a name is as common in news as a title.

Trade-off: rules over the parse, not a coreference model (none ships on
PyPI for spaCy 3.8), so pronouns ("he") are left to the sentence before
(``rag.claims.evidence_of``) and anything unusual finds nothing, which
verifies nothing; a wrong antecedent would only add a sentence that the
cross-encoder then judges. Earlier sentences are parsed only when a claim's
own evidence did not verify it, and each parse is cached.

>>> earlier = ["On Saturday, Iraqi Foreign Minister Fuad Hussein met Iranian officials."]
>>> antecedent("The talks began with a meeting between Hussein and Qalibaf.", earlier)[:2]
(0, 'On Saturday, Iraqi Foreign Minister Fuad Hussein met Iranian officials.')
>>> antecedent("Alvim also held talks with the minister.", ["Infrastructure Minister Helena Quintas met Calado."])[:2]
(0, 'Infrastructure Minister Helena Quintas met Calado.')
>>> antecedent("said Tereza Holubova, the carmaker's chief executive.", ["It was paid for by carmaker Vranov Motors."],
...            claim="Tereza Holubova")[2]
"said Tereza Holubova, carmaker Vranov Motors's chief executive."
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rag import language
from rag.text import STOPWORDS, sentences

if TYPE_CHECKING:
    from spacy.tokens import Token

_TOKEN = r"[A-ZÀ-Þ][\w'’-]+"
_WORD = re.compile(r"[\w'’-]+|[.!?“\"]")
_PROPER = frozenset({"NNP", "NNPS"})
_COMMON = frozenset({"NN", "NNS"})
_FIRST_WORDS = frozenset("the a an he she it they we i this that these those on in at but and or as after".split())


def references(sentence: str) -> list[tuple[str, str]]:
    """The people ``sentence`` names only by surname or by "the <noun>": ("surname", "Hussein"), ("title", "minister").

    A surname is a capitalized word standing alone (no capitalized word next to it: "Mohammad Baqer Qalibaf"
    and "Iran's Speaker" are full names), not the sentence's first. A title is a common noun after "the"
    (its lemma, in lower case).

    >>> references("A meeting between Hussein and Iran's Speaker, Mohammad Baqer Qalibaf, and the minister.")
    [('surname', 'Hussein'), ('title', 'minister')]
    >>> references("Nobody will lose a euro, said the carmaker's chief executive.")
    [('title', 'carmaker')]
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
    out += [("title", t.lemma_.casefold()) for t in language.doc(sentence) if t.tag_ in _COMMON and t.text.islower()
            and any(c.dep_ == "det" and c.lower_ == "the" for c in t.children)]
    return list(dict.fromkeys(out))


def descriptions(sentence: str) -> dict[str, str]:
    """The nouns (lemmas, lower case) ``sentence`` gives a name as its title or description, each with that name
    as written, by the parse: a compound before a proper noun ("Minister Helena Quintas", "carmaker Vranov
    Automotive") or a common noun in apposition with one, either way round ("Kalamaja Film Days, Estonia's
    largest documentary festival"; "The minister, Friederike Stallbaum").

    >>> descriptions("Infrastructure Minister Helena Quintas met carmaker Vranov Motors.")["carmaker"]
    'carmaker Vranov Motors'
    >>> descriptions("The minister, Friederike Stallbaum, spoke.")
    {'minister': 'Friederike Stallbaum'}
    """
    doc, out = language.doc(sentence), {}
    for t in doc:
        if t.dep_ == "compound" and t.head.tag_ in _PROPER:
            for c in t.subtree:
                if c.dep_ == "compound" and not c.ent_type_:  # a title or descriptor, not part of the name
                    out.setdefault(c.lemma_.casefold(), _name(t.head))
        elif t.dep_ == "appos" and {t.tag_, t.head.tag_} & _PROPER and {t.tag_, t.head.tag_} & _COMMON:
            noun, name = (t, t.head) if t.tag_ in _COMMON else (t.head, t)
            out.setdefault(noun.lemma_.casefold(), _name(name))
    return out


def _name(head: Token) -> str:
    """The proper noun ``head`` with the compounds before it, as written ("Kalamaja Film Days")."""
    first = min([head.i, *(c.i for c in head.subtree if c.dep_ == "compound" and c.i < head.i)])
    return head.doc[first : head.i + 1].text


def antecedent(sentence: str, earlier: Sequence[str], claim: str = "") -> tuple[int, str, str] | None:
    """(index in ``earlier``, the earlier sentence introducing someone ``sentence`` names only by surname or
    title, ``sentence`` as it is to be judged); None if there is none (everyone is named in full, or never
    introduced).

    Someone named by surname, or by a title they were given before their name ("the minister" after "Minister
    Helena Quintas"), is judged after the sentence introducing them. A description of the ``claim`` itself
    ("Tereza Holubova, the carmaker's chief executive") is judged with the name put in its place ("...,
    carmaker Vranov Motors's chief executive"), and only there: put before any sentence that mentions "the
    festival", the sentence introducing the festival makes it an answer about the festival for the
    cross-encoder, which rates a sentence by the names it shares with the question.
    """
    for kind, word in references(sentence):
        full = re.compile(rf"\b{_TOKEN}(?:\s+{_TOKEN})*\s+{re.escape(word)}\b")
        titled = re.compile(rf"\b{re.escape(word)}\s+{_TOKEN}\s+{_TOKEN}", re.IGNORECASE)
        described = kind == "title" and _describes(sentence, word, claim)
        for i, paragraph in enumerate(earlier):
            for candidate in sentences(paragraph) or [paragraph]:
                if described and (name := descriptions(candidate).get(word)):
                    return i, candidate, _named(sentence, word, name)
                match = (full if kind == "surname" else titled).search(candidate)
                if match and (kind == "surname" or match.group(0)[0].isupper()):  # "Minister Quintas", a title
                    return i, candidate, f"{candidate} {sentence}"
    return None


# The dependencies from a noun up to the name it describes: "X, the carmaker's chief" (poss, appos), "X,
# head of the carmaker" (pobj, prep, appos), "carmaker chief X" (compound).
_DESCRIBING = frozenset({"poss", "appos", "compound", "amod", "prep", "pobj", "case"})


def _describes(sentence: str, title: str, claim: str) -> bool:
    """Whether "the <title>" in ``sentence`` is part of a description of ``claim`` (a name the sentence gives):
    its way up the parse to the claim passes through apposition, possession and prepositions only.

    >>> _describes("said Tereza Holubova, the carmaker's chief executive.", "carmaker", "Tereza Holubova")
    True
    >>> _describes("said Kristjan Udras, whose film opened the festival in 2023.", "festival", "Kristjan Udras")
    False
    """
    words = set(re.findall(r"[\w'’-]+", claim))
    if not words:
        return False
    for t in _titles(sentence, title):
        while t.dep_ in _DESCRIBING and t.head.i != t.i:  # positions: spaCy makes a new Token per access
            t = t.head
            if t.text in words:
                return True
    return False


def _titles(sentence: str, title: str) -> list[Token]:
    """The common nouns of ``sentence`` whose lemma is ``title``."""
    return [t for t in language.doc(sentence) if t.lemma_.casefold() == title and t.tag_ in _COMMON]


def _named(sentence: str, title: str, name: str) -> str:
    """``sentence`` with "the <...> <title>" replaced by ``name``.

    >>> _named("Nobody will lose, the German economy minister said.", "minister", "Friederike Stallbaum")
    'Nobody will lose, Friederike Stallbaum said.'
    """
    for t in _titles(sentence, title)[:1]:
        return f"{sentence[:t.left_edge.idx]}{name}{sentence[t.idx + len(t.text):]}"
    return sentence
