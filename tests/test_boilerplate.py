"""Boilerplate paragraphs (rag.boilerplate): recognised by kind, story text kept, dates read, ingest drops them."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag import boilerplate
from rag.boilerplate import date_of, kind, split
from rag.ingest import read_article
from rag.parse import parse_article
from tests.fakes import SEED

# Written for these tests (made-up names and outlets), one or more per kind.
BOILERPLATE = {
    "updated": [
        "Updated June 16, 2026, 11:14 a.m. ET",
        "Updated 9:02 AM EDT, Tue March 3, 2026",
        "Published 6:00 a.m. ET March 2, 2026 | Updated 8:15 a.m. ET March 3, 2026",
        "Last updated: 3 March 2026",
        "Posted 4 hours ago",
    ],
    "dateline-only": ["OSLO (AP) —", "Lisbon, Portugal Example News —", "NAIROBI, Kenya, March 3, 2026 (Reuters) -"],
    "separator": ["* * *", "__________", "◆"],
    "caption": [
        "Rescue workers search the rubble of a school in Velmoor on Tuesday. Ana Ruiz/AFP/Getty Images",
        "The new bridge opened to traffic on Monday. Tom Kerr/AP",
        "Volunteers fill sandbags along the river (Image credit: Lena Holt/Getty Images)",
        "Image caption, Residents queue for water in the old town",
    ],
    "credit": [
        "(Photo: Jane Doe/AP)",
        "Image source, Reuters",
        "Getty Images",
        "Photo by Mark Lind/Shutterstock",
        "Credit: Priya Nair/Reuters",
    ],
    "newsletter": [
        "Sign up for our newsletter",
        "Sign up for the Morning Brief newsletter to get the day's top stories in your inbox.",
        "Want more climate news? Sign up here.",
        "A version of this story appeared in the Weekend Reads newsletter. To get it in your inbox, sign up for free.",
    ],
    "subscribe": [
        "Support local journalism. Subscribe today.",
        "Your subscription makes work like this possible.",
        "Subscribe now for unlimited access to our reporting.",
    ],
    "advertisement": [
        "Advertisement",
        "ADVERTISEMENT",
        "Story continues below advertisement",
        "If you buy through our links, we may earn a commission.",
    ],
    "promo": ["Need a break? Play the daily crossword puzzle."],
    "share": ["Share on Facebook", "Copy link", "Share this article", "Follow us on Instagram and TikTok"],
    "related": [
        "Read more: Harbour repairs to cost $40 million",
        "RELATED: How the storm formed",
        "More: City council delays budget vote",
        "Read the full story here.",
        "Recommended",
    ],
    "navigation": ["Back to the top", "Can't see the chart? Click here to view it.", "Story continues below"],
    "cookie": [
        "We use cookies to give you the best experience on our site.",
        "By continuing to use this site, you agree to our use of cookies.",
    ],
    "app": ["Download the Example News app for breaking news alerts and more."],
    "copyright": ["© 2026 Example Media Group. All rights reserved.", "Copyright 2026 The Example Post"],
    "contributors": [
        "Contributing: Ola Berg, Example News; Reuters",
        "Reporting by Ana Ruiz; Editing by Tom Kerr",
        "From staff and wire reports",
        "The Associated Press",
    ],
    "contact": [
        "Reach Jane Doe at jdoe@example.test or follow her on X @janedoe.",
        "Tom Kerr covers city hall for the Example Post. He can be reached at tkerr@example.test.",
        "Follow Priya Nair on X: @priyanair",
    ],
    "signature": ["– Jane Doe", "-- Tom Kerr and Priya Nair, Example Post"],
    "update-note": [
        "(This story has been updated to add new information.)",
        "This article was updated with additional details.",
    ],
}


@pytest.mark.parametrize(("expected", "text"), [(k, t) for k, texts in BOILERPLATE.items() for t in texts])
def test_boilerplate_is_recognised_by_kind(expected: str, text: str) -> None:
    assert kind(text) == expected


STORY = [
    # Mentions a newsletter, a subscription, a sign-up, a photo, sharing, an app, an update, a dateline...
    "More than 50,000 readers signed up for the newsletter in its first week, the publisher said.",
    "Residents can sign up for flood alerts at the town hall, the mayor said on Monday.",
    "The senator shared a photo of the flooded street on Facebook and urged residents to stay home.",
    "Subscribers to the streaming service will pay $2 more a month from July, the company said.",
    "The study, published June 16, 2026, in the journal Neurology, followed 4,000 adults for ten years.",
    "Updated forecasts show the storm turning north before it reaches the coast on Thursday.",
    "The app was downloaded 3 million times in its first week, according to the developer.",
    "Police said the photographer, who works for a local paper, was not hurt.",
    "OSLO (AP) — Norway's parliament voted on Tuesday to raise the fuel tax by 5%.",
    "The company's shares fell 4% after it said it would stop advertising on the platform.",
    "Officials will update the list of closed roads every morning, the county said.",
    "This story began, like many in the valley, with a flood.",
    "Contributing factors: heavy rain and a blocked culvert, the inspectors found.",
    "Anyone with information should contact police on 555-0100.",
    "She told reporters the bill would be published in full on Friday.",
    "The harbour will reopen on Sunday. Repairs continue on the north pier.",
    "Thursday, June 11, 2026",
    "The mayor, a former reporter for the Example Post, said the council would vote next week.",
    "– Fix the roof.",
    "--East Main Street at Oak Road",
    "Read the proposal and tell us what you think, the council asked residents in its report.",
    "AC/DC",
]


@pytest.mark.parametrize("text", STORY)
def test_story_paragraphs_that_merely_mention_boilerplate_words_are_kept(text: str) -> None:
    assert kind(text) is None


def test_long_paragraphs_are_never_boilerplate() -> None:
    long = "Sign up for our newsletter. " + "The council met for six hours on Tuesday and voted on the budget. " * 8
    assert len(long) > boilerplate.MAX_CHARS and kind(long) is None


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("Updated June 16, 2026, 11:14 a.m. ET", "2026-06-16"),
        ("Updated 9:02 AM EDT, Tue March 3, 2026", "2026-03-03"),
        ("Published 6:00 a.m. ET March 2, 2026 | Updated 8:15 a.m. ET March 3, 2026", "2026-03-02"),
        ("Last updated: 3 March 2026", "2026-03-03"),
        ("Posted on 2026-03-03", "2026-03-03"),
        ("NAIROBI, Kenya, March 3, 2026 (Reuters) -", "2026-03-03"),
        ("LISBON, March 3, 2026 (AP) — The strike closed every port.", "2026-03-03"),
        ("Posted 4 hours ago", ""),  # relative: a date of reading, not of writing
        ("OSLO, March 3 (AP) —", ""),  # no year
        ("The storm hit on June 16, 2026, officials said.", ""),  # a story's date is not the article's
        ("Advertisement", ""),
    ],
)
def test_date_of_reads_timestamps_and_datelines_only(text: str, date: str) -> None:
    assert date_of(text) == date


def test_split_keeps_order_and_never_empties_an_article() -> None:
    kept, dropped = split(["Advertisement", "The harbour closed.", "– Jane Doe", "It reopens on Sunday."])
    assert kept == ["The harbour closed.", "It reopens on Sunday."]
    assert dropped == [("advertisement", "Advertisement"), ("signature", "– Jane Doe")]
    assert split(["Advertisement", "Copy link"]) == (["Advertisement", "Copy link"], [])


SCRAPED = """---
title: "Kelvo harbour reopens after storm"
outlet: "example-news.test"
---
Updated March 3, 2026, 9:14 a.m. ET

KELVO (AP) —

The Kelvo harbour reopened on Tuesday, three days after a storm closed it, the port authority said.

Fishing boats lined up at the north pier at dawn. Ana Ruiz/AP

Sign up for our daily newsletter to get the top stories in your inbox.

Repairs to the south pier will cost $40 million and take until the summer, officials said.

Share on Facebook

Advertisement

The port authority said it had shared photos of the damage on Facebook to help insurers.
"""


def test_ingest_drops_boilerplate_and_takes_the_date_from_the_updated_line(tmp_path: Path) -> None:
    (tmp_path / "harbour.md").write_text(SCRAPED)
    article = read_article(tmp_path / "harbour.md")
    assert [p.text for p in article.paragraphs] == [
        "The Kelvo harbour reopened on Tuesday, three days after a storm closed it, the port authority said.",
        "Repairs to the south pier will cost $40 million and take until the summer, officials said.",
        "The port authority said it had shared photos of the damage on Facebook to help insurers.",
    ]
    assert [p.number for p in article.paragraphs] == [1, 2, 3]  # numbered after dropping: ids stay dense
    assert article.date == "2026-03-03"
    assert {p.date for p in article.paragraphs} == {"2026-03-03"}


def test_a_front_matter_date_wins_over_a_dropped_line() -> None:
    text = SCRAPED.replace('outlet: "example-news.test"', 'outlet: "example-news.test"\ndate: 2026-03-02')
    assert parse_article(text, "harbour").date == "2026-03-02"


def test_the_seed_article_loses_nothing() -> None:
    article = read_article(SEED)
    assert len(article.paragraphs) == 16
    assert split([p.text for p in article.paragraphs])[1] == []
