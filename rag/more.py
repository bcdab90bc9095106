"""More answers: a question with several answers in several paragraphs gets them all, each cited.

"Who met the Iraqi foreign minister?" is answered in two paragraphs, and a
small model shown both names one: the one its first passage states most
plainly ("Hassan Rouhani also met with the Iraqi foreign minister"), or the
minister himself ("Iraqi Foreign Minister Fuad Hussein met ..."), which the
verifier removes. So after the first answer is verified, each relevant
paragraph it did not cite gets a short call of its own (``candidates``: the
paragraphs the cross-encoder rates as answering, relevance >=
``min_relevance``, at most ``MORE_PASSAGES``, each cut to its best
sentences): shown several at once, the model names one of them. In them the
person the question describes is masked to the question's own words
(``mask``: "a meeting between Hussein and ... Qalibaf" is shown as "a meeting
between the Iraqi foreign minister and ... Qalibaf"), since the model
otherwise answers with that person. Each further answer is verified against
the original paragraph like the first, and its new claims that name someone
in full are added (``merge``); a claim that repeats one already given is
dropped. Only who-questions (``applies``).

Trade-off: up to ``MORE_PASSAGES`` more model calls (short prompts: the
prefix is cached) for a who-question whose first answer left relevant
paragraphs uncited; nothing of them is streamed, since only their verified
claims are kept.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from rag import attribute
from rag.cite import MARKER, strip_markers
from rag.records import Answer, Citation, Hit
from rag.text import words

MORE_PASSAGES = 3
_NAMED = re.compile(r"\b[A-ZÀ-Þ][\w'’.-]+\s+[A-ZÀ-Þ][\w'’-]+")  # a person named in full: two capitalized words
MORE_WORDS = 60  # of passage text in a further call: the candidate's best sentence or two
_TOKEN = r"[A-ZÀ-Þ][\w'’-]+"
# "who met the Iraqi foreign minister?" (the object) / "whom did the infrastructure minister receive?" (the subject)
_OBJECT = re.compile(r"^\s*who\s+(?!is\b|was\b|are\b|were\b)\w+\s+(?:with\s+)?(?P<who>the\s+[^?,]+?)\s*(?:\?|$)", re.I)
_SUBJECT = re.compile(r"^\s*whom?\s+(?:did|does|do|has|had|will)\s+(?P<who>(?:the|[\w-]+['’]s)\s+[\w'’ -]+?)\s+"
                      r"(?:receive|meet|visit|call|see|thank|host|welcome|name|appoint|hire|fire|praise|blame|criticize|"
                      r"criticise|accuse|invite|interview|replace|join|support|back|\w+ed)\b", re.I)


_PERSONS = re.compile(r"^\s*whom?\b", re.I)


def applies(question: str) -> bool:
    """Whether a second look may add answers: a question for people ("who met ...?", "whom did ... receive?").

    Asked of single-answer questions ("how many jobs were added?", "where is tin mined?"), further calls
    added topical wrong answers that the verifier let through (pooled SQuAD F1 0.703 -> 0.662, 27 of 190
    answers changed, none a who-question: ``docs/decisions.md``).

    >>> applies("Who met the Iraqi foreign minister?"), applies("How many jobs were added?")
    (True, False)
    """
    return bool(_PERSONS.match(question))


def described(question: str) -> str | None:
    """The person a who-question describes by title ("the Iraqi foreign minister"), or None.

    >>> described("who met the Iraqi foreign minister?"), described("whom did the Iraqi foreign minister meet?")
    ('the Iraqi foreign minister', 'the Iraqi foreign minister')
    >>> described("Whom did Portugal's infrastructure minister receive at her ministry on Wednesday?")
    "Portugal's infrastructure minister"
    >>> described("what is Iran's policy?") is None
    True
    """
    match = _OBJECT.match(question) or _SUBJECT.match(question)
    return match.group("who").strip() if match else None


def mask(passage: str, context: str, phrase: str) -> str:
    """``passage`` with the person ``phrase`` describes named as ``phrase`` instead (full name and surname).

    The person is the name that follows the phrase's last two words in ``context`` (the passage's article):
    "Iraqi Foreign Minister Fuad Hussein" for "the Iraqi foreign minister".

    >>> ctx = "On Saturday, Iraqi Foreign Minister Fuad Hussein met officials."
    >>> mask("A meeting between Hussein and Speaker Mohammad Qalibaf.", ctx, "the Iraqi foreign minister")
    'A meeting between the Iraqi foreign minister and Speaker Mohammad Qalibaf.'
    """
    found = re.search(rf"\b{attribute.role_title(phrase)}\s+(?P<name>{_TOKEN}(?:\s+{_TOKEN})*)", context)
    if not found:
        return passage
    name = found.group("name")
    lead = r"(?:\b(?:[A-ZÀ-Þ][\w'’-]+|of|the)\s+)*"  # the title before a full mention goes with it
    passage = re.sub(rf"{lead}\b{re.escape(name)}\b", phrase, passage)
    return re.sub(rf"\b{re.escape(name.split()[-1])}\b", phrase, passage)


def candidates(answer: Answer, ranked: Sequence[Hit], min_relevance: float) -> list[Hit]:
    """The hits worth a second look: rated as answering by the cross-encoder, and not cited by ``answer``."""
    cited = {p.id for c in answer.citations for p in c.paragraphs}
    keep = [h for h in ranked if h.paragraph.id not in cited and (h.relevance or 0.0) >= min_relevance]
    return keep[:MORE_PASSAGES]


def merge(first: Answer, more: Answer) -> Answer:
    """``first`` with the verified claims of ``more`` that it does not already give, markers renumbered.

    >>> from rag.records import Paragraph
    >>> p = lambda n: Paragraph(id=f"a:{n}", article_id="a", article_title="A", number=n, text="x")
    >>> c = lambda m, n, s: Citation(marker=m, paragraph=p(n), support=1.0, sentence=s, evidence="x")
    >>> a = Answer(question="q", text="Hassan Rouhani [1]", citations=(c(1, 8, "Hassan Rouhani"),), hits=(),
    ...            abstained=False, short="Hassan Rouhani")
    >>> b = Answer(question="q", text="Rouhani [1] and Mohammad Qalibaf [2].", citations=(c(1, 8, "Rouhani"),
    ...            c(2, 3, "Mohammad Qalibaf")), hits=(), abstained=False, short="Rouhani and Mohammad Qalibaf.")
    >>> merged = merge(a, b)
    >>> merged.text, merged.short, [x.marker for x in merged.citations]
    ('Hassan Rouhani [1] and Mohammad Qalibaf [2]', 'Hassan Rouhani and Mohammad Qalibaf', [1, 2])
    """
    if more.abstained:
        return first
    given = {w for c in first.citations for w in words(c.sentence)}
    markers = {tuple(p.id for p in c.paragraphs): c.marker for c in first.citations}
    added: list[Citation] = []
    for c in more.citations:
        new = set(words(c.sentence)) - given
        if not new or _said(c.sentence, first) or not _NAMED.search(c.sentence):
            continue  # nothing new, or no one named ("senior Iranian officials" answers no who-question)
        key = tuple(p.id for p in c.paragraphs)
        markers.setdefault(key, max(markers.values(), default=0) + 1)
        added.append(replace(c, marker=markers[key], sentence=_bare(c.sentence)))
        given |= new
    if not added:
        return first
    pieces = [f"{c.sentence} [{c.marker}]" for c in added]
    text = _listed(first.text, pieces)
    return replace(first, text=text, short=strip_markers(text), citations=first.citations + tuple(added))


def _said(claim: str, answer: Answer) -> bool:
    """Whether ``claim`` only repeats a claim of ``answer`` (its words all in one of them)."""
    mine = set(words(claim))
    return any(mine <= set(words(c.sentence)) for c in answer.citations)


def _bare(claim: str) -> str:
    """A claim as a list item: without a joining word before it or a full stop after it.

    >>> _bare("and Mohammad Qalibaf."), _bare(", the Morning Harvest")
    ('Mohammad Qalibaf', 'the Morning Harvest')
    """
    return re.sub(r"^(?:,|and|or)\s+", "", claim.strip(), flags=re.I).rstrip(" .")


def _listed(text: str, pieces: list[str]) -> str:
    """The first answer's text with more items: "A [1]" + ["B [2]"] -> "A [1] and B [2]".

    >>> _listed("Rouhani [1].", ["Qalibaf [2]"]), _listed("A [1] and B [2]", ["C [3]", "D [4]"])
    ('Rouhani [1] and Qalibaf [2].', 'A [1], B [2], C [3] and D [4]')
    """
    end = "." if text.rstrip().endswith(".") else ""
    body = text.rstrip().rstrip(".")
    items = [x for x in re.split(r",\s+|\s+and\s+", body) if x] + pieces
    if not all(MARKER.search(x) for x in items) or len(body.split()) > 12:  # a sentence answer: add sentences
        return f"{text.rstrip()} " + " ".join(f"{p}." for p in pieces)
    return f"{', '.join(items[:-1])} and {items[-1]}{end}"
