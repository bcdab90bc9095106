"""What a visitor sees, and when: Enter -> evidence on screen -> first answer token -> verified answer.

Starts the web chat with the real models (``python app.py`` on a copy of
``seeds/``, after its warm-up, as ``benchmarks/load.py`` does) and types
each seed question (``tests/seed_questions.jsonl``) in a fresh page of
Debian's headless Chromium. A MutationObserver installed before the key
press records, in the page's own clock, when the evidence block
(``.answer.evidence``: what retrieval found, marked as not yet an answer),
the first streamed token (``.answer.draft``) and the verified answer appear.
The issue's target: evidence within 0.5 s of Enter.

    python benchmarks/first_paint.py [--questions 12] [--out runs/first_paint.md]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from benchmarks.load import QUESTIONS, LoadError, serve  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
OBSERVE = """() => {
  window.__seen = {};
  const box = document.querySelector('#question textarea, #question input');
  box.addEventListener('keydown', (e) => { if (e.key === 'Enter') window.__seen.enter = performance.now(); });
  const note = () => {
    for (const [name, sel] of [["evidence", "#turn-1 .answer.evidence"], ["token", "#turn-1 .answer.draft"],
                               ["answer", "#turn-1[data-state=done]"]]) {
      if (!window.__seen[name] && document.querySelector(sel)) window.__seen[name] = performance.now();
    }
  };
  new MutationObserver(note).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def measure(url: str, questions: list[str]) -> list[dict[str, float]]:
    from playwright.sync_api import sync_playwright

    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for question in questions:
            page = browser.new_context().new_page()
            page.goto(url)
            page.wait_for_selector("#article-list table", timeout=60_000)
            page.evaluate(OBSERVE)
            box = page.locator("#question textarea, #question input").first
            box.fill(question)
            box.press("Enter")
            page.wait_for_selector("#turn-1[data-state=done]", timeout=600_000)
            seen = page.evaluate("() => window.__seen")
            enter = seen.pop("enter")
            rows.append({"question": question, **{k: (v - enter) / 1000 for k, v in seen.items()}})
            page.context.close()
        browser.close()
    return rows


def report(rows: list[dict]) -> str:
    def med(key: str) -> str:
        values = [r[key] for r in rows if key in r]
        return f"{statistics.median(values):.2f} s (max {max(values):.2f}, n={len(values)})" if values else "–"

    lines = [
        "| seen after Enter | median |",
        "|---|---|",
        f"| evidence (what retrieval found, not yet an answer) | {med('evidence')} |",
        f"| first answer token | {med('token')} |",
        f"| verified answer | {med('answer')} |",
        "",
        f"Evidence within 0.5 s of Enter: {sum(r.get('evidence', 9) <= 0.5 for r in rows)}/{len(rows)} questions; "
        f"evidence before the first token: {sum(r.get('evidence', 9) < r['token'] for r in rows if 'token' in r)}/"
        f"{sum('token' in r for r in rows)} (an abstention before the model streams no token).",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=12, help="the first N seed questions (default 12)")
    parser.add_argument("--out", type=Path, help="also write the table here")
    args = parser.parse_args(argv)
    rows_in = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    questions = [r["question"] for r in rows_in][: args.questions]
    try:
        with serve(fake=False) as url:
            rows = measure(url, questions)
    except LoadError as err:
        print(f"first_paint.py: error: {err}", file=sys.stderr)
        return 2
    table = report(rows)
    print(table)
    for r in rows:
        print(json.dumps(r))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(table, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
