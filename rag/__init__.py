"""Answer questions about news articles, citing the paragraph behind every answer.

>>> from rag import ask                                   # doctest: +SKIP
>>> ask("who met the Iraqi foreign minister?").text       # doctest: +SKIP
'Mohammad Baqer Qalibaf [1] and Hassan Rouhani [2] ...'
"""

from rag.pipeline import Engine, ask
from rag.records import Answer, Article, Citation, Hit, Paragraph

__all__ = ["Answer", "Article", "Citation", "Engine", "Hit", "Paragraph", "ask"]
