"""Browser tests of the web chat: Debian's chromium driven by Playwright.

The app runs in a subprocess on a free loopback port: over fake models
(``tests/ui_server.py``: extractive, streamed slowly enough to be seen) for
the behaviour tests, and as ``python app.py`` with the real models for one
``real`` test that also measures the time from Enter to the first streamed
token. Playwright never downloads a browser here: it drives
``/usr/bin/chromium`` (Debian package ``chromium``); without it these tests
are skipped with the reason.

Set ``RAG_UI_SHOTS=docs`` to save screenshots of the main states there.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from benchmarks.load import LoadError, free_port, running
from rag.settings import Settings

PROJECT = Path(__file__).resolve().parent.parent
SEED = PROJECT / "seeds" / "000_efee75aea60a5e55.txt"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SEED_Q = "who met the Iraqi foreign minister?"
SHOTS = os.environ.get("RAG_UI_SHOTS")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian chromium at /usr/bin/chromium (apt-get install chromium)"
    ),
]


@contextmanager
def _serve(args: list[str], log: Path, ready: str | None = None, timeout: float = 120) -> Iterator[str]:
    """Run ``args`` (which serve on the given port), yield its URL once it answers (and ``ready`` is logged)."""
    try:
        with running(args, log, ready, timeout) as url:
            yield url
    except LoadError as err:
        pytest.fail(str(err))


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright Python package")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def fake_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("ui")
    seeds = root / "seeds"
    seeds.mkdir()
    shutil.copy(SEED, seeds / SEED.name)
    args = [
        sys.executable, str(PROJECT / "tests" / "ui_server.py"), "--port", str(free_port()),
        "--seeds", str(seeds), "--index", str(root / "index"), "--delay", "0.1",
    ]
    with _serve(args, root / "server.log") as url:
        yield url


class Tab:
    """One visitor's page, recording any JS dialog (none may ever open)."""

    def __init__(self, browser, url: str) -> None:
        self.context = browser.new_context(viewport={"width": 1300, "height": 1000})
        self.page = self.context.new_page()
        self.dialogs: list[str] = []
        self.page.on("dialog", self._dialog)
        self.page.goto(url)
        self.page.wait_for_selector("#article-list table", timeout=60_000)
        self.turns = 0

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    @property
    def box(self):
        return self.page.locator("#question textarea, #question input").first

    def ask(self, question: str) -> float:
        """Type ``question`` and press Enter; returns the monotonic time of the key press."""
        self.box.fill(question)
        self.turns += 1
        pressed = time.monotonic()
        self.box.press("Enter")
        return pressed

    def wait_done(self, timeout: float = 60) -> None:
        self.page.wait_for_selector(f'#turn-{self.turns}[data-state="done"]', timeout=timeout * 1000)

    def turn(self, selector: str = ""):
        return self.page.locator(f"#turn-{self.turns} {selector}".strip())

    def shot(self, name: str) -> None:
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(Path(SHOTS) / name), full_page=True)

    def add_text(self, text: str, title: str = "") -> None:
        self.page.locator("#new-title textarea, #new-title input").first.fill(title)
        self.page.locator("#new-text textarea").fill(text)
        self.page.locator("#add-article").click()

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def tab(browser, fake_app: str) -> Iterator[Tab]:
    t = Tab(browser, fake_app)
    yield t
    assert t.dialogs == [], f"a JS dialog opened: {t.dialogs}"
    t.close()


def test_answer_streams_then_citation_shows_its_paragraph(tab: Tab) -> None:
    tab.ask(SEED_Q)
    draft = tab.turn(".answer.draft")
    draft.wait_for(timeout=30_000)
    streamed = draft.inner_text().rstrip("▍ ")
    tab.wait_done()
    final = tab.turn(".answer.final")
    answer = final.inner_text()
    assert streamed and len(streamed) < len(answer), (streamed, answer)
    assert "Hassan Rouhani" in answer
    assert tab.turn(".rewritten").count() == 0  # a first question is searched as typed

    link = final.locator("a.cite").first
    target = link.get_attribute("data-target")
    link.click()
    active = tab.page.locator("#sources .src.active")
    active.wait_for()
    assert active.get_attribute("id") == target
    head, text = active.locator(".src-head").inner_text(), active.locator(".src-text").inner_text()
    assert "Iran slams US and Israel" in head and "paragraph 8 · support 1.00" in head
    assert "Hassan Rouhani also met with the Iraqi foreign minister" in text
    assert "Rouhani" in active.locator("mark").first.inner_text()
    # Retrieved but uncited paragraphs are there, collapsed, with scores.
    uncited = tab.page.locator("#sources-1 details.uncited")
    assert uncited.count() == 1 and uncited.get_attribute("open") is None
    assert "score" in (uncited.text_content() or "")


def test_follow_up_is_rewritten_and_retrieves_rouhanis_quote(tab: Tab) -> None:
    tab.ask(SEED_Q)
    tab.wait_done()
    tab.ask("what did he say about the United States?")
    tab.wait_done()
    rewritten = tab.turn(".rewritten").inner_text()
    assert rewritten == "searched as: what did Hassan Rouhani say about the United States?"
    sources = tab.page.locator("#sources-2")
    assert sources.get_attribute("open") is not None and tab.page.locator("#sources-1").get_attribute("open") is None
    # Paragraph 9 ("trying to get the United States out of the region") was retrieved for it, cited or not.
    if sources.locator("details.uncited summary").count():
        sources.locator("details.uncited summary").click()
    assert "trying to get the United States out of the region" in sources.inner_text()
    # The first answer's markers still open the first answer's sources.
    tab.page.locator("#turn-1 a.cite").first.click()
    assert tab.page.locator("#sources-1").get_attribute("open") is not None
    assert tab.page.locator("#sources-1 .src.active").count() == 1


def test_added_article_is_cited_then_removed_and_then_abstains(tab: Tab) -> None:
    tab.add_text(
        "The Zorblat river festival was founded by Mira Quenby in 1987 in the town of Ostervik.\n"
        "Every August, boats decorated with lanterns float down the Zorblat river.",
        title="The Zorblat river festival",
    )
    listing = tab.page.locator("#article-list")
    listing.get_by_text("Added the-zorblat-river-festival.txt").wait_for(timeout=30_000)
    row = listing.locator("tr", has_text="The Zorblat river festival")
    assert row.locator("td.num").inner_text() == "2"
    tab.shot("articles.png")

    tab.ask("who founded the Zorblat river festival?")
    tab.wait_done()
    tab.turn("a.cite").first.click()
    active = tab.page.locator("#sources .src.active")
    assert "The Zorblat river festival" in active.inner_text() and "Mira Quenby" in active.inner_text()

    tab.page.locator("#remove-choice input").click()
    tab.page.get_by_role("option", name=re.compile("Zorblat")).click()
    tab.page.locator("#remove-article").click()
    listing.get_by_text("Removed the-zorblat-river-festival.txt").wait_for(timeout=30_000)
    assert listing.locator("tr", has_text="Zorblat").count() == 0

    tab.ask("who founded the Zorblat river festival?")
    tab.wait_done()
    assert "The articles don't say." in tab.turn(".answer.abstained").inner_text()
    assert tab.turn("a.cite").count() == 0
    closest = tab.page.locator(f"#sources-{tab.turns}")
    assert "closest paragraphs" in closest.inner_text() and closest.locator("li.hit").count() >= 1
    assert closest.locator(".src").count() == 0  # offered, never cited
    tab.shot("abstained.png")


def test_uploaded_html_article_is_kept_and_read_for_its_text(tab: Tab, tmp_path: Path) -> None:
    page = tmp_path / "kelvo harbour.html"
    page.write_text(
        "<html><head><title>Kelvo harbour reopens</title><script>window.__pwned = 'upload'; alert(1)</script></head>"
        "<body><h1>Kelvo harbour reopens</h1><p>The Kelvo harbour reopened on Tuesday after storm repairs.</p>"
        "<p>Fishermen in Kelvo welcomed the <b>reopening</b> of the harbour.</p></body></html>",
        encoding="utf-8",
    )
    tab.page.get_by_role("tab", name="Upload a file").click()
    tab.page.locator("#upload input[type=file]").set_input_files(str(page))
    listing = tab.page.locator("#article-list")
    listing.get_by_text("Added kelvo-harbour.html").wait_for(timeout=30_000)
    assert listing.locator("tr", has_text="Kelvo harbour reopens").locator("td.num").inner_text() == "2"
    tab.ask("when did the Kelvo harbour reopen after the storm repairs?")
    tab.wait_done()
    assert "Tuesday" in tab.turn(".answer.final").inner_text()
    assert tab.page.evaluate("window.__pwned") is None


def test_article_markup_renders_inert_and_escaped(tab: Tab) -> None:
    title = '<img src=x onerror="window.__pwned=1;alert(1)">Quolm council'
    body = (
        "The Quolm council voted to close the Brevik bridge <script>window.__pwned=2;alert(2)</script> on Monday.\n"
        'Councillors said the <img src=x onerror="window.__pwned=3;alert(3)"> Brevik bridge was unsafe ${alert(4)}.'
    )
    tab.add_text(body, title=title)
    listing = tab.page.locator("#article-list")
    listing.get_by_text("Quolm council", exact=False).first.wait_for(timeout=30_000)
    tab.ask("why did the Quolm council close the Brevik bridge?")
    tab.wait_done()
    tab.turn("a.cite").first.click()
    source = tab.page.locator("#sources .src.active").inner_text()
    assert "<script>window.__pwned=2;alert(2)</script>" in source
    assert '<img src=x onerror="window.__pwned=1;alert(1)">Quolm council' in source  # the title, as text
    assert '<img src=x onerror="window.__pwned=1;alert(1)">Quolm council' in listing.inner_text()
    assert "<script>" in tab.turn(".answer.final").inner_text()
    page = tab.page
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#transcript img, #sources img, #article-list img").count() == 0
    assert not page.evaluate("[...document.scripts].some((s) => s.textContent.includes('__pwned'))")
    tab.shot("escaped.png")
    # The dialog check runs in the fixture's teardown: no alert() may have opened.


def test_settings_default_to_the_settings_and_k_applies(tab: Tab) -> None:
    tab.page.get_by_text("Settings", exact=True).click()
    k = tab.page.locator("#k input[type=number]")
    k.wait_for()
    defaults = Settings()  # what the test server runs with
    assert tab.page.locator("#model input").input_value() == defaults.model and k.input_value() == str(defaults.k)
    tab.shot("settings.png")
    k.fill("1")
    k.press("Enter")
    tab.ask(SEED_Q)
    tab.wait_done()
    sources = tab.page.locator("#sources-1")
    assert sources.locator(".src").count() == 1 and sources.locator("details.uncited").count() == 0


def test_evidence_is_on_screen_before_the_first_answer_token(tab: Tab) -> None:
    from benchmarks.first_paint import OBSERVE  # the benchmark's own clock: when each state first appears

    tab.page.evaluate(OBSERVE)
    tab.ask(SEED_Q)
    tab.wait_done()
    seen = tab.page.evaluate("() => window.__seen")
    assert {"enter", "evidence", "token", "answer"} <= set(seen), seen
    assert seen["enter"] < seen["evidence"] < seen["token"] < seen["answer"], seen


def test_two_visitors_never_see_each_others_answers(browser, fake_app: str) -> None:
    a, b = Tab(browser, fake_app), Tab(browser, fake_app)
    try:
        a.ask(SEED_Q)
        a.page.wait_for_selector("#turn-1 .answer.draft", timeout=30_000)
        b.ask("what did Iran fire at the Al-Asad base?")  # waits behind a's answer (one model) and is told so
        waiting = b.page.wait_for_selector("#turn-1 .answer.waiting", timeout=10_000)
        assert "1 question ahead of yours" in waiting.inner_text()
        a.wait_done()
        b.wait_done()
        a_text = a.page.locator("#transcript").inner_text() + a.page.locator("#sources").inner_text()
        b_text = b.page.locator("#transcript").inner_text() + b.page.locator("#sources").inner_text()
        assert "Al-Asad" not in a.page.locator("#transcript").inner_text() and "Iraqi foreign minister?" not in b_text
        assert "Hassan Rouhani" in a_text and "missiles at Al-Asad" in b_text
        assert a.dialogs == b.dialogs == []
    finally:
        a.close()
        b.close()


@pytest.mark.real
def test_real_models_answer_the_seed_question_and_a_follow_up(browser, tmp_path: Path) -> None:
    """``python app.py`` as a user starts it; prints the time from Enter to the first streamed token."""
    args = [sys.executable, str(PROJECT / "app.py"), "--port", str(free_port())]
    with _serve(args, tmp_path / "app.log", ready="models loaded and warm", timeout=900) as url:
        assert f"Running on local URL:  {url.rstrip('/')}" in (tmp_path / "app.log").read_text()  # loopback default
        tab = Tab(browser, url)
        try:
            pressed = tab.ask(SEED_Q)
            tab.page.wait_for_selector("#turn-1 .answer.evidence, #turn-1 .answer.draft", timeout=600_000)
            evidence = time.monotonic() - pressed
            if tab.turn(".answer.evidence").count():
                tab.shot("evidence.png")
            tab.page.wait_for_function(
                "() => { const d = document.querySelector('#turn-1 .answer.draft, #turn-1[data-state=done] .answer');"
                " return d && d.textContent.replace('▍', '').trim().length > 0; }",
                timeout=600_000, polling=20,
            )
            first_token = time.monotonic() - pressed
            tab.shot("streaming.png")
            tab.wait_done(timeout=900)
            total = time.monotonic() - pressed
            print(f"\nreal model, after Enter: evidence {evidence:.2f} s, first token {first_token:.2f} s, "
                  f"verified answer {total:.1f} s")
            assert evidence < first_token
            final = tab.turn(".answer.final")
            assert final.count() == 1, tab.turn().inner_text()
            assert "Rouhani" in final.inner_text()
            final.locator("a.cite").first.click()
            assert "Rouhani" in tab.page.locator("#sources .src.active").inner_text()
            tab.shot("chat.png")

            tab.ask("what did he say about the United States?")
            tab.wait_done(timeout=900)
            # Two people met him: "he" is asked back, not guessed.
            assert tab.turn(".answer").inner_text().startswith("Which one do you mean:"), tab.turn().inner_text()
            tab.ask("what did Rouhani say about the United States?")
            tab.wait_done(timeout=900)
            answer = tab.turn(".answer.final")
            assert answer.count() == 1, tab.turn().inner_text()
            assert "United States out of the region is not our job" in answer.inner_text()
            # Cited to paragraph 9, where Rouhani speaks (not Qalibaf's United States quote of paragraph 6).
            assert "Rouhani said" in (tab.page.locator("#sources-3 .src").first.text_content() or "")
            tab.shot("follow-up.png")
            assert tab.dialogs == []
        finally:
            tab.close()
