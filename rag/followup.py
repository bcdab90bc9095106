"""Follow-ups: rewrite a question that leans on the chat history into a standalone one.

Retrieval sees one question at a time, so "what did he say about the United
States?" must become "what did Hassan Rouhani say about the United States?"
before it is embedded. ``standalone(question, history)`` does that with
rules, not a model:

- a *person* pronoun (he, she, him, his, her, they, them, their) is replaced
  by the most salient named entity of the latest turn: the first name in its
  answer that the turn's question did not already contain (for they/them/
  their: all of them, joined with "and"); an answer that names nobody (an
  abstention) falls back to the names in its question, then to older turns;
- a question that only points back (it, that, there, ... with no name of its
  own) or is elliptical ("and Qalibaf?", "why?", "what about Iraq?") gets
  the previous question and its answer's names appended as context.

A question that needs none of this is returned unchanged, so a new topic is
never polluted by the old one. One case is not guessed: after a "who ...?"
whose answer named several people, "what did he say?" could mean any of
them, so ``clarification`` asks which one (the page and the API answer with
that question instead of searching).

Trade-off: a model rewrite would handle more phrasings but costs a second
LLM call (seconds on a CPU) before retrieval even starts, and can drift; the
rules are instant, deterministic and testable, and the rewritten question is
shown to the user, so a wrong guess is visible rather than silent.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag import language
from rag.text import strip_markers

# Pronouns that stand for a person (or group) named earlier, and what replaces them.
_PERSON = {"he", "she", "him", "his", "her", "hers", "they", "them", "their", "theirs"}
_PLURAL = {"they", "them", "their", "theirs"}
_POSSESSIVE = {"his", "their", "theirs", "hers"}
# Pronouns that point back at a thing, place or event: too vague to substitute.
_POINTING = {"it", "its", "that", "this", "there", "those", "these", "then"}
_ELLIPSIS = re.compile(r"^(?:and|or|but|also|what about|how about|why|how|when|where)\b", re.IGNORECASE)

# Capitalised words that start sentences or questions but name nothing.
_NOT_NAMES = frozenset(
    """a an the and or but if in on at by for of to from with as after before during while
    he she it they we you i his her their its our my this that these those there then here
    what who whom whose which when where why how yes no not also however meanwhile according
    on saturday sunday monday tuesday wednesday thursday friday january february march april may
    june july august september october november december""".split()
)
_WORD = re.compile(r"[\w’'\-]+")
# The kinds of spaCy's named entities a pronoun or a pointing word may stand for (numbers and dates do not).
_NAMED = frozenset("PERSON ORG GPE LOC FAC NORP EVENT WORK_OF_ART LAW PRODUCT".split())


def entities(text: str) -> list[str]:
    """The named entities of ``text`` (spaCy's, ``rag.language``) in order of first appearance; nationality
    words in capitals are a news lede's shouting ("IRANIAN PRESIDENT Hassan Rouhani"), not a name.

    >>> entities("Hassan Rouhani [1] and Fuad Hussein [2] met the Iraqi foreign minister.")
    ['Hassan Rouhani', 'Fuad Hussein', 'Iraqi']
    >>> entities("IRANIAN PRESIDENT Hassan Rouhani also met him. The US said so.")
    ['Hassan Rouhani', 'US']
    >>> entities("Iraqi Foreign Minister Fuad Hussein met Iran’s Speaker Mohammad Baqer Qalibaf.")
    ['Iraqi', 'Fuad Hussein', 'Iran', 'Mohammad Baqer Qalibaf']
    >>> entities("Which one do you mean: Mira Quenby or Tomas Verlaine? Ask again with the name.")
    ['Mira Quenby', 'Tomas Verlaine']
    """
    found: list[str] = []
    for ent in language.doc(strip_markers(text)).ents:
        name = ent.text.strip("-’'")
        if ent.label_ in _NAMED and not (ent.label_ == "NORP" and name.isupper()) and name not in found:
            found.append(name)
    return found






def _known(name: str, text: str) -> bool:
    """True if every word of ``name`` already occurs in ``text`` (case-insensitive)."""
    have = {w.lower() for w in _WORD.findall(text)}
    return all(w.lower() in have for w in _WORD.findall(name))


def _salient(question: str, history: Sequence[tuple[str, str]]) -> tuple[list[str], str]:
    """(names the question may refer to, the question they came from), newest turn first."""
    for previous_question, answer in reversed(history):
        names = [n for n in entities(answer) if not _known(n, previous_question) and not _known(n, question)]
        if not names:  # e.g. an abstention: the question itself may name the person
            names = [n for n in entities(previous_question) if not _known(n, question)]
        if names:
            return names, previous_question
    return [], history[-1][0] if history else ""


def _replace_pronouns(question: str, names: list[str]) -> str:
    tokens = re.split(r"(\W+)", question)
    for i, token in enumerate(tokens):
        low = token.lower()
        if low not in _PERSON:
            continue
        name = " and ".join(names) if low in _PLURAL else names[0]
        nxt = next((t for t in tokens[i + 1 :] if t.strip()), "")
        possessive = low in _POSSESSIVE or (low == "her" and nxt[:1].isalpha() and nxt.lower() not in _OBJECT_FOLLOWERS)
        tokens[i] = f"{name}'s" if possessive else name
    return "".join(tokens)


_SINGULAR = {"he", "she", "him", "his", "her", "hers"}
WHICH_ONE = "Which one do you mean: {names}? Ask again with the name."


def clarification(question: str, history: Sequence[tuple[str, str]]) -> str | None:
    """The question to ask back when a singular pronoun could mean several people the last answer named.

    >>> h = [("who met the Iraqi foreign minister?", "Mohammad Baqer Qalibaf [1] and Hassan Rouhani [2] met him.")]
    >>> clarification("what did he say about the United States?", h)
    'Which one do you mean: Mohammad Baqer Qalibaf or Hassan Rouhani? Ask again with the name.'
    >>> clarification("what did they say?", h) is None, clarification("what did he say?", h[:0]) is None
    (True, True)
    """
    words = {w.lower() for w in _WORD.findall(question)}
    if not history or not words & _SINGULAR or not re.match(r"\s*who(?:m|se)?\b", history[-1][0], re.IGNORECASE):
        return None
    names, _ = _salient(question, history[-1:])
    if len(names) < 2:
        return None
    return WHICH_ONE.format(names=", ".join(names[:-1]) + " or " + names[-1])


# Words after "her" that show it is an object ("told her about"), not a possessive ("her party").
_OBJECT_FOLLOWERS = frozenset("about to for with from in on at that if when after before and or".split())


def standalone(question: str, history: Sequence[tuple[str, str]]) -> str:
    """Rewrite ``question`` so it can be understood without ``history``.

    ``history`` is the earlier turns, oldest first, as (question, answer text);
    pass the rewritten form of earlier questions so chains of follow-ups work.

    >>> h = [("who met the Iraqi foreign minister?", "Hassan Rouhani [1] met the Iraqi foreign minister.")]
    >>> standalone("what did he say about the United States?", h)
    'what did Hassan Rouhani say about the United States?'
    >>> standalone("what is Tehran's policy on Kurds?", h)
    "what is Tehran's policy on Kurds?"
    >>> standalone("and when?", h)
    'and when? (about: who met the Iraqi foreign minister; Hassan Rouhani)'
    """
    question = " ".join(question.split())
    if not history or not question:
        return question
    words = [w.lower() for w in _WORD.findall(question)]
    names, source = _salient(question, history)
    if names and any(w in _PERSON for w in words):
        return _replace_pronouns(question, names)
    own_names = [n for n in entities(question[:1].lower() + question[1:]) if n.lower() not in _NOT_NAMES]
    pointing = any(w in _POINTING for w in words) and not own_names
    # Short questions lean on the last turn ("why?"), unless they bring a name of their own
    # ("who killed Soleimani?" is a new topic); "and ..."/"what about ..." always lean.
    elliptical = (len(words) <= 3 and not own_names) or (bool(_ELLIPSIS.match(question)) and len(words) <= 5)
    if not (pointing or elliptical):
        return question
    # "what about Qalibaf?" brings its own name: only the earlier topic is missing.
    carried = "" if own_names else ", ".join(names)
    context = "; ".join(part for part in (source.rstrip("?!. "), carried) if part)
    return f"{question} (about: {context})" if context else question
