"""Archive scale: build the index of a news archive and time what a user waits for.

    python benchmarks/archive.py [--archive ../shared/eval/news-2025/articles] [--weeks N] [--out runs/archive]

Prints, for the archive (all week folders, or the first ``--weeks``): articles, paragraphs kept,
texts embedded, build time and paragraphs/s, when the first question could be answered, add one
article to the built index (warm process), cold ``rag ask`` on it against the seed-only index
(fresh processes, interleaved), and the peak memory of those processes. The index is built in
``--out`` (default: a temporary folder) so that the project's own index is never touched.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from rag import ingest
from rag.pipeline import Engine
from rag.progress import progress_bar
from rag.settings import PROJECT_DIR, load_settings

ARCHIVE = PROJECT_DIR.parent / "shared" / "eval" / "news-2025" / "articles"
# Asked of both indexes, so that both cold starts load the model and answer: the archive gets the seed too.
QUESTION = "who met the Iraqi foreign minister?"
ADDED = """---
title: "Kelvo harbour reopens after storm repairs"
date: 2025-09-26
outlet: "example-news.test"
---
The Kelvo harbour reopened on Friday after two weeks of storm repairs, the port authority said.

Ferries to the islands will run on the summer timetable until October, officials added.
"""


ADDED_TOO = ADDED.replace("Kelvo harbour reopens", "Brevik bridge closes").replace(
    "The Kelvo harbour reopened on Friday", "The Brevik bridge closed on Monday"
)


def copy_weeks(archive: Path, weeks: int | None, target: Path) -> list[str]:
    folders = sorted(p for p in archive.iterdir() if p.is_dir())[:weeks]
    for folder in folders:
        shutil.copytree(folder, target / folder.name)
    return [f.name for f in folders]


def cold_ask(seeds: Path, index_dir: Path) -> tuple[float, float, str]:
    """(seconds, peak MB, first line of the answer) of ``rag ask`` in a fresh process over a built index."""
    env = {**os.environ, "RAG_SEEDS_DIR": str(seeds), "RAG_INDEX_DIR": str(index_dir)}
    timer = ["/usr/bin/time", "-f", "peak-kb %M"] if Path("/usr/bin/time").exists() else []
    started = time.perf_counter()
    done = subprocess.run(
        [*timer, sys.executable, "-m", "rag.cli", "ask", QUESTION],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=900,
    )
    seconds = time.perf_counter() - started
    peak = [int(line.split()[1]) / 1024 for line in done.stderr.splitlines() if line.startswith("peak-kb ")]
    return seconds, peak[0] if peak else float("nan"), done.stdout.splitlines()[0] if done.stdout else ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", type=Path, default=ARCHIVE, help="folder of week folders of articles")
    parser.add_argument("--weeks", type=int, help="only the first N week folders")
    parser.add_argument("--out", type=Path, help="work folder (default: temporary, deleted)")
    parser.add_argument("--cold", type=int, default=3, help="cold rag ask runs per index")
    parser.add_argument("--reuse", action="store_true", help="keep --out's articles and index (only what changed)")
    args = parser.parse_args(argv)
    if not args.archive.is_dir():
        print(f"missing {args.archive}", file=sys.stderr)
        return 1
    work = args.out or Path(tempfile.mkdtemp(prefix="archive-"))
    articles_dir, index_dir = work / "articles", work / "index"
    if not (args.reuse and articles_dir.is_dir()):
        shutil.rmtree(work, ignore_errors=True)
        articles_dir.mkdir(parents=True)
        copy_weeks(args.archive, args.weeks, articles_dir)
    for seed in load_settings().seeds_dir.iterdir():
        if not (articles_dir / seed.name).exists():
            shutil.copy(seed, articles_dir / seed.name)
    shutil.rmtree(articles_dir / "zz-added", ignore_errors=True)
    weeks = [p.name for p in articles_dir.iterdir() if p.is_dir()]

    started = time.perf_counter()
    articles, errors = ingest.load_articles(articles_dir)
    read_seconds = time.perf_counter() - started
    paragraphs = sum(len(a.paragraphs) for a in articles)
    print(f"archive {args.archive} ({len(weeks)} weeks): {len(articles)} articles, {len(errors)} refused")
    print(f"read in {read_seconds:.1f} s: {paragraphs} paragraphs kept (dropped, by kind: benchmarks/boilerplate.py)")

    engine = Engine(load_settings().with_(seeds_dir=articles_dir, index_dir=index_dir))
    first: list[float] = []

    def watch() -> None:  # when the paragraphs-only index (BM25 can answer) is on disk
        while not first and not (index_dir / "manifest.json").exists():
            time.sleep(0.05)
        first.append(time.perf_counter())

    watcher = threading.Thread(target=watch, daemon=True)
    started = time.perf_counter()
    watcher.start()
    report = engine.refresh(progress=progress_bar("embedding"))
    build = time.perf_counter() - started
    watcher.join(timeout=1)
    if first:
        print(f"first question answerable (BM25 alone) {first[0] - started:.1f} s after the build started")
    ix = engine.index
    texts = len(ix.vectors) + len(ix.sentence_vectors)
    print(
        f"build {build:.0f} s ({build / 60:.1f} min): {report.paragraphs} paragraphs, "
        f"{paragraphs / build:.1f} paragraphs/s; "
        f"{len(ix.vectors)} piece rows + {len(ix.sentence_vectors)} sentence rows ({texts} rows)"
    )

    _ = engine.bm25  # what the first question builds (or loads): a warm web page has it
    engine.embedder.embed(["warm up"])  # and its models loaded
    (articles_dir / "zz-added").mkdir()
    (articles_dir / "zz-added" / "kelvo.md").write_text(ADDED, encoding="utf-8")
    started = time.perf_counter()
    engine.refresh(wait=False)  # as the web page adds an article: saved in the background
    searchable = time.perf_counter() - started
    started = time.perf_counter()
    _ = engine.bm25  # the next question: waits for the BM25 the background save started building
    bm25 = time.perf_counter() - started
    started = time.perf_counter()
    engine.wait()
    print(
        f"add one article (2 paragraphs) to the built index, warm process: searchable after {searchable:.2f} s, "
        f"the next question's BM25 ready {bm25:.2f} s after that, "
        f"background save done {time.perf_counter() - started:.2f} s later"
    )
    (articles_dir / "zz-added" / "brevik.md").write_text(ADDED_TOO, encoding="utf-8")
    started = time.perf_counter()
    engine.refresh(wait=False)  # the index's arrays are now in memory, not read from the page cache
    print(f"add another article, the same process: searchable after {time.perf_counter() - started:.2f} s")
    engine.wait()

    seed_index = work / "seed-index"
    Engine(load_settings().with_(index_dir=seed_index)).refresh()
    archive_times, seed_times, archive_peaks, seed_peaks = [], [], [], []
    for _ in range(args.cold):  # interleaved, so machine noise hits both alike
        seconds, peak, seed_answer = cold_ask(load_settings().seeds_dir, seed_index)
        seed_times.append(seconds)
        seed_peaks.append(peak)
        seconds, peak, archive_answer = cold_ask(articles_dir, index_dir)
        archive_times.append(seconds)
        archive_peaks.append(peak)
    a, s = statistics.median(archive_times), statistics.median(seed_times)
    print(f"cold rag ask {QUESTION!r}, median of {args.cold}: archive {a:.1f} s, seed only {s:.1f} s (+{a - s:.1f} s)")
    print(f"  answers: archive {archive_answer!r}, seed {seed_answer!r}")
    print(f"peak memory of a rag ask process: archive {max(archive_peaks):.0f} MB, seed only {max(seed_peaks):.0f} MB")
    if not args.out:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
