"""Who said it: the speaker of a sentence in a news paragraph, and the person a question asks about.

"What did Rouhani say about the United States?" is answered only by what
*Rouhani* said: a paragraph quoting Qalibaf on the United States supports
the words, not the attribution. News marks speakers in a few fixed ways,
read here by rules (no parser, no model):

- an attribution clause in the sentence: ``"...," Rouhani said``, ``said
  Sofia Lobo``, ``Calado told reporters``, ``according to the police``;
- a quote with no clause of its own belongs to the paragraph's speaker
  (quotes run on over several sentences);
- a description ("the director said") is the person given that role before
  ("Museum director Karel Dewaele"); a pronoun ("he added") the person named
  before it in the paragraph, else the last speaker of the paragraphs
  before (how a continued quote is written); unresolved, the speaker is
  unknown, and an unknown speaker proves nothing;
- a sentence nobody says that names the person, or whose pronoun stands for
  them, is narration about them ("Luther called the mass a gift"): theirs
  too, as the subject of a claim (``mentions``);
- a question may ask by role ("according to the police spokeswoman",
  ``Question.role``): ``holder`` finds whom an article gives it
  (``asked_person``);
- asked what X said about T, only X's words (or narration about X) that
  share a word with T answer (``on_topic``, ``speaks_to``).

Names are compared by surname (the last word, accents folded): news names a
person in full once and by surname after. Trade-off: rules miss unusual
attributions ("Rouhani's words were ..."), which then prove nothing, the
safe side; they never need the model.

>>> p = ['"We are with Iraq," Rouhani said.', '"It is not our job," he added. Hussein nodded.']
>>> speaker(p[1], p[1], p[:1])
'Rouhani'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence

from rag.claims import best_evidence, support, term, terms
from rag.index import Index
from rag.records import Hit, Paragraph, Question
from rag.text import sentences

SAY = (r"(?:said|says|say|added|adds|told|tells|stated|states|warned|warns|argued|argues|insisted|insists|explained|"
        r"noted|wrote|writes|asked|asks|claimed|claims|announced|announces|declared|declares|described|describes|"
        r"urged|urges|stressed|stresses|emphasi[sz]ed|acknowledged|admitted|conceded|replied|responded|recalled|"
        r"predicted|promised|cautioned|complained|suggested|talked about|spoke about|spoke of|mentioned)")
_TOKEN = r"[A-ZÀ-Þ][\w'’.-]*"
_NAME = rf"{_TOKEN}(?:\s+(?:(?:van|von|de|da|del|der|den|al|bin|la|le|du|dos|das)\s+)?{_TOKEN})*"
_PRONOUN = r"(?:he|she|they|He|She|They)"
_DESCRIBED = r"(?:the|The)\s+(?:[a-z][\w’'-]*\s+){0,2}[a-z][\w’'-]*"  # "the minister", "the Iranian" is a name
# "Calado said", "Marco Feliciano, said" or "Andrea Frey, chief executive of the operator, said" (an apposition
# between commas), and "..., said Sofia Lobo" (inverted, only after a quote or comma: "said Rheinwerk had offered"
# is reported speech about Rheinwerk).
_BEFORE = re.compile(rf"(?P<who>{_NAME}|{_PRONOUN}|{_DESCRIBED}),?\s+(?:also\s+|then\s+|later\s+|had\s+|has\s+)?"
                     rf"{SAY}\b")
_APPOSED = re.compile(rf"(?P<who>{_NAME}),\s+[^,;\"“”]{{1,90}},\s+(?:also\s+)?{SAY}\b")
_AFTER = re.compile(rf"[,\"”]\s*(?:said|says|added|adds|wrote|asked)\s+(?P<who>{_NAME})")
_ACCORDING = re.compile(rf"\baccording to\s+(?P<who>{_NAME}|{_DESCRIBED})")
_QUOTED = re.compile(r"[\"“][^\"”]*[\"”]")
_QUOTE_MARK = re.compile(r"[\"“”]")
Earlier = Callable[[Paragraph], Sequence[Paragraph]]  # the paragraphs before one in its article, in order
_NOT_PEOPLE = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday january february march april may june july august "
    "september october november december it its this that there their his her".split()
)


def role_title(role: str) -> str:
    """The pattern of the words an article writes a role with beside a name: its last two, in any case.

    >>> bool(re.search(role_title("the Iraqi foreign minister"), "Iraqi Foreign Minister Fuad Hussein"))
    True
    """
    return "(?i:" + r"\s+".join(re.escape(w) for w in role.split()[-2:]) + ")"


def holder(role: str, texts: Sequence[str]) -> str | None:
    """The person ``texts`` (an article) give ``role`` to: named right after its last two words ("Police
    spokeswoman Inspector Lotte Claes") or before them in an apposition ("Lucía Ferrer, the regional government's
    agriculture councillor,"); None if no one is.

    >>> holder("Ghent police spokeswoman", ["Police spokeswoman Inspector Lotte Claes said two men fled."])
    'Inspector Lotte Claes'
    >>> holder("agriculture councillor", ["Lucía Ferrer, the regional government's agriculture councillor, said so."])
    'Lucía Ferrer'
    >>> holder("spokesman", ["The report said so."]) is None
    True
    """
    title = role_title(role)
    for text in texts:
        for sentence in sentences(text) or [text]:
            after = re.search(rf"\b{title}\s+(?P<who>{_NAME})", sentence)
            apposed = re.search(rf"(?P<who>{_NAME}),\s+(?:[^,;\"“”]{{0,60}}\s)?{title}\b", sentence)
            for found in (after, apposed):
                if found and " " in found.group("who") and found.group("who").casefold() not in _NOT_PEOPLE:
                    return found.group("who")
    return None


def surname(name: str) -> str:
    """The word a person is named by after the first mention, accents folded and lower-cased.

    >>> surname("Ewa Sokołowska"), surname("Iran’s")
    ('sokołowska', 'iran')
    """
    last = re.sub(r"['’]s$", "", name.split()[-1].rstrip(".,;:")) if name.split() else ""
    return "".join(c for c in unicodedata.normalize("NFKD", last) if not unicodedata.combining(c)).casefold()


def same_person(a: str, b: str) -> bool:
    """Whether two names name the same person (by surname).

    >>> same_person("Hassan Rouhani", "Rouhani"), same_person("Rouhani", "Qalibaf")
    (True, False)
    """
    return bool(a and b) and surname(a) == surname(b)


def _clause(sentence: str) -> str | None:
    """The speaker an attribution clause of ``sentence`` names (a name, pronoun or description), or None."""
    outside = _QUOTED.sub(" , ", sentence)  # a quote's own words never name its speaker
    # "Frey, chief executive of the operator Basler Stadtverkehr, said": the apposition first, or its end would
    # pass for the speaker; it needs two commas, so "In Lisbon, Calado said" is left to the plain form.
    for pattern in (_APPOSED, _BEFORE, _ACCORDING):
        found = [m.group("who") for m in pattern.finditer(outside) if m.group("who").casefold() not in _NOT_PEOPLE]
        if found:
            return found[-1]
    after = [m.group("who") for m in _AFTER.finditer(outside) if m.group("who").casefold() not in _NOT_PEOPLE]
    return after[0] if after else None


def _resolved(who: str, before: str, earlier: Sequence[str]) -> str | None:
    """``who`` itself if it is a name; a description ("the director") the person given that role nearest before
    (``holder``: "Museum director Karel Dewaele"); a pronoun, or a description no one was given: the last name in
    ``before`` (the paragraph up to the sentence), else the speaker of the latest earlier paragraph that has one.

    >>> _resolved("The director", "", ["Museum director Karel Dewaele spoke.", '"Gone," Jolien Maes said.'])
    'Karel Dewaele'
    """
    if re.fullmatch(_NAME, who) and not who.startswith(("The ", "He", "She", "They")):
        return who
    if re.match(r"the\s", who, re.IGNORECASE):
        given = holder(who.split(None, 1)[1], [before, *reversed(earlier)])
        if given:
            return given
    named = [n for n in re.findall(_NAME, before) if n.casefold() not in _NOT_PEOPLE and " " in n]
    if named:
        return named[-1]
    for i in range(len(earlier) - 1, -1, -1):
        found = speaker(earlier[i], earlier[i], earlier[:i])
        if found:
            return found
    return None


def speaker(sentence: str, paragraph: str, earlier: Sequence[str] = ()) -> str | None:
    """Who says ``sentence`` (a sentence of ``paragraph``; ``earlier``: the article's paragraphs before it).

    The sentence's own attribution clause, else the paragraph's (the nearest before it, then after it), its
    pronoun or description resolved (see the module docstring). None: nobody is named as saying it.

    >>> p = '"We are with Iraq," Rouhani said. "Getting the United States out is not our job."'
    >>> speaker("Getting the United States out is not our job.", p)
    'Rouhani'
    >>> speaker("Iran backs militias in Iraq.", "Iran backs militias in Iraq.") is None
    True
    >>> speaker("Tehran backs militias.", p + " Tehran backs militias.") is None  # narration, not Rouhani's
    True
    >>> speaker("In Lisbon, Calado said the talks failed.", "In Lisbon, Calado said the talks failed.")
    'Calado'
    >>> s = "Andrea Frey, chief executive of the operator Basler Stadtverkehr, said Rheinwerk had the lowest cost."
    >>> speaker(s, s), speaker('"Delays," said Sofia Lobo, president.', '"Delays," said Sofia Lobo, president.')
    ('Andrea Frey', 'Sofia Lobo')
    """
    parts = sentences(paragraph) or [paragraph]
    at = next((i for i, s in enumerate(parts) if sentence.strip() in s or s in sentence), 0)
    # A sentence without a clause of its own is someone's only inside a quote: the reporter narrates the rest.
    inside = bool(_QUOTE_MARK.search(parts[at])) or len(_QUOTE_MARK.findall(" ".join(parts[:at]))) % 2 == 1
    order = [at, *range(at - 1, -1, -1), *range(at + 1, len(parts))] if inside else [at]
    for i in order:
        who = _clause(parts[i])
        if who:
            return _resolved(who, " ".join(parts[:i]) + " " + parts[i].split(who)[0], earlier)
    return None


def quotes(paragraph: str, person: str, earlier: Sequence[str] = ()) -> bool:
    """Whether ``paragraph`` gives words of ``person`` (some sentence of it is theirs)."""
    return any(same_person(speaker(s, paragraph, earlier) or "", person) for s in sentences(paragraph) or [paragraph])


def mentions(sentence: str, person: str, paragraph: str = "", earlier: Sequence[str] = ()) -> bool:
    """Whether ``sentence`` (of ``paragraph``) is narration about ``person``: it names them (by surname), or its
    pronoun stands for them ("He assured monks ..." after "Martin Luther wrote ...").

    >>> mentions("Luther called the mass a gift.", "Martin Luther"), mentions("The mass was a gift.", "Luther")
    (True, False)
    >>> mentions("He assured monks.", "Luther", "Martin Luther wrote a tract. He assured monks.")
    True
    >>> p = "In 1521 Luther widened his target. In a tract, he called the mass a gift."
    >>> mentions("In a tract, he called the mass a gift.", "Luther", p)
    True
    """
    if any(same_person(n, person) for n in re.findall(_NAME, sentence)):
        return True
    pronoun = re.search(rf"\b{_PRONOUN}\b", sentence)
    if pronoun is None:
        return False
    parts = sentences(paragraph) or [sentence]
    at = next((i for i, s in enumerate(parts) if sentence.strip() in s or s in sentence), 0)
    before = " ".join(parts[:at]) + " " + sentence[: pronoun.start()]
    if same_person(_resolved(pronoun.group(0), before, earlier) or "", person):
        return True
    # "Luther widened his target. In a tract, he condemned ...": a bare surname just before the pronoun
    near = (parts[at - 1] if at > 0 else "") + " " + sentence[: pronoun.start()]
    return any(same_person(n, person) for n in re.findall(_NAME, near))


def full_name(name: str, texts: Sequence[str]) -> str:
    """The first full mention in ``texts`` of the person ``name`` names (by surname); ``name`` if there is none.

    >>> full_name("Qalibaf", ["a meeting with Speaker Mohammad Baqer Qalibaf.", "Qalibaf said so."])
    'Speaker Mohammad Baqer Qalibaf'
    >>> full_name("Rouhani", ["IRANIAN PRESIDENT Hassan Rouhani also met him."])
    'Hassan Rouhani'
    """
    for text in texts:
        for sentence in sentences(text) or [text]:  # a name never runs over a sentence's end
            for found in re.findall(_NAME, sentence):
                if " " in found and same_person(found, name):
                    # "IRANIAN PRESIDENT Hassan Rouhani": a headline-cased lead-in is not part of the name
                    plain = re.sub(r"^(?:[A-Z]{2,}\s+)+(?=[A-Z][a-z])", "", found)
                    return plain.rstrip(".,;:")
    return name


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


def speaks_to(question: Question, asked: str, paragraph: str, before: Sequence[str] = ()) -> bool:
    """Whether ``paragraph`` gives ``asked``'s words (or narration about them) on what ``question`` asks about.

    >>> from rag.question import read
    >>> q = read("what did Orlik say about water?")
    >>> speaks_to(q, "Orlik", '"Wells will not run dry," Orlik said of the water.'), speaks_to(q, "Orlik", "Orlik won.")
    (True, False)
    """
    parts = sentences(paragraph) or [paragraph]
    return any(is_theirs((speaker(x, paragraph, before), x), asked, paragraph, before)
               and on_topic(x, paragraph, question, asked) for x in parts)


_SAYING = frozenset(term(w) for w in "say said tell told claim describe describ add announce think mean".split())


def is_theirs(said: tuple[str | None, str], asked: str, paragraph: str = "", before: Sequence[str] = ()) -> bool:
    """Whether evidence (its speaker, its sentence, of ``paragraph``) is ``asked``'s: they say it, or, said by no
    one, it is about them ("Luther called the mass a gift": the subject of a claim)."""
    speaker, sentence = said
    if same_person(speaker or "", asked):
        return True
    return speaker is None and mentions(sentence, asked, paragraph, before)


def claim_speaker(claim: str, paragraph: Paragraph, earlier: Earlier | None, asked: str) -> tuple[str | None, str]:
    """(who says the claim's evidence in ``paragraph``, that evidence sentence): a sentence supporting the claim
    that ``asked`` says if there is one (``rag.attribute``), else the best-supporting sentence and its speaker."""
    before = texts_before(earlier, paragraph)
    parts = sentences(paragraph.text) or [paragraph.text]
    best = best_evidence(claim, paragraph.text)
    supporting = [x for x in parts if support(claim, x) >= 0.5] or [best]
    said = [(speaker(x, paragraph.text, before), x) for x in sorted(supporting, key=lambda x: x != best)]
    return next((t for t in said if is_theirs(t, asked, paragraph.text, before)), said[0])


def texts_before(earlier: Earlier | None, paragraph: Paragraph) -> list[str]:
    """The texts of the paragraphs before ``paragraph`` in its article (none without ``earlier``)."""
    return [p.text for p in earlier(paragraph)] if earlier is not None else []


def asked_person(question: Question, hits: Sequence[Hit], index: Index) -> str | None:
    """The person whose words ``question`` asks: named ("what did Rouhani say?"), or the holder of the role it
    names ("according to the police spokeswoman") in the articles of ``hits``, the first found; None when it asks
    no one's words or no article names the role's holder (then "according to the report" restricts nothing)."""
    if question.speaker or not question.role:
        return question.speaker
    texts = ([p.text for p in index.article_of(h.paragraph)] for h in hits)
    return next((name for t in texts if (name := holder(question.role, t))), None)
