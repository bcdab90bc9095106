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
dropped. Only questions for people that may have several answers
(``Question.several`` and ``kind``), never for someone's words: asked of single-answer
questions ("how many jobs were added?", "where is tin mined?"), further calls
added topical wrong answers that the verifier let through (pooled SQuAD F1
0.703 -> 0.662, 27 of 190 answers changed, none a who-question:
``docs/decisions.md``).

Trade-off: up to ``MORE_PASSAGES`` more model calls (short prompts: the
prefix is cached) for a who-question whose first answer left relevant
paragraphs uncited; nothing of them is streamed, since only their verified
claims are kept.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from rag import attribute, generate, wording
from rag.records import Answer, Citation, Found, Hit, Question
from rag.resources import Resources
from rag.text import MARKER, strip_markers, words

MORE_PASSAGES = 3
# A person named in full: two capitalized words. Kept over spaCy's entities, which on tests/multi and tests/kinds
# read "Duarte Pimentel" as an organisation and "Vranov Automotive" as a person (docs/decisions.md).
_NAMED = re.compile(r"\b[A-ZÀ-Þ][\w'’.-]+\s+[A-ZÀ-Þ][\w'’-]+")
MORE_WORDS = 60  # of passage text in a further call: the candidate's best sentence or two
_TOKEN = r"[A-ZÀ-Þ][\w'’-]+"


def answers(res: Resources, question: Question, answer: Answer, found: Found) -> Answer:
    """``answer`` with the verified answers of the relevant paragraphs it did not cite: a short model call for
    each, the person the question describes masked to its words (``mask``), not streamed."""
    s = res.settings
    if not s.more_answers or not s.rerank or answer.abstained or question.speaker:
        return answer
    if not (question.several and question.kind == "person"):
        return answer
    for hit in candidates(answer, found.hits, s.min_relevance):  # one short call each: shown several, it names one
        shown = generate.context(question.text, found.query, [hit], res.index, s, budget=MORE_WORDS)
        if question.described:
            article = " ".join(p.text for p in (*res.index.before(hit.paragraph), hit.paragraph))
            shown = replace(shown, passages=tuple(mask(t, article, question.described) for t in shown.passages))
        completion = generate.collect(generate.answer(res.llm, question.text, shown, s.max_tokens))
        further = wording.verified(res, question, completion, shown, answer.timings.plus(completion), answer.read)
        answer = replace(merge(answer, further), timings=further.timings, read=further.read)
    return answer


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
