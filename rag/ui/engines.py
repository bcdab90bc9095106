"""The engines behind the web UI: built lazily, once per process, shared by all sessions.

One ``Engine`` per model chosen in the settings panel, all sharing the
first engine's embedders (one MiniLM in memory) and the same index folder;
the retriever choice needs no engine of its own (``Engine.retrieve`` takes
it, and ``Engine.stream`` takes the hits). Nothing is loaded when the app is imported or built: the first
engine is created on first use, or by ``warm_up`` in a background thread
right after the server starts, which loads both models and lets llama.cpp
evaluate (and cache) the fixed prompt prefix, so the first visitor does not
pay for it.

Concurrency: questions take turns at the model in ``line``
(``rag.turns.Line``, the API's policy too: ``Settings.llm_slots`` at once,
the others waiting in order up to ``max_wait``); ``refresh`` takes an
exclusive turn, so the index is never swapped under an answer. The lock
here guards building engines, loading the index on first use (the first
page view may race the first question) and the warm-up. The article list is
kept as an immutable snapshot so showing it never waits for a long
generation.
"""

from __future__ import annotations

import logging
import threading

from rag import gguf
from rag.pipeline import Engine
from rag.records import Answer, ArticleEntry, Evidence, IndexReport
from rag.settings import Settings, load_settings
from rag.turns import Line

log = logging.getLogger(__name__)


class EngineHub:
    """Lazily built engines keyed by the user's model choice."""

    def __init__(self, engine: Engine | None = None, settings: Settings | None = None) -> None:
        self._base = engine
        self.settings = engine.settings if engine is not None else (settings or load_settings())
        self._engines: dict[str, Engine] = {}
        self._lock = threading.RLock()  # re-entered by warm_up -> engine
        self._articles: tuple[ArticleEntry, ...] | None = None
        self.line = Line(self.settings.llm_slots, self.settings.max_wait)

    def engine(self, model: str | None = None) -> Engine:
        """The engine for ``model`` (the injected/default one for the default model)."""
        key = model or self.settings.model
        with self._lock:
            if self._base is None:
                self._base = Engine(self.settings)
            if self._articles is None:
                # Load (or build) the index once, here under the lock: the first page view and
                # the first question may arrive together, and two refreshes would both write it.
                self._articles = self._base.index.articles
            self._engines.setdefault(self.settings.model, self._base)
            if key not in self._engines:
                self._engines[key] = Engine(
                    self.settings.with_(model=key),
                    embedder=self._base.embedder,
                    query_embedder=self._base.query_embedder,
                    reranker=self._base.reranker,
                )
            return self._engines[key]

    def articles(self) -> tuple[ArticleEntry, ...]:
        """The indexed articles (a snapshot, updated by ``refresh``)."""
        if self._articles is None:
            self.engine()
        assert self._articles is not None
        return self._articles

    def refresh(self) -> IndexReport:
        """Re-index the articles folder; every engine built so far sees the new index.

        The base engine embeds what changed and saves in the background (the page
        answers from the new index at once); the others share its index. It runs
        alone: after the answers in progress, before the questions waiting
        (``rag.turns.Busy`` past ``max_wait``).
        """
        base = self.engine()
        with self.line.enter(exclusive=True) as ticket:
            ticket.wait()
            report = base.refresh(wait=False)
            with self._lock:
                others = [e for e in self._engines.values() if e is not base]
            for other in others:
                other.share_index(base)
            self._articles = base.index.articles
        return report

    def warm_up(self) -> None:
        """Load the embedder and the default LLM, and prime llama.cpp's prompt cache."""
        with self._lock:
            engine = self.engine()
            # Streaming one piece of a real question loads both models and evaluates the
            # prompt's fixed prefix, which llama.cpp then reuses for every later question.
            question = self.articles()[0].title
            stream = engine.stream(question)
            try:
                first = next(item for item in stream if not isinstance(item, Evidence))
            finally:
                stream.close()
            if isinstance(first, Answer):  # retrieval abstained before the model: load it anyway
                _ = engine.llm
        log.info("models loaded and warm")


def installed_models(current: str) -> list[str]:
    """Packaged models that are installed here, plus the configured one (maybe a path)."""
    names = []
    for name, packaged in gguf.PACKAGED.items():
        try:
            gguf.chunk_files(packaged)
        except gguf.ModelError:
            continue
        names.append(name)
    if current not in names:
        names.insert(0, current)
    return names
