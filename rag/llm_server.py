"""An OpenAI-compatible LLM server as the generator (``RAG_LLM_URL``): llama.cpp's, vLLM, Ollama.

When users outgrow one process, the model belongs in a server with parallel
slots and continuous batching, not in a queue of ours. ``ServerLLM`` is the
``rag.llm.LLM`` protocol over ``POST {url}/completions``: the prompt is sent
already framed (``rag.prompts``), so the model sees the same tokens as in
process and greedy decoding gives the same answer. Sent with it:

- ``temperature`` 0 and ``repeat_penalty`` 1.0 (llama.cpp's server defaults
  to 1.1, which changes greedy answers);
- ``cache_prompt`` (llama.cpp): the server keeps the KV state of the shared
  prompt prefix, as the in-process model does;
- the citation grammar in the field the server reads (``Settings.llm_grammar``:
  ``grammar`` for llama.cpp, ``guided_grammar`` for vLLM, ``none``). A
  server that ignores it can return malformed markers; the verifier drops any
  citation that does not name a shown passage, so none reaches the user.

A server that is down, slow or answers with an error is a one-line
``LLMServerError`` naming the URL, never a traceback.
"""

from __future__ import annotations

import json
import time
from collections.abc import Generator, Sequence

import httpx

from rag.errors import RagError
from rag.records import Completion
from rag.settings import Settings

TIMEOUT = httpx.Timeout(300.0, connect=5.0)  # a long answer on a busy CPU server; a dead one fails fast


class LLMServerError(RagError):
    """The LLM server at ``RAG_LLM_URL`` cannot be reached or refused the request."""


class ServerLLM:
    """A model served over OpenAI's completions API."""

    def __init__(self, url: str, *, name: str, template: str = "chatml", grammar_field: str = "grammar") -> None:
        self.url = url.rstrip("/")
        self.name = name
        self.template = template
        self.grammar_field = grammar_field

    def stream(
        self, prompt: str, *, grammar: str | None = None, max_tokens: int = 64, stop: Sequence[str] = ()
    ) -> Generator[str, None, Completion]:
        body: dict[str, object] = {
            "model": self.name,
            "prompt": prompt,
            "max_tokens": max_tokens,
            "temperature": 0.0,
            "repeat_penalty": 1.0,
            "stream": True,
            "cache_prompt": True,
            "stream_options": {"include_usage": True},
        }
        if stop:
            body["stop"] = list(stop)
        if grammar and self.grammar_field != "none":
            body[self.grammar_field] = grammar
        started = time.perf_counter()
        first: float | None = None
        pieces: list[str] = []
        finish, usage = None, {}
        try:
            with httpx.stream("POST", f"{self.url}/completions", json=body, timeout=TIMEOUT) as response:
                if response.status_code != 200:
                    response.read()
                    raise LLMServerError(f"the LLM server at {self.url} answered {response.status_code}: "
                                         f"{response.text[:200]}")
                for chunk in _events(response.iter_lines()):
                    usage = chunk.get("usage") or usage
                    for choice in chunk.get("choices") or ():
                        piece = choice.get("text") or ""
                        finish = choice.get("finish_reason") or finish
                        if piece:
                            first = first or time.perf_counter()
                            pieces.append(piece)
                            yield piece
        except httpx.HTTPError as err:
            raise LLMServerError(f"the LLM server at {self.url} cannot be reached ({err})") from None
        end = time.perf_counter()
        first = first or end
        return Completion(
            text="".join(pieces),
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            generated_tokens=int(usage.get("completion_tokens") or len(pieces)),
            prompt_seconds=first - started,
            generate_seconds=end - first,
            truncated=finish == "length",
        )


def _events(lines: Generator[str, None, None] | Sequence[str]) -> Generator[dict, None, None]:
    """The JSON payloads of server-sent ``data:`` lines, up to ``[DONE]``.

    >>> list(_events(['data: {"choices": [{"text": "Hi"}]}', "", ": ping", "data: [DONE]", 'data: {"x": 1}']))
    [{'choices': [{'text': 'Hi'}]}]
    """
    for line in lines:
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            return
        try:
            yield json.loads(data)
        except ValueError:
            raise LLMServerError(f"the LLM server sent a line that is not JSON: {data[:120]!r}") from None


def server_llm(settings: Settings) -> ServerLLM:
    """The configured model on the server at ``settings.llm_url`` (the prompt framing of that model)."""
    from rag import gguf

    packaged = gguf.PACKAGED.get(settings.model)
    template = packaged.template if packaged else "chatml"
    return ServerLLM(settings.llm_url, name=settings.model, template=template, grammar_field=settings.llm_grammar)
