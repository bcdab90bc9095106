"""Read the story: the sentences of the best story that can answer the question, beyond the paragraph that matched.

Retrieval finds the right *story* far more often than the right paragraph
(news-2025's tuning split: the best story holds the answer for 27 of 83
questions, its best paragraph for 19), because news answers in a sentence
that does not restate the question ("Board member Colleen Hart also voted
no"). So when the matched paragraphs give nothing verified, the second call
(``rag.generate.again``) shows sentences from the whole of the best story:
every sentence of the story competes for the word budget with the matched
paragraphs' sentences.

A sentence's claim to the budget is its dense similarity to the question
(the sentence vectors were computed at indexing time: a matmul), plus
``HIT_BONUS`` in a paragraph retrieval ranked (the one that matched keeps
its lead), plus ``ENTITY_BONUS`` when it names something of the kind the
question asks for (``Question.kind``: a person, a place, a number ...) that
the question does not name itself: the answer, not the topic. Entities come
from spaCy (``rag.language``), only for the ``PRESELECT`` sentences closest
to the question, so a long story costs one small parse.

Which story is read whole (``lead``): of the first ``STORIES``, the one
whose title followed by its sentence closest to the question the
cross-encoder rates best; the first hit's paragraph may be the best match
in a story about something else.

Trade-offs, measured on the tuning split (``docs/evaluation.md``): the
second and third stories' sentences, mixed in by similarity, crowd the best
story's answer out more often than they add one (their similarities are
not comparable across stories), so only one story is read whole; the
other hits keep their best sentences, as before.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rag import language, when
from rag.index import Index
from rag.records import Hit, Question
from rag.resources import Resources
from rag.text import is_instruction

HIT_BONUS = 0.05  # a sentence of a paragraph retrieval ranked
ENTITY_BONUS = 0.1  # a sentence naming something of the kind asked, not named by the question
PRESELECT = 20  # sentences parsed for entities: the closest to the question
STORIES = 5  # stories the one read whole is chosen from (``lead``)
# spaCy's entity labels for each kind of answer (``Question.kind``); "other" takes any entity.
LABELS = {
    "person": {"PERSON"},
    "organisation": {"ORG"},
    "place": {"GPE", "LOC", "FAC"},
    "date": {"DATE"},
    "number": {"CARDINAL", "QUANTITY", "MONEY", "PERCENT"},
}


def lead(res: Resources, question: Question, query: np.ndarray, hits: Sequence[Hit]) -> Hit | None:
    """The hit whose story is read whole: of the first ``STORIES`` (one per story), the one whose title followed by
    its sentence closest to the question the cross-encoder rates best (the first hit without a reranker)."""
    # A story published long before the time the question names cannot report it (``when.reports``), so it
    # cannot verify an answer either: read one that can.
    hits = [h for h in hits if when.reports(h.paragraph, question.window)]
    if not hits or not res.settings.rerank:
        return hits[0] if hits else None
    first = list(hits[:STORIES])
    best = []
    for h in first:
        texts, vectors = res.index.sentences_of(h.paragraph.id)
        best.append(texts[int(np.argmax(vectors @ query))] if texts else h.paragraph.text)
    said = [f"{h.paragraph.article_title}. {b}" for h, b in zip(first, best, strict=True)]
    scores = res.reranker.score(question.text, said)
    return first[max(range(len(first)), key=lambda i: (scores[i], -i))]


def story_hits(hits: Sequence[Hit], index: Index, lead: Hit | None = None) -> list[Hit]:
    """``hits`` followed by the other paragraphs of ``lead``'s story (default: the first hit's), in reading order
    (score 0: unranked)."""
    lead = lead or (hits[0] if hits else None)
    if lead is None:
        return list(hits)
    have = {h.paragraph.id for h in hits}
    rest = [p for p in index.article_of(lead.paragraph) if p.id not in have]
    return [*hits, *(Hit(paragraph=p, score=0.0) for p in rest)]


def names_kind(sentence: str, question: Question) -> bool:
    """Whether ``sentence`` names an entity of the kind ``question`` asks for, other than one the question names.

    >>> from rag.question import read
    >>> who = read("Who met the Iraqi foreign minister?")
    >>> names_kind("Hussein met Rouhani in Tehran.", who), names_kind("The talks went on for hours.", who)
    (True, False)
    >>> names_kind("Rouhani spoke.", read("What did Rouhani say?"))  # the person asked about is no answer
    False
    """
    labels = LABELS.get(question.kind)
    asked = question.text.casefold()
    return any((labels is None or e.label_ in labels) and e.text.casefold() not in asked
               for e in language.doc(sentence).ents)


def select(query: np.ndarray, hits: Sequence[Hit], ranked: int, index: Index, budget: int,
           question: Question) -> list[str]:
    """One passage text per hit ("" for a hit none of whose sentences is chosen): the sentences with the best
    claim to the budget (module docstring), ``budget`` words in all, in reading order. The first ``ranked``
    hits were ranked by retrieval: each keeps its best sentence and their sentences get ``HIT_BONUS``."""
    split = [index.sentences_of(h.paragraph.id) for h in hits]
    flat = [(i, s) for i, (sents, _) in enumerate(split) for s in sents]
    if not flat:
        return [""] * len(hits)
    scores = np.concatenate([vectors for _, vectors in split]) @ query
    scores += np.array([HIT_BONUS if i < ranked else 0.0 for i, _ in flat])
    scores[[pos for pos, (_, s) in enumerate(flat) if is_instruction(s)]] = -np.inf
    for pos in np.argsort(-scores, kind="stable")[:PRESELECT]:
        if np.isfinite(scores[pos]) and names_kind(flat[pos][1], question):
            scores[pos] += ENTITY_BONUS
    order = [int(p) for p in np.argsort(-scores, kind="stable") if np.isfinite(scores[p])]
    chosen: set[int] = set()
    for i in range(ranked):  # a ranked paragraph keeps its best sentence
        best = next((p for p in order if flat[p][0] == i), None)
        if best is not None:
            chosen.add(best)
    used = sum(len(flat[p][1].split()) for p in chosen)
    for pos in order:
        n = len(flat[pos][1].split())
        if pos not in chosen and used + n <= budget:
            chosen.add(pos)
            used += n
    return [" ".join(s for pos, (h, s) in enumerate(flat) if h == i and pos in chosen) for i in range(len(hits))]

