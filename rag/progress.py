"""A ``progress(done, total)`` callback that draws a tqdm bar on stderr, for long work."""

from __future__ import annotations

from collections.abc import Callable


def progress_bar(desc: str) -> Callable[[int, int], None]:
    """A ``progress(done, total)`` callback drawing a tqdm bar on stderr."""
    import sys

    from tqdm import tqdm

    bars: list[tqdm] = []

    def update(done: int, total: int) -> None:
        if not bars:
            bars.append(tqdm(total=total, desc=desc, unit="text", file=sys.stderr, leave=False))
        bars[0].update(done - bars[0].n)
        if done >= total:
            bars[0].close()

    return update
