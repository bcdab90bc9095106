"""The ``rag`` command: ``rag index``, ``rag ask`` (and ``rag eval``).

Errors a user can cause (``rag.errors.RagError``: empty question, no
articles, missing model, bad index or setting) print one line on stderr and
exit 2; no traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path

from rag.errors import RagError
from rag.eval.cli import add_eval_parser
from rag.pipeline import Engine
from rag.progress import progress_bar
from rag.records import Answer
from rag.settings import load_settings


def format_answer(answer: Answer) -> str:
    lines = [answer.text, ""]
    if answer.citations:
        lines.append("Sources:")
        seen: set[int] = set()
        for c in answer.citations:
            if c.marker in seen:
                continue
            seen.add(c.marker)
            p = c.paragraph
            where = f"{p.article_title} ({p.provenance}) — paragraph {p.number} ({p.id})"
            lines.append(f"[{c.marker}] {where}, support {c.support:.2f}")
            lines.extend(textwrap.wrap(p.text, 100, initial_indent="    ", subsequent_indent="    "))
    elif answer.hits:
        lines.append("Closest paragraphs (not cited):")
        for h in answer.hits:
            lines.append(f"  {h.paragraph.id} (score {h.score:.2f}): {textwrap.shorten(h.paragraph.text, 90)}")
    if answer.unsupported:
        lines.append("Removed as unsupported by the articles: " + " | ".join(answer.unsupported))
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
    answer = Engine(settings).ask(question)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=1))
    else:
        print(format_answer(answer))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from rag.ui.app import main as serve  # gradio is imported only by this command

    return serve(args.options)


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
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("serve", help="start the web chat (same as python app.py; see --help there)")
    p.add_argument("options", nargs=argparse.REMAINDER, help="options of python app.py, e.g. --port 7861")
    p.set_defaults(func=cmd_serve)

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
