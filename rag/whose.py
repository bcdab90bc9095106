"""The asked person's words: whose words a question asks, and whether a sentence of a paragraph is theirs on it.

"What did X say about T?" is answered only by X's words about T: the
sentence X says (``rag.attribute.speaker``), or narration about X (a claim
whose subject is X), sharing a content word with T beside X's name and the
saying (``on_topic``). X is named by the question, or is the person the found
articles give the role it names (``asked_person``).

Trade-off: a speaker described and never named ("the director said", with
no apposition giving the name) is nobody for these checks: their words
verify no claim about a named person and are not said to be someone else's,
so such a question is abstained on rather than answered with the wrong
person's words.
"""

from __future__ import annotations

from collections.abc import Sequence

from rag.attribute import Story, around, holder, mentions, same_person, speaker
from rag.claims import best_evidence, support, term, terms
from rag.index import Index
from rag.records import Hit, Paragraph, Question
from rag.text import sentences


def asked_person(question: Question, hits: Sequence[Hit], index: Index) -> str | None:
    """The person whose words ``question`` asks: named ("what did Rouhani say?"), or the holder of the role it
    names ("according to the police spokeswoman") in the articles of ``hits``, the first found; None when it asks
    no one's words or no article names the role's holder (then "according to the report" restricts nothing)."""
    if question.speaker or not question.role:
        return question.speaker
    texts = ([p.text for p in index.article_of(h.paragraph)] for h in hits)
    return next((name for t in texts if (name := holder(question.role, t))), None)


_SAYING = frozenset(term(w) for w in "say said tell told claim describe describ add announce think mean".split())


def on_topic(evidence: str, paragraph: str, question: Question, asked: str) -> bool:
    """Whether ``asked``'s words (``evidence``, or the quote it continues into) are about what the question asks:
    they share a content word with it, beside the person's name and the saying. Asked what a minister said about
    water, their words on subsidies are theirs, but no answer.

    >>> from rag.question import read
    >>> q = read("what did Orlik say about the plant's use of water?")
    >>> on_topic("Orlik said the state would pay 310 million euros.", "", q, "Orlik")
    False
    >>> on_topic('"Wells will not run dry," Orlik said of the water.', "", q, "Orlik")
    True
    """
    topic = terms(question.text) - terms(asked) - terms(question.speaker_phrase) - _SAYING
    if not topic:  # "what did Rouhani say?": anything he said
        return True
    parts = sentences(paragraph) or [paragraph]
    after = next((parts[i + 1] for i, x in enumerate(parts[:-1]) if x == evidence), "")
    return bool(topic & (terms(evidence) | terms(after)))


def speaks_to(question: Question, asked: str, paragraph: str, before: Sequence[str] = (),
              after: Sequence[str] = ()) -> bool:
    """Whether ``paragraph`` gives ``asked``'s words (or narration about them) on what ``question`` asks about.

    >>> from rag.question import read
    >>> q = read("what did Orlik say about water?")
    >>> speaks_to(q, "Orlik", '"Wells will not run dry," Orlik said of the water.'), speaks_to(q, "Orlik", "Orlik won.")
    (True, False)
    """
    parts = sentences(paragraph) or [paragraph]
    return any(is_theirs((speaker(x, paragraph, before, after), x), asked, paragraph, before, after)
               and on_topic(x, paragraph, question, asked) for x in parts)


def is_theirs(said: tuple[str | None, str], asked: str, paragraph: str = "", before: Sequence[str] = (),
              after: Sequence[str] = ()) -> bool:
    """Whether evidence (its speaker, its sentence, of ``paragraph``; ``before``, ``after``: the texts of its
    article around it) is ``asked``'s: they say it, or, said by no one, it is about them ("Luther called the mass
    a gift": the subject of a claim)."""
    speaker, sentence = said
    if same_person(speaker or "", asked):
        return True
    return speaker is None and mentions(sentence, asked, paragraph, before, after)


def claim_speaker(claim: str, paragraph: Paragraph, story: Story | None, asked: str) -> tuple[str | None, str]:
    """(who says the claim's evidence in ``paragraph``, that evidence sentence): a sentence supporting the claim
    that ``asked`` says if there is one (``rag.attribute``), else the best-supporting sentence and its speaker."""
    before, after = around(story, paragraph)
    parts = sentences(paragraph.text) or [paragraph.text]
    best = best_evidence(claim, paragraph.text)
    supporting = [x for x in parts if support(claim, x) >= 0.5] or [best]
    said = [(speaker(x, paragraph.text, before, after), x) for x in sorted(supporting, key=lambda x: x != best)]
    return next((t for t in said if is_theirs(t, asked, paragraph.text, before, after)), said[0])
