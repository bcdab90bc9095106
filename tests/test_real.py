"""End-to-end tests with the real embedder and the configured GGUF model (marked ``real``)."""

import re
from pathlib import Path

import numpy as np
import pytest

from rag.embed import MiniLMEmbedder
from rag.pipeline import Engine
from rag.settings import load_settings

pytestmark = pytest.mark.real


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    index_dir = tmp_path_factory.mktemp("index")
    return Engine(load_settings().with_(index_dir=index_dir))


def test_embedder_is_offline_minilm() -> None:
    vectors = MiniLMEmbedder().embed(["Rouhani met the Iraqi foreign minister.", "Le café"])
    assert vectors.shape == (2, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)


def test_embedding_uses_every_core_after_faiss_was_set_to_one() -> None:
    import os
    import subprocess
    import sys

    # torch imported before FAISS shares its OpenMP runtime: rag.index.tune's one search thread then
    # applied to torch as well (a fresh process, since the import order is what matters).
    script = (
        "import torch, faiss; from rag.embed import MiniLMEmbedder; faiss.omp_set_num_threads(1); "
        "MiniLMEmbedder().embed(['an article is added']); print(torch.get_num_threads())"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert int(out.split()[-1]) == (os.cpu_count() or 1)


def test_seed_question_names_both_hosts_each_cited_to_a_paragraph_stating_it(engine: Engine) -> None:
    answer = engine.ask("who met the Iraqi foreign minister?")
    for name, states in (("Qalibaf", "a meeting between Hussein and"), ("Rouhani", "Rouhani also met with")):
        cited = [c for c in answer.citations if name in c.sentence]
        assert cited, answer
        assert any(states in p.text for c in cited for p in c.paragraphs), answer
    assert "Hussein" not in answer.text  # the minister himself did not meet the minister
    markers = {int(m) for m in re.findall(r"\[(\d+)\]", answer.text)}
    assert markers == {c.marker for c in answer.citations}


def test_what_rouhani_said_about_the_united_states_is_cited_where_rouhani_speaks(engine: Engine) -> None:
    answer = engine.ask("what did Rouhani say about the United States?")
    assert answer.citations and "United States" in answer.text, answer
    for c in answer.citations:  # not Qalibaf's quote on the United States (paragraph 6)
        assert '" Rouhani said' in c.paragraph.text or "Rouhani said" in c.paragraph.text, c
        assert "Qalibaf said" not in c.paragraph.text, c


def test_question_the_articles_do_not_answer_abstains(engine: Engine) -> None:
    answer = engine.ask("What is the capital of France?")
    assert answer.abstained and not answer.citations, answer


def test_packaged_model_is_verified(engine: Engine) -> None:
    llm = engine.llm
    assert Path(llm.path).is_file()  # type: ignore[attr-defined]
    stamp = Path(str(llm.path) + ".verified.json")  # type: ignore[attr-defined]
    assert stamp.exists() or not engine.settings.model.startswith("qwen")


def test_numpy_minilm_gives_sentence_transformers_vectors() -> None:
    from rag.minilm import NumpyMiniLM

    texts = [
        "who met the Iraqi foreign minister?",
        "IRANIAN PRESIDENT Hassan Rouhani also met with the Iraqi foreign minister.",
        "Le café était fermé 😀 — “quotes” and 3.5%",
        "long " * 400,  # truncated at 256 word-pieces by both
        "",
    ]
    reference = MiniLMEmbedder().embed(texts)
    ours = NumpyMiniLM().embed(texts)
    assert ours.shape == reference.shape
    assert np.abs(ours - reference).max() < 1e-5


def test_saved_prompt_prefix_gives_the_same_answer(engine: Engine, tmp_path: Path) -> None:
    from rag.llm import LlamaCppLLM, complete
    from rag.prompts import answer_prefix, answer_prompt

    path = engine.llm.path  # type: ignore[attr-defined]
    prompt = answer_prompt(["Hassan Rouhani met the Iraqi foreign minister."], "who met the minister?")
    fresh = LlamaCppLLM(path, threads=engine.settings.threads)
    fresh.prime(answer_prefix(), tmp_path)  # evaluates and saves
    assert len(list(tmp_path.glob("*.npz"))) == 1
    expected = complete(fresh, prompt, max_tokens=16).text
    reloaded = LlamaCppLLM(path, threads=engine.settings.threads)
    reloaded.prime(answer_prefix(), tmp_path)  # loads the saved state
    result = complete(reloaded, prompt, max_tokens=16)
    assert result.text == expected and "Rouhani" in result.text
