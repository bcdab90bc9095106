"""Benchmark: what ``rag.boilerplate`` keeps out of the index on news-2025, and that no quiz answer goes with it.

Reads the archive's Markdown articles (no models) and prints, as Markdown:
- articles, paragraphs before filtering (the body's blocks, as ingest numbered
  them before) and after (``rag.ingest.read_article``, the real ingest);
- paragraphs dropped by kind, with a few examples each;
- dates: articles whose date came from a dropped "Updated"/dateline line
  (none in news-2025, where every article has a front-matter date), and how
  often a dropped line's ``date_of`` agrees with the front matter;
- the quiz check: for every question of ``questions.jsonl``, whether some
  paragraph contains its answer (SQuAD-normalized, case-insensitive, whole
  words) before filtering and after; questions that lose their last
  answer-bearing paragraph (the target is none), and the answer-bearing
  paragraphs dropped at all, with examples.

news-2025 is the dev set the rules were tuned on: the numbers say what the
rules do there, not how they generalise.

    python benchmarks/boilerplate.py [--data ../shared/eval/news-2025] [--examples 3]
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import json
import random
import time
from collections import defaultdict
from pathlib import Path

from rag import boilerplate
from rag.eval.metrics import normalize_answer
from rag.extract import split_front_matter
from rag.ingest import decode, read_article
from rag.parse import markdown_blocks

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "news-2025"


def raw_paragraphs(path: Path) -> tuple[str, list[str]]:
    """(front-matter date, the body's paragraphs before filtering), as ``parse_article`` splits them."""
    text = decode(path.read_bytes(), path.name).replace("\r\n", "\n")
    meta, body = split_front_matter(text)
    blocks = markdown_blocks(body)
    if meta is None or not meta.title:
        blocks = blocks[1:]  # the title line
    return (meta.date if meta else ""), blocks


class Corpus:
    """Paragraphs, SQuAD-normalized and joined into one string, to find which contain an answer (whole words)."""

    def __init__(self, texts: list[str]) -> None:
        normalized = [f" {normalize_answer(t)} " for t in texts]
        self.starts = list(itertools.accumulate((len(t) + 1 for t in normalized), initial=0))
        self.text = "\n".join(normalized)

    def containing(self, answers: list[str]) -> set[int]:
        """Indexes of the paragraphs that contain any of ``answers``."""
        found: set[int] = set()
        for answer in answers:
            needle = f" {normalize_answer(answer)} "
            if needle.strip():
                at = self.text.find(needle)
                while at >= 0:
                    found.add(bisect.bisect_right(self.starts, at) - 1)
                    at = self.text.find(needle, at + 1)
        return found


def cell(text: str, width: int = 90) -> str:
    """A paragraph shortened and escaped for a Markdown table cell."""
    text = text if len(text) <= width else text[: width - 1] + "…"
    return "`" + text.replace("|", "\\|").replace("`", "'") + "`"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA, help="folder with articles/ and questions.jsonl")
    parser.add_argument("--examples", type=int, default=3, help="examples shown per kind")
    parser.add_argument("--seed", type=int, default=0, help="which examples are shown")
    args = parser.parse_args()
    start = time.perf_counter()
    rng = random.Random(args.seed)
    folder = args.data / "articles"

    before: list[tuple[str, str, str | None]] = []  # (article id, text, kind)
    after: list[tuple[str, str]] = []
    n_articles = mismatched = 0
    dates_from_dropped: list[tuple[str, str]] = []
    stated = agree = 0
    for path in sorted(folder.rglob("*.md")):
        article_id = path.relative_to(folder).with_suffix("").as_posix()
        front_date, blocks = raw_paragraphs(path)
        article = read_article(path, folder)
        n_articles += 1
        kept, dropped = boilerplate.split(blocks)
        kinds = {text: name for name, text in dropped}  # a kind depends on the text alone
        before.extend((article_id, text, kinds.get(text)) for text in blocks)
        after.extend((article_id, p.text) for p in article.paragraphs)
        if len(article.paragraphs) not in (len(kept), len(kept) - 1):  # ingest may take a leading byline
            mismatched += 1
        for _, text in dropped:
            if date := boilerplate.date_of(text):
                stated += 1
                agree += date == front_date
        if not front_date and article.date:
            dates_from_dropped.append((article_id, article.date))

    by_kind: dict[str, list[str]] = defaultdict(list)
    for _, text, name in before:
        if name:
            by_kind[name].append(text)

    questions = [json.loads(line) for line in (args.data / "questions.jsonl").read_text().splitlines() if line.strip()]
    search_before = Corpus([t for _, t, _ in before])
    search_after = Corpus([t for _, t in after])
    answerable_before = answerable_after = 0
    lost: list[str] = []
    # Per question that had an answer-bearing paragraph dropped: (paragraphs left, before, question, answer, dropped).
    at_risk: list[tuple[int, int, str, str, list[tuple[str, str]]]] = []
    for q in questions:
        hits = search_before.containing(q["answers"])
        left = len(search_after.containing(q["answers"]))
        answerable_before += bool(hits)
        answerable_after += bool(left)
        if hits and not left:
            lost.append(q["question"])
        if dropped_hits := [(name, text) for _, text, name in (before[i] for i in sorted(hits)) if name]:
            at_risk.append((left, len(hits), q["question"], q["answers"][0], dropped_hits))
    seconds = time.perf_counter() - start

    n_before, n_after = len(before), len(after)
    print(f"## Boilerplate filter on {args.data.name} ({n_articles:,} articles)\n")
    print("| measure | value |\n|---|---|")
    rows = [
        ("articles", f"{n_articles:,}"),
        ("paragraphs before", f"{n_before:,}"),
        ("paragraphs after", f"{n_after:,}"),
        ("paragraphs dropped", f"{n_before - n_after:,} ({(n_before - n_after) / n_before:.1%})"),
        ("articles with a paragraph dropped", f"{len({aid for aid, _, name in before if name}):,}"),
        ("articles whose ingest count disagrees with the split", f"{mismatched}"),
        ("articles whose date came from a dropped line", f"{len(dates_from_dropped)}"),
        ("dropped lines stating a date / agreeing with front matter", f"{stated} / {agree}"),
        ("questions", f"{len(questions)}"),
        ("questions with an answer-bearing paragraph, before", f"{answerable_before}"),
        ("questions with an answer-bearing paragraph, after", f"{answerable_after}"),
        ("questions that lost their last answer-bearing paragraph", f"{len(lost)}"),
        ("answer-bearing paragraphs dropped (question, paragraph pairs)", f"{sum(len(r[4]) for r in at_risk)}"),
        ("questions with an answer-bearing paragraph dropped", f"{len(at_risk)}"),
        ("seconds (read, parse twice, filter, match)", f"{seconds:.1f}"),
    ]
    for name, value in rows:
        print(f"| {name} | {value} |")

    print("\n| kind | dropped | distinct | examples |\n|---|---:|---:|---|")
    for name, texts in sorted(by_kind.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        distinct = sorted(set(texts))
        shown = rng.sample(distinct, min(args.examples, len(distinct)))
        print(f"| {name} | {len(texts):,} | {len(distinct):,} | {'<br>'.join(cell(t) for t in shown)} |")

    if dates_from_dropped:
        print("\nDates taken from dropped lines: " + ", ".join(f"{a} {d}" for a, d in dates_from_dropped[:10]))
    if lost:
        print("\nQuestions that lost their last answer-bearing paragraph:")
        for question in lost:
            print(f"- {question}")
    if at_risk:
        print("\nQuestions with an answer-bearing paragraph dropped, fewest answer-bearing paragraphs left first:\n")
        print("| left / before | answer | question | a dropped paragraph (kind) |\n|---:|---|---|---|")
        for left, n, question, answer, dropped_hits in sorted(at_risk)[: max(args.examples * 4, 10)]:
            name, text = dropped_hits[0]
            print(f"| {left} / {n} | {answer} | {cell(question, 70)} | {cell(text, 110)} ({name}) |")


if __name__ == "__main__":
    main()
