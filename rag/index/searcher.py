"""The FAISS searcher over the paragraph rows: which index type, how it is tuned, how it is updated.

Exact search (``IndexFlatIP``) below ``EXACT_ROWS`` rows, IVF-Flat above:
IVF is approximate but memory-mappable and keeps its trained centroids and
list assignments across updates; HNSW lost on recall, build time and updates
(``benchmarks/search.py``; the numbers are in ``docs/decisions.md``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import faiss
import numpy as np

EXACT_ROWS = 100_000
IVF_PROBES = 16
IVF_TRAIN_PER_LIST = 64
HNSW_EF = 128  # only for indexes built before IVF replaced HNSW
# IVF lists are memory-mapped by IO_FLAG_MMAP, flat codes (IndexFlat) by IO_FLAG_MMAP_IFC; the two don't combine.
MMAP = {"flat": faiss.IO_FLAG_MMAP_IFC, "ivf": faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY}


@contextmanager
def _all_cores() -> Iterator[None]:
    """FAISS uses every core for building (k-means, adding rows) and one for searching.

    One query at a time gains nothing from a second thread and loses a lot when the other core
    is busy (``docs/decisions.md``). FAISS may share its OpenMP runtime with torch, which is why
    ``rag.embed`` sets torch's threads on every embed.
    """
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(1)


def tune(searcher: faiss.Index) -> faiss.Index:
    """Search parameters, set on every index made or loaded (the hook ``rag.retrieve`` relies on)."""
    faiss.omp_set_num_threads(1)
    if isinstance(searcher, faiss.IndexHNSW):
        searcher.hnsw.efSearch = HNSW_EF
    elif searcher.ntotal and isinstance(searcher, faiss.IndexIVF):
        searcher.nprobe = IVF_PROBES
    return searcher


def kind(searcher: faiss.Index) -> str:
    """``flat``, ``ivf`` or ``hnsw``: recorded in the manifest to pick how the file is memory-mapped."""
    if isinstance(searcher, faiss.IndexIVF):
        return "ivf"
    return "hnsw" if isinstance(searcher, faiss.IndexHNSW) else "flat"


def make_faiss(
    vectors: np.ndarray, previous: faiss.Index | None = None, old_rows: np.ndarray | None = None
) -> faiss.Index:
    """Exact search below ``EXACT_ROWS`` rows, IVF-Flat (approximate, memory-mappable) above.

    Exact search grows linearly past what one question should wait for near 100k rows; IVF
    with 4*sqrt(N) lists and 16 probes keeps recall@10 above 0.99 at a fraction of a millisecond
    (``benchmarks/search.py``; the table is in ``docs/decisions.md``).

    ``previous`` (the index being updated) and ``old_rows`` (for each row of ``vectors``, its row
    in ``previous``, or -1 if new) let an IVF update keep the trained centroids and the list of
    every unchanged row: only new rows are assigned, so adding one article costs no k-means.
    """
    dim = vectors.shape[1] or 1  # a paragraphs-only index (nothing embedded yet) has no columns
    with _all_cores():
        if len(vectors) < EXACT_ROWS:
            index = faiss.IndexFlatIP(dim)
            if len(vectors):
                index.add(vectors)
        else:
            index = _ivf(vectors, previous, old_rows)
    return tune(index)


def _ivf(vectors: np.ndarray, previous: faiss.Index | None, old_rows: np.ndarray | None) -> faiss.IndexIVFFlat:
    dim, n = vectors.shape[1], len(vectors)
    nlist = max(1, min(round(4 * np.sqrt(n)), n // 39))  # FAISS wants >= 39 training rows per list
    reuse = (
        isinstance(previous, faiss.IndexIVFFlat)
        and previous.d == dim
        and old_rows is not None
        # Centroids stay good while the corpus is mostly the one they were trained on, at a similar size.
        and nlist / 2 <= previous.nlist <= nlist * 2
        and np.count_nonzero(old_rows >= 0) >= n / 2
    )
    if reuse:
        assert isinstance(previous, faiss.IndexIVFFlat) and old_rows is not None
        quantizer = faiss.clone_index(previous.quantizer)
        index = faiss.IndexIVFFlat(quantizer, dim, previous.nlist, faiss.METRIC_INNER_PRODUCT)
        lists = _lists(previous)[np.maximum(old_rows, 0)]
        new = old_rows < 0
        if new.any():
            lists[new] = quantizer.assign(vectors[new], 1)[:, 0]
        index.add_core(n, faiss.swig_ptr(vectors), None, faiss.swig_ptr(lists))
        return index
    index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
    # k-means on a sample: 64 rows per list is within FAISS's advice (39-256) and 4x cheaper than 256.
    sample = np.random.default_rng(0).choice(n, min(n, IVF_TRAIN_PER_LIST * nlist), replace=False)
    index.train(vectors[np.sort(sample)])
    index.add(vectors)
    return index


def _lists(ivf: faiss.IndexIVF) -> np.ndarray:
    """The inverted list holding each row of ``ivf`` (rows are ids 0..ntotal-1)."""
    out = np.full(ivf.ntotal, -1, np.int64)
    invlists = ivf.invlists
    for number in range(ivf.nlist):
        size = invlists.list_size(number)
        if size:
            ids = invlists.get_ids(number)
            out[faiss.rev_swig_ptr(ids, size)] = number
            invlists.release_ids(number, ids)
    return out
