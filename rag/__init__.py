"""Answer questions about news articles, citing the paragraph behind every answer.

    from rag import ask
    answer = ask("who met the Iraqi foreign minister?")
    answer.text, answer.citations

Names are imported on first use, so ``import rag.text`` (or ``python -m
rag.gguf``) does not load the whole pipeline.
"""

from importlib import import_module

_EXPORTS = {
    "ask": "rag.pipeline",
    "Engine": "rag.pipeline",
    "Answer": "rag.records",
    "Article": "rag.records",
    "Citation": "rag.records",
    "Hit": "rag.records",
    "Paragraph": "rag.records",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'rag' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
