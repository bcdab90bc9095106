"""Two ``rag eval`` runs of the same questions, answer by answer: how often do they give the same answer?

Made for ``RAG_LLM_URL``: decoding is greedy, so a server generating from
the same GGUF and prompt should answer as the in-process model does. For
each question both runs answered, it counts:

- the shown answer identical (text, abstention and cited paragraphs);
- the model's raw text identical (before verification);
- well-formed markers in the model's raw text and in the shown answer
  (``markers_ok`` of ``rag eval``: every ``[n]`` names a shown passage).

    python benchmarks/same_answers.py runs/squad-inproc runs/squad-server [--show 5]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def answers(run: Path) -> dict[str, dict]:
    """Question id -> its result line, for the questions the run answered end to end."""
    out = {}
    for line in (run / "results.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            if row.get("answer") is not None:
                out[row["id"]] = row
    return out


def shown(row: dict) -> tuple:
    a = row["answer"]
    return a["text"], a["abstained"], tuple(c["paragraph"] for c in a["citations"])


def share(rows: list[dict], key: str) -> str:
    """The share of ``rows`` whose ``scores[key]`` is true, over those where it applies."""
    values = [r["scores"][key] for r in rows if r.get("scores") and r["scores"].get(key) is not None]
    return f"{sum(values) / len(values):.3f} (n={len(values)})" if values else "–"


def compare(a: dict[str, dict], b: dict[str, dict]) -> dict[str, object]:
    both = [q for q in a if q in b]
    if not both:
        raise SystemExit("same_answers.py: error: the two runs share no answered question")
    same = [q for q in both if shown(a[q]) == shown(b[q])]
    raw = [q for q in both if a[q]["answer"]["raw"] == b[q]["answer"]["raw"]]
    return {
        "questions": len(both),
        "shown_identical": len(same) / len(both),
        "raw_identical": len(raw) / len(both),
        "differ": [q for q in both if q not in same],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("first", type=Path, help="a rag eval --out folder (e.g. in-process)")
    parser.add_argument("second", type=Path, help="another one over the same questions (e.g. RAG_LLM_URL)")
    parser.add_argument("--show", type=int, default=5, help="print this many differing answers")
    args = parser.parse_args(argv)
    try:
        a, b = answers(args.first), answers(args.second)
    except OSError as err:
        print(f"same_answers.py: error: {err}", file=sys.stderr)
        return 2
    result = compare(a, b)
    n = result["questions"]
    print(f"{n} questions answered by both")
    print(f"shown answer identical: {result['shown_identical']:.3f} ({round(result['shown_identical'] * n)} of {n})")
    print(f"model's raw text identical: {result['raw_identical']:.3f}")
    for name, run in ((args.first, a), (args.second, b)):
        rows = list(run.values())
        print(f"{name}: markers well-formed, model {share(rows, 'raw_markers_ok')}, shown {share(rows, 'markers_ok')}")
    for q in result["differ"][: args.show]:
        print(f"- {q}: {a[q]['question']!r}\n    {shown(a[q])[0]!r}\n    {shown(b[q])[0]!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
