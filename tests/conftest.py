"""Fakes for the two model protocols, and an engine built from them.

``FakeEmbedder`` hashes words into a small vector space, so texts that share
words are similar (enough for retrieval tests). ``FakeLLM`` records every
prompt it is given and replies with a scripted answer.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from rag.pipeline import Engine
from rag.records import Completion
from rag.settings import Settings

PROJECT = Path(__file__).resolve().parent.parent
SEED = PROJECT / "seeds" / "000_efee75aea60a5e55.txt"


class FakeEmbedder:
    name = "fake-hash-64"

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim
        self.calls: list[list[str]] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        out = np.zeros((len(texts), self.dim), np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                out[i, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1.0, norms)


class FakeLLM:
    """Replies with ``reply`` (a string, or a function of the prompt)."""

    name = "fake-llm"
    template = "chatml"

    def __init__(self, reply: str | Callable[[str], str] = "NOT FOUND") -> None:
        self.reply = reply
        self.prompts: list[str] = []
        self.grammars: list[str | None] = []
        self.last = Completion("")

    def stream(
        self, prompt: str, *, grammar: str | None = None, max_tokens: int = 64, stop: Sequence[str] = ()
    ) -> Iterator[str]:
        self.prompts.append(prompt)
        self.grammars.append(grammar)
        text = self.reply(prompt) if callable(self.reply) else self.reply
        yield from re.findall(r"\S+\s*", text)
        self.last = Completion(text, len(prompt.split()), len(text.split()), 0.01, 0.01)

    def complete(
        self, prompt: str, *, grammar: str | None = None, max_tokens: int = 64, stop: Sequence[str] = ()
    ) -> Completion:
        for _ in self.stream(prompt, grammar=grammar, max_tokens=max_tokens, stop=stop):
            pass
        return self.last


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    folder = tmp_path / "seeds"
    folder.mkdir()
    shutil.copy(SEED, folder / SEED.name)
    return folder


@pytest.fixture
def make_engine(tmp_path: Path, seeds: Path) -> Callable[..., Engine]:
    """Build an engine over a temporary copy of the seeds with fake models."""

    def make(reply: str | Callable[[str], str] = "NOT FOUND", **settings: object) -> Engine:
        # Every hit shown (margin 1.0): tests of prompts and citations count on k passages.
        base = Settings(seeds_dir=seeds, index_dir=tmp_path / "index", min_score=0.05, margin=1.0)
        return Engine(base.with_(**settings), embedder=FakeEmbedder(), llm=FakeLLM(reply))

    return make
