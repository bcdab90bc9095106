"""Results: the per-question records of an eval run and their file, ``results.jsonl``.

``results.jsonl`` is the source of truth: one ``Result`` per line, appended
and flushed as each question finishes, so an interrupted run loses at most
the line being written (a torn last line is dropped on resume). Everything
else a run writes (``rag.eval.report``) is recomputed from these lines.

Trade-offs: records keep paragraph ids, not whole paragraphs, so a line
stays small and a run over a large corpus does not copy it; the scoring that
needs the paragraphs happens before the line is written
(``rag.eval.metrics``). Lines are read back into the frozen dataclasses by
hand rather than by a schema library: no dependency, and a line of an older
run without a newer field still reads (``kind`` and the news-quiz scores
default).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

METRIC_K = 10  # retrieval metrics always look at the top 10, whatever k the model gets


@dataclass(frozen=True)
class Ranking:
    """One retriever's top ``METRIC_K`` for a question; ``rank`` of the gold (1-based), None if absent."""

    retriever: str
    rank: int | None
    hits: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class CitationRecord:
    marker: int
    paragraph: str
    support: float
    sentence: str


@dataclass(frozen=True)
class Latency:
    retrieve: float
    prompt: float
    generate: float
    total: float


@dataclass(frozen=True)
class AnswerRecord:
    """The end-to-end answer, with paragraph ids instead of whole paragraphs."""

    retriever: str
    model: str
    text: str
    raw: str
    abstained: bool
    citations: tuple[CitationRecord, ...]
    hits: tuple[tuple[str, float], ...]
    unsupported: tuple[str, ...]
    seconds: Latency
    prompt_tokens: int
    generated_tokens: int
    calls: int = 0  # model calls for the question
    new_tokens: int = 0  # prompt tokens evaluated over those calls (not reused)


@dataclass(frozen=True)
class Scores:
    """Per-answer metric counts; None where the metric does not apply to this question."""

    em: float | None
    f1: float | None
    citation_correct: bool | None
    claims: int  # claims that add words to the question
    citations: int  # claims carrying a marker (one marker per claim)
    supported: int  # claims whose own citation supports them
    raw_claims: int
    raw_citations: int
    raw_supported: int
    markers_ok: bool | None
    raw_markers_ok: bool | None
    # News quiz measures (None where the question has no gold answers): the answer contains a gold
    # answer (and names at most one of the quiz's choices); it was answered, shown verified, and wrong
    # (``picks_gold`` false); a paragraph shown to the model contains a gold answer; the answer contains
    # a gold answer or matches the gold choice best (``rag.eval.metrics.picks_gold``).
    contains: bool | None = None
    wrong_verified: bool | None = None
    shown_answer: bool | None = None
    picks_gold: bool | None = None
    # A sentence containing a gold answer was among what the model read in any call (``Answer.read``) or
    # among the verified evidence.
    read_answer: bool | None = None
    # Multi-answer questions (tests/multi): every expected answer present and cited by evidence stating it;
    # an attribution trap answered with another speaker's quote as the asked person's.
    all_answers: bool | None = None
    attribution_error: bool | None = None


@dataclass(frozen=True)
class Result:
    id: str
    question: str
    answerable: bool
    answers: tuple[str, ...]
    gold_paragraph: str | None
    gold_article: str | None
    retrieval: tuple[Ranking, ...]
    answer: AnswerRecord | None
    scores: Scores | None
    kind: str = ""  # a multi-answer question's kind (list, coref, attribution, metadata)

    @property
    def has_gold(self) -> bool:
        return self.answerable and bool(self.gold_paragraph or self.gold_article or self.answers)


def result_from_json(d: dict) -> Result:
    a = d.get("answer")
    answer = None
    if a is not None:
        answer = AnswerRecord(
            a["retriever"],
            a["model"],
            a["text"],
            a["raw"],
            a["abstained"],
            tuple(CitationRecord(**c) for c in a["citations"]),
            tuple((h[0], h[1]) for h in a["hits"]),
            tuple(a["unsupported"]),
            Latency(**a["seconds"]),
            a["prompt_tokens"],
            a["generated_tokens"],
            a.get("calls", 0),
            a.get("new_tokens", 0),
        )
    return Result(
        d["id"],
        d["question"],
        d["answerable"],
        tuple(d["answers"]),
        d["gold_paragraph"],
        d["gold_article"],
        tuple(Ranking(r["retriever"], r["rank"], tuple((h[0], h[1]) for h in r["hits"])) for r in d["retrieval"]),
        answer,
        None if d.get("scores") is None else Scores(**d["scores"]),
        d.get("kind", ""),
    )


def read_results(path: Path) -> list[Result]:
    """All complete lines of ``results.jsonl``; a torn last line (crash mid-write) is cut off the file."""
    if not path.exists():
        return []
    data = path.read_bytes()
    lines = data.split(b"\n")
    good = data
    if lines[-1]:  # no final newline: the last write was interrupted
        good = data[: len(data) - len(lines[-1])]
        lines = lines[:-1]
    out: list[Result] = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            out.append(result_from_json(json.loads(line)))
        except (ValueError, KeyError, TypeError) as err:
            raise ValueError(f"{path}:{n}: unreadable result ({err}); delete the line, or use --overwrite") from None
    if good != data:
        path.write_bytes(good)
    return out


def append_result(f, result: Result) -> None:  # f: an open text file
    f.write(json.dumps(asdict(result), ensure_ascii=False) + "\n")
    f.flush()  # a finished question survives Ctrl-C or a crash of the next one
