"""The Gradio web chat: ``build_app(engine)`` lays out the page, ``main()`` serves it.

Layout: the conversation (left) streams each answer as the model writes it,
then replaces the draft with the verified answer whose ``[n]`` markers link
to the sources panel (right): cited paragraph, supporting sentence
highlighted, support score; retrieved-but-uncited paragraphs are collapsed
below. Under them the indexed articles (``rag.ui.library``: add by paste,
upload or fetch, remove) and a settings accordion (model, k, retriever).
This module builds that layout and wires the question events to
``rag.ui.chat``; the command line and the server's start are here too.

Decisions and trade-offs:

- The conversation and the sources are ``gr.HTML`` rendered by
  ``rag.ui.render`` rather than ``gr.Chatbot``: the chatbot renders
  Markdown, so model or article text like ``[1](javascript:...)`` would
  become markup; here every untrusted string is escaped and the only markup
  (citation links, ``<mark>``) is ours.
- Per-session history lives in ``gr.State``, so one visitor's answers and
  citations are never rendered into another's page; the engines (models,
  index) are shared by the process (``rag.ui.engines``).
- Question events run without a concurrency limit of Gradio's own: the
  hub's line (``rag.turns``, see ``rag.ui.chat``) orders them and shows each
  its place. Adding and removing articles run one at a time.
- Beyond loopback the page is for asking: adding and removing articles
  (paste, upload, fetch, feeds, remove) is not even built unless
  ``--allow-edits`` is given, and each visitor's address may ask
  ``Settings.rate_limit`` questions a minute.
- Nothing heavy happens at import or in ``build_app``: engines and models
  are built on first use or by the warm-up thread ``main`` starts.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import gradio as gr

from rag.errors import RagError
from rag.ingest import MAX_BYTES
from rag.net import is_loopback
from rag.pipeline import Engine
from rag.settings import RETRIEVERS, load_settings
from rag.turns import Rate
from rag.ui import render
from rag.ui.chat import ask_stream
from rag.ui.engines import EngineHub, installed_models
from rag.ui.library import articles_view, edit_controls
from rag.ui.render import Turn

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860
EDITS_OFF = "Adding and removing articles is off on this server (start it with --allow-edits to turn it on)."


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
            remove_choice = edit_controls(hub, article_list) if edits else None
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
                lambda: articles_view(hub), None, [article_list, remove_choice], concurrency_limit=None,
                api_name=False,
            )
        else:
            app.load(lambda: articles_view(hub)[0], None, [article_list], concurrency_limit=None, api_name=False)

    app.queue(default_concurrency_limit=1)
    return app


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
