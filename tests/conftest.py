"""Fixtures: a temporary copy of the seed articles, and an engine over it with fake models (``tests.fakes``)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from rag.pipeline import Engine
from rag.settings import Settings
from tests.fakes import SEED, FakeEmbedder, FakeLLM, FakeReranker


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
        # Every hit shown (margin 1.0): tests of prompts and citations count on k passages. Relevance gates off
        # (min_relevance 0): the fake reranker's word-overlap shares are not calibrated probabilities, so every
        # uncited hit would get a second call: more answers (rag.more) is off unless a test turns it on. The story
        # read whole (rag.story) adds passages beyond the k hits: off unless a test turns it on (tests/test_story.py).
        base = Settings(seeds_dir=seeds, index_dir=tmp_path / "index", min_score=0.05, min_relevance=0.0, margin=1.0,
                        more_answers=False, story=False)
        return Engine(base.with_(**settings), embedder=FakeEmbedder(), llm=FakeLLM(reply), reranker=FakeReranker())

    return make
