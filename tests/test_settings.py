"""Settings: read from RAG_* variables, validated once, with a clear one-line error."""

from __future__ import annotations

import pytest

from rag import cli
from rag.settings import Settings, SettingsError, load_settings
from rag.ui import app as ui_app


def test_environment_values_take_the_type_of_their_setting() -> None:
    s = Settings.from_env({"RAG_K": "5", "RAG_MARGIN": "0.1", "RAG_REASK": "0", "RAG_INDEX_DIR": "~/ix"})
    assert (s.k, s.margin, s.reask) == (5, 0.1, False) and s.index_dir.name == "ix" and "~" not in str(s.index_dir)
    assert Settings.from_env({"RAG_REASK": "true"}).reask is True


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"RAG_RETRIEVER": "nope"}, r"retriever='nope' \(RAG_RETRIEVER\): use one of hybrid, fusion, dense, bm25"),
        ({"RAG_CONTEXT": "all"}, r"context='all' \(RAG_CONTEXT\): use one of best, top"),
        ({"RAG_K": "0"}, r"k=0 \(RAG_K\): must be at least 1"),
        ({"RAG_K": "three"}, r"RAG_K='three': not a valid int"),
        ({"RAG_REASK": "maybe"}, r"RAG_REASK='maybe': use 1 or 0"),
        ({"RAG_MIN_SCORE": "2"}, r"min_score=2.0 \(RAG_MIN_SCORE\): must be between 0 and 1"),
    ],
)
def test_a_bad_value_fails_when_settings_are_made(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)


def test_flags_are_validated_too() -> None:
    with pytest.raises(SettingsError, match="retriever"):
        Settings().with_(retriever="semantic")


def test_the_cli_reports_a_bad_setting_in_one_line_before_any_work(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RAG_RETRIEVER", "nope")
    load_settings.cache_clear()
    try:
        assert cli.main(["ask", "who met the minister?"]) == 2
    finally:
        load_settings.cache_clear()
    err = capsys.readouterr().err
    assert err.startswith("rag: error: setting retriever='nope'") and err.count("\n") == 1


def test_gradio_server_variables_are_honoured_and_flags_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRADIO_SERVER_PORT", "7899")
    monkeypatch.setenv("GRADIO_SERVER_NAME", "0.0.0.0")
    args = ui_app.build_parser().parse_args([])
    assert (args.host, args.port) == ("0.0.0.0", 7899)
    args = ui_app.build_parser().parse_args(["--port", "8080", "--host", "127.0.0.1"])
    assert (args.host, args.port) == ("127.0.0.1", 8080)
    monkeypatch.delenv("GRADIO_SERVER_PORT")
    monkeypatch.delenv("GRADIO_SERVER_NAME")
    assert (ui_app.build_parser().parse_args([]).port, ui_app.build_parser().parse_args([]).host) == (7860, "127.0.0.1")


def test_a_bad_port_variable_is_a_usage_error_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GRADIO_SERVER_PORT", "http")
    with pytest.raises(SystemExit) as stop:
        ui_app.build_parser().parse_args([])
    assert stop.value.code == 2 and "not a port number: 'http'" in capsys.readouterr().err
