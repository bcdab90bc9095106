import shutil
from pathlib import Path

import pytest

from rag.ingest import IngestError, load_articles, read_article
from rag.parse import parse_article, recover_paragraphs, split_glued
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


FRONT_MATTER = """---
title: "Storm closes Kelvo harbour"
date: 2025-09-12
authors: ["Jane Doe", "Ali Reza"]
source: "https://example-news.test/2025/09/12/storm.html"
outlet: "example-news.test"
---
A storm closed the Kelvo harbour on Friday, the port authority said, and
ferries were cancelled until Sunday.

## What happens next

Repairs will cost $40 million, officials said.[Read more](https://example-news.test/more)
"""


def test_front_matter_gives_the_metadata_and_blank_lines_the_paragraphs(tmp_path: Path) -> None:
    path = tmp_path / "storm.md"
    path.write_text(FRONT_MATTER)
    article = read_article(path)
    assert (article.title, article.date) == ("Storm closes Kelvo harbour", "2025-09-12")
    assert article.outlet == "example-news.test"
    assert article.authors == ("Jane Doe", "Ali Reza") and article.url == "https://example-news.test/2025/09/12/storm.html"
    texts = [p.text for p in article.paragraphs]
    assert texts == [
        "A storm closed the Kelvo harbour on Friday, the port authority said, and ferries were cancelled until Sunday.",
        "What happens next",
        "Repairs will cost $40 million, officials said.",
    ]  # the "[Read more](...)" link is boilerplate (rag.boilerplate)
    assert {(p.date, p.outlet) for p in article.paragraphs} == {("2025-09-12", "example-news.test")}
    assert "---" not in article.title


def test_broken_front_matter_is_refused_by_name(tmp_path: Path) -> None:
    (tmp_path / "bad.md").write_text('---\ntitle: "unclosed\ndate: [\n---\nBody.\n')
    with pytest.raises(IngestError, match=r"bad.md: front matter is not valid YAML"):
        read_article(tmp_path / "bad.md", tmp_path)


def test_the_folder_is_read_recursively_with_paths_as_ids(tmp_path: Path) -> None:
    (tmp_path / "20250704").mkdir()
    (tmp_path / "20250704" / "storm.md").write_text(FRONT_MATTER)
    (tmp_path / ".trash").mkdir()
    (tmp_path / ".trash" / "old.txt").write_text("Old\nNot read.")
    shutil.copy(SEED, tmp_path / SEED.name)
    articles, errors = load_articles(tmp_path)
    assert errors == [] and [a.id for a in articles] == [SEED.stem, "20250704/storm"]
    assert articles[1].paragraphs[0].id == "20250704/storm:1"


PAGE = """<html><head><title>Storm closes Kelvo harbour | Example News</title>
<meta name="author" content="Jane Doe"><meta property="og:site_name" content="Example News">
<meta property="article:published_time" content="2025-09-12T08:00:00Z"></head>
<body><nav><a href="/">Home</a> | <a href="/world">World</a></nav>
<article><h1>Storm closes Kelvo harbour</h1>
<p>A storm closed the Kelvo harbour on Friday, the port authority said, and ferries were cancelled.</p>
<p>Repairs will cost $40 million, officials said on Saturday after an inspection of the piers.</p></article>
<footer>Copyright Example News. All rights reserved.</footer></body></html>"""


def test_a_saved_web_page_gives_its_main_text_and_its_own_metadata(tmp_path: Path) -> None:
    (tmp_path / "storm.html").write_text(PAGE)
    article = read_article(tmp_path / "storm.html")
    assert article.title == "Storm closes Kelvo harbour"
    assert (article.authors, article.date, article.outlet) == (("Jane Doe",), "2025-09-12", "Example News")
    assert [p.text for p in article.paragraphs] == [
        "A storm closed the Kelvo harbour on Friday, the port authority said, and ferries were cancelled.",
        "Repairs will cost $40 million, officials said on Saturday after an inspection of the piers.",
    ]


def _pdf(pages: list[list[str]], title: str = "", author: str = "", created: str = "") -> bytes:
    """A minimal PDF with one text line per entry (Helvetica, 14 pt leading)."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", ""]
    kids = []
    for lines in pages:
        text = "".join(f"({line.replace('(', '[').replace(')', ']')}) Tj T* " for line in lines)
        stream = f"BT /F1 11 Tf 14 TL 72 760 Td {text}ET"
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream")
        content = len(objects)
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {content} 0 R "
                       "/Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>")
        kids.append(f"{len(objects)} 0 R")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>"
    objects.append(f"<< /Title ({title}) /Author ({author}) /CreationDate ({created}) >>")
    out, offsets = "%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out.encode("latin-1")))
        out += f"{number} 0 obj\n{body}\nendobj\n"
    xref = len(out.encode("latin-1"))
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n" + "".join(f"{o:010d} 00000 n \n" for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info {len(objects)} 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    return out.encode("latin-1")


def test_a_pdf_gives_paragraphs_across_line_and_page_breaks(tmp_path: Path) -> None:
    page1 = [
        "A storm closed the Kelvo harbour on Friday, the port authority said, and all",
        "ferries to the islands were cancelled until Sunday, when the wind is expected",
        "to ease.",
        "Repairs will cost $40 million, officials said on Saturday after engineers had",
    ]
    page2 = ["inspected the piers.", "Fishermen said the closure was the longest they remember in the region."]
    pdf = _pdf([page1, page2], "Storm closes Kelvo harbour", "Jane Doe", "D:20250912080000Z")
    (tmp_path / "storm.pdf").write_bytes(pdf)
    article = read_article(tmp_path / "storm.pdf")
    assert (article.title, article.authors, article.date) == ("Storm closes Kelvo harbour", ("Jane Doe",), "2025-09-12")
    assert [p.text for p in article.paragraphs] == [
        "A storm closed the Kelvo harbour on Friday, the port authority said, and all ferries to the islands were "
        "cancelled until Sunday, when the wind is expected to ease.",
        "Repairs will cost $40 million, officials said on Saturday after engineers had inspected the piers.",
        "Fishermen said the closure was the longest they remember in the region.",
    ]


def test_a_broken_pdf_is_refused_by_name(tmp_path: Path) -> None:
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4\nnot really a pdf")
    articles, errors = load_articles(tmp_path)
    assert articles == [] and len(errors) == 1 and errors[0].startswith("broken.pdf: ")


def test_the_byline_names_the_authors() -> None:
    assert read_article(SEED).authors == ("SETH J. FRANTZMAN",)
