"""``rag api``: OpenAI's chat completions with citations, search and models, driven by the official ``openai``
client against a server started here on 127.0.0.1 (fake models; one real-model test is marked ``real``)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator, Iterator
from pathlib import Path

import httpx
import openai
import pytest
import uvicorn

from rag.api import make_app
from rag.pipeline import Engine
from rag.records import Completion
from rag.settings import Settings, load_settings
from rag.turns import Line
from tests.fakes import FakeEmbedder, FakeLLM, FakeReranker, free_port

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
    client = _client(serve(engine)).with_options(timeout=180)  # the real model, twice at most, on a slow CPU
    chunks = list(client.chat.completions.create(
        model=engine.settings.model, messages=[{"role": "user", "content": SEED_QUESTION}], stream=True
    ))
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    citations = (chunks[-1].model_extra or {})["citations"]
    assert citations and any(n in text for n in ("Qalibaf", "Rouhani")), text
    assert all(f"[{c['marker']}]" in text for c in citations)


class CountingLLM(FakeLLM):
    """A slow fake model that counts the pieces it wrote; ``gate`` holds the first token back until set."""

    def __init__(self, reply: str, delay: float, gate: threading.Event | None = None) -> None:
        super().__init__(reply, delay)
        self.gate, self.written, self.running = gate, 0, 0
        self.most_at_once = 0
        self._lock = threading.Lock()

    def stream(self, prompt: str, **options: object) -> Generator[str, None, Completion]:
        with self._lock:
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        try:
            if self.gate is not None:
                self.gate.wait(10)
            pieces = super().stream(prompt, **options)  # type: ignore[arg-type]
            for piece in pieces:
                self.written += 1
                yield piece
            return Completion(text=str(self.reply))
        finally:
            with self._lock:
                self.running -= 1


def _engine_with(llm: FakeLLM, seeds: Path, tmp_path: Path) -> Engine:
    settings = Settings(seeds_dir=seeds, index_dir=tmp_path / "index", min_score=0.05, min_relevance=0.0, margin=1.0,
                        more_answers=False)
    return Engine(settings, embedder=FakeEmbedder(), llm=llm, reranker=FakeReranker())


def _gone_after(url: str, question: str, seconds: float) -> None:
    """Ask, then hang up after ``seconds`` (the client's read timeout closes the connection)."""
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{url}/chat/completions", json={"messages": [{"role": "user", "content": question}]},
                   timeout=httpx.Timeout(seconds, connect=5))


def test_a_client_that_disconnects_while_waiting_leaves_the_line(
    seeds: Path, tmp_path: Path, serve: Callable[..., str]
) -> None:
    gate = threading.Event()
    llm = CountingLLM(ROUHANI, 0.0, gate)
    line = Line(slots=1, max_wait=30)
    url = serve(_engine_with(llm, seeds, tmp_path), line=line)
    first = threading.Thread(target=lambda: httpx.post(
        f"{url}/chat/completions", json={"messages": [{"role": "user", "content": SEED_QUESTION}]}, timeout=30))
    first.start()
    deadline = time.monotonic() + 10
    while llm.running == 0:  # the first question holds the turn
        assert time.monotonic() < deadline
        time.sleep(0.02)
    _gone_after(url, "what did Rouhani say about the United States?", 0.5)
    deadline = time.monotonic() + 5
    while line.waiting:  # the question behind it leaves the line without its answer
        assert time.monotonic() < deadline, "the disconnected question stayed in line"
        time.sleep(0.05)
    gate.set()
    first.join(10)
    assert len(llm.prompts) == 1 and "Question: what did Rouhani say" not in llm.prompts[0]


def test_a_client_that_disconnects_mid_answer_stops_its_generation(
    seeds: Path, tmp_path: Path, serve: Callable[..., str]
) -> None:
    long_reply = ROUHANI + " He also said" + " more" * 60 + " [1]."
    llm = CountingLLM(long_reply, 0.05)  # ~3 s of writing
    line = Line(slots=1, max_wait=30)
    url = serve(_engine_with(llm, seeds, tmp_path), line=line)
    _gone_after(url, SEED_QUESTION, 0.6)
    time.sleep(1.0)
    written = llm.written
    time.sleep(0.5)
    assert llm.written == written < 60, "the generation went on for a client that left"
    with line.enter() as ticket:  # and the turn was given back
        assert ticket.wait(0) == 0


def test_with_two_slots_two_questions_are_answered_at_once(
    seeds: Path, tmp_path: Path, serve: Callable[..., str]
) -> None:
    llm = CountingLLM(ROUHANI, 0.1)
    url = serve(_engine_with(llm, seeds, tmp_path), line=Line(slots=2, max_wait=30))
    body = {"messages": [{"role": "user", "content": SEED_QUESTION}]}
    answers: list[int] = []
    threads = [threading.Thread(target=lambda: answers.append(
        httpx.post(f"{url}/chat/completions", json=body, timeout=30).status_code)) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert answers == [200, 200, 200] and llm.most_at_once == 2


def test_a_client_over_its_rate_gets_429_with_retry_after(
    make_engine: Callable[..., Engine], serve: Callable[..., str]
) -> None:
    url = serve(make_engine(ROUHANI), rate_limit=2)
    search = {"query": "Rouhani", "k": 1}
    assert [httpx.post(f"{url}/search", json=search).status_code for _ in range(2)] == [200, 200]
    third = httpx.post(f"{url}/search", json=search)
    assert third.status_code == 429 and int(third.headers["Retry-After"]) >= 1
    assert third.json()["error"]["code"] == "rate_limit_exceeded"
    assert httpx.get(f"{url}/models").status_code == 200  # reading the model list is not counted


def test_a_follow_up_pronoun_that_could_mean_two_people_is_asked_back(
    make_engine: Callable[..., Engine], serve: Callable[..., str]
) -> None:
    engine = make_engine(ROUHANI)
    response = _client(serve(engine)).chat.completions.create(model=engine.settings.model, messages=[
        {"role": "user", "content": SEED_QUESTION},
        {"role": "assistant", "content": "Mohammad Baqer Qalibaf [1] and Hassan Rouhani [2] met him."},
        {"role": "user", "content": "what did he say about the United States?"},
    ])
    assert response.choices[0].message.content.startswith("Which one do you mean:")
    assert (response.model_extra or {})["abstained"] is True and engine.llm.prompts == []  # type: ignore[attr-defined]
