"""Generate: hits -> what the model is shown (``context``) -> the model's raw answer (``answer``).

Prompt length sets latency on a CPU (every prompt token is evaluated before
the first answer token) and small models lose the thread in long contexts,
so the model never sees whole paragraphs: each retrieved paragraph is cut
down to its sentences most similar to the question, within a word budget,
keeping at least its best sentence and the original sentence order. The
sentence vectors were computed at indexing time, so this costs a matmul.

Two hard caps keep the instructions at the top of the prompt inside the
model's window whatever the articles hold: a passage is cut to
``passage_words`` (a paragraph that is one run-on line without sentence
ends is a single "sentence", which selection keeps whole), and passages
together stop at ``prompt_words``: the last passages are dropped, never the
instructions (``benchmarks/injection.py`` measures both).
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import TypeVar

import numpy as np

from rag import attribute, retrieve, story, whose
from rag.index import Index
from rag.llm import LLM
from rag.prompts import STOPS, answer_grammar, answer_prompt, hold_not_found
from rag.records import Completion, Context, Found, Hit, Paragraph, Question
from rag.resources import Resources
from rag.settings import CONTEXTS, Settings
from rag.text import is_instruction, sentences, words

_R = TypeVar("_R")


def select_context(
    query: np.ndarray, hits: Sequence[Hit], index: Index, budget: int, context: str = "best", question: str = ""
) -> list[str]:
    """One passage text per hit: its sentences most similar to ``query``, ``budget`` words in all.

    ``context="top"`` spends the budget on the first hit's sentences before
    the others' (each other hit still keeps its best sentence). Sentences
    that instruct the model (``rag.text.is_instruction``) are never shown.
    While the index has no vectors yet (``Index.dense``), sentences are
    ranked by the ``question`` words they share instead.
    """
    if context not in CONTEXTS:
        raise ValueError(f"unknown context {context!r}: use one of {', '.join(CONTEXTS)}")
    split = [index.sentences_of(h.paragraph.id) for h in hits]
    flat = [(i, j, s) for i, (sents, _) in enumerate(split) for j, s in enumerate(sents)]
    if not flat:
        return []
    if index.dense:
        scores = np.concatenate([vectors for _, vectors in split]) @ query
    else:
        asked = set(words(question))
        scores = np.array([len(asked & set(words(s))) for _, _, s in flat], np.float64)
    scores[[pos for pos, (_, _, s) in enumerate(flat) if is_instruction(s)]] = -np.inf
    order = np.argsort(-scores, kind="stable")
    if context == "top":
        order = np.concatenate([[p for p in order if flat[p][0] == 0], [p for p in order if flat[p][0] != 0]])
    chosen: set[int] = set()
    used = 0
    best_of_hit: dict[int, int] = {}
    for pos in order:  # every passage keeps its best sentence
        if np.isfinite(scores[pos]):
            best_of_hit.setdefault(flat[pos][0], int(pos))
    for pos in best_of_hit.values():
        chosen.add(pos)
        used += len(flat[pos][2].split())
    for pos in order:
        n = len(flat[pos][2].split())
        if int(pos) not in chosen and used + n <= budget and np.isfinite(scores[pos]):
            chosen.add(int(pos))
            used += n
    return [" ".join(s for pos, (h, _, s) in enumerate(flat) if h == i and pos in chosen) for i in range(len(hits))]


def clip(passage: str, max_words: int) -> str:
    """At most ``max_words`` words of ``passage`` (untouched when shorter).

    >>> clip("one two three", 2), clip("one two", 2)
    ('one two …', 'one two')
    """
    words = passage.split()
    return passage if len(words) <= max_words else " ".join(words[:max_words]) + " …"


def fit(passages: Sequence[str], max_words: int) -> int:
    """How many leading passages fit in ``max_words`` (always at least one).

    >>> fit(["a b", "c d", "e"], 4), fit(["a b c d e"], 4)
    (2, 1)
    """
    total = 0
    for n, passage in enumerate(passages):
        total += len(passage.split())
        if total > max_words:
            return max(1, n)
    return len(passages)


def context(
    question: str, query: np.ndarray, hits: Sequence[Hit], index: Index, settings: Settings, budget: int | None = None
) -> Context:
    """The passages shown for ``hits``: selected within ``budget`` words (default: ``context_words``), then capped."""
    budget = settings.context_words if budget is None else budget
    return capped(hits, select_context(query, hits, index, budget, settings.context, question), settings)


def capped(hits: Sequence[Hit], selected: Sequence[str], settings: Settings) -> Context:
    """``hits`` with their ``selected`` texts, each clipped to ``passage_words``, as many as fit ``prompt_words``."""
    passages = [clip(p, settings.passage_words) for p in selected]
    kept = fit(passages, settings.prompt_words)
    return Context(passages=tuple(passages[:kept]), hits=tuple(hits[:kept]))


THEIRS = 2  # paragraphs of the person a question asks the words of, shown beyond the best hits (``theirs``)


def shown(res: Resources, question: Question, found: Found, k: int) -> Context | None:
    """What the model is shown first for ``question``: the best of the ``k`` first hits within the settings'
    margin, and the paragraphs of the person whose words it asks (``theirs``); None when the evidence is too weak
    to answer from (``rag.retrieve.evidence`` below ``min_score``): the answer is then an abstention without the
    model."""
    s, best = res.settings, list(found.hits[:k])
    if not best or retrieve.evidence(question.text, best, res.bm25, words(question.category)) < s.min_score:
        return None
    close = retrieve.within(best, s.margin)
    return context(question.text, found.query, [*close, *theirs(res, question, found.query, close)], res.index, s)


def again(res: Resources, question: Question, found: Found, first: Context) -> Context:
    """What a second call is shown after the ``first`` context answered nothing verified: the story read
    (``rag.story``: the best story's sentences compete with the first hits' for the word budget), or, with
    ``Settings.story`` off or no sentence vectors yet, the best paragraph alone and whole. The matched paragraphs
    are read first because they usually suffice (a story's other sentences distract the model when they do:
    pooled SQuAD F1 0.710 -> 0.666 with the story read first, ``docs/evaluation.md``)."""
    s = res.settings
    if not res.index.dense or not s.story:
        return whole(question.text, found.query, first.hits[0], res.index, s)
    ranked = list(first.hits)
    lead = story.lead(res, question, found.query, found.hits) if s.story_lead else None
    hits = story.story_hits(ranked, res.index, lead)
    chosen = story.select(found.query, hits, len(ranked), res.index, s.context_words, question)
    read = [(h, p) for h, p in zip(hits, chosen, strict=True) if p]
    if not read:  # nothing but instructions to the model (rag.text.is_instruction)
        return first
    return capped([h for h, _ in read], [p for _, p in read], s)


def theirs(res: Resources, question: Question, query: np.ndarray, found: Sequence[Hit]) -> list[Hit]:
    """The paragraphs in which the person the question asks the words of speaks, beyond ``found``: the paragraph
    that goes on with their words after one of ``found`` (``goes_on``), and, when none of ``found`` gives their
    words on the topic, the reranker's best ``THEIRS`` of their paragraphs in the articles of the two best hits
    (the articles' order without it). "What did X say about T?" is answered only by X's words
    (``rag.attribute``), and X's paragraph may rank below others about T."""
    person, index = whose.asked_person(question, found, res.index), res.index
    if not person:
        return []
    have = {h.paragraph.id for h in found}
    after = [Hit(paragraph=p, score=h.score) for h in found
             if (p := goes_on(index, h.paragraph, person)) is not None and p.id not in have][:THEIRS]
    if any(whose.speaks_to(question, person, h.paragraph.text, *attribute.around(index.article_of, h.paragraph))
           for h in found):
        return after  # their words on it are shown already: more of them only distract a small model
    have |= {h.paragraph.id for h in after}
    tops = {h.paragraph.article_id: h.paragraph for h in found[:2]}
    candidates = [p for top in tops.values() for p in index.article_of(top)
                  if p.id not in have and attribute.quotes(p.text, person, *attribute.around(index.article_of, p))]
    dense = retrieve.cosine(index, query, [index.positions[p.id] for p in candidates])
    if not res.settings.rerank or not candidates:
        return [*after, *(Hit(paragraph=p, score=d) for p, d in zip(candidates[:THEIRS], dense, strict=False))]
    scores = res.reranker.score(question.text, [p.text for p in candidates])
    best = sorted(range(len(candidates)), key=lambda i: -scores[i])[:THEIRS]
    return [*after, *(Hit(paragraph=candidates[i], score=dense[i], relevance=scores[i]) for i in best)]


def goes_on(index: Index, paragraph: Paragraph, person: str) -> Paragraph | None:
    """The paragraph after ``paragraph`` when both give ``person``'s words and the next one goes on with them by a
    pronoun ("She then argued that the money saved should go into training installers" after the minister's
    quote): news splits one person's argument over paragraphs, the answer is often in the second, and the second
    cannot be read without the first. A paragraph that names them afresh ("Claes said detectives ...") starts
    another point, shown only if it ranks (``theirs``). None otherwise."""
    earlier, after = attribute.sides(index.article_of, paragraph)
    if not after:
        return None
    nxt, before, later = after[0], [p.text for p in earlier], [p.text for p in after[1:]]
    opening = (sentences(nxt.text) or [nxt.text])[0]
    who = attribute.clause(opening)
    if who is None or attribute.is_name(who):
        return None  # said by no one, or named afresh: a paragraph of its own
    if not attribute.quotes(paragraph.text, person, before, [nxt.text, *later]):
        return None
    said = attribute.speaker(opening, nxt.text, [*before, paragraph.text], later)
    return nxt if attribute.same_person(said or "", person) else None


def whole(question: str, query: np.ndarray, hit: Hit, index: Index, settings: Settings) -> Context:
    """The best paragraph alone and whole (up to ``passage_words``): what a re-ask shows."""
    return context(question, query, [hit], index, settings, budget=settings.passage_words)


def answer(llm: LLM, question: str, shown: Context, max_tokens: int) -> Generator[str, None, Completion]:
    """Stream the model's raw answer (markers constrained to the shown passages; a bare NOT FOUND is held back)."""
    prompt = answer_prompt(shown.passages, question, llm.template)
    grammar = answer_grammar(len(shown.passages))
    return (
        yield from hold_not_found(llm.stream(prompt, grammar=grammar, max_tokens=max_tokens, stop=STOPS[llm.template]))
    )


def collect(pieces: Generator[object, None, _R]) -> _R:
    """Run ``pieces`` to its end without showing them; its return value (a model call nobody watches).

    >>> def g():
    ...     yield "a"
    ...     return 3
    >>> collect(g())
    3
    """
    while True:
        try:
            next(pieces)
        except StopIteration as done:
            return done.value
