"""The ``rag`` command: ``index``, ``ask``, ``add``, ``watch``, ``api``, ``mcp`` (and ``eval``).

Errors a user can cause (``rag.errors.RagError``: empty question, no
articles, missing model, bad index or setting) print one line on stderr and
exit 2; no traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import sys
import textwrap
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from rag import articles
from rag.errors import RagError
from rag.eval.cli import add_eval_parser
from rag.net import is_loopback
from rag.pipeline import Engine
from rag.progress import progress_bar
from rag.records import Answer, Evidence
from rag.settings import Settings, load_settings

if TYPE_CHECKING:  # imported by ``rag add``/``rag watch`` only: httpx adds ~70 ms to every ``rag ask``
    from rag import fetch


def format_answer(answer: Answer) -> str:
    lines = [answer.text, *([answer.note] if answer.note else []), ""]
    if answer.citations:
        lines.append("Sources:")
        seen: set[int] = set()
        for c in answer.citations:
            if c.marker in seen:
                continue
            seen.add(c.marker)
            p = c.paragraph
            places = " and ".join(f"{q.place} ({q.id})" for q in c.paragraphs)  # an antecedent first (rag.coref)
            lines.append(f"[{c.marker}] {p.article_title} ({p.provenance}) — {places}, support {c.support:.2f}")
            if c.context:
                lines.append(f"    read with the story's line: {c.context}")  # its title or lede
            if c.also:
                also = "; ".join(f"{a.article_title} ({a.provenance})" for a in c.also)
                lines.append(f"    also reported by: {also}")
            for q in c.paragraphs:
                for line in q.text.splitlines():  # a header (rag.header) is one field a line
                    lines.extend(textwrap.wrap(line, 100, initial_indent="    ", subsequent_indent="    "))
    elif answer.hits:
        lines.append("Closest paragraphs (not cited):")
        for h in answer.hits:
            lines.append(f"  {h.paragraph.id} (score {h.score:.2f}): {textwrap.shorten(h.paragraph.text, 90)}")
    if answer.unsupported:
        lines.append("Removed as unsupported by the articles: " + " | ".join(answer.unsupported))
    return "\n".join(lines)


def format_evidence(evidence: Evidence) -> str:
    """Evidence as the CLI shows it before the answer (on stderr: the answer stays alone on stdout)."""
    stage = "checked by the reranker" if evidence.reranked else "first search"
    lines = [f"Evidence ({stage}), not yet an answer:"]
    for sentence, h in zip(evidence.sentences, evidence.hits, strict=True):
        lines.append(f"  “{textwrap.shorten(sentence, 160)}” — {h.paragraph.article_title}, {h.paragraph.place}")
    return "\n".join(lines)


def cmd_index(args: argparse.Namespace) -> int:
    engine = Engine(load_settings().with_(seeds_dir=args.seeds, index_dir=args.index))
    report = engine.refresh(rebuild=args.rebuild, progress=progress_bar("embedding"))
    for error in report.errors:
        print(f"skipped {error}", file=sys.stderr)
    changed = f"embedded {len(report.embedded)} new/changed, removed {len(report.removed)}"
    print(
        f"indexed {report.articles} articles, {report.paragraphs} paragraphs ({changed}) "
        f"in {report.seconds:.1f}s -> {engine.settings.index_dir}"
    )
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    question = " ".join(args.question)  # an empty one is refused by the engine, as everywhere
    settings = load_settings().with_(seeds_dir=args.seeds, index_dir=args.index, model=args.model, k=args.k)
    engine = Engine(settings)
    if args.evidence_first:  # what the articles say, printed as soon as retrieval finds it
        answer, shown = None, ()
        for item in engine.stream(question, as_of=args.as_of):
            if isinstance(item, Evidence) and item.sentences != shown:  # the reranker's order, if it differs
                print(format_evidence(item), file=sys.stderr, flush=True)
                shown = item.sentences
            elif isinstance(item, Answer):
                answer = item
        assert answer is not None
    else:
        answer = engine.ask(question, as_of=args.as_of)
    if not engine.index.dense:
        print("rag: the index is still being built: this answer comes from BM25 alone", file=sys.stderr)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=1))
    else:
        print(format_answer(answer))
    return 0


def format_outcome(outcome: fetch.Outcome) -> str:
    """One line for what ``rag add``/``rag watch`` did with an item, safe to print to a terminal.

    Titles, URLs and reasons come from web pages and servers: control characters (terminal
    escape sequences) are dropped.
    """
    where = _shown_path(outcome.path) if outcome.path else ""
    if outcome.changed:
        about = outcome.date or "no date"
        about += f", {outcome.outlet}" if outcome.outlet else ""
        about += f"; text changed, updated {outcome.updated}" if outcome.status == "updated" else ""
        line = f'{outcome.status} {where}: "{outcome.title}" ({about})'
    else:
        line = f"{outcome.status} {outcome.item}: {outcome.reason}" + (f" ({where})" if where else "")
    return "".join(ch for ch in line if ch.isprintable())


def _shown_path(path: Path) -> str:
    """A path as short as is still clear: relative to the working directory when inside it."""
    try:
        return str(path.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _day(text: str) -> dt.date:
    """``--as-of``: an ISO date.

    >>> _day("2025-08-14")
    datetime.date(2025, 8, 14)
    """
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2025-08-14") from None


def _is_url(item: str) -> bool:
    """``scheme://...`` is a URL (fetch refuses schemes other than http and https); anything else a file."""
    scheme, sep, _ = item.partition("://")
    return bool(sep) and scheme.isascii() and scheme.isalpha()


def _refresh(settings: Settings, changed: Iterable[fetch.Outcome]) -> None:
    """Re-index once after articles were added, and say if the index skipped one of them."""
    folder = settings.seeds_dir.resolve()
    names = {o.path.relative_to(folder).as_posix() for o in changed if o.path and o.path.is_relative_to(folder)}
    report = Engine(settings).refresh(progress=progress_bar("embedding"))
    for error in report.errors:
        if error.split(": ", 1)[0] in names:
            print(f"skipped {error}", file=sys.stderr)


def cmd_add(args: argparse.Namespace) -> int:
    if not args.feed and not args.items:
        raise articles.ArticleError("nothing to add: give URLs, files or --feed URL")
    from rag import fetch

    settings = load_settings().with_(seeds_dir=args.seeds, index_dir=args.index)
    try:
        settings.seeds_dir.mkdir(parents=True, exist_ok=True)  # rag add may start an archive
    except OSError as err:
        raise articles.ArticleError(f"cannot create the articles folder {settings.seeds_dir} ({err})") from None
    archive = articles.Archive.scan(settings.seeds_dir)
    outcomes: list[fetch.Outcome] = []

    def report(found: Iterable[fetch.Outcome]) -> None:
        for outcome in found:  # printed as each is done: a feed of 50 entries takes a while
            print(format_outcome(outcome), flush=True)
            outcomes.append(outcome)

    for feed in args.feed:
        report(fetch.add_feed(feed, settings, archive, remember=True))
    for item in args.items:
        report([fetch.add_url(item, settings, archive) if _is_url(item) else fetch.add_file(item, archive)])
    changed = [o for o in outcomes if o.changed]
    if changed:
        _refresh(settings, changed)
    return 0 if any(o.status != "failed" for o in outcomes) else 2


def cmd_watch(args: argparse.Namespace) -> int:
    from rag import fetch

    settings = load_settings().with_(seeds_dir=args.seeds, index_dir=args.index)
    folder = settings.seeds_dir
    reported: set[str] = set()  # a failure still in the feed is said once, not every round
    try:
        for n in itertools.count() if args.times is None else range(args.times):
            if n:
                time.sleep(args.every)
            changed: list[fetch.Outcome] = []
            for outcome in fetch.watch_round(folder, settings):
                line = format_outcome(outcome)
                if outcome.changed:
                    changed.append(outcome)
                elif outcome.known or line in reported:
                    continue
                reported.add(line)
                print(line, flush=True)
            if changed:
                _refresh(settings, changed)
    except KeyboardInterrupt:  # Ctrl-C between or during rounds: files are written whole, so just stop
        print("rag: watch stopped", file=sys.stderr)
    return 0


def _positive(kind: type[int] | type[float]) -> Callable[[str], int | float]:
    """An argparse ``type`` that accepts numbers above 0."""

    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be more than 0: {text!r}")
        return value

    return parse


def cmd_serve(args: argparse.Namespace) -> int:
    from rag.ui.app import main as serve  # gradio is imported only by this command

    return serve(args.options)


def cmd_api(args: argparse.Namespace) -> int:
    import os

    import uvicorn  # imported by this command only, as gradio by ``rag serve``

    from rag.api import make_app

    key = os.environ.get("RAG_API_KEY") or None
    if not is_loopback(args.host):
        if key is None and not args.insecure_public:
            raise RagError(f"listening on {args.host} needs RAG_API_KEY set (clients send it as a Bearer token), "
                           "or --insecure-public")
        if key is None:
            print(f"rag: warning: listening on {args.host} without an API key: anyone who can reach it can ask",
                  file=sys.stderr)
    engine = _served_engine(args)
    # Behind loopback every client is this machine's own; beyond it, each address gets its share.
    rate_limit = 0 if is_loopback(args.host) else engine.settings.rate_limit
    app = make_app(engine, api_key=key, max_wait=args.max_wait, rate_limit=rate_limit)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    return 0


def cmd_mcp(args: argparse.Namespace) -> int:
    from rag.api.mcp_server import make_server  # the mcp SDK is imported by this command only

    make_server(_served_engine(args)).run("stdio")
    return 0


def _served_engine(args: argparse.Namespace) -> Engine:
    """The engine ``rag api``/``rag mcp`` serve, its index loaded (or built) before the first request."""
    engine = Engine(load_settings().with_(seeds_dir=args.seeds, index_dir=args.index, model=args.model))
    engine.index  # noqa: B018 (the property loads it)
    return engine


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rag", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("index", help="index the articles folder (only what changed)")
    p.add_argument("--seeds", type=Path, help="articles folder (default: seeds/)")
    p.add_argument("--index", type=Path, help="index folder (default: index/)")
    p.add_argument("--rebuild", action="store_true", help="re-embed everything")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("ask", help="answer a question with cited paragraphs")
    p.add_argument("question", nargs="+")
    p.add_argument("--k", type=int, help="paragraphs handed to the model")
    p.add_argument("--model", help="packaged model name or path to a .gguf file")
    p.add_argument("--seeds", type=Path)
    p.add_argument("--index", type=Path)
    p.add_argument("--json", action="store_true", help="print the Answer as JSON")
    p.add_argument("--evidence-first", action="store_true",
                   help="print what retrieval finds (on stderr) before the model answers")
    p.add_argument(
        "--as-of", type=_day, metavar="YYYY-MM-DD", help='the day asked on (default today)'
    )
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("add", help="fetch web pages, a feed's articles or copy files into the articles folder")
    p.add_argument("items", nargs="*", metavar="URL|FILE", help="web page or PDF URLs, or .txt/.md/.html/.pdf files")
    p.add_argument(
        "--feed", action="append", default=[], metavar="URL", help="an RSS/Atom feed: add its articles, remember it"
    )
    p.add_argument("--seeds", type=Path, help="articles folder (default: seeds/)")
    p.add_argument("--index", type=Path, help="index folder (default: index/)")
    p.set_defaults(func=cmd_add)

    p = sub.add_parser("watch", help="re-read the remembered feeds on a schedule, adding new articles")
    p.add_argument("--every", type=_positive(float), default=900.0, metavar="SECONDS", help="between rounds (900)")
    p.add_argument("--times", type=_positive(int), metavar="N", help="rounds before stopping (default: until Ctrl-C)")
    p.add_argument("--seeds", type=Path, help="articles folder (default: seeds/)")
    p.add_argument("--index", type=Path, help="index folder (default: index/)")
    p.set_defaults(func=cmd_watch)

    p = sub.add_parser("serve", help="start the web chat (same as python app.py; see --help there)")
    p.add_argument("options", nargs=argparse.REMAINDER, help="options of python app.py, e.g. --port 7861")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("api", help="serve the OpenAI-compatible API (chat completions with citations, search)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1, this machine only)")
    p.add_argument("--port", type=_positive(int), default=8000, help="port (default 8000)")
    p.add_argument("--model", help="packaged model name or path to a .gguf file")
    p.add_argument("--seeds", type=Path, help="articles folder (default: seeds/)")
    p.add_argument("--index", type=Path, help="index folder (default: index/)")
    p.add_argument("--max-wait", type=_positive(float), metavar="SECONDS",
                   help="how long a question waits for its turn before 429 (default: $RAG_MAX_WAIT or 120)")
    p.add_argument("--insecure-public", action="store_true", help="allow a non-loopback host without RAG_API_KEY")
    p.set_defaults(func=cmd_api)

    p = sub.add_parser("mcp", help="serve ask, search and list_articles as an MCP server on stdio")
    p.add_argument("--model", help="packaged model name or path to a .gguf file")
    p.add_argument("--seeds", type=Path, help="articles folder (default: seeds/)")
    p.add_argument("--index", type=Path, help="index folder (default: index/)")
    p.set_defaults(func=cmd_mcp)

    add_eval_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except RagError as err:
        print(f"rag: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("rag: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
