"""LLM: the one model interface the pipeline needs, and its llama.cpp backend.

``LLM.complete(prompt)`` returns a ``Completion``; ``LLM.stream(prompt)``
yields text pieces as they are decoded. Both take an optional GBNF
``grammar`` that constrains decoding. Prompts are plain strings already
framed for the model (see ``rag.prompts``) so that llama.cpp can reuse the
KV cache of the longest prefix shared with the previous call: the fixed
instructions and examples at the top of every prompt are evaluated once.

``LlamaCppLLM`` imports llama_cpp and loads the GGUF on first use, never at
import time. Decoding is greedy (temperature 0): answers must be repeatable.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol

from rag.records import Completion


class LLM(Protocol):
    name: str
    template: str  # prompt framing the model expects: "chatml" or "plain" (see rag.prompts)
    last: Completion  # the finished call's text, token counts and timings

    def stream(
        self, prompt: str, *, grammar: str | None = None, max_tokens: int = 64, stop: Sequence[str] = ()
    ) -> Iterator[str]:
        """Yield generated text pieces; the last ``Completion`` is kept in ``last``."""
        ...

    def complete(
        self, prompt: str, *, grammar: str | None = None, max_tokens: int = 64, stop: Sequence[str] = ()
    ) -> Completion: ...


class LlamaCppLLM:
    """A GGUF model run in-process by llama-cpp-python."""

    def __init__(
        self, path: Path, *, n_ctx: int = 2048, threads: int = 2, name: str = "", template: str = "chatml"
    ) -> None:
        self.path = path
        self.name = name or path.name
        self.template = template
        self.n_ctx = n_ctx
        self.threads = threads
        self.last = Completion("")
        self._llama = None

    def _load(self):
        if self._llama is None:
            from llama_cpp import Llama

            self._llama = Llama(
                model_path=str(self.path), n_ctx=self.n_ctx, n_threads=self.threads,
                n_threads_batch=self.threads, n_batch=512, verbose=False, seed=0,
            )
        return self._llama

    def count_tokens(self, text: str) -> int:
        return len(self._load().tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def stream(
        self, prompt: str, *, grammar: str | None = None, max_tokens: int = 64, stop: Sequence[str] = ()
    ) -> Iterator[str]:
        from llama_cpp import LlamaGrammar

        llama = self._load()
        tokens = llama.tokenize(prompt.encode("utf-8"), add_bos=True, special=True)
        # Keep room for the answer; cut the prompt's start only as a last resort.
        budget = self.n_ctx - max_tokens - 1
        if len(tokens) > budget:
            tokens = tokens[-budget:]
        started = time.perf_counter()
        first: float | None = None
        pieces: list[str] = []
        finish = None
        for chunk in llama.create_completion(
            tokens, max_tokens=max_tokens, temperature=0.0, stop=list(stop) or None, stream=True,
            grammar=LlamaGrammar.from_string(grammar, verbose=False) if grammar else None,
        ):
            if first is None:
                first = time.perf_counter()
            piece = chunk["choices"][0]["text"]
            finish = chunk["choices"][0].get("finish_reason") or finish
            pieces.append(piece)
            if piece:
                yield piece
        end = time.perf_counter()
        first = first or end
        text = "".join(pieces)
        self.last = Completion(
            text, len(tokens), len(llama.tokenize(text.encode("utf-8"), add_bos=False)) if text else 0,
            first - started, end - first, finish == "length",
        )

    def complete(
        self, prompt: str, *, grammar: str | None = None, max_tokens: int = 64, stop: Sequence[str] = ()
    ) -> Completion:
        for _ in self.stream(prompt, grammar=grammar, max_tokens=max_tokens, stop=stop):
            pass
        return self.last
