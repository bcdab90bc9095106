"""Chat: one question of the web page, from the question box to the verified answer.

``ask_stream`` rewrites a follow-up into a standalone question
(``rag.followup``), asks back instead when a pronoun could mean two people,
waits for the question's turn at the model and streams the answer: first
what the articles say (``Evidence``), then the model's draft token by token,
then the verified ``Answer``. Each step yields the page's new state
(question box, turns, transcript, sources); the layout is ``rag.ui.app``'s.

Decisions and trade-offs:

- Questions take turns at the model in the hub's ``rag.turns.Line``, the
  API's queue policy too: ``Settings.llm_slots`` at once (1 in process: a
  2-core CPU gains nothing from two generations), the others waiting in
  order, shown their place, refused with "try again in ~N s" past
  ``max_wait``. So Gradio runs question events without a limit of its own,
  and a waiting question yields every ``WAIT_POLL`` seconds, which is when
  Gradio notices a visitor who left and closes the question (its place is
  freed).
- Follow-ups are rewritten by rules before retrieval and the rewrite is
  shown in small print, so a wrong guess is visible.
- The sources panel is sent once, with the verified answer, not with every
  token: the transcript alone changes while the model writes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import replace

import gradio as gr

from rag import followup
from rag.errors import RagError
from rag.records import Answer, Evidence
from rag.turns import Rate
from rag.ui import render
from rag.ui.engines import EngineHub
from rag.ui.render import Turn

log = logging.getLogger(__name__)

BM25_ONLY = "The index is still being built: these paragraphs were found by BM25 alone."
WAIT_POLL = 1.0  # seconds between two updates of a waiting question's place


def _history(turns: Sequence[Turn]) -> list[tuple[str, str]]:
    """What follow-ups are rewritten from: each question as searched, and its answer's text.

    A turn without an answer from the articles gives its question only: the text of an abstention
    ("The articles don't say.") or of a question asked back ("Which one do you mean: A or B? Ask again
    with the name.") is the page's own wording, whose capitalised words ("Ask") would be taken for names.
    """
    return [(t.standalone, "" if t.answer.abstained else t.answer.text) for t in turns if t.answer is not None]


def ask_stream(
    hub: EngineHub,
    question: str,
    turns: list[Turn],
    model: str | None,
    k: float | None,
    retriever: str | None,
    rate: Rate | None = None,
    client: str = "",
) -> Iterator[tuple[object, list[Turn], str, object]]:
    """One question: yields (question box, turns, transcript HTML, sources HTML) as the answer streams.

    The question first waits for its turn in ``hub.line`` (its place shown); ``rate`` limits ``client``.
    """
    question = " ".join((question or "").split())
    if not question:
        yield gr.skip(), turns, gr.skip(), gr.skip()
        return
    history = _history(turns)
    standalone = followup.standalone(question, history)
    turn = Turn(len(turns) + 1, question, standalone)
    which = followup.clarification(question, history)
    if which:  # "what did he say?" after an answer naming two people: ask back, don't guess
        turn = replace(turn, standalone=question, answer=_asking_back(question, which))
    turns = [*turns, turn]
    yield "", turns, render.render_transcript(turns), render.render_sources(turns)
    if which:
        return
    try:
        if rate is not None:
            rate.check(client)
        with hub.line.enter() as ticket:
            ahead = ticket.wait(0)
            while ahead:
                if ahead == turn.waiting:  # nothing new to show; yielding lets Gradio notice a visitor who left
                    yield gr.skip(), gr.skip(), gr.skip(), gr.skip()
                else:
                    turn = replace(turn, waiting=ahead)
                    turns = [*turns[:-1], turn]
                    yield gr.skip(), turns, render.render_transcript(turns), gr.skip()
                ahead = ticket.wait(WAIT_POLL)
            turn = replace(turn, waiting=0)
            yield from _answered(hub, turns[:-1], turn, model, k, retriever)
    except RagError as err:  # Busy among them: the line was too long, or this visitor asked too often
        log.warning("question %r failed: %s", standalone, err)
        turns = [*turns[:-1], replace(turn, error=str(err), waiting=0)]
        yield gr.skip(), turns, render.render_transcript(turns), render.render_sources(turns)


def _asking_back(question: str, which: str) -> Answer:
    """The reply that asks which person a follow-up means: no search, no citation."""
    return Answer(question=question, text=which, citations=(), hits=(), abstained=True)


def _answered(
    hub: EngineHub, before: list[Turn], turn: Turn, model: str | None, k: float | None, retriever: str | None
) -> Iterator[tuple[object, list[Turn], str, object]]:
    """The answer to ``turn`` as it streams, during its turn at the model (``ask_stream``)."""
    engine = hub.engine(model)
    k = int(k) if k else engine.settings.k
    # Another retriever than the configured one: retrieve with it and hand the model its hits.
    other = retriever and retriever != hub.settings.retriever
    hits = engine.retrieve(turn.standalone, k, retriever) if other else None
    draft = ""
    for item in engine.stream(turn.standalone, k, hits=hits):
        if isinstance(item, Evidence):  # what the articles say, on screen before the model's first token
            draft = ""  # evidence after a draft: a second model call, whose draft replaces the first's
            turn = replace(turn, evidence=item, draft=draft)
        elif isinstance(item, Answer):
            turn = replace(turn, answer=item, draft="", note="" if engine.index.dense else BM25_ONLY)
        else:
            draft += item
            turn = replace(turn, draft=draft)
        turns = [*before, turn]
        # The sources only change once, at the end: don't resend them with every token.
        sources = render.render_sources(turns) if turn.answer is not None else gr.skip()
        yield gr.skip(), turns, render.render_transcript(turns), sources
