"""``rag mcp``: the engine as an MCP server on stdio (the official ``mcp`` SDK), for agents and MCP clients.

Three tools, each returning structured JSON (the same shapes as the HTTP
API's, ``rag.api.schema``):

- ``ask(question, as_of?)``: the answer with its verified citations; an
  abstention is an answer with ``abstained`` true and no citations;
- ``search(query, k?, as_of?)``: the paragraphs retrieval finds, with scores;
- ``list_articles()``: the indexed articles' metadata.

A question the engine refuses (empty, too long) or an archive it cannot
read is a tool error with the one-line message (``is_error``), never a
traceback. stdout carries the protocol only: nothing here prints. The SDK
runs each call of a plain function in a worker thread, so calls that arrive
together would share the model: ``ask`` calls take turns in a
``rag.turns.Line``, the queue policy of the web page and the HTTP API
(``Settings.llm_slots`` at once; past ``max_wait`` a tool error says when to
try again).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from rag.api.schema import hit_json, rag_fields
from rag.errors import RagError
from rag.pipeline import Engine
from rag.turns import Line


def _day(as_of: str | None) -> dt.date | None:
    if not as_of:
        return None
    try:
        return dt.date.fromisoformat(as_of)
    except ValueError:
        raise ToolError(f"as_of: {as_of!r} is not a date like 2025-08-14") from None


def make_server(engine: Engine) -> MCPServer:
    server = MCPServer("rag-news", instructions="Answers questions about the indexed news articles, with citations.")
    line = Line(engine.settings.llm_slots, engine.settings.max_wait)

    @server.tool(structured_output=True)
    def ask(question: str, as_of: str | None = None) -> dict[str, Any]:
        """Answer a question from the news articles; every claim cites the paragraph that states it.

        as_of: the day the question is asked on (YYYY-MM-DD, default today): "this week" is relative to it.
        """
        try:
            with line.enter() as ticket:
                ticket.wait()
                answer = engine.ask(question, as_of=_day(as_of))
        except RagError as err:  # Busy among them: its message says when to try again
            raise ToolError(str(err)) from None
        return {"answer": answer.text, **rag_fields(answer)}

    @server.tool(structured_output=True)
    def search(query: str, k: int = 5, as_of: str | None = None) -> dict[str, Any]:
        """The paragraphs of the news articles that best match the query (retrieval only, no answer)."""
        if not 1 <= k <= 50:
            raise ToolError("k must be between 1 and 50")
        try:
            hits = engine.retrieve(query, k, as_of=_day(as_of))  # no model: needs no turn, as in the HTTP API
        except RagError as err:
            raise ToolError(str(err)) from None
        return {"results": [hit_json(h) for h in hits]}

    @server.tool(structured_output=True)
    def list_articles() -> dict[str, Any]:
        """The indexed articles: id, title, date, outlet, authors and source URL."""
        try:
            articles = engine.index.articles
        except RagError as err:
            raise ToolError(str(err)) from None
        fields = ("id", "title", "date", "outlet", "authors", "url")
        return {"articles": [{f: getattr(a, f) for f in fields} for a in articles]}

    return server
