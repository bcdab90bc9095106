"""Boilerplate: the paragraphs of a scraped article that are not the story.

Scraped news carries the page around the story: "Updated June 16, 2026,
11:14 a.m. ET", a bare dateline ("WASHINGTON (AP) —"), photo captions and
credits, "Sign up for our newsletter", "Advertisement", share buttons,
"Read more: ..." links, cookie notices, "Download our app", copyright
footers, reporters' contact lines. Indexed, they fill the retrieved slots
and get cited as evidence. ``kind(text)`` names the kind of boilerplate a
paragraph is, or None for story text; ``split`` sorts an article's
paragraphs into kept and dropped; ``date_of`` reads the date a timestamp or
dateline states, since such a line is often the only date an article has.

Trade-offs. Rules, not a model: cheap, deterministic (paragraph ids must
survive re-indexing) and each one readable. They are tuned for precision,
not recall: a dropped story paragraph is an answer lost for good, a kept
prompt is only noise. So every rule is anchored (the paragraph *starts*
with the prompt, *is* the label, or *ends* with a photo credit) and short
(nothing over ``MAX_CHARS`` is ever boilerplate), and a story paragraph that
merely mentions a newsletter, a photo or Facebook is kept:

>>> kind("Sign up for our newsletter to get the latest news of the day."), kind("Advertisement")
('newsletter', 'advertisement')
>>> print(kind("More than 50,000 readers signed up for the newsletter in its first week, the paper said."))
None

The kinds, each a short anchored rule (``_CHECKS`` runs them in this order;
this module is the pass, the rules live by family in ``rag.datelines``,
``rag.notices`` and ``rag.captions``):

- updated: "Updated"/"Published"/"Posted" and nothing but date and time words;
  dateline-only: "WASHINGTON (AP) —", a place, an agency and a dash, no story;
- separator: no letter or digit ("* * *", "_____");
- update-note: "(This story has been updated to add new information.)" when
  only generic words follow (a note naming what was corrected is kept);
- newsletter, subscribe, promo, app: an imperative at a sentence start ("Sign
  up for ... newsletter", "Subscribe today", "Play the daily crossword",
  "Download the ... app for news");
- advertisement, share, related, navigation: the paragraph *is* the label
  ("Advertisement", "Copy link", "Back to the top") or starts with it
  ("Read more: <headline>", "RELATED: ...");
- cookie, copyright: cookie notices, "© 2026 ...", "All rights reserved";
- contributors: "Contributing: ...", "Reporting by ...; Editing by ...", a
  wire agency alone; contact: an e-mail or @handle with "reach/contact/follow
  him at"; signature: "– Jane Doe" under a live-blog update;
- caption and credit: a paragraph ending in a photo credit ("... on Tuesday.
  Jane Doe/AP", "(Image credit: ...)") or a credit alone ("Getty Images").

Only generic English patterns: no outlet's or person's name, so a new
source's boilerplate may be missed (the dev set was news-2025; see
``benchmarks/boilerplate.py`` for what is dropped, by kind, and the check
that no quiz answer is lost). Headline-only links to other stories without
a "More:"/"Related:" label look like subheadings and are kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rag.captions import photo_kind
from rag.datelines import first_date, is_dateline_only, is_stamp, opens_with_dateline
from rag.notices import CHECKS

MAX_CHARS = 450  # the longest newsletter pitch seen is ~430 characters; story paragraphs run longer

_CHECKS: list[tuple[str, Callable[[str], bool]]] = [
    ("separator", lambda t: not any(c.isalnum() for c in t)),
    ("updated", is_stamp),
    ("dateline-only", is_dateline_only),
    *CHECKS,
]


def kind(text: str) -> str | None:
    """The kind of boilerplate a paragraph is, or None for story text.

    >>> [kind(t) for t in ["Updated 11:14 AM ET, Mon June 16, 2026", "PARIS (AFP) —", "* * *"]]
    ['updated', 'dateline-only', 'separator']
    >>> [kind(t) for t in ["(Photo: Jane Doe/AP)", "Image source, Reuters", "Getty Images"]]
    ['credit', 'credit', 'credit']
    >>> kind("Firefighters battle the blaze near Elm Creek on Tuesday. Jane Doe/AP")
    'caption'
    >>> [kind(t) for t in ["Share on Facebook", "Copy link", "Read more: Storm closes harbour", "Back to the top"]]
    ['share', 'share', 'related', 'navigation']
    >>> [kind(t) for t in ["We use cookies to improve your experience.", "© 2026 Example Media. All rights reserved."]]
    ['cookie', 'copyright']
    >>> kind("Reach Jane Doe at jdoe@example.test or follow her on X @janedoe.")
    'contact'
    >>> print(kind("The mayor shared a photo of the flooded street on Facebook and urged residents to stay home."))
    None
    """
    text = " ".join(text.split())
    if not text or len(text) > MAX_CHARS:
        return None
    for name, check in _CHECKS:
        if check(text):
            return name
    return photo_kind(text)


def date_of(text: str) -> str:
    """The YYYY-MM-DD date an "Updated ..."/"Published ..." line or a dateline states; "" for any other paragraph.

    The first date of the line counts ("Published ... | Updated ..." gives the publication). Absolute dates
    only (``rag.extract.iso_date``): a dateline without a year states no date.

    >>> date_of("Updated June 16, 2026, 11:14 a.m. ET"), date_of("Published 9 a.m. ET Sept. 5, 2025 | Updated 1 p.m.")
    ('2026-06-16', '2025-09-05')
    >>> date_of("LONDON, June 5, 2025 (Reuters) - The central bank held rates."), date_of("LONDON, June 5 (Reuters) -")
    ('2025-06-05', '')
    >>> date_of("The storm hit on June 16, 2026, officials said.")
    ''
    """
    text = " ".join(text.split())
    if kind(text) not in ("updated", "dateline-only") and not opens_with_dateline(text):
        return ""
    return first_date(text)


def split(paragraphs: Iterable[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """(the story paragraphs, the dropped ones as (kind, text)), in their order.

    An article is never emptied: if every paragraph looks like boilerplate, all are kept (a one-paragraph
    note is still something the person chose to index).

    >>> split(["Advertisement", "The harbour closed on Friday.", "Sign up for our newsletter."])[1]
    [('advertisement', 'Advertisement'), ('newsletter', 'Sign up for our newsletter.')]
    >>> split(["Advertisement"])
    (['Advertisement'], [])
    """
    kept: list[str] = []
    dropped: list[tuple[str, str]] = []
    texts = list(paragraphs)
    for text in texts:
        name = kind(text)
        if name is None:
            kept.append(text)
        else:
            dropped.append((name, text))
    if not kept:
        return texts, []
    return kept, dropped
