"""Per-question scores of ``rag eval``: SQuAD EM/F1, gold rank, citation health.

Scoring happens while the ``Answer`` with its whole paragraphs is at hand;
``rag.eval.summary`` only aggregates the per-question lines.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from rag.claims import claims as claims_of
from rag.claims import support
from rag.eval.questions import Question
from rag.eval.results import Scores
from rag.prompts import said_not_found
from rag.records import Answer, Hit, Paragraph
from rag.text import strip_markers, words

_PUNCT = set(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_BRACKETS = re.compile(r"\[([^\[\]]*)\]")


def normalize_answer(text: str) -> str:
    """SQuAD v1.1 normalization: lowercase, drop punctuation and articles, collapse whitespace.

    >>> normalize_answer("The  U.S.-led Coalition!")
    'usled coalition'
    """
    text = "".join(ch for ch in text.lower() if ch not in _PUNCT)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match(prediction: str, golds: Sequence[str]) -> float:
    return max((float(normalize_answer(prediction) == normalize_answer(g)) for g in golds), default=0.0)


def token_f1(prediction: str, golds: Sequence[str]) -> float:
    """SQuAD token F1, maximum over the gold answers."""
    pred = normalize_answer(prediction).split()
    best = 0.0
    for gold in golds:
        truth = normalize_answer(gold).split()
        same = sum((Counter(pred) & Counter(truth)).values())
        if same:
            p, r = same / len(pred), same / len(truth)
            best = max(best, 2 * p * r / (p + r))
    return best


def contains_answer(text: str, answers: Sequence[str]) -> bool:
    """Whether ``text`` contains one of ``answers`` as whole words, after SQuAD normalization.

    >>> contains_answer("The Dalai Lama, 90, said so.", ["Dalai Lama"]), contains_answer("Lamas", ["lama"])
    (True, False)
    """
    padded = f" {normalize_answer(text)} "
    return any(f" {g} " in padded for g in map(normalize_answer, answers) if g)


def names_one_answer(text: str, q: Question) -> bool:
    """``text`` contains a gold answer and names no other of the quiz's ``choices``.

    >>> q = Question(id="q", question="?", answers=("Peru",), choices=("Peru", "Chile", "Cuba", "Fiji"))
    >>> names_one_answer("Peru [1]", q), names_one_answer("Peru [1] or Chile [2]", q), names_one_answer("Chile", q)
    (True, False, False)
    """
    if not contains_answer(text, q.answers):
        return False
    golds = {normalize_answer(a) for a in q.answers}
    return not any(contains_answer(text, [c]) for c in q.choices if normalize_answer(c) not in golds)


def picks_gold(text: str, q: Question) -> bool:
    """``text`` names a gold answer (``names_one_answer``) or, for a quiz, matches the gold choice best.

    A right answer may be worded apart from its choice ("Sean Duffy" for "Transportation
    Secretary Sean Duffy", "Alaska" for "Anchorage, Alaska", "Nestle" for "Nestlé"): it counts
    when the choice it matches best by token F1 is a gold one, at F1 >= 0.5, and it names no
    other choice.

    >>> q = Question(id="q", question="?", answers=("Anchorage, Alaska",),
    ...              choices=("Anchorage, Alaska", "Helsinki, Finland", "Rome, Italy", "Geneva"))
    >>> picks_gold("Alaska [1]", q), picks_gold("Rome [1]", q), names_one_answer("Alaska [1]", q)
    (True, False, False)
    >>> picks_gold("Nestle [1]", Question(id="q", question="?", answers=("Nestlé",), choices=("Nestlé", "Tesla")))
    True
    """
    text = _unaccented(text)
    q = replace(q, answers=tuple(map(_unaccented, q.answers)), choices=tuple(map(_unaccented, q.choices)))
    if names_one_answer(text, q):
        return True
    if not q.choices or any(contains_answer(text, [c]) for c in q.choices):
        return False
    f1 = {c: token_f1(text, [c]) for c in q.choices}
    best = max(f1.values())
    golds = {normalize_answer(a) for a in q.answers}
    chosen = [c for c, v in f1.items() if v == best]
    return best >= 0.5 and len(chosen) == 1 and normalize_answer(chosen[0]) in golds


NO_BYLINE = "no byline"  # what tests/multi expects where an article names no author (``rag.header``)


def all_answers(q: Question, answer: Answer) -> bool | None:
    """Every answer ``q`` expects is in the answer, each cited by evidence that states it (None: no ``expected``).

    An answer is present when the text (markers removed, accents folded) contains it or one of its short
    forms as whole words; it is cited when a claim naming it carries a citation whose paragraph(s) (an
    antecedent paragraph included) contain one of its evidence passages, or, for a header fact, the header of
    the question's article.
    """
    if not q.expected:
        return None
    if answer.abstained:
        return False
    text = _plain(strip_markers(answer.text))
    for e in q.expected:
        names = [_plain(n) for n in e.names]
        if e.answer == NO_BYLINE:
            names = ["no byline", "names no author"]
        if not contains_answer(text, names):
            return False
        claims = [c for c in answer.citations if contains_answer(_plain(c.sentence), names)]
        if e.evidence:
            cited = any(_states(p, e.evidence) for c in claims for p in c.paragraphs)
        else:
            cited = any(c.paragraph.number == 0 and c.paragraph.article_id == q.gold_article for c in claims)
        if not cited:
            return False
    return True


def _plain(text: str) -> str:
    """Accents folded and typographic quotes made spaces (SQuAD's normalization drops ASCII punctuation only).

    >>> _plain("“Brightloom” to cut: Nestlé’s")
    ' Brightloom  to cut: Nestle s'
    """
    return re.sub(r"[“”‘’«»„]", " ", _unaccented(text))


def _states(paragraph: Paragraph, evidence: Sequence[str]) -> bool:
    flat = " ".join(paragraph.text.split())
    return any(" ".join(e.split()) in flat for e in evidence)


def attribution_error(q: Question, answer: Answer) -> bool | None:
    """For an attribution trap (``said_by`` set): the answer gives the quote of ``said_by`` as the asked person's,
    citing its paragraph without naming who said it. None for other questions.
    """
    if not q.said_by:
        return None
    if answer.abstained:
        return False
    quoted = any(_states(p, [q.quote]) for c in answer.citations for p in c.paragraphs)
    speaker = q.said_by.split()[-1]
    return quoted and not contains_answer(_unaccented(answer.text), [_unaccented(speaker)])


def _unaccented(text: str) -> str:
    """``text`` without its accents ("Nestlé" -> "Nestle"): a model's spelling of a name may drop them."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def gold_rank(hits: Sequence[Hit], q: Question) -> int | None:
    """1-based rank of the gold paragraph (or, lacking one, of the gold article's first paragraph).

    A question with answers but no gold paragraph or article (a news quiz) counts the first
    paragraph that contains an answer.
    """
    if not q.has_gold:
        return None
    for rank, h in enumerate(hits, start=1):
        if q.gold_paragraph:
            found = h.paragraph.id == q.gold_paragraph
        elif q.gold_article:
            found = h.paragraph.article_id == q.gold_article
        else:
            found = contains_answer(h.paragraph.text, q.answers)
        if found:
            return rank
    return None


def markers_ok(text: str, allowed: set[int]) -> bool:
    """Every bracket is a well-formed ``[n]`` with n in ``allowed``."""
    pairs = _BRACKETS.findall(text)
    if text.count("[") != len(pairs) or text.count("]") != len(pairs):
        return False
    return all(re.fullmatch(r"\d+", m) and int(m) in allowed for m in pairs)


def citation_counts(
    text: str, by_marker: dict[int, Paragraph], question: str, min_support: float
) -> tuple[int, int, int]:
    """(claims, citations, claims supported by their citation) of an answer text.

    Claims come from ``rag.claims.claims`` (at most one marker each, so a
    supported claim is also a supporting citation); claims that only restate
    the question are skipped, as ``rag.verify.verify`` does. A marker without a
    paragraph behind it is a citation that supports nothing.
    """
    claims = citations = supported = 0
    asked = set(words(question))
    for c in claims_of(text):
        if not set(words(c.text)) - asked:
            continue
        claims += 1
        citations += c.marker is not None
        p = by_marker.get(c.marker) if c.marker is not None else None
        supported += p is not None and support(c.text, p.text, question) >= min_support
    return claims, citations, supported


def citation_correct(q: Question, answer: Answer) -> bool | None:
    """Cited paragraphs include the gold one, or contain a gold answer (None: not applicable)."""
    if answer.abstained or not q.answerable or not (q.gold_paragraph or q.gold_article or q.answers):
        return None
    cited = [c.paragraph for c in answer.citations]
    if q.gold_paragraph and any(p.id == q.gold_paragraph for p in cited):
        return True
    if not q.gold_paragraph and q.gold_article and any(p.article_id == q.gold_article for p in cited):
        return True
    return any(contains_answer(p.text, q.answers) for p in cited)


def score(q: Question, answer: Answer, min_support: float) -> Scores:
    final = {c.marker: c.paragraph for c in answer.citations}
    shown = {i: h.paragraph for i, h in enumerate(answer.hits, start=1)}  # passage [n] is hits[n-1]
    raw = "" if said_not_found(answer.raw) else answer.raw
    text = "" if answer.abstained else answer.short
    graded = q.answerable and bool(q.answers)
    claims, citations, supported = citation_counts(
        "" if answer.abstained else answer.text, final, q.question, min_support
    )
    raw_claims, raw_citations, raw_supported = citation_counts(raw, shown, q.question, min_support)
    return Scores(
        em=exact_match(text, q.answers) if graded and text else (0.0 if graded else None),
        f1=token_f1(text, q.answers) if graded and text else (0.0 if graded else None),
        citation_correct=citation_correct(q, answer),
        claims=claims,
        citations=citations,
        supported=supported,
        raw_claims=raw_claims,
        raw_citations=raw_citations,
        raw_supported=raw_supported,
        markers_ok=None if answer.abstained else markers_ok(answer.text, set(final)),
        raw_markers_ok=markers_ok(raw, set(shown)) if raw else None,
        contains=names_one_answer(text, q) if graded else None,
        picks_gold=picks_gold(text, q) if graded else None,
        wrong_verified=(not answer.abstained and not picks_gold(text, q)) if graded else None,
        shown_answer=any(contains_answer(p.text, q.answers) for p in shown.values()) if graded else None,
        read_answer=any(contains_answer(t, q.answers) for t in (*answer.read, *(c.evidence for c in answer.citations)))
        if graded else None,
        all_answers=all_answers(q, answer),
        attribution_error=attribution_error(q, answer),
    )
