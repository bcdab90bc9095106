"""Answer questions about news articles, citing the paragraph behind every answer.

    from rag import ask
    answer = ask("who met the Iraqi foreign minister?")
    answer.text, answer.citations
"""

from rag.pipeline import Engine, ask
from rag.records import Answer, Article, Citation, Hit, Paragraph

__all__ = ["Answer", "Article", "Citation", "Engine", "Hit", "Paragraph", "ask"]
