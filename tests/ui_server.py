"""Serve the web chat over fake models, for the browser tests (test code only).

``python tests/ui_server.py --port P --seeds DIR --index DIR`` builds
``Engine(embedder=FakeEmbedder(), llm=FakeLLM(extractive))`` and serves
``build_app`` on 127.0.0.1. The fake model is *extractive*: it answers with
the passage sentence sharing the most words with the question, cited, so a
question about a newly added article cites that article, and a question the
passages don't touch gets NOT FOUND. Fast and deterministic, which the real
model on a 2-core CPU is not (it gets its own, slower, test).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import FakeEmbedder, FakeLLM

from rag.cite import words
from rag.embed import sentences
from rag.pipeline import Engine
from rag.settings import Settings
from rag.ui_app import build_app, launch


def extractive(prompt: str) -> str:
    """Answer with the best-matching passage sentence of the last question in ``prompt``."""
    last = prompt.rsplit("Passages:\n", 1)[-1]
    shown, _, question = last.partition("\n\nQuestion: ")
    question = question.split("<|im_end|>")[0].strip()
    asked = set(words(question))
    candidates: list[tuple[int, int, int, str]] = []
    for line in shown.splitlines():
        m = re.match(r"\[(\d+)\] (.*)", line)
        if m:
            for sentence in sentences(m.group(2)):
                # Most shared words; on a tie the shorter, more to-the-point sentence.
                candidates.append((len(asked & set(words(sentence))), -len(sentence), int(m.group(1)), sentence))
    if not candidates:
        return "NOT FOUND"
    overlap, _, number, sentence = max(candidates)
    if overlap < 2:
        return "NOT FOUND"
    return f"{sentence.rstrip('.')} [{number}]."


class SlowFakeLLM(FakeLLM):
    """FakeLLM that takes ``delay`` seconds per piece, so the browser can see the answer stream."""

    def __init__(self, delay: float) -> None:
        super().__init__(extractive)
        self.delay = delay

    def stream(self, prompt: str, **kwargs: object) -> Iterator[str]:
        for piece in super().stream(prompt, **kwargs):  # type: ignore[arg-type]
            time.sleep(self.delay)
            yield piece


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--seeds", type=Path, required=True)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--delay", type=float, default=0.1, help="seconds per streamed piece")
    args = parser.parse_args()
    settings = Settings(seeds_dir=args.seeds, index_dir=args.index, min_score=0.05)
    engine = Engine(settings, embedder=FakeEmbedder(), llm=SlowFakeLLM(args.delay))
    launch(build_app(engine), "127.0.0.1", args.port, quiet=True)


if __name__ == "__main__":
    main()
