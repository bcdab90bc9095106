"""Read the question once: the ``Question`` record every later stage reads instead of the question's text.

A question says more than its words to search with: the day it is asked on
and the time it names, whether it asks for an article's header (its byline,
date, outlet, title or URL) or for someone's words (by name or by role), what
kind of answer it wants (a person, an organisation, a place, a date, a
number) and whether it may have several. ``read`` works all of that out at
the top of the composition, so no stage below reads the question's text with
a pattern of its own, and a new kind of question is a field here.

Two readers are used, each where it measures better:

- spaCy's parse (``rag.language``) for the kind of answer: the wh-word and
  its head noun ("which country" -> a place, "how many" -> a number, "who"
  -> a person), with a small mapping of head nouns to kinds, and whether the
  head noun is plural (several answers);
- the patterns of the question shapes the verifier and the header reader
  were built and measured on (``tests/multi``, pooled SQuAD): the header
  field and its topic, the speaker asked about, the person a who-question
  describes, the time phrase (handed to ``dateparser``). They read only the
  question, never the articles.

Trade-off: parsing a question costs a few milliseconds and the model's 0.3 s
load on the first one; the patterns are kept where the parse was not shown to
do better on the sets they were measured on.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from rag import followup, language
from rag.errors import RagError
from rag.records import Question
from rag.text import STOPWORDS
from rag.timespan import window

MAX_QUESTION_CHARS = 2000
HEADER_FIELDS = ("authors", "date", "outlet", "title", "url")
KINDS = ("person", "organisation", "place", "date", "number", "other")


# --- an article's header (``header_field``, ``header_topic``) ---------------------------------------------
_THING = r"(?:article|story|report|piece|item|headline|byline|column|feature)"
# A header question refers to an article: "the article about ...", "the Meridian Wire story", "its report", "the
# byline"; "who wrote the poem?" or "a lawsuit against which newspaper?" ask about the news. In a conversation, or
# over an archive of one article, "it" and "this" refer to the article too (``read``'s ``refers``).
_REF = re.compile(rf"\b(?:the|this|that|its|an?)\s+(?:[\w'’-]+\s+){{0,3}}?{_THING}s?\b|\bbyline\b", re.I)
_POINTER = re.compile(r"\b(?:it|this|that|this one|its)\b", re.I)
_ASKS: tuple[tuple[str, re.Pattern[str], bool], ...] = (  # (field, pattern, needs a reference to an article)
    ("url", re.compile(r"\b(?:url|web address|link)\b", re.I), True),
    ("title", re.compile(r"\b(?:headline|title)\b|\bheadlined\b", re.I), True),
    ("authors", re.compile(r"\bwho (?:wrote|authored|penned)\b|\b(?:authors?|writers?|reporters?|journalists?)\b"
                           r"|\bbyline\b|\bwritten by\b", re.I), True),
    ("outlet", re.compile(r"\b(?:which|what) (?:news )?(?:outlets?|news organi[sz]ations?)\b", re.I), False),
    ("outlet", re.compile(r"\b(?:which|what) (?:news )?(?:publications?|newspapers?|papers?|websites?|sites?|agency|"
                          r"agencies|wire services?|networks?)\s+(?:reported|published|ran|broke|carried)\b"
                          r"|\bwho published\b", re.I), True),
    ("date", re.compile(r"\b(?:when|what (?:day|date)|on what (?:day|date)|which (?:day|date))\b.*\b(?:published|"
                        r"publish|posted|written|appeared|ran|come out|came out)\b|\bpublication date\b", re.I), True),
)
_FRAME = re.compile(rf"^.*\b(?:{_THING}s?|published|reported|wrote)\b\s+(?:about|on|covering|reporting on|"
                    r"regarding|that (?:reported|covered|described))\s+", re.I)
_FIELD_WORDS = re.compile(rf"\b(?:who|when|what|which|wrote|written|authors?|byline|published|publish|outlets?|"
                          rf"newspapers?|headline|title|url|link|date|day|news|{_THING}s?|the|did|was|is|its|on|it|"
                          r"this|that|one|ran|run|reported|report|of|a|an|story|by|whose|name)\b", re.I)

# --- whose words a question asks (``speaker``, ``role``) -------------------------------------------------
_TOKEN = r"[A-ZÀ-Þ][\w'’.-]*"
_NAME = rf"{_TOKEN}(?:\s+(?:(?:van|von|de|da|del|der|den|al|bin|la|le|du|dos|das)\s+)?{_TOKEN})*"
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
_ROLE_ACCORDING = re.compile(r"\baccording to\s+(?P<who>(?:the\s+|[\w-]+['’]s\s+)[^,?]+)", re.IGNORECASE)
_ROLE_HEAD = re.compile(r"^(?P<role>(?:[\w'’-]+\s+)*?[a-z][\w-]*)(?:\s+(?:for|of|at|in|from)\b.*)?$")

# --- who-questions: the person they describe, their object, their verb -----------------------------------
# "who met the minister?" (the object after the verb) or "whom did the minister receive?" (the subject after did)
_ACTION = re.compile(r"^\s*(?:who\s+(?!is\b|was\b|are\b|were\b|'s\b)\w+|whom?\s+(?:did|does|do|has|had|will|would)"
                     r")\s+(.+)$", re.IGNORECASE)
_PERSONS = re.compile(r"^\s*whom?\b", re.I)
_OBJECT = re.compile(r"^\s*who\s+(?!is\b|was\b|are\b|were\b)\w+\s+(?:with\s+)?(?P<who>the\s+[^?,]+?)\s*(?:\?|$)", re.I)
_SUBJECT = re.compile(r"^\s*whom?\s+(?:did|does|do|has|had|will)\s+(?P<who>(?:the|[\w-]+['’]s)\s+[\w'’ -]+?)\s+"
                      r"(?:receive|meet|visit|call|see|thank|host|welcome|name|appoint|hire|fire|praise|blame|criticize|"
                      r"criticise|accuse|invite|interview|replace|join|support|back|\w+ed)\b", re.I)
_WHO_DID = re.compile(r"^\s*who\s+(?P<rest>(?P<verb>[a-z]+)\b[^?]*?)\s*\??\s*$", re.IGNORECASE)
_IRREGULAR_PAST = frozenset(
    "met said told wrote led won held spoke gave took made sent brought found chose saw left paid sold bought ran "
    "became began built caught fought got hit kept knew lost put read set shot stood struck taught thought".split()
)
_CHOICE = re.compile(r"\b(?:or|between|whether)\b", re.IGNORECASE)
_CAPITALISED = re.compile(r"(?<!^)\b[A-ZÀ-Þ][\w'’-]+")

# --- the kind of answer: the head noun of "which/what <noun>" (a small mapping; the rest is "other") ------
_NOUN_KINDS = {
    "person": "person people man woman men women minister official leader player politician president chief "
              "executive director spokesman spokeswoman member members candidate author writer reporter actor "
              "singer coach manager judge lawyer officer senator governor mayor ceo founder winner artist musician "
              "rapper athlete celebrity billionaire scientist",
    "organisation": "company companies firm organisation organization group team party agency outlet newspaper "
                    "bank union network brand club airline carrier manufacturer publisher broadcaster channel "
                    "institution university school retailer business giant startup chain maker automaker",
    "place": "country countries city cities state states nation region town place port island province county "
             "capital continent location village district area venue",
    "date": "year date day month decade century week",
    "number": "number percentage percent amount price age",
}
_KIND_OF_NOUN = {w: kind for kind, nouns in _NOUN_KINDS.items() for w in nouns.split()}
_FIELD_OF_NOUN = {
    **dict.fromkeys("publication newspaper paper outlet website site agency magazine publisher".split(), "outlet"),
    **dict.fromkeys("author writer reporter journalist byline".split(), "authors"),
    **dict.fromkeys("headline title".split(), "title"),
    **dict.fromkeys("url link".split(), "url"),
}
_WH_KINDS = {"who": "person", "whom": "person", "whose": "person", "when": "date", "where": "place"}


class QuestionError(RagError):
    """The question cannot be asked (empty, only whitespace, or too long)."""


def clean(text: str) -> str:
    """Collapse whitespace and drop control characters; refuse empty or huge questions.

    >>> clean("  who   met the minister? ")
    'who met the minister?'
    """
    text = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    if not text:
        raise QuestionError("the question is empty")
    if len(text) > MAX_QUESTION_CHARS:
        raise QuestionError(f"the question is too long ({len(text):,} characters; limit {MAX_QUESTION_CHARS:,})")
    return text


def read(text: str, as_of: dt.date | None = None, *, dates: bool = True, history: Sequence[tuple[str, str]] = (),
         articles: int = 0) -> Question:
    """The record of the question ``text`` asked on ``as_of`` (default today), cleaned (``clean``) and, in a
    conversation (``history``: the earlier (question, answer text) turns), made standalone (``rag.followup``).

    ``dates``: read the time it names (off: no window). In a conversation, or over an archive of one article
    (``articles``), "it" or "this" may mean an article and a header question need name no topic ("who wrote it?").

    >>> q = read("Who met the Iraqi foreign minister this week?", dt.date(2025, 8, 14))
    >>> q.kind, q.several, q.described, str(q.window.first), q.field
    ('person', True, 'the Iraqi foreign minister this week', '2025-08-08', None)
    >>> q = read("What did Rouhani say about the United States?"); q.speaker, q.kind
    ('Rouhani', 'other')
    >>> read("Which countries signed the treaty?").kind, read("Which countries signed the treaty?").several
    ('place', True)
    >>> read("Who is the author?").field, read("Who is the author?", articles=1).field
    (None, 'authors')
    >>> read("What ethnicity do Qalibaf and Hussein share?").category
    'ethnicity'
    """
    text, day = clean(text), as_of or dt.date.today()
    text = followup.standalone(text, history) if history else text
    field = header_field(text, refers=bool(history) or articles == 1)
    speaker = asked_speaker(text)
    kind, plural = answer_kind(text)
    heads = [n for t in language.doc(text) if t.tag_ in ("WDT", "WP") and (n := _head_noun(t)) is not None]
    action = _ACTION.match(text)
    who_did = _WHO_DID.match(text)
    verb = who_did.group("verb").lower() if who_did else ""
    person = bool(_PERSONS.match(text))
    return Question(
        text=text,
        as_of=day,
        window=window(text, day) if dates else None,
        field=field,
        topic=header_topic(text, field) if field else "",
        speaker=speaker,
        role=None if speaker else asked_role(text),
        speaker_phrase=subject(text),
        kind=kind,
        several=person or plural,
        described=(m.group("who").strip() if (m := _OBJECT.match(text) or _SUBJECT.match(text)) else None),
        target=action.group(1) if action else "",
        names=tuple(_CAPITALISED.findall(text.strip())),
        choice=bool(_CHOICE.search(text)),
        predicate=who_did.group("rest") if who_did and (verb.endswith("ed") or verb in _IRREGULAR_PAST) else "",
        verb=verb,
        category=heads[0].text if heads else "",
    )


def answer_kind(text: str) -> tuple[str, bool]:
    """(the kind of answer ``text`` asks for, one of ``KINDS``; whether its head noun is plural), from the parse.

    >>> answer_kind("Which country hosted the summit?"), answer_kind("How many jobs were cut?")
    (('place', False), ('number', True))
    >>> answer_kind("Who led the talks?"), answer_kind("Which board members voted against the plan?")
    (('person', False), ('person', True))
    >>> answer_kind("When did the strike end?"), answer_kind("What did she say?")
    (('date', False), ('other', False))
    >>> answer_kind("Which tech giant unveiled glasses?"), read("It killed millions of which sea creature?").category
    (('organisation', False), 'creature')
    >>> answer_kind("Which Norwegian ports do ships use?"), answer_kind("Which of these nations did not qualify?")
    (('place', True), ('place', True))
    """
    doc = language.doc(text)
    for token in doc:
        if token.tag_ not in ("WDT", "WP", "WP$", "WRB"):
            continue
        word = token.lower_
        if word == "how":
            nxt = token.nbor() if token.i + 1 < len(doc) else None
            if nxt is not None and nxt.lower_ in ("many", "much", "long", "old", "far", "often", "large", "big"):
                head = nxt.head if nxt.head.pos_ in ("NOUN", "PROPN") else None
                return "number", head is not None and head.tag_ in ("NNS", "NNPS")
            return "other", False
        noun = _head_noun(token)
        if noun is not None:
            kind = _KIND_OF_NOUN.get(noun.lemma_.lower()) or _KIND_OF_NOUN.get(noun.lower_)
            if kind:
                return kind, noun.tag_ in ("NNS", "NNPS")
        if word in _WH_KINDS:
            return _WH_KINDS[word], False
        return "other", noun is not None and noun.tag_ in ("NNS", "NNPS")
    return "other", False


def _head_noun(wh):
    """The noun a wh-word asks for: the noun a wh-determiner qualifies in the parse ("which *country*"), else the
    last noun of the words right after it ("which sea *creature*", "in which Czech *towns*") or after "which of"
    ("which of these *nations*"): the small parser often hangs "which" on a preposition or the verb."""
    if wh.dep_ == "det" and wh.head.pos_ in ("NOUN", "PROPN"):
        return wh.head
    doc, i = wh.doc, wh.i + 1
    if wh.lower_ not in ("which", "what"):
        return None
    if i < len(doc) and doc[i].lower_ == "of":
        i += 1
        while i < len(doc) and doc[i].pos_ == "DET":
            i += 1
    last = None
    while i < len(doc) and doc[i].pos_ in ("ADJ", "PROPN", "NOUN", "NUM"):
        last = doc[i] if doc[i].pos_ == "NOUN" else last
        i += 1
    return last


def header_field(text: str, refers: bool = False) -> str | None:
    """The header field ``text`` asks for (one of ``HEADER_FIELDS``), or None for a question about the news.

    >>> header_field("Who wrote the article about the Kenosha school board's vote?")
    'authors'
    >>> header_field("Which outlet reported the plan to build a battery factory?"), header_field("Who reported it?")
    ('outlet', None)
    >>> header_field("When was it published?"), header_field("When was it published?", refers=True)
    (None, 'date')
    >>> header_field("Who is the author?", refers=True), header_field("Who wrote the poem?", refers=True)
    ('authors', None)
    """
    for field, pattern, needs_ref in _ASKS:
        if pattern.search(text) and (not needs_ref or _REF.search(text) or (refers and _refers(text, field))):
            return field
    field = _field_of_parse(text)
    return field if field and (_REF.search(text) or (refers and _refers(text, field))) else None


def _field_of_parse(text: str) -> str | None:
    """The header field a question's parse asks for: the head noun of its wh-word ("which *publication* is this
    from?" -> outlet), or "who" with a stranded "by" ("who is it by?" -> authors).

    >>> _field_of_parse("Which publication is this from?"), _field_of_parse("Who is that by?")
    ('outlet', 'authors')
    >>> _field_of_parse("Which country is this from?") is None
    True
    """
    doc = language.doc(text)
    for token in doc:
        if token.tag_ in ("WDT", "WP") and (noun := _head_noun(token)) is not None:
            return _FIELD_OF_NOUN.get(noun.lemma_.lower())
        if token.lower_ in ("who", "whom") and any(t.lower_ == "by" and not list(t.children) for t in doc):
            return "authors"
    return None


def _refers(text: str, field: str) -> bool:
    """Whether ``text`` points back at an article the context gives ("who wrote it?") or names no topic at all
    ("who is the author?"), rather than naming something else ("who wrote the poem?")."""
    return bool(_POINTER.search(text)) or not header_topic(text, field)


def header_topic(text: str, field: str) -> str:
    """What the article is about, as a search query: the question without its asking frame ("": none named).

    >>> header_topic("On what date was the report about Peterhead skippers and the mackerel cut published?", "date")
    'Peterhead skippers and the mackerel cut'
    >>> header_topic("Who is the author?", "authors"), header_topic("When was this published?", "date")
    ('', '')
    """
    tail = _FRAME.sub("", text, count=1)
    if tail == text:  # no "about ...": the question minus the words that ask for the field
        tail = _FIELD_WORDS.sub(" ", text)
    if field == "date":
        tail = re.sub(r"\s+(?:published|posted|written|run|released)\b.*$", "", tail, flags=re.I)
    tail = " ".join(tail.strip(" ?.!").split())
    return tail if set(tail.casefold().split()) - STOPWORDS else ""


def asked_speaker(text: str) -> str | None:
    """The person a question asks the words of ("what did X say/tell/claim ...?", "how did X describe ...?").

    >>> asked_speaker("How did Scottish Fisheries Secretary Alasdair Grant describe the deal?")
    'Scottish Fisheries Secretary Alasdair Grant'
    >>> asked_speaker("What did the minister say?"), asked_speaker("Who met the minister?")
    (None, None)
    >>> asked_speaker("When did Holden announce it?"), asked_speaker("What type of group is The Islamic State?")
    (None, None)
    >>> asked_speaker("What did Murcia's agriculture councillor say about the cut?") is None
    True
    """
    match = _ASKED.match(text) or _ACCORDING_TO.search(text)
    if not match:
        return None
    who = match.group("who")
    names = re.findall(_NAME, who)
    if not names or names[-1].casefold() in _NOT_PEOPLE or re.search(r"['’]s$", names[-1]):
        return None  # "Murcia's agriculture councillor" describes someone without naming them
    if not who.rstrip().endswith(names[-1]):
        return None  # the subject ends in lower-case words: a description ("Atlantica's director" is named)
    return names[-1]


def asked_role(text: str) -> str | None:
    """The role a question asks the words of when it names nobody ("according to the police spokeswoman, ...?",
    "what did Murcia's agriculture councillor say ...?"); whether anyone holds it is for the articles to say.

    >>> asked_role("According to the Ghent police spokeswoman, what did detectives recover?")
    'Ghent police spokeswoman'
    >>> asked_role("According to the spokesman for the prosecutor's office, what linked him to the theft?")
    'spokesman'
    >>> asked_role("What did Murcia's agriculture councillor say about the cut?")
    'agriculture councillor'
    >>> asked_role("What did Karel Dewaele say?"), asked_role("How large was the state tax credit?")
    (None, None)
    """
    if asked_speaker(text):
        return None
    match = _ASKED.match(text) or _ROLE_ACCORDING.search(text)
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


def subject(text: str) -> str:
    """The whole phrase a speaker question names its speaker by ("museum director Karel Dewaele"), or "".

    >>> subject("What did museum director Karel Dewaele say about the theft?")
    'museum director Karel Dewaele'
    """
    match = _ASKED.match(text) or _ACCORDING_TO.search(text)
    return match.group("who") if match else ""
