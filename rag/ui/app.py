"""The Gradio web chat: ``build_app(engine)`` makes the page, ``main()`` serves it.

Layout: the conversation (left) streams each answer as the model writes it,
then replaces the draft with the verified answer whose ``[n]`` markers link
to the sources panel (right): cited paragraph, supporting sentence
highlighted, support score; retrieved-but-uncited paragraphs are collapsed
below. Under them the indexed articles (add by paste or upload, remove) and
a settings accordion (model, k, retriever).

Decisions and trade-offs:

- The conversation and the sources are ``gr.HTML`` rendered by
  ``rag.ui.render`` rather than ``gr.Chatbot``: the chatbot renders
  Markdown, so model or article text like ``[1](javascript:...)`` would
  become markup; here every untrusted string is escaped and the only markup
  (citation links, ``<mark>``) is ours.
- Per-session history lives in ``gr.State``, so one visitor's answers and
  citations are never rendered into another's page; the engines (models,
  index) are shared by the process (``rag.ui.engines``).
- Questions take turns at the model in the hub's ``rag.turns.Line``, the
  API's queue policy too: ``Settings.llm_slots`` at once (1 in process: a
  2-core CPU gains nothing from two generations), the others waiting in
  order, shown their place, refused with "try again in ~N s" past
  ``max_wait``. So Gradio runs question events without a limit of its own,
  and a waiting question yields every second, which is when Gradio notices
  a visitor who left and closes the question (its place is freed). Adding
  and removing articles run one at a time and take an exclusive turn.
- Beyond loopback the page is for asking: adding and removing articles
  (paste, upload, fetch, feeds, remove) is not even built unless
  ``--allow-edits`` is given, and each visitor's address may ask
  ``Settings.rate_limit`` questions a minute.
- Follow-ups are rewritten by rules (``rag.followup``) before retrieval and
  the rewrite is shown in small print, so a wrong guess is visible.
- Nothing heavy happens at import or in ``build_app``: engines and models
  are built on first use or by the warm-up thread ``main`` starts.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import gradio as gr

from rag import followup
from rag.articles import Archive, ArticleError, import_file, remove_article, save_article
from rag.errors import RagError
from rag.ingest import FORMATS, MAX_BYTES
from rag.net import is_loopback
from rag.pipeline import Engine
from rag.records import Answer, Evidence
from rag.settings import RETRIEVERS, load_settings
from rag.turns import Rate
from rag.ui import render
from rag.ui.engines import EngineHub, installed_models
from rag.ui.render import Turn

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860
ENGINE_GROUP = "engine"
WATCH_EVERY = 900  # seconds between two rounds of feed watching in the page, as rag watch's default
BM25_ONLY = "The index is still being built: these paragraphs were found by BM25 alone."
WAIT_POLL = 1.0  # seconds between two updates of a waiting question's place
EDITS_OFF = "Adding and removing articles is off on this server (start it with --allow-edits to turn it on)."


def _history(turns: Sequence[Turn]) -> list[tuple[str, str]]:
    return [(t.standalone, t.answer.text) for t in turns if t.answer is not None]


def ask_stream(
    hub: EngineHub,
    question: str,
    turns: list[Turn],
    model: str | None,
    k: float | None,
    retriever: str | None,
    rate: Rate | None = None,
    client: str = "",
) -> Iterator[tuple[object, list[Turn], str, object]]:
    """One question: yields (question box, turns, transcript HTML, sources HTML) as the answer streams.

    The question first waits for its turn in ``hub.line`` (its place shown); ``rate`` limits ``client``.
    """
    question = " ".join((question or "").split())
    if not question:
        yield gr.skip(), turns, gr.skip(), gr.skip()
        return
    standalone = followup.standalone(question, _history(turns))
    turn = Turn(len(turns) + 1, question, standalone)
    which = followup.clarification(question, _history(turns))
    if which:  # "what did he say?" after an answer naming two people: ask back, don't guess
        turn = replace(turn, standalone=question, answer=_asking_back(question, which))
    turns = [*turns, turn]
    yield "", turns, render.render_transcript(turns), render.render_sources(turns)
    if which:
        return
    try:
        if rate is not None:
            rate.check(client)
        with hub.line.enter() as ticket:
            ahead = ticket.wait(0)
            while ahead:
                if ahead == turn.waiting:  # nothing new to show; yielding lets Gradio notice a visitor who left
                    yield gr.skip(), gr.skip(), gr.skip(), gr.skip()
                else:
                    turn = replace(turn, waiting=ahead)
                    turns = [*turns[:-1], turn]
                    yield gr.skip(), turns, render.render_transcript(turns), gr.skip()
                ahead = ticket.wait(WAIT_POLL)
            turn = replace(turn, waiting=0)
            yield from _answered(hub, turns[:-1], turn, model, k, retriever)
    except RagError as err:  # Busy among them: the line was too long, or this visitor asked too often
        log.warning("question %r failed: %s", standalone, err)
        turns = [*turns[:-1], replace(turn, error=str(err), waiting=0)]
        yield gr.skip(), turns, render.render_transcript(turns), render.render_sources(turns)


def _asking_back(question: str, which: str) -> Answer:
    """The reply that asks which person a follow-up means: no search, no citation."""
    return Answer(question=question, text=which, citations=(), hits=(), abstained=True)


def _answered(
    hub: EngineHub, before: list[Turn], turn: Turn, model: str | None, k: float | None, retriever: str | None
) -> Iterator[tuple[object, list[Turn], str, object]]:
    """The answer to ``turn`` as it streams, during its turn at the model (``ask_stream``)."""
    engine = hub.engine(model)
    k = int(k) if k else engine.settings.k
    # Another retriever than the configured one: retrieve with it and hand the model its hits.
    other = retriever and retriever != hub.settings.retriever
    hits = engine.retrieve(turn.standalone, k, retriever) if other else None
    draft = ""
    for item in engine.stream(turn.standalone, k, hits=hits):
        if isinstance(item, Evidence):  # what the articles say, on screen before the model's first token
            turn = replace(turn, evidence=item)
        elif isinstance(item, Answer):
            turn = replace(turn, answer=item, draft="", note="" if engine.index.dense else BM25_ONLY)
        else:
            draft += item
            turn = replace(turn, draft=draft)
        turns = [*before, turn]
        # The sources only change once, at the end: don't resend them with every token.
        sources = render.render_sources(turns) if turn.answer is not None else gr.skip()
        yield gr.skip(), turns, render.render_transcript(turns), sources


def _article_choices(hub: EngineHub) -> list[tuple[str, str]]:
    return [(f"{a.title} ({a.paragraphs} ¶)", a.id) for a in hub.articles()]


def _articles_view(hub: EngineHub, note: str = "") -> tuple[str, object]:
    try:
        entries = hub.articles()
    except RagError as err:
        return render.render_articles((), f"Articles unavailable: {err}"), gr.update(choices=[], value=None)
    return render.render_articles(entries, note), gr.update(choices=_article_choices(hub), value=None)


def _index_saved(hub: EngineHub, path: Path, existed: bool) -> str:
    """Refresh the index after ``path`` was written; roll the file back if it was refused."""
    if existed:
        return f"Already indexed: {path.name}."
    try:
        report = hub.refresh()
    except RagError:
        path.unlink(missing_ok=True)
        raise
    refused = [e for e in report.errors if e.startswith(path.name + ":")]
    if refused:
        path.unlink(missing_ok=True)
        hub.refresh()
        raise ArticleError(refused[0])
    return f"Added {path.name}: indexed in {report.seconds:.1f} s."


def add_pasted(hub: EngineHub, title: str, text: str) -> tuple[str, object, object, object]:
    """Save pasted text as an article and index it; returns (list, dropdown, title box, text box)."""
    try:
        saved = save_article(hub.settings.seeds_dir, text or "", title or "")
        note = _index_saved(hub, saved.path, saved.existed)
    except RagError as err:
        listing, choices = _articles_view(hub, f"Not added: {err}")
        return listing, choices, gr.skip(), gr.skip()
    listing, choices = _articles_view(hub, f"{note} “{saved.title}”, {saved.paragraphs} paragraphs.")
    return listing, choices, "", ""


def add_uploaded(hub: EngineHub, file_path: str | None) -> tuple[str, object, object]:
    """Copy an uploaded article file (any format the index reads) into the articles folder and index it."""
    if not file_path:
        return gr.skip(), gr.skip(), gr.skip()
    name = Path(file_path).name
    try:
        try:
            data = Path(file_path).read_bytes()
        except OSError as err:
            raise ArticleError(f"{name}: cannot read the upload ({err.strerror or err})") from None
        stored = import_file(hub.settings.seeds_dir, data, name)
        note = _index_saved(hub, stored.path, existed=False)
    except RagError as err:
        listing, choices = _articles_view(hub, f"Not added: {err}")
        return listing, choices, None
    listing, choices = _articles_view(hub, f"{note} “{stored.title}” ({stored.date or 'undated'}).")
    return listing, choices, None


def add_from_web(hub: EngineHub, url: str, is_feed: bool) -> tuple[str, object, object]:
    """Fetch an article, or every new entry of a feed, into the articles folder and index them."""
    from rag import fetch  # httpx and feedparser only when a URL is given

    url = (url or "").strip()
    if not url:
        return gr.skip(), gr.skip(), gr.skip()
    archive = Archive.scan(hub.settings.seeds_dir)
    if is_feed:
        outcomes = list(fetch.add_feed(url, hub.settings, archive))
    else:
        outcomes = [fetch.add_url(url, hub.settings, archive)]
    lines = [f"{o.status} {o.item}" + (f": {o.reason}" if o.reason else "") for o in outcomes]
    if any(o.status in ("added", "updated") for o in outcomes):
        try:
            report = hub.refresh()
            lines.append(f"indexed in {report.seconds:.1f} s")
        except RagError as err:
            lines.append(f"not indexed: {err}")
    listing, choices = _articles_view(hub, "; ".join(lines) or "nothing to add")
    return listing, choices, ""


def watch_feeds(hub: EngineHub) -> tuple[str, object]:
    """One round of watching the remembered feeds (``rag watch``'s), then one index refresh if anything came."""
    from rag import fetch

    try:
        outcomes = list(fetch.watch_round(hub.settings.seeds_dir, hub.settings))
        new = [o for o in outcomes if o.changed]
        failed = [o for o in outcomes if o.status == "failed"]
        if new:
            hub.refresh()
    except RagError as err:
        return _articles_view(hub, f"Watching the feeds: {err}")
    note = f"Feeds read: {len(new)} new or updated article(s)" + (f", {len(failed)} failed" if failed else "")
    return _articles_view(hub, note + ".")


def remove_selected(hub: EngineHub, article_id: str | None) -> tuple[str, object]:
    """Delete the chosen article's file and re-index."""
    try:
        entries = {a.id: a for a in hub.articles()}
        if not article_id or article_id not in entries:
            raise ArticleError("choose an article to remove")
        if len(entries) == 1:
            raise ArticleError("the last article cannot be removed (the index would be empty)")
        path = remove_article(hub.settings.seeds_dir, entries[article_id].path)
        hub.refresh()
    except RagError as err:
        return _articles_view(hub, f"Not removed: {err}")
    return _articles_view(hub, f"Removed {path.name}.")


def build_app(engine: Engine | EngineHub | None = None, edits: bool = True, rate_limit: int = 0) -> gr.Blocks:
    """The chat page over ``engine`` (default: built from settings on first use); nothing is loaded here.

    ``edits``: build the controls that add and remove articles (off: the page only asks);
    ``rate_limit``: questions a minute per visitor address (0: no limit).
    """
    hub = engine if isinstance(engine, EngineHub) else EngineHub(engine)
    settings = hub.settings
    rate = Rate(rate_limit) if rate_limit else None

    with gr.Blocks(title="Ask the news", analytics_enabled=False) as app:
        turns = gr.State([])
        gr.Markdown(
            "## Ask the news articles\nAnswers come only from the indexed articles; every claim cites its paragraph."
        )
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                transcript = gr.HTML(
                    render.render_transcript([]),
                    elem_id="transcript",
                    js_on_load=render.CLICK_JS,
                    css_template=render.CSS,
                )
                with gr.Row():
                    question = gr.Textbox(
                        placeholder="Ask about the articles, then press Enter",
                        show_label=False,
                        elem_id="question",
                        scale=6,
                        autofocus=True,
                        max_length=1000,
                    )
                    ask_button = gr.Button("Ask", variant="primary", elem_id="ask", scale=1, min_width=80)
                new_button = gr.Button("New conversation", size="sm", elem_id="new-conversation")
            with gr.Column(scale=2):
                gr.Markdown("### Sources")
                sources = gr.HTML(
                    render.render_sources([]), elem_id="sources", js_on_load=None, css_template=render.CSS
                )
        with gr.Accordion("Articles", open=True, elem_id="articles-panel"):
            article_list = gr.HTML(elem_id="article-list", js_on_load=None, css_template=render.CSS)
            remove_choice = _edit_controls(hub, article_list) if edits else None
            if not edits:
                gr.Markdown(EDITS_OFF, elem_id="edits-off")
        with gr.Accordion("Settings", open=False, elem_id="settings"):
            model = gr.Dropdown(
                label="Model",
                choices=installed_models(settings.model),
                value=settings.model,
                elem_id="model",
                info="Another model loads on its first question (seconds to a minute).",
            )
            k = gr.Slider(1, 10, value=settings.k, step=1, label="Paragraphs given to the model (k)", elem_id="k")
            retriever = gr.Dropdown(
                label="Retriever", choices=list(RETRIEVERS), value=settings.retriever, elem_id="retriever"
            )

        ask_inputs = [question, turns, model, k, retriever]
        ask_outputs = [question, turns, transcript, sources]

        def on_ask(
            q: str, t: list[Turn], m: str, kk: float, r: str, request: gr.Request
        ) -> Iterator[tuple[object, ...]]:
            client = request.client.host if request is not None and request.client else ""
            yield from ask_stream(hub, q, t, m, kk, r, rate, client)

        for trigger in (question.submit, ask_button.click):
            trigger(
                on_ask,
                ask_inputs,
                ask_outputs,
                concurrency_limit=None,  # the line (rag.turns) orders questions, and shows each its place
                show_progress="hidden",
                trigger_mode="once",
                api_name="ask" if trigger == question.submit else False,
            )
        new_button.click(
            lambda: ([], render.render_transcript([]), render.render_sources([])),
            None,
            [turns, transcript, sources],
            queue=False,
            api_name=False,
        )
        # The article list is a snapshot: showing it never waits behind a generation.
        if remove_choice is not None:
            app.load(
                lambda: _articles_view(hub), None, [article_list, remove_choice], concurrency_limit=None,
                api_name=False,
            )
        else:
            app.load(lambda: _articles_view(hub)[0], None, [article_list], concurrency_limit=None, api_name=False)

    app.queue(default_concurrency_limit=1)
    return app


def _edit_controls(hub: EngineHub, article_list: gr.HTML) -> gr.Dropdown:
    """Paste, upload, fetch, watch and remove, wired to refresh the index; returns the remove choice.

    They run one at a time (one concurrency group of size 1), each refresh in an exclusive turn.
    """
    with gr.Row():
        with gr.Column():
            with gr.Tab("Paste an article"):
                title_box = gr.Textbox(label="Title (optional: else the first line is the title)", elem_id="new-title")
                text_box = gr.Textbox(label="Article text", lines=6, elem_id="new-text")
                add_button = gr.Button("Add article", elem_id="add-article")
            with gr.Tab("Upload a file"):
                upload = gr.File(
                    label=f"{', '.join(FORMATS)} (web pages are read for their main text)",
                    file_types=list(FORMATS),
                    type="filepath",
                    elem_id="upload",
                )
            with gr.Tab("Add from the web"):
                url_box = gr.Textbox(label="URL of an article, or of an RSS/Atom feed", elem_id="new-url")
                feed_box = gr.Checkbox(label="It is a feed: add every entry not yet here", elem_id="is-feed")
                fetch_button = gr.Button("Fetch and add", elem_id="fetch-article")
                watch_box = gr.Checkbox(
                    label=f"Re-read the remembered feeds every {WATCH_EVERY // 60} minutes", elem_id="watch-feeds"
                )
                watch_timer = gr.Timer(WATCH_EVERY, active=False)
        with gr.Column():
            remove_choice = gr.Dropdown(label="Remove an article", choices=[], elem_id="remove-choice")
            remove_button = gr.Button("Remove article", variant="stop", size="sm", elem_id="remove-article")
    add_button.click(
        lambda ti, te: add_pasted(hub, ti, te),
        [title_box, text_box],
        [article_list, remove_choice, title_box, text_box],
        concurrency_id=ENGINE_GROUP,
        api_name=False,
    )
    upload.upload(
        lambda f: add_uploaded(hub, f),
        [upload],
        [article_list, remove_choice, upload],
        concurrency_id=ENGINE_GROUP,
        api_name=False,
    )
    fetch_button.click(
        lambda u, f: add_from_web(hub, u, f),
        [url_box, feed_box],
        [article_list, remove_choice, url_box],
        concurrency_id=ENGINE_GROUP,
        api_name=False,
    )
    watch_box.change(lambda on: gr.Timer(active=on), [watch_box], [watch_timer], queue=False, api_name=False)
    watch_timer.tick(
        lambda: watch_feeds(hub),
        None,
        [article_list, remove_choice],
        concurrency_id=ENGINE_GROUP,
        show_progress="hidden",
        api_name=False,
    )
    remove_button.click(
        lambda a: remove_selected(hub, a),
        [remove_choice],
        [article_list, remove_choice],
        concurrency_id=ENGINE_GROUP,
        api_name=False,
    )
    return remove_choice


def launch(app: gr.Blocks, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, **kwargs: object) -> None:
    """Serve ``app``; blocks unless ``prevent_thread_lock=True`` is passed."""
    app.launch(
        server_name=host,
        server_port=port,
        share=False,
        max_file_size=MAX_BYTES,
        footer_links=[],
        show_error=False,
        **kwargs,
    )


def build_parser() -> argparse.ArgumentParser:
    # Gradio's own variables first (what a Gradio user sets), then ours; the flags win over both.
    env = os.environ
    host = env.get("GRADIO_SERVER_NAME") or env.get("RAG_HOST") or DEFAULT_HOST
    port = env.get("GRADIO_SERVER_PORT") or env.get("RAG_PORT") or str(DEFAULT_PORT)
    parser = argparse.ArgumentParser(prog="app.py", description="Web chat over the news articles.")
    parser.add_argument(
        "--host",
        default=host,
        help="address to listen on (default: $GRADIO_SERVER_NAME, $RAG_HOST or 127.0.0.1, this machine only; "
        "0.0.0.0 = every interface)",
    )
    parser.add_argument(
        "--port", type=_port, default=port, help="port (default: $GRADIO_SERVER_PORT, $RAG_PORT or 7860)"
    )
    parser.add_argument("--model", help="packaged model name or .gguf path (default: $RAG_MODEL or the default)")
    parser.add_argument("--k", type=int, help="paragraphs handed to the model (default: $RAG_K or 3)")
    parser.add_argument("--seeds", type=Path, help="articles folder (default: $RAG_SEEDS_DIR or seeds/)")
    parser.add_argument("--index", type=Path, help="index folder (default: $RAG_INDEX_DIR or index/)")
    parser.add_argument("--no-warm-up", action="store_true", help="load the models on the first question, not at start")
    parser.add_argument(
        "--insecure-public", action="store_true", help="allow a non-loopback host without a login (RAG_WEB_PASSWORD)"
    )
    parser.add_argument(
        "--allow-edits",
        action="store_true",
        help="on a non-loopback host, let visitors add and remove articles (on loopback they always can)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # gradio's own start-up probes, one line each
    try:
        settings = load_settings().with_(model=args.model, k=args.k, seeds_dir=args.seeds, index_dir=args.index)
    except RagError as err:
        print(f"app.py: error: {err}", file=sys.stderr)
        return 2
    password = os.environ.get("RAG_WEB_PASSWORD") or None
    auth = (os.environ.get("RAG_WEB_USER") or "rag", password) if password else None
    local = is_loopback(args.host)
    edits = local or args.allow_edits
    if not local and auth is None:
        if not args.insecure_public:
            print(
                f"app.py: error: listening on {args.host} needs a login: set RAG_WEB_PASSWORD (and RAG_WEB_USER, "
                "default rag), or pass --insecure-public",
                file=sys.stderr,
            )
            return 2
        can = "ask and add or remove articles" if edits else "ask"
        print(f"app.py: warning: listening on {args.host} without a login: anyone who can reach it can {can}",
              file=sys.stderr)
    hub = EngineHub(settings=settings)
    # Behind loopback every visitor is this machine's own; beyond it, each address gets its share.
    app = build_app(hub, edits=edits, rate_limit=0 if local else settings.rate_limit)
    if not args.no_warm_up:
        # A daemon thread: the server is up at once and questions wait for the warm-up (hub lock).
        threading.Thread(target=_warm_up, args=(hub,), name="warm-up", daemon=True).start()
    launch(app, args.host, args.port, **({"auth": auth} if auth else {}))
    return 0


def _warm_up(hub: EngineHub) -> None:
    try:
        hub.warm_up()
    except RagError as err:  # the page shows the same error on the first question
        log.error("warm-up failed: %s", err)


def _port(text: str) -> int:
    """A TCP port number, for argparse (so a bad $GRADIO_SERVER_PORT is one usage line, not a traceback)."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 < port < 65536:
        raise argparse.ArgumentTypeError(f"port {port} is out of range (1-65535)")
    return port
