"""What the stages are given to work with: the loaded models and index, as an interface.

``rag.pipeline.Engine`` holds these (each loaded on first use); a stage
takes ``Resources`` and reads the ones it needs, so stages never import the
engine (the import-linter contract keeps them below it) and a test can hand
any object with these attributes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from rag.embed import Embedder
    from rag.index import Index
    from rag.llm import LLM
    from rag.rerank import Reranker
    from rag.retrieve import Bm25
    from rag.settings import Settings


class Resources(Protocol):
    """The settings, the index with its BM25 model, the question embedder, the cross-encoder and the LLM."""

    settings: Settings

    @property
    def index(self) -> Index: ...

    @property
    def bm25(self) -> Bm25: ...

    @property
    def query_embedder(self) -> Embedder: ...

    @property
    def reranker(self) -> Reranker: ...

    @property
    def llm(self) -> LLM: ...
