"""Generate: hits -> a short prompt -> the model's raw answer.

Prompt length sets latency on a CPU (every prompt token is evaluated before
the first answer token) and small models lose the thread in long contexts,
so the model never sees whole paragraphs: each retrieved paragraph is cut
down to its sentences most similar to the question, within a word budget,
keeping at least its best sentence and the original sentence order. The
sentence vectors were computed at indexing time, so this costs a matmul.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from rag.index import Index
from rag.llm import LLM
from rag.prompts import STOPS, answer_grammar, answer_prompt
from rag.records import Hit
from rag.text import is_instruction

CONTEXTS = ("best", "top")


def select_context(
    query: np.ndarray, hits: Sequence[Hit], index: Index, budget: int, context: str = "best"
) -> list[str]:
    """One passage text per hit: its sentences most similar to ``query``, ``budget`` words in all.

    ``context="top"`` spends the budget on the first hit's sentences before
    the others' (each other hit still keeps its best sentence). Sentences
    that instruct the model (``rag.text.is_instruction``) are never shown.
    """
    if context not in CONTEXTS:
        raise ValueError(f"unknown context {context!r}: use one of {', '.join(CONTEXTS)}")
    split = [index.sentences_of(h.paragraph.id) for h in hits]
    flat = [(i, j, s) for i, (sents, _) in enumerate(split) for j, s in enumerate(sents)]
    if not flat:
        return []
    scores = np.concatenate([vectors for _, vectors in split]) @ query
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


def stream_answer(llm: LLM, question: str, passages: Sequence[str], max_tokens: int) -> Iterator[str]:
    """Stream the model's raw answer (markers constrained to the shown passages)."""
    prompt = answer_prompt(passages, question, llm.template)
    grammar = answer_grammar(len(passages))
    yield from llm.stream(prompt, grammar=grammar, max_tokens=max_tokens, stop=STOPS[llm.template])
