from pathlib import Path

import pytest

from rag.ingest import IngestError, load_articles, parse_article, read_article, recover_paragraphs, split_glued
from tests.fakes import SEED


def test_seed_metadata_is_not_a_paragraph() -> None:
    article = read_article(SEED)
    assert article.title == "Iran slams US and Israel in high-level meetings with Iraq"
    assert article.subtitle.startswith("Iraq wants to reduce tensions")
    assert article.byline == "By SETH J. FRANTZMAN"
    assert not any("FRANTZMAN" in p.text or p.text == article.title for p in article.paragraphs)


def test_seed_paragraphs_recovered_at_glued_sentences() -> None:
    texts = [p.text for p in read_article(SEED).paragraphs]
    assert len(texts) == 16
    assert texts[0].endswith("stationed in its western neighbor.")
    assert texts[1].startswith("On Saturday, Iraqi Foreign Minister Fuad Hussein met")
    assert texts[3] == "“We believe that Iraq currently has a positive role in the region,” the Iranian said."
    assert texts[5].startswith('"Some countries in the region')
    assert texts[7].startswith("IRANIAN PRESIDENT Hassan Rouhani also met with the Iraqi foreign minister.")
    # No paragraph still has a glued sentence end inside it.
    assert all(split_glued(t) == [t] for t in texts)


@pytest.mark.parametrize(
    "text",
    [
        "The U.S.Army said so.",
        "Mr.Smith arrived.",
        "It grew 3.5 percent.",
        "Ask J.R.R.Tolkien fans.",
        "Talks end at 5 p.m.Monday is next.",
    ],
)
def test_abbreviations_initials_and_decimals_do_not_split(text: str) -> None:
    assert split_glued(text) == [text]


def test_closing_quote_stays_with_its_sentence() -> None:
    assert split_glued('He said "no."Then he left.') == ['He said "no."', "Then he left."]


def test_paragraph_ids_are_stable_across_reads() -> None:
    first = [p.id for p in read_article(SEED).paragraphs]
    again = [p.id for p in read_article(SEED).paragraphs]
    assert first == again
    assert first[0] == "000_efee75aea60a5e55:1" and first[-1] == "000_efee75aea60a5e55:16"


def test_markdown_title_and_no_byline() -> None:
    article = parse_article("# A title\n\nFirst paragraph here.\n\nSecond one.Third one.", "md1")
    assert article.title == "A title" and article.byline == ""
    assert [p.text for p in article.paragraphs] == ["First paragraph here.", "Second one.", "Third one."]


def test_newlines_are_breaks() -> None:
    assert recover_paragraphs("One.\nTwo.\n\nThree.") == ["One.", "Two.", "Three."]


def test_bad_files_are_refused_with_name_and_reason(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text("Title\nBody sentence one.")
    (tmp_path / "bin.txt").write_bytes(b"\x00\x01\x02binary")
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "image.png").write_bytes(b"PNG")
    (tmp_path / "latin.txt").write_bytes("Café title\nLe café était fermé.".encode("latin-1"))
    articles, errors = load_articles(tmp_path)
    assert sorted(a.id for a in articles) == ["good", "latin"]
    assert "était" in articles[1].paragraphs[0].text
    assert any(e.startswith("bin.txt: binary") for e in errors)
    assert any(e.startswith("empty.txt:") for e in errors)
    assert any(e.startswith("image.png: unsupported") for e in errors)


def test_missing_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="not found"):
        load_articles(tmp_path / "nope")
