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
- a question may ask by role ("according to the police spokeswoman"):
  ``asked_role``, and ``holder`` finds whom an article gives it.

Names are compared by surname (the last word, accents folded): news names a
person in full once and by surname after. Trade-off: rules miss unusual
attributions ("Rouhani's words were ..."), which then prove nothing, the
safe side; they never need the model.

>>> asked_speaker("What did museum director Karel Dewaele say about the theft?")
'Karel Dewaele'
>>> p = ['"We are with Iraq," Rouhani said.', '"It is not our job," he added. Hussein nodded.']
>>> speaker(p[1], p[1], p[:1])
'Rouhani'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from rag.text import STOPWORDS, sentences

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
_NOT_PEOPLE = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday january february march april may june july august "
    "september october november december it its this that there their his her".split()
)
# What someone's words were ("what did X say ...?", "how did X describe ...?"), not when or how many times they
# spoke ("when did Holden announce ...?" asks for a date that narration gives): the verb in lower case ("The
# Islamic State" is no saying).
_ASKED = re.compile(
    r"^\s*(?:what|how(?!\s+(?:many|much|long|far|old|often|large|big|soon)\b))\b.*?"
    r"\b(?:did|does|do|has|have|had|is|was|will|would)\s+"
    r"(?P<who>.+?)\s+(?-i:say|tell|claim|warn|argue|describe|call|add|announce|stress|predict|promise|think|mean|"
    r"admit|urge|insist|explain|write|respond|reply|suggest|recall|note|state|declare|caution|complain|"
    r"acknowledge|concede|emphasi[sz]e|talk|speak|mention|believe|expect|want|fear|hope|decline|refuse)\b",
    re.IGNORECASE,
)
_ACCORDING_TO = re.compile(rf"\baccording to\s+(?P<who>{_NAME})")


def asked_speaker(question: str) -> str | None:
    """The person a question asks the words of ("what did X say/tell/claim ...?", "how did X describe ...?").

    The name is the capitalized words the subject ends with (titles before it are dropped when lower-case);
    None for other questions, or a subject that names nobody ("what did the report say?").

    >>> asked_speaker("How did Scottish Fisheries Secretary Alasdair Grant describe the deal?")
    'Scottish Fisheries Secretary Alasdair Grant'
    >>> asked_speaker("What did the minister say?"), asked_speaker("Who met the minister?")
    (None, None)
    >>> asked_speaker("When did Holden announce it?"), asked_speaker("What type of group is The Islamic State?")
    (None, None)
    >>> asked_speaker("What did Murcia's agriculture councillor say about the cut?") is None
    True
    """
    match = _ASKED.match(question) or _ACCORDING_TO.search(question)
    if not match:
        return None
    who = match.group("who")
    names = re.findall(_NAME, who)
    if not names or names[-1].casefold() in _NOT_PEOPLE or re.search(r"['’]s$", names[-1]):
        return None  # "Murcia's agriculture councillor" describes someone without naming them
    if not who.rstrip().endswith(names[-1]):
        return None  # the subject ends in lower-case words: a description ("Atlantica's director" is named)
    return names[-1]


_ROLE_ACCORDING = re.compile(r"\baccording to\s+(?P<who>(?:the\s+|[\w-]+['’]s\s+)[^,?]+)", re.IGNORECASE)
_ROLE_HEAD = re.compile(r"^(?P<role>(?:[\w'’-]+\s+)*?[a-z][\w-]*)(?:\s+(?:for|of|at|in|from)\b.*)?$")


def asked_role(question: str) -> str | None:
    """The role a question asks the words of when it names nobody ("according to the police spokeswoman, ...?",
    "what did Murcia's agriculture councillor say ...?"): the description's role words, else None.

    Whether anyone holds that role is for the articles to say (``holder``).

    >>> asked_role("According to the Ghent police spokeswoman, what did detectives recover?")
    'Ghent police spokeswoman'
    >>> asked_role("According to the spokesman for the prosecutor's office, what linked him to the theft?")
    'spokesman'
    >>> asked_role("What did Murcia's agriculture councillor say about the cut?")
    'agriculture councillor'
    >>> asked_role("What did Karel Dewaele say?"), asked_role("How large was the state tax credit?")
    (None, None)
    """
    if asked_speaker(question):
        return None
    match = _ASKED.match(question) or _ROLE_ACCORDING.search(question)
    if not match:
        return None
    described = re.match(r"(?:the\s+|[\w-]+['’]s\s+)", match.group("who").strip(), flags=re.IGNORECASE)
    if not described:  # "which network is taking Kimmel's show ... talk ...?" is no description of a speaker
        return None
    who = match.group("who").strip()[described.end() :]
    head = _ROLE_HEAD.match(who)
    if not head or head.group("role").split()[-1].casefold() in STOPWORDS:
        return None  # "how large was the state tax credit?": "state" read as a saying, after no role
    return head.group("role")


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


def subject(question: str) -> str:
    """The whole phrase a speaker question names its speaker by ("museum director Karel Dewaele"), or "".

    >>> subject("What did museum director Karel Dewaele say about the theft?")
    'museum director Karel Dewaele'
    """
    match = _ASKED.match(question) or _ACCORDING_TO.search(question)
    return match.group("who") if match else ""


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
