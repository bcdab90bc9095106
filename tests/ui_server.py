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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rag.embed import sentences
from rag.pipeline import Engine
from rag.settings import Settings
from rag.text import words
from rag.ui.app import build_app, launch
from tests.fakes import FakeEmbedder, FakeLLM, FakeReranker


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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--seeds", type=Path, required=True)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--delay", type=float, default=0.1, help="seconds per streamed piece")
    args = parser.parse_args()
    # The story read whole (rag.story) is off: the page's tests count the sources of k passages.
    settings = Settings(seeds_dir=args.seeds, index_dir=args.index, min_score=0.05, min_relevance=0.0,
                        more_answers=False, story=False)
    engine = Engine(
        settings, embedder=FakeEmbedder(), llm=FakeLLM(extractive, delay=args.delay), reranker=FakeReranker()
    )
    launch(build_app(engine), "127.0.0.1", args.port, quiet=True)


if __name__ == "__main__":
    main()
