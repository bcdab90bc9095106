"""Index: paragraphs + their vectors + a FAISS inner-product index, on disk.

Layout of ``index/`` (no pickle anywhere): ``manifest.json`` (embedder
name, dimension, counts, corpus hash, one entry per article with its content
hash and rows, the sha256 and size of every data file, the FAISS index
type, and the generation folder that holds them), and in ``gen-<time>-<pid>/``:

- ``paragraphs.jsonl`` one ``Paragraph`` per line
- ``vectors.npy``      float32 (rows, dim), unit length; a long paragraph has
  several rows (pieces)
- ``owners.npy``       int32 (rows,): the paragraph each row belongs to
- ``faiss.index``      inner-product search over the rows: exact
  (``IndexFlatIP``) below ``EXACT_ROWS`` rows, IVF-Flat above (see
  ``make_faiss`` for why, and ``benchmarks/search.py`` for the numbers)
- ``sentence_vectors.npy``, ``sentence_offsets.npy``  one vector per
  sentence, so the prompt can be cut to the sentences a question needs
  without embedding anything at query time

- ``stat.json``        each file's size, mtime, ctime and inode when it
  was last hashed (not itself checksummed: see below)

Incremental: ``build`` reuses the stored vectors of every article whose
content hash is unchanged and embeds only new or edited ones (and, above
``EXACT_ROWS``, the trained IVF centroids and list assignments). Saving
writes a new generation folder and then replaces the manifest in one
rename, so a process killed mid-save leaves the previous index whole.

``load`` memory-maps the arrays and the FAISS file, so starting costs
milliseconds however large the index, and pages are read as searches touch
them. It checks every file's size against the manifest; a file's sha256 is
recomputed only when its ``stat`` differs from ``stat.json`` (copied,
edited, rewritten) or changed in the same clock tick as the stamp (the
"racy git" rule), so a truncated or modified index is reported (and
rebuilt by ``refresh``), never used. Hashing everything on every start
cost 1.2 s per 1.5 GB from a warm page cache (1M paragraphs are ~10 GB:
vectors, the FAISS copy, ~5 sentence rows per paragraph), and more from
disk; the trade-off is that corruption which keeps a file's size and
times (bit rot) is caught only by ``load(..., full_check=True)``. One
writer at a time is assumed.
"""

from rag.index.build import build, refresh
from rag.index.record import BadIndexError, Index, corpus_hash
from rag.index.searcher import EXACT_ROWS, IVF_PROBES, make_faiss, tune
from rag.index.store import FILES, FORMAT, STAMP, current, is_building, load, save, sha256_file, verify

__all__ = [
    "EXACT_ROWS",
    "FILES",
    "FORMAT",
    "IVF_PROBES",
    "STAMP",
    "BadIndexError",
    "Index",
    "build",
    "corpus_hash",
    "current",
    "is_building",
    "load",
    "make_faiss",
    "refresh",
    "save",
    "sha256_file",
    "tune",
    "verify",
]
