"""Answer-side levers on and off, re-scored from one ``rag eval`` run.

The model's raw answer to each question is stored in ``results.jsonl``;
everything after the model is deterministic code, so each lever can be
switched off by re-running that code on the stored answers instead of
asking the model again (a lever before the model, the retrieval gate, is
re-applied to the stored hits). The run must be made with ``RAG_MIN_SCORE=0``
so that the model answered every question and the gate can be applied here.

Levers:
- retrieval gate: none / top dense score >= ``--cosine`` / ``rag.retrieve.evidence`` >= ``--min-score``;
- citation choice: the model's marker kept when its passage supports the claim,
  or the supporting passage whose evidence sentence best matches the question;
- verifier: on (``rag.verify.verify``) or off (the model's text and markers as written).

    python benchmarks/levers.py runs/final [--min-score 0.42] [--cosine 0.35]
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rag import claims, index, retrieve
from rag.eval.metrics import citation_correct, exact_match, token_f1
from rag.eval.questions import Question
from rag.eval.results import Result, read_results
from rag.prompts import said_not_found
from rag.question import read
from rag.records import Answer, Citation, Hit, Paragraph
from rag.text import markers, strip_markers
from rag.verify import verify


@dataclass(frozen=True)
class Variant:
    name: str
    gate: str  # "none", "cosine" or "evidence"
    trust_marker: bool = False
    verifier: bool = True


VARIANTS = (
    Variant("all levers on (default)", "evidence"),
    Variant("retrieval gate: none", "none"),
    Variant("retrieval gate: top dense score only", "cosine"),
    Variant("citation: trust the model's marker", "evidence", trust_marker=True),
    Variant("verifier off (model's text and markers)", "evidence", verifier=False),
    Variant("all off", "none", trust_marker=True, verifier=False),
)


def unverified(raw: str, hits: tuple[Hit, ...]) -> tuple[str, tuple[Citation, ...]]:
    """The model's answer as written, its in-range markers taken at their word."""
    citations = tuple(
        Citation(marker=n, paragraph=hits[n - 1].paragraph, support=1.0, sentence=raw, evidence="")
        for n in dict.fromkeys(markers(raw))
        if 0 < n <= len(hits)
    )
    return raw, citations


def found(r: Result, paragraphs: dict[str, Paragraph], meta: dict) -> tuple[Hit, ...]:
    """The k hits the answering retriever found: the pipeline gates on these, then may show fewer (``margin``)."""
    ranking = [x for x in r.retrieval if x.retriever == meta.get("answers_from")]
    top = ranking[0].hits[: int(meta["k"])] if ranking else ()
    return tuple(Hit(paragraph=paragraphs[pid], score=score) for pid, score in top)


def answer_of(
    r: Result,
    hits: tuple[Hit, ...],
    gated: tuple[Hit, ...],
    v: Variant,
    gate: Callable[[Result, tuple[Hit, ...]], bool],
) -> Answer:
    assert r.answer is not None
    raw = r.answer.raw.strip()
    if not gate(r, gated) or said_not_found(raw):
        return Answer(question=r.question, text="", citations=(), hits=hits, abstained=True, raw=raw)
    if not v.verifier:  # whatever the model wrote is the answer, cited or not
        text, citations = unverified(raw, hits)
        return Answer(question=r.question, text=text, citations=citations, hits=hits, abstained=False, raw=raw)
    said = claims.drop_partial_sentence(raw)
    checked = verify(said, [h.paragraph for h in hits], read(r.question),
                     trust_marker=v.trust_marker)
    return Answer(question=r.question, text=checked.text, citations=checked.citations, hits=hits,
                  abstained=not checked.citations, raw=raw)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="a rag eval run folder made with RAG_MIN_SCORE=0")
    parser.add_argument("--min-score", type=float, default=0.42, help="evidence threshold (the default setting)")
    parser.add_argument("--cosine", type=float, default=0.35,
                        help="dense-score threshold of the cosine-only gate (about the same false abstention)")
    args = parser.parse_args()
    meta = json.loads((args.run / "summary.json").read_text())["settings"]
    if float(meta.get("min_score", 1)) > 0:
        parser.error(f"{args.run} was run with min_score={meta.get('min_score')}: rerun with RAG_MIN_SCORE=0")
    idx = index.load(Path(meta["index"]), meta["embedder"])
    bm25 = retrieve.Bm25(idx)
    paragraphs = {p.id: p for p in idx.paragraphs}
    results = [r for r in read_results(args.run / "results.jsonl") if r.answer is not None]
    gates: dict[str, Callable[[Result, tuple[Hit, ...]], bool]] = {
        "none": lambda r, hits: bool(hits),
        "cosine": lambda r, hits: bool(hits) and max(h.score for h in hits) >= args.cosine,
        "evidence": lambda r, hits: retrieve.evidence(r.question, hits, bm25) >= args.min_score,
    }
    print(f"{args.run}: {len(results)} questions ({sum(not r.answerable for r in results)} unanswerable)\n")
    print("| variant | F1 | EM | cited paragraph correct | abstains when unanswerable | false abstention |")
    print("|---|---|---|---|---|---|")
    for v in VARIANTS:
        f1, em, correct, abstain_u, abstain_a = [], [], [], [], []
        for r in results:
            assert r.answer is not None
            hits = tuple(Hit(paragraph=paragraphs[pid], score=score) for pid, score in r.answer.hits)
            a = answer_of(r, hits, found(r, paragraphs, meta) or hits, v, gates[v.gate])
            q = Question(r.id, r.question, r.answers, r.gold_paragraph, r.gold_article, r.answerable)
            if not r.answerable:
                abstain_u.append(a.abstained)
                continue
            abstain_a.append(a.abstained)
            text = "" if a.abstained else strip_markers(a.text)
            f1.append(token_f1(text, r.answers) if text else 0.0)
            em.append(exact_match(text, r.answers) if text else 0.0)
            ok = citation_correct(q, a)
            if ok is not None:
                correct.append(ok)

        def m(xs: list) -> str:
            return f"{statistics.fmean(xs):.3f}" if xs else "–"

        print(f"| {v.name} | {m(f1)} | {m(em)} | {m(correct)} | {m(abstain_u)} | {m(abstain_a)} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
