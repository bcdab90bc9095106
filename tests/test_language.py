"""The spaCy model: found without importing its wrapper, checked file by file, a one-line error when it is not."""

from __future__ import annotations

import importlib.util

import pytest

from rag import language


def test_the_installed_model_passes_its_checksums_and_parses() -> None:
    folder = language.model_folder()
    assert folder.name == language.FOLDER
    doc = language.doc("Harbour Authority chief Lena Okafor met the German minister in Gdańsk.")
    assert [(e.text, e.label_) for e in doc.ents if e.label_ == "PERSON"] == [("Lena Okafor", "PERSON")]
    assert language.doc(doc.text) is doc  # parsed once, shared by every stage that reads the same text


def test_a_corrupt_model_file_is_one_line_naming_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(language.SHA256, "ner/model", "0" * 64)
    with pytest.raises(language.LanguageModelError) as err:
        language.model_folder()
    message = str(err.value)
    assert "fails its checksum" in message and language.install_command() in message and "\n" not in message


def test_a_missing_model_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(language.LanguageModelError, match="make models"):
        language.model_folder()
