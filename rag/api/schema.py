"""What the API reads and writes: OpenAI's request shapes (pydantic) and the JSON of answers and hits.

Requests accept OpenAI's other fields (``temperature``, ``max_tokens``, ...)
and ignore them: decoding is greedy and the answer's length is the
engine's. ``as_of`` (a day, YYYY-MM-DD) is this API's own: the day the
question is asked on (default today), as ``rag ask --as-of``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from pydantic import BaseModel, Field

from rag.records import Answer, Citation, Hit, Paragraph


class Message(BaseModel):
    role: Literal["system", "developer", "user", "assistant", "tool"]
    # A string, or OpenAI's list of parts ({"type": "text", "text": ...}); other parts are ignored.
    content: str | list[dict] | None = None

    @property
    def text(self) -> str:
        if isinstance(self.content, list):
            return " ".join(str(p.get("text", "")) for p in self.content if p.get("type") == "text")
        return self.content or ""


class ChatRequest(BaseModel):
    messages: list[Message] = Field(min_length=1)
    model: str | None = None
    stream: bool = False
    as_of: dt.date | None = None


class SearchRequest(BaseModel):
    query: str
    k: int = Field(default=5, ge=1, le=50)
    as_of: dt.date | None = None


def question_and_history(messages: list[Message]) -> tuple[str, list[tuple[str, str]]]:
    """The last user message, and the (user, assistant) turns before it.

    >>> m = lambda role, text: Message(role=role, content=text)
    >>> question_and_history([m("user", "who met him?"), m("assistant", "Qalibaf [1]"), m("user", "when?")])
    ('when?', [('who met him?', 'Qalibaf [1]')])
    """
    users = [i for i, m in enumerate(messages) if m.role == "user"]
    if not users:
        return "", []
    last = users[-1]
    history = []
    for i in users[:-1]:
        reply = next((m.text for m in messages[i + 1 : last] if m.role == "assistant"), "")
        history.append((messages[i].text, reply))
    return messages[last].text, history


def paragraph_json(p: Paragraph) -> dict:
    return {
        "id": p.id,
        "article_id": p.article_id,
        "title": p.article_title,
        "number": p.number,
        "kind": "header" if p.number == 0 else "paragraph",
        "date": p.date,
        "outlet": p.outlet,
        "text": p.text,
    }


def citation_json(c: Citation) -> dict:
    return {
        "marker": c.marker,
        "claim": c.sentence,
        "evidence": c.evidence,
        "support": round(c.support, 4),
        "paragraphs": [paragraph_json(p) for p in c.paragraphs],  # an antecedent paragraph first (rag.coref)
        "read_with": c.context,  # the story's line the evidence was read with ("" when it needed none)
        "also_reported_by": [{k: v for k, v in paragraph_json(a).items() if k != "text"} for a in c.also],
    }


def hit_json(h: Hit) -> dict:
    return {"paragraph": paragraph_json(h.paragraph), "score": round(h.score, 4), "relevance": h.relevance}


def rag_fields(answer: Answer) -> dict:
    """What this API adds to OpenAI's response: citations, abstention, what the verifier removed, the dates
    note, the question searched."""
    return {
        "citations": [citation_json(c) for c in answer.citations],
        "abstained": answer.abstained,
        "unsupported": list(answer.unsupported),
        "note": answer.note,
        "question": answer.question,
    }


def claims(text: str) -> list[str]:
    """The answer text cut after each claim's markers, for streaming claim by claim.

    >>> claims("Qalibaf met him [1]. Rouhani did too [2].")
    ['Qalibaf met him [1].', ' Rouhani did too [2].']
    """
    pieces = [m.group(0) for m in re.finditer(r".+?(?:(?:\s?\[\d+\])+[.!?]?|$)", text, re.DOTALL) if m.group(0)]
    return pieces or [text]
