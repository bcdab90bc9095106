"""Benchmark: FAISS index types at 10k-1M rows of synthetic MiniLM-like vectors.

For each corpus size and index type this prints build time, file size,
load time (plain and memory-mapped, with the anonymous memory the load
allocated), per-query search latency (one query at a time, as the app
searches: median and min-max over ``--queries``) at k=10 and at the app's
hybrid depth k=200, and recall@10 against exact search. It also times
sha256 of the vectors file, what ``rag.index.load`` used to pay on every start.

Synthetic data, shaped like the pooled eval index (real MiniLM vectors:
nearest-neighbour cosine ~0.64, tenth ~0.44, random pairs ~0.01): topics ->
articles of 8 paragraphs -> paragraphs, each level a unit vector plus
Gaussian noise, so a paragraph's nearest rows are its article's (cosine
~0.55) and then its topic's. Uniform noise would have no neighbours worth
finding and make every recall meaningless. Queries are a stored row plus
noise (cosine ~0.7 to it, about a real question's cosine to its paragraph).
Isotropic noise in 384 dimensions is harder for approximate search than
real embeddings (which sit near a lower-dimensional subspace), so recalls
here are, if anything, pessimistic.

Timings on a shared 2-core machine are noisy; run under ``flock /tmp/cpu.lock``.

    python benchmarks/search.py [--sizes 10000 100000 1000000] [--queries 300] [--types flat,hnsw,ivf]
"""

from __future__ import annotations

import argparse
import hashlib
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import faiss
import numpy as np

DIM = 384
PER_ARTICLE = 8
PER_TOPIC = 1000
# IVF lists map with IO_FLAG_MMAP; flat codes (Flat, HNSW storage) with IO_FLAG_MMAP_IFC; the two don't combine.
MMAP = {
    "ivf": faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY, "flat": faiss.IO_FLAG_MMAP_IFC, "hnsw": faiss.IO_FLAG_MMAP_IFC,
}
APP_K = 200  # rag.retrieve.dense_ranking fetches 4 rows per paragraph of the hybrid's 50 candidates


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _noise(rng: np.random.Generator, n: int) -> np.ndarray:
    """n Gaussian vectors of expected length 1 (nearly orthogonal to anything in 384-d)."""
    return rng.standard_normal((n, DIM), dtype=np.float32) / np.float32(math.sqrt(DIM))


def corpus(n: int, seed: int = 0, article_noise: float = 1.2, paragraph_noise: float = 0.9) -> np.ndarray:
    """(n, 384) float32 unit rows: topics -> articles -> paragraphs (see the module docstring)."""
    rng = np.random.default_rng(seed)
    n_articles = -(-n // PER_ARTICLE)
    topics = _unit(_noise(rng, max(1, n // PER_TOPIC)))
    articles = _unit(topics[rng.integers(0, len(topics), n_articles)] + article_noise * _noise(rng, n_articles))
    out = np.empty((n, DIM), np.float32)
    for start in range(0, n, 100_000):  # in chunks: 1M rows of noise at once would double peak memory
        stop = min(n, start + 100_000)
        rows = np.arange(start, stop) // PER_ARTICLE
        out[start:stop] = _unit(articles[rows] + paragraph_noise * _noise(rng, stop - start))
    return out


def queries(vectors: np.ndarray, n: int, seed: int = 1, noise: float = 1.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    picked = vectors[rng.choice(len(vectors), n, replace=False)]
    return np.ascontiguousarray(_unit(picked + noise * _noise(rng, n)))


def exact_top(vectors: np.ndarray, qs: np.ndarray, k: int) -> np.ndarray:
    """Ids of the exact top-k rows per query, by blocked matrix products."""
    best_s = np.full((len(qs), k), -np.inf, np.float32)
    best_i = np.zeros((len(qs), k), np.int64)
    for start in range(0, len(vectors), 200_000):
        scores = qs @ vectors[start : start + 200_000].T
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        s = np.concatenate([best_s, np.take_along_axis(scores, top, 1)], 1)
        i = np.concatenate([best_i, top + start], 1)
        keep = np.argsort(-s, axis=1)[:, :k]
        best_s, best_i = np.take_along_axis(s, keep, 1), np.take_along_axis(i, keep, 1)
    return best_i


def flat(vectors: np.ndarray) -> faiss.Index:
    index = faiss.IndexFlatIP(DIM)
    index.add(vectors)
    return index


def hnsw(vectors: np.ndarray, m: int = 32) -> faiss.Index:
    index = faiss.IndexHNSWFlat(DIM, m, faiss.METRIC_INNER_PRODUCT)
    index.add(vectors)
    return index


def ivf(vectors: np.ndarray, train_per_list: int = 64) -> faiss.Index:
    nlist = max(1, round(4 * math.sqrt(len(vectors))))
    index = faiss.IndexIVFFlat(faiss.IndexFlatIP(DIM), DIM, nlist, faiss.METRIC_INNER_PRODUCT)
    # k-means on a sample: 64 rows per list is within FAISS's advice (39-256) and 4x cheaper than its 256.
    sample = np.random.default_rng(2).choice(len(vectors), min(len(vectors), train_per_list * nlist), replace=False)
    index.train(vectors[np.sort(sample)])
    index.add(vectors)
    return index


BUILDERS: dict[str, Callable[[np.ndarray], faiss.Index]] = {"flat": flat, "hnsw": hnsw, "ivf": ivf}
SEARCH_PARAMS = {"flat": [None], "hnsw": [64, 128], "ivf": [8, 16, 32]}


def set_param(index: faiss.Index, kind: str, value: int | None) -> str:
    if kind == "hnsw":
        index.hnsw.efSearch = value
        return f"efSearch {value}"
    if kind == "ivf":
        faiss.extract_index_ivf(index).nprobe = value
        return f"nprobe {value}"
    return "exact"


def ram_mb(path: Path, flag: int) -> float:
    """Anonymous memory (MB) a fresh process holds after reading the index: mapped file pages don't count."""
    script = (
        "import sys, faiss\n"
        "def anon():\n"
        "    return next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('RssAnon:'))\n"
        "before = anon(); index = faiss.read_index(sys.argv[1], int(sys.argv[2])); print((anon() - before) / 1024)\n"
    )
    args = [sys.executable, "-c", script, str(path), str(flag)]
    return float(subprocess.run(args, capture_output=True, text=True, check=True).stdout)


def latencies(index: faiss.Index, qs: np.ndarray, k: int) -> tuple[list[float], np.ndarray]:
    """Milliseconds per single-query search, and the ids found."""
    times, found = [], []
    index.search(qs[:1], k)  # first touch (page faults of a mapped file) is not a steady-state query
    for i in range(len(qs)):
        started = time.perf_counter()
        _, ids = index.search(qs[i : i + 1], k)
        times.append((time.perf_counter() - started) * 1000)
        found.append(ids[0])
    return times, np.array(found)


def spread(values: list[float], digits: int = 2) -> str:
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def recall(found: np.ndarray, truth: np.ndarray, k: int = 10) -> float:
    return float(np.mean([len(set(f[:k]) & set(t[:k])) / k for f, t in zip(found, truth, strict=True)]))


def sha256_seconds(path: Path) -> float:
    started = time.perf_counter()
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return time.perf_counter() - started


def load_times(path: Path, kind: str, repeat: int = 3) -> dict[str, tuple[float, float, faiss.Index]]:
    """Seconds to read the index (best of ``repeat``, warm page cache) and the anonymous MB it takes, per mode."""
    out = {}
    for mode, flag in (("read", 0), ("mmap", MMAP[kind])):
        best, index = math.inf, None
        for _ in range(repeat):
            index = None
            started = time.perf_counter()
            index = faiss.read_index(str(path), flag)
            best = min(best, time.perf_counter() - started)
        out[mode] = (best, ram_mb(path, flag), index)
    return out


def run(n: int, n_queries: int, kinds: list[str], folder: Path, threads: int) -> None:
    started = time.perf_counter()
    vectors = corpus(n)
    qs = queries(vectors, n_queries)
    truth = exact_top(vectors, qs, 10)
    print(f"\n## {n:,} rows ({vectors.nbytes / 2**20:,.0f} MB of float32); data + exact answers "
          f"{time.perf_counter() - started:.1f}s")
    npy = folder / "vectors.npy"
    np.save(npy, vectors)
    print(f"sha256 of vectors.npy ({npy.stat().st_size / 2**20:,.0f} MB, warm cache): {sha256_seconds(npy):.2f}s")
    npy.unlink()
    print("| type | search param | build s | file MB | load s (RAM MB) | mmap load s (RAM MB) "
          "| p50 ms k=10 (min-max) | p50 ms k=200 | p50 ms k=10, mmapped | recall@10 |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for kind in kinds:
        faiss.omp_set_num_threads(os.cpu_count() or 1)  # building is batch work: all cores
        started = time.perf_counter()
        built = BUILDERS[kind](vectors)
        build_s = time.perf_counter() - started
        path = folder / f"{kind}.index"
        faiss.write_index(built, str(path))
        del built
        faiss.omp_set_num_threads(threads)
        loads = load_times(path, kind)
        index, mapped = loads["read"][2], loads["mmap"][2]
        for value in SEARCH_PARAMS[kind]:
            label = set_param(index, kind, value)
            set_param(mapped, kind, value)
            t10, found = latencies(index, qs, 10)
            t200, _ = latencies(index, qs, APP_K)
            tmap, _ = latencies(mapped, qs, 10)
            read, mmap = (f"{loads[m][0]:.2f} ({loads[m][1]:,.0f})" for m in ("read", "mmap"))
            print(f"| {kind} | {label} | {build_s:.1f} | {path.stat().st_size / 2**20:,.0f} | {read} | {mmap} "
                  f"| {spread(t10)} | {spread(t200)} | {spread(tmap)} | {recall(found, truth):.3f} |", flush=True)
        del index, mapped, loads
        path.unlink()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--types", default="flat,hnsw,ivf")
    parser.add_argument("--threads", type=int, default=1,
                        help="FAISS OpenMP threads (rag.index uses 1: a single query gains nothing from more)")
    parser.add_argument("--dir", type=Path, help="where to write index files (default: a temporary folder)")
    args = parser.parse_args()
    print(f"faiss {faiss.__version__}, searching with {args.threads} thread(s), {args.queries} queries one at a time")
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        for n in args.sizes:
            run(n, args.queries, args.types.split(","), Path(tmp), args.threads)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
