"""Library: the page's list of indexed articles and the controls that add and remove them.

``articles_view`` renders the list (and the choices of the remove menu);
``add_pasted``, ``add_uploaded``, ``add_from_web``, ``watch_feeds`` and
``remove_selected`` change the articles folder and refresh the index;
``edit_controls`` builds their tabs and buttons inside the page and wires
them. The chat itself never writes articles (``rag.ui.chat``).

Decisions and trade-offs:

- The edits run one at a time (one concurrency group of size 1) and each
  refresh takes an exclusive turn in the hub's line, so the index is never
  swapped under an answer being written; an edit waits for that answer.
- A file the index refuses is deleted again, so the folder never holds an
  article the list does not show; the error is shown in the list's note.
- Showing the list is a snapshot that never waits behind a generation.
- The controls are not built at all beyond loopback unless the server
  allows edits (``rag.ui.app``): not merely hidden, absent from the page's
  events.
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from rag.articles import Archive, ArticleError, import_file, remove_article, save_article
from rag.errors import RagError
from rag.ingest import FORMATS
from rag.ui import render
from rag.ui.engines import EngineHub

ENGINE_GROUP = "engine"
WATCH_EVERY = 900  # seconds between two rounds of feed watching in the page, as rag watch's default


def _article_choices(hub: EngineHub) -> list[tuple[str, str]]:
    return [(f"{a.title} ({a.paragraphs} ¶)", a.id) for a in hub.articles()]


def articles_view(hub: EngineHub, note: str = "") -> tuple[str, object]:
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
        listing, choices = articles_view(hub, f"Not added: {err}")
        return listing, choices, gr.skip(), gr.skip()
    listing, choices = articles_view(hub, f"{note} “{saved.title}”, {saved.paragraphs} paragraphs.")
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
        listing, choices = articles_view(hub, f"Not added: {err}")
        return listing, choices, None
    listing, choices = articles_view(hub, f"{note} “{stored.title}” ({stored.date or 'undated'}).")
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
    listing, choices = articles_view(hub, "; ".join(lines) or "nothing to add")
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
        return articles_view(hub, f"Watching the feeds: {err}")
    note = f"Feeds read: {len(new)} new or updated article(s)" + (f", {len(failed)} failed" if failed else "")
    return articles_view(hub, note + ".")


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
        return articles_view(hub, f"Not removed: {err}")
    return articles_view(hub, f"Removed {path.name}.")


def edit_controls(hub: EngineHub, article_list: gr.HTML) -> gr.Dropdown:
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
