"""``RAG_LLM_URL``: an OpenAI-compatible LLM server generates; llama-cpp-python's own server with the default GGUF
is started here on 127.0.0.1 for the ``real`` test (nothing is mocked at the HTTP boundary)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from rag import gguf
from rag.llm import complete, make_llm
from rag.llm_server import LLMServerError, ServerLLM
from rag.pipeline import Engine
from rag.settings import Settings, SettingsError, load_settings

SEED_QUESTION = "who met the Iraqi foreign minister?"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_url_picks_the_server_backend_and_is_validated() -> None:
    llm = make_llm(Settings(llm_url="http://127.0.0.1:9/v1", llm_grammar="guided_grammar"))
    assert isinstance(llm, ServerLLM) and llm.template == "chatml" and llm.grammar_field == "guided_grammar"
    with pytest.raises(SettingsError, match="llm_url"):
        Settings(llm_url="127.0.0.1:8080")
    with pytest.raises(SettingsError, match="llm_grammar"):
        Settings(llm_grammar="json")


def test_a_server_that_is_down_is_one_line_naming_it() -> None:
    url = f"http://127.0.0.1:{_free_port()}/v1"  # nothing listens there
    with pytest.raises(LLMServerError, match=f"LLM server at {url} cannot be reached"):
        complete(ServerLLM(url, name="m"), "Hello")


@pytest.fixture(scope="module")
def llama_server() -> Iterator[str]:
    settings = load_settings()
    path, _ = gguf.resolve(settings.model, settings.model_dir)
    port = _free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(path), "--host", "127.0.0.1",
               "--port", str(port), "--n_ctx", str(settings.n_ctx), "--interrupt_requests", "False"]
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
