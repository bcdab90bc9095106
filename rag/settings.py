"""All tunable settings in one frozen dataclass, read once from the environment.

Every knob has a default that was chosen by measurement (see README) and an
environment variable ``RAG_<NAME>`` to override it; the CLI overrides further
with ``dataclasses.replace``. Paths default to the project checkout so that
``ask()`` works from any working directory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


def _cache_home() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "rag"


@dataclass(frozen=True)
class Settings:
    seeds_dir: Path = PROJECT_DIR / "seeds"
    index_dir: Path = PROJECT_DIR / "index"
    # A packaged model name (see rag.models.PACKAGED) or a path to any GGUF file.
    model: str = "qwen2.5-1.5b"
    model_dir: Path = _cache_home() / "models"
    # Paragraphs handed to the model, and how they are found (see rag.retrieve).
    k: int = 3
    retriever: str = "hybrid"
    # Hits ranked more than this below the first are not shown (rag.retrieve.within); 1.0 shows all k.
    # On 150 pooled questions: 1.0 -> F1 0.609, 0.2 -> 0.666, 0.05 -> 0.687 (within noise of 0.2);
    # SQuAD questions have one answer, news questions often several paragraphs' worth, so 0.2.
    margin: float = 0.2
    # Words of passage text in the prompt; prompt length sets CPU latency.
    context_words: int = 160
    # How that budget is spent: "best" sentences of any hit, or the "top" hit's first (rag.generate).
    context: str = "best"
    # Below this retrieval evidence (rag.retrieve.evidence) the articles are taken not to answer.
    min_score: float = 0.42
    # Below this support score a citation is not trusted.
    min_support: float = 0.5
    # 1: a NOT FOUND past the evidence gate is asked once more with the best paragraph whole; 0: never.
    reask: int = 1
    max_tokens: int = 48
    n_ctx: int = 2048
    threads: int = max(1, os.cpu_count() or 1)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Build settings from ``RAG_*`` variables, e.g. ``RAG_K=5`` sets ``k``."""
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = env.get(f"RAG_{f.name.upper()}")
            if raw is None or raw == "":
                continue
            kind = type(getattr(cls, f.name))
            try:
                values[f.name] = Path(raw).expanduser() if issubclass(kind, Path) else kind(raw)
            except ValueError as err:
                raise ValueError(f"RAG_{f.name.upper()}={raw!r}: {err}") from None
        return cls(**values)

    def with_(self, **changes: object) -> Settings:
        """Copy with the non-None ``changes`` applied (CLI flags that were given)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


@lru_cache(maxsize=1)
def load_settings() -> Settings:
    return Settings.from_env()
