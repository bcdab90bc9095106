"""Sync: the index kept in step with the articles folder, re-embedding only what changed.

Each refresh takes the folder's state (every file's size and times) before
reading it, so a file edited while it is read shows up as changed next time.
A saved index that matches the folder is used as is and no file is read; one
that does not is updated article by article (``rag.index.refresh``), with
unchanged files not read again (the ``read`` cache of the engine). Saving can
happen in the background (``save_with``): a long-running process answers
from the new index at once, and a process killed before the save ends loses
nothing, since the next start re-reads the changed files.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from rag import index, ingest
from rag.embed import Embedder
from rag.records import IndexReport
from rag.settings import Settings


def refresh(
    settings: Settings,
    embedder: Embedder,
    current: index.Index | None,
    read: dict,
    rebuild: bool = False,
    progress: Callable[[int, int], None] | None = None,
    save_with: Callable[[Callable[[], None]], None] | None = None,
) -> tuple[index.Index, dict, IndexReport]:
    """(the index of the articles folder, the files read for it by path, what was done): ``current`` and ``read``
    are what the caller holds from its previous refresh."""
    started = time.perf_counter()
    folder, index_dir = settings.seeds_dir, settings.index_dir
    files = ingest.folder_state(folder)  # taken before reading: see the module docstring
    saved = None if rebuild else index.current(index_dir, embedder.name, files)
    # A paragraphs-only index is used as is only while another process completes it.
    if saved is not None and (saved[0].dense or index.is_building(index_dir)):
        loaded, errors = saved
        # Unchanged files need not be read on the next refresh either: their articles are in the index.
        read = {rel: (tuple(files[rel]), article) for article in loaded.article_records()
                if (rel := _inside(article.path, folder)) in files}
        report = IndexReport(articles=len(loaded.articles), paragraphs=len(loaded.paragraphs), embedded=[],
                             removed=[], errors=errors, seconds=time.perf_counter() - started)
        return loaded, read, report
    articles, errors = ingest.load_articles(folder, read)
    if not articles:
        raise index.BadIndexError(
            f"no articles to index in {folder} (add .txt or .md files)"
            + (f"; skipped: {'; '.join(errors)}" if errors else "")
        )
    built, embedded, removed = index.refresh(
        articles, index_dir, embedder, rebuild=rebuild, progress=progress,
        folder_state={"files": files, "skipped": errors}, current=current, save_with=save_with,
    )
    report = IndexReport(articles=len(articles), paragraphs=len(built.paragraphs), embedded=embedded,
                         removed=removed, errors=errors, seconds=time.perf_counter() - started)
    return built, read, report


def _inside(path: str, folder: Path) -> str:
    """``path`` relative to ``folder``, as ``rag.ingest.folder_state`` names files ("" if it is not inside)."""
    try:
        return Path(path).relative_to(folder).as_posix()
    except ValueError:
        return ""
