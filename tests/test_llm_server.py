"""``RAG_LLM_URL``: an OpenAI-compatible LLM server generates; llama-cpp-python's own server with the default GGUF
is started here on 127.0.0.1 for the ``real`` test (nothing is mocked at the HTTP boundary)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import httpx
import pytest

from rag import gguf
from rag.llm import complete, make_llm
from rag.llm_server import LLMServerError, ServerLLM
from rag.pipeline import Engine
from rag.settings import Settings, SettingsError, load_settings
from tests.fakes import free_port

SEED_QUESTION = "who met the Iraqi foreign minister?"


def test_the_url_picks_the_server_backend_and_is_validated() -> None:
    llm = make_llm(Settings(llm_url="http://127.0.0.1:9/v1", llm_grammar="guided_grammar"))
    assert isinstance(llm, ServerLLM) and llm.template == "chatml" and llm.grammar_field == "guided_grammar"
    with pytest.raises(SettingsError, match="llm_url"):
        Settings(llm_url="127.0.0.1:8080")
    with pytest.raises(SettingsError, match="llm_grammar"):
        Settings(llm_grammar="json")


def test_a_server_that_is_down_is_one_line_naming_it() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    with pytest.raises(LLMServerError, match=f"LLM server at {url} cannot be reached"):
        complete(ServerLLM(url, name="m"), "Hello")


class _Recorder(BaseHTTPRequestHandler):
    """A loopback stand-in for an LLM server: records each request's JSON, streams two pieces back."""

    bodies: ClassVar[list[dict]] = []
    status: ClassVar[int] = 200

    def do_POST(self) -> None:
        self.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(self.status)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        if self.status == 200:
            for text in ("Hassan ", "Rouhani [1]"):
                self.wfile.write(f"data: {json.dumps({'choices': [{'text': text}]})}\n\n".encode())
            usage = {"choices": [], "usage": {"prompt_tokens": 7, "completion_tokens": 4}}
            self.wfile.write(f"data: {json.dumps(usage)}\n\ndata: [DONE]\n\n".encode())
        else:
            self.wfile.write(b'{"error": {"message": "model overloaded"}}')

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[tuple[str, type[_Recorder]]]:
    _Recorder.bodies, _Recorder.status = [], 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1", _Recorder
    server.shutdown()


@pytest.mark.parametrize(
    ("field", "sent"), [("grammar", "grammar"), ("guided_grammar", "guided_grammar"), ("none", None)]
)
def test_the_request_is_greedy_cached_and_carries_the_grammar_where_the_server_reads_it(
    recorder: tuple[str, type[_Recorder]], field: str, sent: str | None
) -> None:
    url, server = recorder
    done = complete(ServerLLM(url, name="m", grammar_field=field), "<prompt>", grammar='root ::= "x"', stop=["\n"])
    assert (done.text, done.prompt_tokens, done.generated_tokens) == ("Hassan Rouhani [1]", 7, 4)
    (body,) = server.bodies
    assert body["prompt"] == "<prompt>" and body["temperature"] == 0 and body["repeat_penalty"] == 1.0
    assert body["cache_prompt"] is True and body["stop"] == ["\n"] and body["stream"] is True
    assert [k for k in ("grammar", "guided_grammar") if k in body] == ([sent] if sent else [])


def test_a_server_error_is_one_line_with_its_status(recorder: tuple[str, type[_Recorder]]) -> None:
    url, server = recorder
    server.status = 503
    with pytest.raises(LLMServerError, match=r"answered 503: .*model overloaded"):
        complete(ServerLLM(url, name="m"), "Hello")


@pytest.fixture(scope="module")
def llama_server() -> Iterator[str]:
    settings = load_settings()
    path, _ = gguf.resolve(settings.model, settings.model_dir)
    port = free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(path), "--host", "127.0.0.1",
               "--port", str(port), "--n_ctx", str(settings.n_ctx), "--n_threads", str(settings.threads),
               "--n_threads_batch", str(settings.threads), "--interrupt_requests", "False"]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None and time.monotonic() < deadline, "llama_cpp.server did not start"
            try:
                if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        server.wait(10)


@pytest.mark.real
def test_the_server_gives_the_in_process_answer_with_its_citations(llama_server: str, tmp_path: Path) -> None:
    settings = load_settings().with_(index_dir=tmp_path / "index")
    local = Engine(settings).ask(SEED_QUESTION)
    served = Engine(settings.with_(llm_url=llama_server)).ask(SEED_QUESTION)
    assert served.text == local.text and served.citations, (served.text, local.text)
    assert [c.paragraph.id for c in served.citations] == [c.paragraph.id for c in local.citations]
