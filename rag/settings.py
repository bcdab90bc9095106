"""All tunable settings in one frozen dataclass, read once from the environment and validated.

Every knob has a default chosen by measurement (the numbers are in
``docs/decisions.md``) and an environment variable ``RAG_<NAME>`` to override
it; the CLI overrides further with ``Settings.with_``. Every value is checked
when a ``Settings`` is made, so ``RAG_RETRIEVER=nope`` fails at start-up with
one clear line instead of on the first question. Paths default to the project
checkout so that ``ask()`` works from any working directory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from pathlib import Path

from rag.errors import RagError

PROJECT_DIR = Path(__file__).resolve().parent.parent
# The retrievers of rag.retrieve and the context policies of rag.generate, by name.
RETRIEVERS = ("hybrid", "fusion", "dense", "bm25")
CONTEXTS = ("best", "top")
# Precisions of an index build's encoder (rag.embed): auto = bfloat16 where the CPU has it natively, else int8.
PRECISIONS = ("auto", "float32", "bfloat16", "int8")
# Where an LLM server reads a GBNF grammar (rag.llm_server): llama.cpp, vLLM, or not sent.
LLM_GRAMMARS = ("grammar", "guided_grammar", "none")
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


class SettingsError(RagError):
    """A setting (environment variable or flag) has a value the program cannot use."""


def cache_home() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "rag"


@dataclass(frozen=True, kw_only=True)
class Settings:
    seeds_dir: Path = PROJECT_DIR / "seeds"
    index_dir: Path = PROJECT_DIR / "index"
    # A packaged model name (see rag.gguf.PACKAGED) or a path to any GGUF file.
    model: str = "qwen2.5-1.5b"
    model_dir: Path = cache_home() / "models"
    # Paragraphs retrieved (at most this many are shown to the model), and how they are found.
    k: int = 3
    retriever: str = "hybrid"
    # The retriever's best this-many paragraphs are re-ranked by the cross-encoder (rag.rerank); 0: off.
    rerank: int = 30
    # A hit ranked more than this below the first is not shown (rag.retrieve.within); 1.0 shows all k.
    margin: float = 0.2
    # Words of passage text in the prompt (prompt length sets CPU latency), and how they are spent:
    # the "best" sentences of any hit, or the "top" hit's first (rag.generate).
    context_words: int = 160
    context: str = "best"
    # When the matched paragraphs give nothing verified, a second call reads the best story: its sentences
    # compete for the budget with the matched paragraphs' (rag.story, rag.generate.again).
    story: bool = True
    # The story read whole is the one whose title and best sentence the cross-encoder rates best (rag.story.lead).
    story_lead: bool = True
    # Hard caps that keep the instructions in the model's window whatever the articles hold: one
    # passage (a run-on line is one "sentence") and all passages together (~1,200 tokens).
    passage_words: int = 250
    prompt_words: int = 900
    # Below this retrieval evidence (rag.retrieve.evidence) the articles are taken not to answer.
    min_score: float = 0.42
    # "this week", "recently", "in July" prefer paragraphs dated then, as of the day asked (rag.when).
    dates: bool = True
    # Asked of a current archive, paragraphs published more than this many days before the question's
    # day (or its window) are older news, not shown to the model (rag.when.since); 0: off.
    horizon_days: int = 90
    # Below this support score a citation is not trusted (rag.verify).
    min_support: float = 0.5
    # With the reranker on, a claim's evidence must answer the question at least this well (rag.verify.answers).
    min_relevance: float = 0.9
    # After a who-question's verified answer, each relevant paragraph it did not cite gets a short call (rag.more).
    more_answers: bool = True
    # A question about an article's byline, date, outlet, title or URL is answered from its header (rag.header).
    headers: bool = True
    # A NOT FOUND past the evidence gate is asked once more with the best paragraph whole.
    reask: bool = True
    max_tokens: int = 48
    # Index builds (rag.embed): the encoder's precision (auto: bfloat16 where the CPU multiplies it
    # natively, else int8), and sentence vectors pooled from their paragraph's pass.
    precision: str = "auto"
    sentences_in_context: bool = True
    n_ctx: int = 2048
    # An OpenAI-compatible LLM server (llama.cpp's, vLLM, Ollama; ".../v1") generates instead of the
    # in-process model (rag.llm_server); the citation grammar is sent in ``llm_grammar``'s field
    # ("grammar": llama.cpp, "guided_grammar": vLLM, "none": not sent).
    llm_url: str = ""
    llm_grammar: str = "grammar"
    # Questions answered at once (rag.turns): 1 in this process; up to the LLM server's parallel slots.
    llm_slots: int = 1
    # Seconds a question waits for its turn before it is refused (429 / "try again"); the web page and API.
    max_wait: float = 120.0
    # Questions (and searches) a minute per client address, for servers listening beyond loopback; 0: no limit.
    rate_limit: int = 30
    threads: int = max(1, os.cpu_count() or 1)
    # Fetching pages and feeds (rag.fetch): private, loopback and link-local addresses are refused
    # unless allowed (a public server must not be a way into its own network); every fetch is bounded
    # in time (seconds: connect, each read and the whole fetch with its redirects) and in bytes.
    allow_private_urls: bool = False
    fetch_timeout: float = 20.0
    fetch_max_bytes: int = 10 * 1024 * 1024

    def __post_init__(self) -> None:
        def need(ok: bool, name: str, rule: str) -> None:
            if not ok:
                value = getattr(self, name)
                raise SettingsError(f"setting {name}={value!r} (RAG_{name.upper()}): {rule}")

        need(self.retriever in RETRIEVERS, "retriever", f"use one of {', '.join(RETRIEVERS)}")
        need(self.context in CONTEXTS, "context", f"use one of {', '.join(CONTEXTS)}")
        need(self.precision in PRECISIONS, "precision", f"use one of {', '.join(PRECISIONS)}")
        need(bool(str(self.model).strip()), "model", "give a packaged model name or a .gguf path")
        need(0 <= self.rerank <= 500, "rerank", "must be between 0 (off) and 500 paragraphs")
        for name in ("k", "context_words", "passage_words", "prompt_words", "max_tokens", "threads"):
            need(getattr(self, name) >= 1, name, "must be at least 1")
        need(self.n_ctx >= 256, "n_ctx", "must be at least 256 tokens")
        need(self.margin >= 0, "margin", "must be 0 or more")
        need(self.horizon_days >= 0, "horizon_days", "must be 0 (off) or more days")
        for name in ("min_score", "min_support", "min_relevance"):
            need(0 <= getattr(self, name) <= 1, name, "must be between 0 and 1")
        need(0 < self.fetch_timeout <= 600, "fetch_timeout", "must be more than 0 and at most 600 seconds")
        need(self.fetch_max_bytes >= 1024, "fetch_max_bytes", "must be at least 1024 bytes")
        need(not self.llm_url or self.llm_url.startswith(("http://", "https://")), "llm_url",
             "give the server's http(s) URL ending in /v1, or nothing for the in-process model")
        need(self.llm_slots >= 1, "llm_slots", "must be at least 1")
        need(self.llm_slots == 1 or bool(self.llm_url), "llm_slots",
             "the in-process model answers one question at a time: more slots need an LLM server (RAG_LLM_URL)")
        need(0 < self.max_wait <= 3600, "max_wait", "must be more than 0 and at most 3600 seconds")
        need(self.rate_limit >= 0, "rate_limit", "must be 0 (no limit) or more requests a minute")
        need(self.llm_grammar in LLM_GRAMMARS, "llm_grammar", f"use one of {', '.join(map(repr, LLM_GRAMMARS))}")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Build settings from ``RAG_*`` variables, e.g. ``RAG_K=5`` sets ``k``.

        >>> Settings.from_env({"RAG_K": "5", "RAG_REASK": "0"}).k, Settings.from_env({"RAG_REASK": "0"}).reask
        (5, False)
        """
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = env.get(f"RAG_{f.name.upper()}")
            if raw is None or raw == "":
                continue
            values[f.name] = _parse(f.name, type(f.default), raw)
        return cls(**values)

    def with_(self, **changes: object) -> Settings:
        """Copy with the non-None ``changes`` applied (CLI flags that were given)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def _parse(name: str, kind: type, raw: str) -> object:
    """An environment variable's text as the type of its setting."""
    if issubclass(kind, Path):
        return Path(raw).expanduser()
    if kind is bool:
        if raw.strip().lower() in _TRUE + _FALSE:
            return raw.strip().lower() in _TRUE
        raise SettingsError(f"RAG_{name.upper()}={raw!r}: use 1 or 0 (true/false)")
    try:
        return kind(raw)
    except ValueError:
        raise SettingsError(f"RAG_{name.upper()}={raw!r}: not a valid {kind.__name__}") from None


@lru_cache(maxsize=1)
def load_settings() -> Settings:
    return Settings.from_env()
