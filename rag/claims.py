"""Claims: an answer cut into the pieces each citation backs, and how much of a claim a text states.

The model's raw answer is cut into *claims*: the text up to each ``[n]``
marker, or a whole sentence when it has none. A claim's ``support`` by a
paragraph is the share of its new content words (content words not already
in the question) that the paragraph contains, so "Hassan Rouhani met the
minister" is supported by the paragraph naming Rouhani, not by one that only
mentions the minister; ``evidence_of`` lists the sentences (and sentence
pairs) a claim may be verified by. Words are folded by ``term`` so that an
answer's wording meets the paragraph's.

Trade-off: a lexical measure is deterministic, explainable and free, but it
cannot tell a true claim from a false one built from the paragraph's own
words; ``rag.verify`` adds the cross-encoder's judgement of what the evidence
is about.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from rag import language
from rag.text import MARKED, is_instruction, sentences, words

MEMBER_WORDS = 6  # a longer part is a clause, not a name in a list (``members``)

_NUMBERS = {
    w: str(n)
    for n, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
        "seventeen eighteen nineteen twenty".split()
    )
}


_SUFFIX = re.compile(r"(?:ations?|ions?|ings?|ments?|ed|es|ly)$")


def term(word: str) -> str:
    """A content word reduced so that an answer's wording matches the paragraph's.

    Number words become digits and common suffixes go (a crude stemmer: it only
    has to make "painting" meet "painted", not to be linguistics). Accents go
    too: outlets (and the model, copying one of them) write "Nestlé" where the
    paragraph has "Nestle", "Leixões" where another has "Leixoes".

    >>> [term(w) for w in ("three", "painting", "painted", "conservation", "conserve", "kurdish")]
    ['3', 'paint', 'paint', 'conserv', 'conserv', 'kurdish']
    >>> term("nestlé") == term("nestle"), term("leixões") == term("leixoes")
    (True, True)
    """
    if word in _NUMBERS:
        return _NUMBERS[word]
    if not word.isascii():
        word = "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))
    stem = _SUFFIX.sub("", word)
    stem = stem if len(stem) >= 4 else word
    return stem[:-1] if stem.endswith("e") and len(stem) > 4 else stem


def terms(text: str) -> set[str]:
    """``term`` of every content word; "82%" also counts as "82 percent".

    >>> sorted(terms("82% of the three painted walls"))
    ['3', '82', 'paint', 'percent', 'wall']
    """
    out = set()
    for w in words(text):
        if w.endswith("%") and len(w) > 1:
            out.update((w[:-1], "percent"))
        else:
            out.add(term(w))
    return out


@lru_cache(maxsize=4096)
def _evidence_terms(paragraph: str) -> frozenset[str]:
    """The paragraph's terms, leaving out sentences that instruct the model."""
    return frozenset(t for s in sentences(paragraph) or [paragraph] if not is_instruction(s) for t in terms(s))


def support(claim: str, paragraph: str, question: str = "") -> float:
    """Share of the claim's new content words found in the paragraph, in [0, 1].

    >>> support("Hassan Rouhani met the minister", "President Hassan Rouhani met him.", "who met the minister?")
    1.0
    >>> support("Fuad Hussein", "Rouhani met the minister.", "who met the minister?")
    0.0
    """
    claim_terms = terms(claim)
    new = claim_terms - terms(question) or claim_terms
    if not new:
        return 1.0
    return len(new & _evidence_terms(paragraph)) / len(new)


def raw_tokens(text: str) -> list[str]:
    """Lower-cased words in order, nothing dropped: adjacency must be real adjacency."""
    return [w.rstrip("'’s") if w.endswith(("'s", "’s")) else w for w in re.findall(r"[\w'’]+", text.lower())]


@dataclass(frozen=True)
class Claim:
    sentence: int
    text: str
    marker: int | None


def claims(answer: str) -> list[Claim]:
    """Split an answer into claims at citation markers, sentence by sentence.

    A marker after another with nothing but punctuation between ("Texas [4], [5]") cites the same claim again:
    the claim is kept once, with its first marker; a claim the answer already made is not made twice. A list of
    names under one marker ("Austria, Germany and Hungary [2]") is one claim per member (``members``): each is
    verified, and cited, on its own.

    >>> [(c.text, c.marker) for c in claims("A met B [2] and C [1]. It rained. D [1] met E.")]
    [('A met B', 2), ('and C.', 1), ('It rained.', None), ('D', 1), ('met E.', None)]
    >>> [(c.text, c.marker) for c in claims("Texas [4], [5], [6].")]
    [('Texas.', 4)]
    >>> [(c.text, c.marker) for c in claims("Austria, Germany and Hungary [2]. Austria, Germany and Hungary [2].")]
    [('Austria', 2), (', Germany', 2), ('and Hungary.', 2)]
    """
    out: list[Claim] = []
    made: set[tuple[str, ...]] = set()
    for s_index, sentence in enumerate(sentences(answer)):
        start = 0
        for m in MARKED.finditer(sentence):
            text = sentence[start : m.start()].strip()
            start = m.end()
            if out and not re.search(r"\w", text):  # the claim before, cited again
                continue
            for member in members(text):
                if (said := tuple(words(member))) not in made or not said:
                    made.add(said)
                    out.append(Claim(s_index, member, int(m.group(1))))
        tail = sentence[start:].strip()
        if tail and start and not words(tail):  # trailing punctuation after the last marker
            if out and out[-1].sentence == s_index:
                last = out.pop()
                out.append(Claim(s_index, last.text + tail, last.marker))
        elif tail:
            out.append(Claim(s_index, tail, None))
    return out


def members(text: str) -> list[str]:
    """The members of a list of names, each with the separator before it; ``[text]`` for anything else.

    A list is three or more parts, or two joined by "and"/"or", none of them over ``MEMBER_WORDS`` words, with no
    verb in spaCy's parse: "Rouhani and Qalibaf" is two claims, "Rouhani and Qalibaf met him" one, and
    "Anchorage, Alaska" one place.

    >>> members("Austria, Germany, and Hungary"), members("Anchorage, Alaska")
    (['Austria', ', Germany', 'and Hungary'], ['Anchorage, Alaska'])
    >>> members("Rouhani and Qalibaf met the minister")
    ['Rouhani and Qalibaf met the minister']
    """
    parts = [p.strip() for p in re.split(r"(?=,\s)|(?=\s(?:and|or)\s)", text) if p.strip(" ,")]
    joined = any(re.match(r"(?:,\s*)?(?:and|or)\s", p) for p in parts[1:])
    if len(parts) < (2 if joined else 3) or any(len(p.split()) > MEMBER_WORDS for p in parts):
        return [text]
    if any(t.pos_ in ("VERB", "AUX") for t in language.doc(text)):
        return [text]
    return parts


def drop_partial_sentence(text: str) -> str:
    """Drop a last sentence cut off by the token limit, if a complete one precedes it,
    and a citation marker cut in half.

    >>> drop_partial_sentence("Rouhani met him [1]. They come amid rumors of")
    'Rouhani met him [1].'
    >>> drop_partial_sentence("Rouhani met")
    'Rouhani met'
    >>> drop_partial_sentence("Travelers [1], Cigna [1], UBS [1")
    'Travelers [1], Cigna [1], UBS'
    """
    text = re.sub(r"\s*\[\d*$", "", text)
    parts = sentences(text)
    if len(parts) > 1 and not re.search(r"[.!?][\"”’)]?$", parts[-1]):
        return text[: text.rindex(parts[-1])].rstrip()
    return text


def best_evidence(claim: str, paragraph: str) -> str:
    """The paragraph sentence sharing the most content words with the claim."""
    claim_words = set(words(claim))
    return max(sentences(paragraph) or [paragraph], key=lambda s: len(claim_words & set(words(s))))


def question_share(claim: str, paragraph: str, question: str) -> float:
    """Share of the question's content words in the paragraph sentence that best supports the claim.

    >>> p = "Rouhani met the Iraqi minister. Fuad Hussein is the minister."
    >>> question_share("Rouhani", p, "who met the Iraqi minister?")
    1.0
    >>> round(question_share("Fuad Hussein", p, "who met the Iraqi minister?"), 2)  # only "minister"
    0.33
    """
    asked = set(words(question))
    if not asked:
        return 0.0
    evidence = max(
        sentences(paragraph) or [paragraph], key=lambda s: (support(claim, s, question), len(asked & set(words(s))))
    )
    return len(asked & set(words(evidence))) / len(asked)


def evidence_of(claim: str, paragraph: str, question: str = "", min_support: float = 0.5) -> tuple[str, ...]:
    """The evidence a claim may be verified by: each sentence that supports it alone, and that sentence
    after the one before it or after the paragraph's first.

    The pairs let "Hussein met Qalibaf" count as evidence about "the Iraqi
    foreign minister" when the sentence before says who Hussein is, and a
    quote count as what its speaker said when the paragraph's first sentence
    names them. Where no single sentence supports the claim (its words are
    spread over the paragraph), the sentence sharing most words with it
    stands in.

    >>> evidence_of("Qalibaf", "Fuad Hussein is Iraq's foreign minister. Hussein met Qalibaf. It rained.")
    ('Hussein met Qalibaf.', "Fuad Hussein is Iraq's foreign minister. Hussein met Qalibaf.")
    >>> evidence_of("no job for us", 'Rouhani spoke in Baghdad. He praised Iraq. "It is no job for us," he said.')[2]
    'Rouhani spoke in Baghdad. "It is no job for us," he said.'
    """
    parts = sentences(paragraph) or [paragraph]
    own = [i for i, s in enumerate(parts) if support(claim, s, question) >= min_support]
    out: list[str] = []
    for i in own or [parts.index(best_evidence(claim, paragraph))]:  # best_evidence picks from the same split
        out += [parts[i], *(f"{parts[j]} {parts[i]}" for j in dict.fromkeys((i - 1, 0)) if 0 <= j < i)]
    return tuple(out)
