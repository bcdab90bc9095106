"""The web UI's logic without a browser: escaping, article files, handlers over fake models."""

import re
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest

from rag.articles import ArticleError, remove_article, save_article
from rag.folder import safe_stem
from rag.net import is_loopback
from rag.pipeline import Engine
from rag.records import Answer, Citation, Hit, Paragraph
from rag.ui import app as ui_app
from rag.ui import chat as ui_chat
from rag.ui import engines as ui_engines
from rag.ui import library as ui_library
from rag.ui.engines import EngineHub
from rag.ui.render import Turn, render_articles, render_sources, render_transcript

SEED_Q = "who met the Iraqi foreign minister?"
EVIL = "<script>alert(1)</script><img src=x onerror=alert(2)> ${alert(3)} {{constructor}}"
NEW_ARTICLE = (
    "The Zorblat river festival\n"
    "The Zorblat river festival was founded by Mira Quenby in 1987 in the town of Ostervik.\n"
    "Every August, boats decorated with lanterns float down the Zorblat river.\n"
)


def _paragraph(text: str, number: int = 1, title: str = "T") -> Paragraph:
    return Paragraph(id=f"a:{number}", article_id="a", article_title=title, number=number, text=text)


def _answer(text: str, paragraph: Paragraph, evidence: str, abstained: bool = False) -> Answer:
    cited = Citation(marker=1, paragraph=paragraph, support=0.9, sentence=text, evidence=evidence)
    citations = () if abstained else (cited,)
    hits = (Hit(paragraph=paragraph, score=0.7), Hit(paragraph=_paragraph("other", 2), score=0.4))
    return Answer(question="q", text=text, citations=citations, hits=hits, abstained=abstained)


def _no_live_markup(html: str) -> None:
    for needle in ("<script", "<img", "${", "{{"):  # "onerror=" may appear, as text inside an escaped tag
        assert needle not in html


def test_untrusted_text_is_escaped_everywhere() -> None:
    p = _paragraph(f"Before. {EVIL} After.", title=EVIL)
    answer = _answer(f"{EVIL} [1]", p, EVIL)
    turns = [Turn(1, EVIL, EVIL + " rewritten", answer=answer)]
    for html in (render_transcript(turns), render_sources(turns), render_transcript([Turn(1, EVIL, EVIL, draft=EVIL)])):
        _no_live_markup(html)
        assert "&lt;script&gt;" in html
    entry = SimpleNamespace(id="x", title=EVIL, paragraphs=1)  # the fields an index.ArticleEntry shows
    _no_live_markup(render_articles([entry], note=EVIL))  # type: ignore[list-item]


def test_markers_link_to_their_turns_sources_and_evidence_is_marked() -> None:
    p = _paragraph("Iran met Iraq. Rouhani spoke at length. Then left.", number=8)
    turns = [Turn(3, "q", "q", answer=_answer("Rouhani spoke [1].", p, "Rouhani spoke at length."))]
    transcript, sources = render_transcript(turns), render_sources(turns)
    assert 'href="#src-3-1"' in transcript and 'id="src-3-1"' in sources
    assert "<mark>Rouhani spoke at length.</mark>" in sources and "paragraph 8 · support 0.90" in sources
    # The uncited hit is listed, collapsed, with its score.
    assert '<details class="uncited">' in sources and "score 0.40" in sources


def test_abstention_offers_closest_paragraphs_and_no_citation() -> None:
    p = _paragraph("Nothing relevant here.")
    turns = [Turn(1, "q", "q", answer=_answer("The articles don't say.", p, "", abstained=True))]
    transcript, sources = render_transcript(turns), render_sources(turns)
    assert "The articles don&#x27;t say." in transcript and 'class="cite"' not in transcript
    assert "closest paragraphs" in sources and "Nothing relevant here." in sources and "src-1-" not in sources


def test_streaming_draft_then_rewritten_question_in_small_print() -> None:
    html = render_transcript([Turn(2, "what did he say?", "what did Hassan Rouhani say?", draft="Rouhani sa")])
    assert "Rouhani sa" in html and 'data-state="streaming"' in html
    assert "searched as: what did Hassan Rouhani say?" in html


@pytest.mark.parametrize(
    "name", ["../../etc/passwd", "/etc/passwd", "..\\..\\x.txt", ".hidden", "a/../../b.md", "\x00"]
)
def test_saved_file_cannot_escape_the_articles_folder(tmp_path: Path, name: str) -> None:
    folder = tmp_path / "seeds"
    folder.mkdir()
    saved = save_article(folder, NEW_ARTICLE, name=name)
    assert saved.path.parent == folder.resolve() and not saved.path.name.startswith(".")
    assert list(tmp_path.iterdir()) == [folder]


def test_same_text_is_not_saved_twice_and_other_text_gets_a_new_name(tmp_path: Path) -> None:
    first = save_article(tmp_path, NEW_ARTICLE)
    again = save_article(tmp_path, NEW_ARTICLE)
    other = save_article(tmp_path, NEW_ARTICLE + "A third paragraph.\n")
    assert first.path == again.path and again.existed and not first.existed
    assert other.path != first.path and other.path.name == "the-zorblat-river-festival-2.txt"
    assert first.title == "The Zorblat river festival" and first.paragraphs == 2


def test_article_without_paragraphs_is_refused_and_nothing_written(tmp_path: Path) -> None:
    for text in ("", "Only a title"):
        with pytest.raises(ArticleError):
            save_article(tmp_path, text)
    assert list(tmp_path.iterdir()) == []


def test_an_uploaded_page_is_kept_as_it_came_and_indexed(make_engine: Callable[..., Engine], tmp_path: Path) -> None:
    page = tmp_path / "news.html"
    page.write_bytes(
        b"<html><head><title>Harbour reopens</title><style>p{}</style></head><body><nav>Home | World</nav><article>"
        b"<h1>Harbour reopens</h1><p>The Kelvo harbour reopened on Tuesday after storm repairs, officials said.</p>"
        b"<script>alert(1)</script></article></body></html>"
    )
    engine = make_engine()
    listing, *_ = ui_library.add_uploaded(EngineHub(engine), str(page))
    assert "Added news.html" in listing and (engine.settings.seeds_dir / "news.html").read_bytes() == page.read_bytes()
    texts = [p.text for p in engine.index.paragraphs if p.article_id == "news"]
    assert texts == ["The Kelvo harbour reopened on Tuesday after storm repairs, officials said."]
    bad = tmp_path / "x.exe"
    bad.write_bytes(b"MZ")
    listing, *_ = ui_library.add_uploaded(EngineHub(engine), str(bad))
    assert "Not added: x.exe: unsupported file type" in listing


def test_remove_refuses_files_outside_the_folder(tmp_path: Path) -> None:
    (tmp_path / "outside.txt").write_text("x")
    folder = tmp_path / "seeds"
    folder.mkdir()
    with pytest.raises(ArticleError):
        remove_article(folder, str(tmp_path / "outside.txt"))
    assert (tmp_path / "outside.txt").exists()
    assert safe_stem("Ünïcödé Title!") == "unicode-title"


def test_building_the_app_loads_nothing(monkeypatch: pytest.MonkeyPatch, make_engine: Callable[..., Engine]) -> None:
    def refuse(*args: object, **kwargs: object) -> Engine:
        raise AssertionError("an engine was built while building the page")

    monkeypatch.setattr(ui_engines, "Engine", refuse)
    ui_app.build_app(EngineHub(settings=make_engine().settings))
    engine = make_engine()
    ui_app.build_app(engine)
    assert engine.embedder.calls == [] and engine.llm.prompts == []


def test_ask_stream_yields_drafts_then_the_verified_answer(make_engine: Callable[..., Engine]) -> None:
    hub = EngineHub(make_engine("Hassan Rouhani [1] met the Iraqi foreign minister."))
    before: list[Turn] = []
    steps = list(ui_chat.ask_stream(hub, SEED_Q, before, None, 3, None))
    assert before == []  # the session's previous state is never mutated
    turns = [s[1] for s in steps]
    assert any(t[-1].draft and t[-1].answer is None for t in turns)
    final = turns[-1][-1]
    assert final.answer is not None and not final.answer.abstained and 'class="cite"' in steps[-1][2]
    follow = list(ui_chat.ask_stream(hub, "what did he say about the United States?", turns[-1], None, 3, None))
    assert follow[-1][1][-1].standalone == "what did Hassan Rouhani say about the United States?"


def test_ask_stream_reports_errors_in_the_turn(make_engine: Callable[..., Engine], tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    hub = EngineHub(make_engine(seeds_dir=empty))
    steps = list(ui_chat.ask_stream(hub, SEED_Q, [], None, None, None))
    assert "no articles to index" in steps[-1][1][-1].error and "Could not answer" in steps[-1][2]


def test_add_then_ask_then_remove(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine(lambda prompt: "Mira Quenby [1] founded it." if "Quenby" in prompt else "NOT FOUND")
    hub = EngineHub(engine)
    listing, *_ = ui_library.add_pasted(hub, "", NEW_ARTICLE)
    assert "The Zorblat river festival" in listing and "Added the-zorblat-river-festival.txt" in listing
    steps = list(ui_chat.ask_stream(hub, "who founded the Zorblat river festival?", [], None, 3, None))
    answer = steps[-1][1][-1].answer
    assert answer is not None and answer.citations[0].paragraph.article_title == "The Zorblat river festival"
    listing, _ = ui_library.remove_selected(hub, "the-zorblat-river-festival")
    assert "Removed the-zorblat-river-festival.txt" in listing
    assert [a.id for a in hub.articles()] == [a.id for a in engine.index.articles] and len(hub.articles()) == 1
    listing, _ = ui_library.remove_selected(hub, hub.articles()[0].id)
    assert "last article cannot be removed" in listing


def test_command_line_defaults_to_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RAG_HOST", raising=False)
    monkeypatch.delenv("RAG_PORT", raising=False)
    args = ui_app.build_parser().parse_args([])
    assert (args.host, args.port) == ("127.0.0.1", 7860)
    monkeypatch.setenv("RAG_HOST", "0.0.0.0")
    monkeypatch.setenv("RAG_PORT", "8000")
    args = ui_app.build_parser().parse_args([])
    assert (args.host, args.port) == ("0.0.0.0", 8000)
    assert ui_app.build_parser().parse_args(["--port", "9000"]).port == 9000
    assert is_loopback("127.0.0.2") and is_loopback("::1") and not is_loopback("0.0.0.0")


def test_a_public_host_needs_a_login_or_insecure_public(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, tmp_path: Path
) -> None:
    launched: list[dict] = []
    monkeypatch.setattr(ui_app, "launch", lambda app, host, port, **kwargs: launched.append({"host": host, **kwargs}))
    monkeypatch.delenv("RAG_WEB_PASSWORD", raising=False)
    monkeypatch.delenv("RAG_WEB_USER", raising=False)
    folders = ["--no-warm-up", "--index", str(tmp_path / "index")]
    assert ui_app.main(["--host", "0.0.0.0", *folders]) == 2 and not launched
    assert "RAG_WEB_PASSWORD" in capsys.readouterr().err
    assert ui_app.main(["--host", "0.0.0.0", "--insecure-public", *folders]) == 0
    assert launched.pop() == {"host": "0.0.0.0"} and "anyone who can reach it" in capsys.readouterr().err
    monkeypatch.setenv("RAG_WEB_PASSWORD", "s3cret")
    assert ui_app.main(["--host", "0.0.0.0", *folders]) == 0
    assert launched.pop() == {"host": "0.0.0.0", "auth": ("rag", "s3cret")}
    assert ui_app.main([*folders]) == 0 and launched.pop()["auth"] == ("rag", "s3cret")  # loopback: the login too


def test_other_model_gets_its_own_engine_sharing_embedder_and_index(make_engine: Callable[..., Engine]) -> None:
    base = make_engine()
    hub = EngineHub(base)
    assert hub.engine() is base and hub.engine(base.settings.model) is base
    other = hub.engine("qwen2.5-0.5b")
    assert other is not base and other.settings.model == "qwen2.5-0.5b" and other.embedder is base.embedder
    assert other.query_embedder is base.query_embedder
    assert other.settings.index_dir == base.settings.index_dir and hub.engine("qwen2.5-0.5b") is other


def test_chosen_retriever_is_used_for_the_question(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine("Hassan Rouhani [1] met the Iraqi foreign minister.")
    hub = EngineHub(engine)
    for retriever in ("bm25", "dense"):
        steps = list(ui_chat.ask_stream(hub, SEED_Q, [], None, 3, retriever))
        answer = steps[-1][1][-1].answer
        expected = engine.retrieve(SEED_Q, 3, retriever)
        assert answer is not None and [h.paragraph.id for h in answer.hits] == [h.paragraph.id for h in expected]
    with pytest.raises(ValueError):
        engine.retrieve(SEED_Q, 3, "nonsense")


def test_a_disk_error_while_saving_an_article_is_an_article_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(self: Path, *args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "open", full)
    with pytest.raises(ArticleError, match=r"cannot save the article in .* \(No space left on device\)"):
        save_article(tmp_path, "Some text here.", title="A title")


def _elem_ids(app: object) -> set[str]:
    return {c["props"].get("elem_id") for c in app.config["components"] if c.get("props")}  # type: ignore[attr-defined]


def test_a_waiting_question_is_shown_its_place_then_answered(
    make_engine: Callable[..., Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ui_chat, "WAIT_POLL", 0.02)
    hub = EngineHub(make_engine("Hassan Rouhani [1] met the Iraqi foreign minister."))
    ahead = hub.line.enter()  # another visitor's question is being answered
    assert ahead.wait(0) == 0
    steps = ui_chat.ask_stream(hub, SEED_Q, [], None, 3, None)
    next(steps)  # the question is shown at once
    waiting = next(steps)
    assert waiting[1][-1].waiting == 1 and "1 question ahead of yours" in waiting[2]
    ahead.leave()
    final = list(steps)[-1][1][-1]
    assert final.answer is not None and not final.answer.abstained and final.waiting == 0


def test_a_visitor_who_leaves_while_waiting_frees_the_place(
    make_engine: Callable[..., Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ui_chat, "WAIT_POLL", 0.02)
    hub = EngineHub(make_engine("Hassan Rouhani [1] met the Iraqi foreign minister."))
    ahead = hub.line.enter()
    ahead.wait(0)
    steps = ui_chat.ask_stream(hub, SEED_Q, [], None, 3, None)
    next(steps), next(steps)
    assert hub.line.waiting == 1
    steps.close()  # what Gradio does with the question of a visitor who left
    assert hub.line.waiting == 0 and hub.engine().llm.prompts == []  # type: ignore[attr-defined]
    ahead.leave()


def test_past_the_longest_wait_the_question_is_refused_with_when_to_retry(
    make_engine: Callable[..., Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ui_chat, "WAIT_POLL", 0.02)
    hub = EngineHub(make_engine("Hassan Rouhani [1] met the Iraqi foreign minister.", max_wait=0.2))
    ahead = hub.line.enter()
    ahead.wait(0)
    final = list(ui_chat.ask_stream(hub, SEED_Q, [], None, 3, None))[-1]
    assert "busy: 1 question(s) ahead" in final[1][-1].error and "try again in about" in final[2]
    ahead.leave()


def test_a_visitor_asking_too_often_is_told_when_to_retry(make_engine: Callable[..., Engine]) -> None:
    hub = EngineHub(make_engine("Hassan Rouhani [1] met the Iraqi foreign minister."))
    rate = ui_app.Rate(per_minute=1)
    first = list(ui_chat.ask_stream(hub, SEED_Q, [], None, 3, None, rate, "10.0.0.7"))[-1][1]
    second = list(ui_chat.ask_stream(hub, SEED_Q, first, None, 3, None, rate, "10.0.0.7"))[-1][1]
    assert first[-1].answer is not None and "too many requests" in second[-1].error
    other = list(ui_chat.ask_stream(hub, SEED_Q, [], None, 3, None, rate, "10.0.0.8"))[-1][1]
    assert other[-1].answer is not None  # another visitor is not held back


def test_adding_an_article_waits_for_the_answer_in_progress(make_engine: Callable[..., Engine]) -> None:
    import threading

    hub = EngineHub(make_engine())
    hub.articles()
    answering = hub.line.enter()
    answering.wait(0)
    added = threading.Thread(target=ui_library.add_pasted, args=(hub, "", NEW_ARTICLE))
    added.start()
    added.join(0.5)
    assert added.is_alive() and len(hub.articles()) == 1  # the index is not swapped under the answer
    answering.leave()
    added.join(10)
    assert len(hub.articles()) == 2


def test_without_edits_the_page_has_no_way_to_add_or_remove_articles(make_engine: Callable[..., Engine]) -> None:
    editable = _elem_ids(ui_app.build_app(make_engine()))
    assert {"new-text", "upload", "new-url", "remove-choice", "remove-article"} <= editable
    asking = ui_app.build_app(make_engine(), edits=False)
    ids = _elem_ids(asking)
    assert not ids & {"new-title", "new-text", "add-article", "upload", "new-url", "fetch-article", "watch-feeds",
                      "remove-choice", "remove-article"}
    assert {"question", "article-list", "edits-off"} <= ids
    # Not merely hidden: no event of the page writes articles (the questions and the list remain).
    assert len(asking.fns) < len(ui_app.build_app(make_engine()).fns)


def test_a_public_page_is_for_asking_unless_edits_are_allowed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, tmp_path: Path
) -> None:
    built: list[dict] = []
    real = ui_app.build_app
    monkeypatch.setattr(ui_app, "build_app", lambda hub, **kw: built.append(kw) or real(hub, **kw))
    monkeypatch.setattr(ui_app, "launch", lambda *a, **kw: None)
    monkeypatch.setenv("RAG_WEB_PASSWORD", "s3cret")
    folders = ["--no-warm-up", "--index", str(tmp_path / "index")]
    assert ui_app.main(["--host", "0.0.0.0", *folders]) == 0
    assert built.pop() == {"edits": False, "rate_limit": 30}
    assert ui_app.main(["--host", "0.0.0.0", "--allow-edits", *folders]) == 0
    assert built.pop() == {"edits": True, "rate_limit": 30}
    assert ui_app.main(folders) == 0
    assert built.pop() == {"edits": True, "rate_limit": 0}  # loopback: this machine's own user


def test_a_pronoun_that_could_mean_two_people_is_asked_back(make_engine: Callable[..., Engine]) -> None:
    hub = EngineHub(make_engine("Hassan Rouhani [1] met the Iraqi foreign minister."))
    before = [Turn(1, SEED_Q, SEED_Q, answer=_answer(
        "Mohammad Baqer Qalibaf [1] and Hassan Rouhani [2] met him.", _paragraph("x"), "x"))]
    steps = list(ui_chat.ask_stream(hub, "what did he say about the United States?", before, None, 3, None))
    final = steps[-1][1][-1]
    assert final.answer is not None and final.answer.text.startswith("Which one do you mean: Mohammad Baqer Qalibaf")
    assert hub.engine().llm.prompts == []  # type: ignore[attr-defined]


def test_a_follow_up_after_asking_back_is_rewritten_without_the_pages_words(
    make_engine: Callable[..., Engine], tmp_path: Path
) -> None:
    """The question asked back ("... Ask again with the name.") is no answer: its words are not names."""
    folder = tmp_path / "two"
    folder.mkdir()
    (folder / "festival.txt").write_text(NEW_ARTICLE.replace("Mira Quenby", "Mira Quenby and Tomas Verlaine"), "utf-8")

    def reply(prompt: str) -> str:  # the passage of the founders, by its number in the prompt
        marker = re.findall(r"\[(\d+)\][^\[]*Verlaine", prompt.rsplit("Passages:", 1)[1])
        return f"Mira Quenby and Tomas Verlaine [{marker[0]}]." if marker and "founded" in prompt else "NOT FOUND"

    hub = EngineHub(make_engine(reply, seeds_dir=folder))
    asked: list[str] = []  # the questions that reached the engine
    stream = hub.engine().stream
    hub.engine().stream = lambda q, *a, **kw: asked.append(q) or stream(q, *a, **kw)  # type: ignore[method-assign]
    turns: list[Turn] = []
    for question in ("who founded the Zorblat river festival?", "what did he say about the boats?", "who wrote it?"):
        turns = list(ui_chat.ask_stream(hub, question, turns, None, 3, None))[-1][1]
    founders, asked_back, _ = (t.answer for t in turns)
    assert founders is not None and "Mira Quenby [1] and Tomas Verlaine [1]" in founders.text  # each cited
    assert asked_back is not None and asked_back.text.startswith("Which one do you mean: Mira Quenby or Tomas")
    assert asked == [turns[0].standalone, turns[2].standalone]  # asking back searched nothing
    labels = ("Ask", "Which one", "New conversation", "Sources", "<")  # the page's own words, and markup
    assert [label for label in labels if label in asked[-1]] == [], asked[-1]
    assert asked[-1] == "who wrote it? (about: who founded the Zorblat river festival; Mira Quenby, Tomas Verlaine)"
