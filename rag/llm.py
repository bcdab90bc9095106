"""LLM: the one model interface the pipeline needs, and its llama.cpp backend.

``LLM.stream(prompt)`` is the one required method: a generator that yields
text pieces as they are decoded and *returns* the finished ``Completion``
(``completion = yield from llm.stream(prompt)``); ``complete(llm, prompt)``
is the same call without streaming. It takes an optional GBNF ``grammar``
that constrains decoding. Prompts are plain strings already
framed for the model (see ``rag.prompts``) so that llama.cpp can reuse the
KV cache of the longest prefix shared with the previous call: the fixed
instructions and examples at the top of every prompt are evaluated once.

``LlamaCppLLM`` imports llama_cpp and loads the GGUF on first use, never at
import time; ``local_llm(settings)`` finds (assembling a packaged model if
needed) and primes it. Decoding is greedy (temperature 0): answers must be
repeatable.
"""

from __future__ import annotations

import os
import time
from collections.abc import Generator, Sequence
from pathlib import Path
from typing import Protocol

from rag import gguf
from rag.prompts import answer_prefix
from rag.records import Completion
from rag.settings import Settings


class LLM(Protocol):
    name: str
    template: str  # prompt framing the model expects: "chatml" or "plain" (see rag.prompts)

    def stream(
        self, prompt: str, *, grammar: str | None = None, max_tokens: int = 64, stop: Sequence[str] = ()
    ) -> Generator[str, None, Completion]:
        """Yield generated text pieces, then return the whole call's ``Completion``."""
        ...


def complete(
    llm: LLM, prompt: str, *, grammar: str | None = None, max_tokens: int = 64, stop: Sequence[str] = ()
) -> Completion:
    """``llm.stream`` run to its end: the ``Completion`` alone."""
    pieces = llm.stream(prompt, grammar=grammar, max_tokens=max_tokens, stop=stop)
    while True:
        try:
            next(pieces)
        except StopIteration as done:
            return done.value


def make_llm(settings: Settings) -> LLM:
    """The generator the settings name: a server at ``settings.llm_url`` (``rag.llm_server``), else in-process."""
    if settings.llm_url:
        from rag.llm_server import server_llm

        return server_llm(settings)
    return local_llm(settings)


def local_llm(settings: Settings) -> LlamaCppLLM:
    """The configured GGUF, run in-process, with the answer prompt's fixed prefix already evaluated."""
    path, template = gguf.resolve(settings.model, settings.model_dir)
    llm = LlamaCppLLM(path, n_ctx=settings.n_ctx, threads=settings.threads, name=settings.model, template=template)
    llm.prime(answer_prefix(template), settings.model_dir / "prefix-cache")
    return llm


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
        self._llama = None

    def _load(self):
        if self._llama is None:
            from llama_cpp import Llama

            self._llama = Llama(
                model_path=str(self.path),
                n_ctx=self.n_ctx,
                n_threads=self.threads,
                n_threads_batch=self.threads,
                n_batch=512,
                verbose=False,
                seed=0,
            )
        return self._llama

    def prime(self, prefix: str, cache_dir: Path) -> None:
        """Put the KV state of the fixed prompt ``prefix`` in the context, from disk when possible.

        Evaluating the system prompt and worked examples costs seconds on a
        CPU; a fresh process would pay that on every cold start. The state
        after the prefix is saved once per (model, prefix) in ``cache_dir``
        as a NumPy archive (no pickle) and loaded by later processes; a
        damaged file is deleted and rebuilt.
        """
        import hashlib

        import numpy as np
        from llama_cpp.llama import LlamaState

        llama = self._load()
        tokens = llama.tokenize(prefix.encode("utf-8"), add_bos=True, special=True)
        key = hashlib.sha256(f"{self.path.name}:{self.path.stat().st_size}:{tokens}".encode()).hexdigest()[:16]
        path = cache_dir / f"{self.path.stem}-{key}.npz"
        if path.exists():
            try:
                with np.load(path, allow_pickle=False) as saved:
                    state = bytes(saved["state"])
                    llama.load_state(
                        LlamaState(
                            saved["input_ids"],
                            np.zeros((1, llama.n_vocab()), np.single),
                            int(saved["n_tokens"]),
                            state,
                            len(state),
                            int(saved["seed"]),
                        )
                    )
                return
            except (OSError, ValueError, KeyError, RuntimeError):
                path.unlink(missing_ok=True)
        llama.reset()
        llama.eval(tokens)
        state = llama.save_state()
        tmp = path.with_name(path.name + f".tmp{os.getpid()}.npz")
        try:
            cache_dir.mkdir(parents=True, exist_ok=True)
            np.savez(
                tmp,
                input_ids=state.input_ids,
                n_tokens=state.n_tokens,
                seed=state.seed,
                state=np.frombuffer(state.llama_state, np.uint8),
            )
            os.replace(tmp, path)
        except OSError:  # a read-only or full cache folder: the prefix is evaluated again next start
            tmp.unlink(missing_ok=True)

    def stream(
        self, prompt: str, *, grammar: str | None = None, max_tokens: int = 64, stop: Sequence[str] = ()
    ) -> Generator[str, None, Completion]:
        from llama_cpp import LlamaGrammar

        llama = self._load()
        tokens = llama.tokenize(prompt.encode("utf-8"), add_bos=True, special=True)
        # Keep room for the answer; cut the prompt's start only as a last resort.
        budget = self.n_ctx - max_tokens - 1
        if len(tokens) > budget:
            tokens = tokens[-budget:]
        reused = llama.longest_token_prefix(llama._input_ids.tolist(), tokens)  # what create_completion keeps
        started = time.perf_counter()
        first: float | None = None
        pieces: list[str] = []
        finish = None
        for chunk in llama.create_completion(
            tokens,
            max_tokens=max_tokens,
            temperature=0.0,
            stop=list(stop) or None,
            stream=True,
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
        return Completion(
            text=text,
            prompt_tokens=len(tokens),
            generated_tokens=len(llama.tokenize(text.encode("utf-8"), add_bos=False)) if text else 0,
            prompt_seconds=first - started,
            generate_seconds=end - first,
            truncated=finish == "length",
            reused_tokens=reused,
        )
