"""Fakes for the model protocols, for tests and the fake web server.

``FakeEmbedder`` hashes words into a small vector space, so texts that share
words are similar (enough for retrieval tests); ``FakeReranker`` scores by
shared words. ``FakeLLM`` records every prompt it is given and replies with a
scripted answer.
"""

from __future__ import annotations

import hashlib
import re
import socket
import time
from collections.abc import Callable, Generator, Sequence
from pathlib import Path

import numpy as np

from rag.records import Completion

PROJECT = Path(__file__).resolve().parent.parent
SEED = PROJECT / "seeds" / "000_efee75aea60a5e55.txt"


def free_port() -> int:
    """A TCP port nothing listens on at the moment, on 127.0.0.1 (for servers a test starts)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FakeEmbedder:
    name = "fake-hash-64"

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim
        self.calls: list[list[str]] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        return self.hashed(texts)

    def hashed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                out[i, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1.0, norms)


class FakeSpanEmbedder(FakeEmbedder):
    """Also pools spans "from the same pass" (here: the span's text hashed); records each call's spans."""

    def __init__(self, dim: int = 64) -> None:
        super().__init__(dim)
        self.span_calls: list[list[list[tuple[int, int]]]] = []

    def embed_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        self.span_calls.append([list(s) for s in spans])
        pooled = [self.hashed([t[a:b] for a, b in s]) for t, s in zip(texts, spans, strict=True)]
        return self.embed(texts), pooled


class FakeReranker:
    """Relevance = share of the question's words in the passage; records every call."""

    name = "fake-overlap"

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[str]]] = []

    def score(self, question: str, passages: Sequence[str]) -> list[float]:
        self.calls.append((question, list(passages)))
        asked = set(re.findall(r"\w+", question.lower()))
        return [len(asked & set(re.findall(r"\w+", p.lower()))) / max(1, len(asked)) for p in passages]


class FakeLLM:
    """Replies with ``reply`` (a string, or a function of the prompt), ``delay`` seconds per piece."""

    name = "fake-llm"
    template = "chatml"

    def __init__(self, reply: str | Callable[[str], str] = "NOT FOUND", delay: float = 0.0) -> None:
        self.reply = reply
        self.delay = delay
        self.prompts: list[str] = []
        self.grammars: list[str | None] = []

    def stream(
        self, prompt: str, *, grammar: str | None = None, max_tokens: int = 64, stop: Sequence[str] = ()
    ) -> Generator[str, None, Completion]:
        self.prompts.append(prompt)
        self.grammars.append(grammar)
        text = self.reply(prompt) if callable(self.reply) else self.reply
        for piece in re.findall(r"\S+\s*", text):
            time.sleep(self.delay)
            yield piece
        return Completion(
            text=text,
            prompt_tokens=len(prompt.split()),
            generated_tokens=len(text.split()),
            prompt_seconds=0.01,
            generate_seconds=0.01,
        )
