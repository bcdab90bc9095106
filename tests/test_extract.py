"""A web page's metadata (rag.extract.from_html), read offline: bylines keep their punctuation as written."""

from __future__ import annotations

import pytest

from rag.extract import from_html
from rag.parse import parse_html

BODY = (
    "<body><article><h1>Storm closes Kelvo harbour</h1>"
    "<p>A storm closed the Kelvo harbour on Friday, the port authority said, and ferries stopped until Sunday.</p>"
    "<p>Repairs will cost $40 million, officials said on Saturday after engineers had inspected the piers.</p>"
    "</article></body>"
)
PERSON = '{"@type": "Person", "name": "Jane Q. Reporter"}'
ORGANIZATION = '{"@type": "Organization", "name": "Example News"}'
JSON_LD = (
    '<script type="application/ld+json">{"@context": "https://schema.org", "@type": "NewsArticle",'
    ' "headline": "Storm closes Kelvo harbour", "author": %s}</script>'
)


def page(head: str) -> str:
    return f"<html><head><title>Storm closes Kelvo harbour</title>{head}</head>{BODY}</html>"


@pytest.mark.parametrize(
    "head",
    [
        '<meta name="author" content="Jane Q. Reporter">',
        '<meta name="author" content="By Jane Q. Reporter">',
        JSON_LD % PERSON,
        JSON_LD % f"[{PERSON}, {ORGANIZATION}]",
        '<meta name="author" content="Jane Q. Reporter">' + JSON_LD % '"Jane Q. Reporter"',
    ],
    ids=["meta", "meta-with-by", "json-ld", "json-ld-person-and-organization", "both"],
)
def test_a_web_page_byline_keeps_its_initials_periods(head: str) -> None:
    assert from_html(page(head)).authors == ("Jane Q. Reporter",)


def test_several_authors_keep_their_punctuation_and_order() -> None:
    page_html = page('<meta name="author" content="Jane Q. Reporter and J.R. Doe">')
    assert from_html(page_html).authors == ("Jane Q. Reporter", "J.R. Doe")
    assert parse_html(page_html, "storm").authors == ("Jane Q. Reporter", "J.R. Doe")  # what the index stores


def test_a_page_without_a_person_named_has_no_authors() -> None:
    assert from_html(page("")).authors == ()
    assert from_html(page(JSON_LD % ORGANIZATION)).authors == ()
    assert from_html(page('<script type="application/ld+json">{not json</script>')).authors == ()
