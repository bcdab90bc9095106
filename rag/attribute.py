"""Who said it: the speaker of a sentence in a news paragraph, and the person a question asks about.

"What did Rouhani say about the United States?" is answered only by what
*Rouhani* said: a paragraph quoting Qalibaf on the United States supports
the words, not the attribution. Speakers are read from spaCy's dependency
parse (``rag.language``):

- an attribution clause: the subject of a saying verb outside quotation
  marks (``"...," Rouhani said``, ``said Sofia Lobo``, ``the German economy
  minister told reporters``, ``Andrea Frey, chief executive of the
  operator, said``), or the object of ``according to`` (``clause``);
- a quote with no clause of its own belongs to the paragraph's speaker
  (quotes run on over several sentences);
- a description ("the director said") is the person given that role before
  ("Museum director Karel Dewaele", or an apposition: "The minister,
  Friederike Stallbaum,"), else it stays a description: someone unnamed,
  who is nobody else; a pronoun ("he added") is the speaker of the
  paragraph's sentences before it, else the subject of the sentence before,
  else the last speaker of the paragraphs before (how a continued quote is
  written); unresolved, the speaker is unknown, and proves nothing;
- a sentence nobody says that names the person, or whose pronoun stands for
  them, is narration about them ("Luther called the mass a gift"): theirs
  too, as the subject of a claim (``mentions``);
- a question may ask by role ("according to the police spokeswoman",
  ``Question.role``): ``holder`` finds whom an article gives it
  (``rag.whose.asked_person``);
- asked what X said about T, only X's words (or narration about X) that
  share a word with T answer (``rag.whose``).

Names are compared by surname (the last word, accents folded): news names a
person in full once and by surname after. Trade-off: the small parser
misreads some sentences, and unusual attributions ("Rouhani's words were
...") are not read at all; either proves nothing, the safe side. The answer
model is never asked who said something.

>>> p = ['"We are with Iraq," Rouhani said.', '"It is not our job," he added. Hussein nodded.']
>>> speaker(p[1], p[1], p[:1])
'Rouhani'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence

from rag import language
from rag.records import Paragraph
from rag.text import sentences

_TOKEN = r"[A-ZÀ-Þ][\w'’.-]*"
_NAME = rf"{_TOKEN}(?:\s+(?:(?:van|von|de|da|del|der|den|al|bin|la|le|du|dos|das)\s+)?{_TOKEN})*"
_PRONOUN = r"(?:he|she|they|He|She|They)"
_QUOTE_MARK = re.compile(r"[\"“”]")
Story = Callable[[Paragraph], Sequence[Paragraph]]  # all the paragraphs of one's article, in order
# The lemmas of the saying verbs: an attribution clause's verb in the parse.
_SAYING_VERBS = frozenset(
    "say add tell state warn argue insist explain note write ask claim announce declare describe urge stress "
    "emphasise emphasize acknowledge admit concede reply respond recall predict promise caution complain suggest "
    "talk speak mention".split()
)
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
    return _apposed(role, texts)


def _apposed(role: str, texts: Sequence[str]) -> str | None:
    """The person the parse sets in apposition to the role's head noun ("The minister, Friederike Stallbaum, has
    ..."; "Liisa Korvits, the festival's artistic director, said"), the first in ``texts``; None if none is.

    >>> _apposed("economy minister", ["The minister, Friederike Stallbaum, has been under pressure."])
    'Friederike Stallbaum'
    """
    head = role.split()[-1].casefold() if role.split() else ""
    for text in texts:
        for ent in language.doc(text).ents if head and head in text.casefold() else ():
            root = ent.root
            nouns = [root.head] if root.dep_ == "appos" else [c for c in root.children if c.dep_ == "appos"]
            if ent.label_ == "PERSON" and " " in ent.text and any(n.lemma_.casefold() == head for n in nouns):
                return ent.text
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


def clause(sentence: str) -> str | None:
    """The speaker an attribution clause of ``sentence`` names (a name, a pronoun or a description), or None: the
    subject of its saying verb outside quotation marks in spaCy's parse ("Calado said", "said Sofia Lobo", "the
    German economy minister told reporters", "Andrea Frey, chief executive of the operator, said"), or the object
    of "according to". A quote's own words never name its speaker.

    >>> clause('"We lost a building," Liisa Korvits, the festival’s artistic director, said.'), clause("It rained.")
    ('Liisa Korvits', None)
    >>> clause('Without them we would be digging," Arnold said.'), clause('Its director, Marco Feliciano, said so.')
    ('Arnold', 'Marco Feliciano')
    >>> clause('"There is no danger," the agency’s director told reporters.')
    'the agency’s director'
    """
    doc = language.doc(sentence)
    quoted: set[int] = set()
    opened: int | None = None
    for token in doc:
        if token.text not in ('"', "“", "”"):
            continue
        # An opening mark follows a space (or starts the text) and touches the next word; a closing one touches
        # the word before it. A quote closed with no opening here began in the sentence before.
        opening = token.text == "“" or (token.text == '"' and (token.i == 0 or bool(doc[token.i - 1].whitespace_))
                                        and not token.whitespace_)
        if opening:
            opened = token.i
        else:
            quoted.update(range(0 if opened is None else opened, token.i))
            opened = None
    if opened is not None:
        quoted.update(range(opened, len(doc)))
    said = [t for t in doc if t.i not in quoted and t.pos_ in ("VERB", "AUX") and t.lemma_.lower() in _SAYING_VERBS]
    said.sort(key=lambda t: len(list(t.ancestors)))  # the main clause's saying first
    for verb in said:
        who = next((c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass") and c.i not in quoted), None)
        if who is not None and (mention := _mention(who)):
            return mention
    for token in doc:
        if token.lower_ == "according" and token.i + 1 < len(doc) and doc[token.i + 1].lower_ == "to":
            who = next((c for c in doc[token.i + 1].children if c.dep_ == "pobj"), None)
            if who is not None and (mention := _mention(who)):
                return mention
    return None


def _mention(token) -> str | None:
    """How a parse's subject names a speaker: a pronoun as written ("He"), a name as its entity or compound
    ("Liisa Korvits"), a description with its determiner and modifiers ("the German economy minister"); None for
    what names no one ("it", "which")."""
    if token.pos_ == "PRON":
        return token.text if token.lower_ in ("he", "she", "they") else None
    if token.pos_ == "PROPN":
        ent = next((e for e in token.doc.ents if e.start <= token.i < e.end), None)
        if ent is not None and ent.label_ in ("PERSON", "ORG", "NORP", "GPE"):
            return ent.text.removesuffix("'s").removesuffix("’s")
        left = token
        while left.i > 0 and token.doc[left.i - 1].dep_ == "compound" and token.doc[left.i - 1].pos_ == "PROPN":
            left = token.doc[left.i - 1]
        return token.doc[left.i : token.i + 1].text
    if token.pos_ == "NOUN":
        named = next((c for c in token.children if c.dep_ == "appos" and c.pos_ == "PROPN"), None)
        if named is not None:  # "Its operations director, Marco Feliciano, said": the name
            return _mention(named)
        left = min((c.left_edge.i for c in token.children if c.dep_ in ("det", "amod", "compound", "poss", "nmod")),
                   default=token.i)
        return token.doc[left : token.i + 1].text
    return None


def is_name(speaker: str) -> bool:
    """Whether a speaker is named ("Friederike Stallbaum", "Germany's Stallbaum"), not described ("the German
    economy minister", "Germany's economy minister") or a pronoun: its last word is capitalised.

    >>> is_name("Friederike Stallbaum"), is_name("the German economy minister"), is_name("She")
    (True, False, False)
    """
    last = speaker.split()[-1] if speaker.split() else ""
    return last[:1].isupper() and last not in ("He", "She", "They")


def _resolved(who: str, before: str, earlier: Sequence[str], later: Sequence[str] = ()) -> str | None:
    """``who`` itself if it is a name; a description ("the director") the person given that role nearest before
    (``holder``: "Museum director Karel Dewaele"), else the first after (``later``: the article's paragraphs after
    the speaker's; news often describes someone first and names them paragraphs later: "the German economy
    minister told a news conference" ... "The minister, Friederike Stallbaum, has been under pressure"), else the
    description itself: an unnamed speaker is nobody else; a pronoun: the speaker of the paragraph's sentences
    before it, else the last person they name (``before``: the paragraph up to the sentence), else the speaker of
    the latest earlier paragraph that has one.

    >>> _resolved("The director", "", ["Museum director Karel Dewaele spoke.", '"Gone," Jolien Maes said.'])
    'Karel Dewaele'
    >>> _resolved("She", '"Nobody will lose," the economy minister said. ', ["The minister, Friederike Stallbaum, ..."])
    'Friederike Stallbaum'
    >>> _resolved("He", "Health Minister Declan Moriarty visited the hospital and met Kerrigan. ", [])
    'Declan Moriarty'
    >>> _resolved("the housing minister", "", [], ["The minister, Thijmen Brakkee, said so."])
    'Thijmen Brakkee'
    """
    if is_name(who):
        return who
    if who.split()[0].casefold() not in ("he", "she", "they"):  # a description
        role = re.sub(r"^(?:the|a|an)\s+", "", who, flags=re.IGNORECASE)
        return holder(role, [before, *reversed(earlier)]) or holder(role, later) or who
    said = [w for part in reversed(sentences(before)) if (w := clause(part))]
    if said:
        pronoun = said[0].split()[0].casefold() in ("he", "she", "they")
        return None if pronoun else _resolved(said[0], "", earlier, later)
    if before.strip():  # the subject of the sentence before ("Moriarty visited ... and met Kerrigan. He ..."),
        last = list(language.doc(before).sents)[-1]  # else the last person named in full before it
        subject = next((t for t in last if t.dep_ == "nsubj" and t.head == last.root and t.pos_ == "PROPN"), None)
        named = [e.text for e in language.doc(before).ents if e.label_ == "PERSON" and " " in e.text]
        if subject is not None or named:
            return _mention(subject) if subject is not None else named[-1]
    for i in range(len(earlier) - 1, -1, -1):
        found = speaker(earlier[i], earlier[i], earlier[:i], [*earlier[i + 1 :], *later])
        if found:
            return found
    return None


def speaker(sentence: str, paragraph: str, earlier: Sequence[str] = (), later: Sequence[str] = ()) -> str | None:
    """Who says ``sentence`` (a sentence of ``paragraph``; ``earlier``, ``later``: the article's paragraphs before
    and after it).

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
        who = clause(parts[i])
        if who:
            return _resolved(who, " ".join(parts[:i]) + " " + parts[i].split(who)[0], earlier, later)
    return None


def quotes(paragraph: str, person: str, earlier: Sequence[str] = (), later: Sequence[str] = ()) -> bool:
    """Whether ``paragraph`` gives words of ``person`` (some sentence of it is theirs)."""
    return any(same_person(speaker(s, paragraph, earlier, later) or "", person)
               for s in sentences(paragraph) or [paragraph])


def mentions(sentence: str, person: str, paragraph: str = "", earlier: Sequence[str] = (),
             later: Sequence[str] = ()) -> bool:
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
    if same_person(_resolved(pronoun.group(0), before, earlier, later) or "", person):
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


def sides(story: Story | None, paragraph: Paragraph) -> tuple[Sequence[Paragraph], Sequence[Paragraph]]:
    """The paragraphs before ``paragraph`` in its article and those after it, in order (none without ``story``)."""
    article = story(paragraph) if story is not None else ()
    at = next((i for i, p in enumerate(article) if p.id == paragraph.id), len(article))
    return article[:at], article[at + 1 :]


def so_far(story: Story | None, paragraph: Paragraph) -> list[str]:
    """The texts of ``paragraph``'s article up to and including it: where a name it shortens was given in full."""
    return [p.text for p in (*sides(story, paragraph)[0], paragraph)]


def around(story: Story | None, paragraph: Paragraph) -> tuple[list[str], list[str]]:
    """The texts of ``sides``: who "he" or "the minister" is may be said before a paragraph or after it."""
    before, after = sides(story, paragraph)
    return [p.text for p in before], [p.text for p in after]
