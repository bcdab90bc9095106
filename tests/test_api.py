"""``rag api``: OpenAI's chat completions with citations, search and models, driven by the official ``openai``
client against a server started here on 127.0.0.1 (fake models; one real-model test is marked ``real``)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import openai
import pytest
import uvicorn

from rag.api import make_app
from rag.pipeline import Engine
from rag.settings import load_settings
from tests.fakes import free_port

SEED_QUESTION = "who met the Iraqi foreign minister?"
ROUHANI = "Iranian President Hassan Rouhani met the Iraqi foreign minister [1]."


@pytest.fixture
def serve() -> Iterator[Callable[..., str]]:
    """Start ``make_app(engine, ...)`` on a free loopback port; returns its base URL."""
    servers: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(engine: Engine, **options: object) -> str:
        port = free_port()
        config = uvicorn.Config(make_app(engine, **options), host="127.0.0.1", port=port, log_level="warning")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            assert time.monotonic() < deadline, "the API server did not start"
            time.sleep(0.02)
        servers.append((server, thread))
        return f"http://127.0.0.1:{port}/v1"

    yield start
    for server, thread in servers:
        server.should_exit = True
        thread.join(5)


def _client(url: str, key: str = "unused") -> openai.OpenAI:
    return openai.OpenAI(base_url=url, api_key=key, max_retries=0, timeout=30)


def test_a_chat_completion_carries_the_answer_and_its_verified_citations(
    make_engine: Callable[..., Engine], serve: Callable[..., str]
) -> None:
    engine = make_engine(ROUHANI)
    client = _client(serve(engine))
    response = client.chat.completions.create(model=engine.settings.model, messages=[
        {"role": "system", "content": "You are helpful."},
        {"role": "user", "content": SEED_QUESTION},
    ])
    assert response.object == "chat.completion"
    assert response.choices[0].message.content.startswith("Iranian President Hassan Rouhani")
    extra = response.model_extra or {}
    assert extra["abstained"] is False and extra["question"] == SEED_QUESTION
    (citation,) = extra["citations"]
    assert citation["marker"] == 1 and "Rouhani" in citation["paragraphs"][0]["text"]
    assert "Rouhani" in citation["evidence"] and set(citation["paragraphs"][0]) >= {"article_id", "title", "date"}
    assert response.usage.prompt_tokens > 0
    assert [m.id for m in client.models.list().data] == [engine.settings.model]


def test_a_streamed_answer_sends_only_verified_claims_then_the_citations(
    make_engine: Callable[..., Engine], serve: Callable[..., str]
) -> None:
    # The second claim names nobody the articles support: the verifier removes it, so it is never streamed.
    engine = make_engine(ROUHANI + " The Pope also met him [2].")
    client = _client(serve(engine))
    chunks = list(client.chat.completions.create(
        model=engine.settings.model, messages=[{"role": "user", "content": SEED_QUESTION}], stream=True
    ))
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert "Rouhani" in text and "Pope" not in text
    assert chunks[0].choices[0].delta.role == "assistant" and chunks[-1].choices[0].finish_reason == "stop"
    last = chunks[-1].model_extra or {}
    assert [c["marker"] for c in last["citations"]] == [1] and not last["abstained"]


def test_a_follow_up_is_rewritten_from_the_chat_history(
    make_engine: Callable[..., Engine], serve: Callable[..., str]
) -> None:
    engine = make_engine(ROUHANI)
    client = _client(serve(engine))
    response = client.chat.completions.create(model=engine.settings.model, messages=[
        {"role": "user", "content": SEED_QUESTION},
        {"role": "assistant", "content": "Hassan Rouhani [1] met him."},
        {"role": "user", "content": "what did he say about the United States?"},
    ])
    assert (response.model_extra or {})["question"] == "what did Hassan Rouhani say about the United States?"


def test_an_abstention_is_a_normal_answer_without_citations(
    make_engine: Callable[..., Engine], serve: Callable[..., str]
) -> None:
    engine = make_engine("NOT FOUND")
    response = _client(serve(engine)).chat.completions.create(
        model=engine.settings.model, messages=[{"role": "user", "content": SEED_QUESTION}]
    )
    extra = response.model_extra or {}
    assert extra["abstained"] is True and extra["citations"] == []
    assert response.choices[0].message.content == "The articles don't say."


def test_search_returns_paragraphs_with_scores(make_engine: Callable[..., Engine], serve: Callable[..., str]) -> None:
    url = serve(make_engine())
    found = httpx.post(f"{url}/search", json={"query": "Rouhani Iraqi foreign minister", "k": 2}).json()["data"]
    assert len(found) == 2 and all("Rouhani" in f["paragraph"]["text"] or f["score"] > 0 for f in found)
    assert set(found[0]) == {"paragraph", "score", "relevance"}


def test_errors_are_openai_shaped_with_their_status(
    make_engine: Callable[..., Engine], serve: Callable[..., str]
) -> None:
    engine = make_engine(ROUHANI)
    url = serve(engine)
    client = _client(url)
    with pytest.raises(openai.BadRequestError) as empty:
        client.chat.completions.create(model=engine.settings.model, messages=[{"role": "user", "content": "  "}])
    assert "empty" in empty.value.body["message"]  # type: ignore[index]
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="gpt-9", messages=[{"role": "user", "content": SEED_QUESTION}])
    bad = httpx.post(f"{url}/chat/completions", json={"messages": "not a list"})
    assert bad.status_code == 400 and set(bad.json()["error"]) == {"message", "type", "param", "code"}
    missing = httpx.get(f"{url}/nowhere")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_a_huge_request_is_refused_unread(make_engine: Callable[..., Engine], serve: Callable[..., str]) -> None:
    url = serve(make_engine(ROUHANI))
    huge = {"messages": [{"role": "user", "content": "x" * 2_000_000}]}
    response = httpx.post(f"{url}/chat/completions", json=huge)
    assert response.status_code == 413 and response.json()["error"]["type"] == "invalid_request_error"


def test_a_bug_is_a_500_without_its_traceback(make_engine: Callable[..., Engine], serve: Callable[..., str]) -> None:
    def broken(prompt: str) -> str:
        raise ZeroDivisionError("secret detail")

    url = serve(make_engine(broken))
    response = httpx.post(f"{url}/chat/completions", json={"messages": [{"role": "user", "content": SEED_QUESTION}]})
    assert response.status_code == 500 and response.json()["error"]["type"] == "server_error"
    assert "secret" not in response.text and "Traceback" not in response.text


def test_with_an_api_key_other_requests_are_refused(
    make_engine: Callable[..., Engine], serve: Callable[..., str]
) -> None:
    engine = make_engine(ROUHANI)
    url = serve(engine, api_key="s3cret")
    with pytest.raises(openai.AuthenticationError):
        _client(url, "wrong").models.list()
    assert [m.id for m in _client(url, "s3cret").models.list().data] == [engine.settings.model]


def test_a_request_that_waits_too_long_gets_429_with_retry_after(
    make_engine: Callable[..., Engine], serve: Callable[..., str]
) -> None:
    gate = threading.Event()

    def slow(prompt: str) -> str:
        gate.wait(10)
        return ROUHANI

    url = serve(make_engine(slow), max_wait=0.2)
    body = {"messages": [{"role": "user", "content": SEED_QUESTION}]}
    first = threading.Thread(target=lambda: httpx.post(f"{url}/chat/completions", json=body, timeout=30))
    first.start()
    time.sleep(0.5)  # the first question holds the engine
    second = httpx.post(f"{url}/chat/completions", json=body, timeout=30)
    gate.set()
    first.join(10)
    assert second.status_code == 429 and int(second.headers["Retry-After"]) >= 1
    assert second.json()["error"]["type"] == "rate_limit_error"


def test_a_public_host_needs_an_api_key(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    from rag.cli import main

    monkeypatch.delenv("RAG_API_KEY", raising=False)
    assert main(["api", "--host", "0.0.0.0"]) == 2
    assert "RAG_API_KEY" in capsys.readouterr().err


@pytest.mark.real
def test_the_openai_client_gets_a_cited_answer_to_the_seed_question(
    tmp_path: Path, serve: Callable[..., str]
) -> None:
    engine = Engine(load_settings().with_(index_dir=tmp_path / "index"))
    client = _client(serve(engine))
    chunks = list(client.chat.completions.create(
        model=engine.settings.model, messages=[{"role": "user", "content": SEED_QUESTION}], stream=True
    ))
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    citations = (chunks[-1].model_extra or {})["citations"]
    assert citations and any(n in text for n in ("Qalibaf", "Rouhani")), text
    assert all(f"[{c['marker']}]" in text for c in citations)
