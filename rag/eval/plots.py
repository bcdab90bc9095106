"""Plots: the recall@k curves and the latency histogram of an eval report.

``draw(out, summary, totals)`` saves ``recall_at_k.png`` and ``latency.png``
in the run's folder and returns the markdown lines that show them in
``report.md`` (``rag.eval.report``).

Trade-off: matplotlib is optional (it is large, and only a report needs
it), so without it the same data is written as text: the recall@k curve as
a markdown table, the latency histogram as bars of ``#``. The report then
reads the same, minus the pictures. It is imported on each call rather than
at module level, so importing the eval package never pays for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rag.eval.results import METRIC_K
from rag.eval.summary import Summary


def text_histogram(values: Sequence[float], bins: int = 10, width: int = 40) -> list[str]:
    """A horizontal bar per bin, for when matplotlib is missing.

    >>> text_histogram([1.0, 1.0, 2.0], bins=2, width=4)
    ['  1.00-  1.50 s | ####  2', '  1.50-  2.00 s | ##  1']
    """
    if not values:
        return []
    lo, hi = min(values), max(values)
    step = (hi - lo) / bins or 1.0
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int((v - lo) / step))] += 1
    top = max(counts)
    return [
        f"{lo + i * step:6.2f}-{lo + (i + 1) * step:6.2f} s | {'#' * round(width * c / top)}  {c}"
        for i, c in enumerate(counts)
    ]


def draw(out: Path, s: Summary, totals: list[float]) -> list[str]:
    """PNG plots if matplotlib is installed, else the same data as text; returns markdown lines."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only, no display
        import matplotlib.pyplot as plt
    except ImportError:
        plt = None
    lines: list[str] = []
    if s.retrieval and plt is not None:
        fig, ax = plt.subplots(figsize=(5, 3.5))
        for r in s.retrieval:
            ax.plot(range(1, METRIC_K + 1), r.recall, marker="o", label=r.retriever)
        ax.set(xlabel="k", ylabel="recall@k", ylim=(0, 1.02), title="Gold paragraph in top k")
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right")
        fig.tight_layout()
        fig.savefig(out / "recall_at_k.png", dpi=120)
        plt.close(fig)
        lines += ["![recall@k](recall_at_k.png)", ""]
    elif s.retrieval:
        lines += [
            "| retriever | " + " | ".join(f"R@{k}" for k in range(1, METRIC_K + 1)) + " |",
            "|---" * (METRIC_K + 1) + "|",
        ]
        lines += [f"| {r.retriever} | " + " | ".join(f"{x:.2f}" for x in r.recall) + " |" for r in s.retrieval]
        lines.append("")
    if totals and plt is not None:
        fig, ax = plt.subplots(figsize=(5, 3.5))
        ax.hist(totals, bins=20)
        ax.set(xlabel="seconds per question (total)", ylabel="questions", title="Latency")
        fig.tight_layout()
        fig.savefig(out / "latency.png", dpi=120)
        plt.close(fig)
        lines += ["![latency histogram](latency.png)", ""]
    elif totals:
        lines += ["Latency per question (total):", "", "```", *text_histogram(totals), "```", ""]
    return lines
