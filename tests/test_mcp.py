"""``rag mcp``: ask, search and list_articles through a client of the official MCP SDK (in-process with fake
models; over stdio against the real ``rag mcp`` command in the ``real`` test)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from rag.api.mcp_server import make_server
from rag.pipeline import Engine
from tests.fakes import PROJECT

SEED_QUESTION = "who met the Iraqi foreign minister?"
ROUHANI = "Iranian President Hassan Rouhani met the Iraqi foreign minister [1]."


def _call(server: object, tool: str, arguments: dict) -> object:
    async def run() -> object:
        async with Client(server) as client:  # type: ignore[arg-type]
            return await client.call_tool(tool, arguments)

    return asyncio.run(run())


def test_ask_returns_the_answer_with_its_citations(make_engine: Callable[..., Engine]) -> None:
    result = _call(make_server(make_engine(ROUHANI)), "ask", {"question": SEED_QUESTION})
    assert not result.is_error  # type: ignore[attr-defined]
    answer = result.structured_content  # type: ignore[attr-defined]
    assert answer["answer"].startswith("Iranian President Hassan Rouhani") and not answer["abstained"]
    assert "Rouhani" in answer["citations"][0]["paragraphs"][0]["text"]


def test_search_and_list_articles(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine()
    server = make_server(engine)
    query = "Rouhani Iraqi foreign minister"
    found = _call(server, "search", {"query": query, "k": 2}).structured_content  # type: ignore[attr-defined]
    assert [r["paragraph"]["id"] for r in found["results"]] == [h.paragraph.id for h in engine.retrieve(query, 2)]
    assert all(r["score"] > 0 for r in found["results"])
    listed = _call(server, "list_articles", {}).structured_content  # type: ignore[attr-defined]
    assert [a["id"] for a in listed["articles"]] == ["000_efee75aea60a5e55"]


def test_a_refused_question_is_a_tool_error_with_its_message(make_engine: Callable[..., Engine]) -> None:
    server = make_server(make_engine(ROUHANI))
    result = _call(server, "ask", {"question": "   "})
    assert result.is_error and "empty" in result.content[0].text  # type: ignore[attr-defined]
    bad_day = _call(server, "ask", {"question": SEED_QUESTION, "as_of": "last Tuesday"})
    assert bad_day.is_error and "not a date" in bad_day.content[0].text  # type: ignore[attr-defined]


@pytest.mark.real
def test_rag_mcp_over_stdio_answers_the_seed_question_with_citations(tmp_path: Path) -> None:
    command = StdioServerParameters(
        command=sys.executable,
        args=["-m", "rag.cli", "mcp", "--index", str(tmp_path / "index")],
        cwd=str(PROJECT),
    )
    result = _call(command, "ask", {"question": SEED_QUESTION})
    answer = result.structured_content  # type: ignore[attr-defined]
    assert answer["citations"] and any(n in answer["answer"] for n in ("Qalibaf", "Rouhani")), answer
