"""Where the answer is, and what judges it: the measurements behind ``rag.story`` and the story-context verifier.

For each answerable news-2025 question (tuning split by default: asked up to
2025-08-14; ``--report`` for the later ones), searched as of its date the way
``ask()`` searches (``rag.search.found``):

- how often the first 1/3/5 stories (articles, in the order of their best
  paragraph) and the first 1/3/5 paragraphs contain a gold answer; where
  the first five stories do not, whether the archive holds the story at
  all: a search told the answer (question and answer as the query) finds
  a paragraph containing it, or none (``--show`` prints what it finds:
  often a mere mention, "Denmark" in a football score line);
- how often the sentences ``rag.story`` would choose contain one, against
  the best story's sentences ranked by similarity alone, for 6 and 8
  sentences of the best 1, 2 or 3 stories (``--no-entities`` skips spaCy);
- with ``--judge``: the cross-encoder on the best story's 12 sentences
  closest to the question, alone, after its title, after the sentence
  before it and after its lede: the share of sentences holding a gold
  answer that reach 0.9 against the share of the others, and the same with
  the verifier's floor on the sentence alone (``rag.verify.STORY_FLOOR``).

No model is called. Never tune on the report split: it is what is reported.

    .venv/bin/python benchmarks/story.py [--report] [--judge]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from collections import Counter
from pathlib import Path

import numpy as np

from rag import generate, question, search, story
from rag.eval.metrics import contains_answer
from rag.pipeline import Engine
from rag.settings import load_settings
from rag.verify import STORY_FLOOR

NEWS = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "news-2025"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--news", type=Path, default=NEWS)
    parser.add_argument("--index", type=Path, help="a built index of the news-2025 articles (default: the settings')")
    parser.add_argument("--report", action="store_true", help="the report split (2025-08-15 on) instead of tuning")
    parser.add_argument("--judge", action="store_true", help="also measure the cross-encoder as a judge")
    parser.add_argument("--no-entities", action="store_true")
    parser.add_argument("--show", action="store_true", help="print the paragraphs a search told the answer finds")
    args = parser.parse_args()
    settings = load_settings().with_(seeds_dir=args.news / "articles")
    settings = settings.with_(index_dir=args.index) if args.index else settings
    engine = Engine(settings)
    index = engine.index
    rows = [json.loads(line) for line in (args.news / "questions.jsonl").open(encoding="utf-8")]
    rows = [r for r in rows if r["answerable"] and (r["question_date"] > "2025-08-14") == args.report]
    found, judged = Counter(), {"gold": [], "other": []}
    for r in rows:
        q = question.read(r["question"], dt.date.fromisoformat(r["question_date"]), dates=settings.dates,
                          articles=len(index.articles))
        hits = list(generate.collect(search.found(engine, q, 8)).hits)
        query = engine.query_embedder.embed([q.text])[0]
        answers = r["answers"]

        def has(text: str, answers: list[str] = answers) -> bool:
            return contains_answer(text, answers)

        in_story = [has(" ".join(p.text for p in index.article_of(h.paragraph))) for h in hits[:5]]
        for n in (1, 3, 5):
            found[f"story@{n}"] += any(in_story[:n])
            found[f"paragraph@{n}"] += any(has(h.paragraph.text) for h in hits[:n])
        if not any(in_story):
            # Is the story in the archive at all? A search told the answer finds a paragraph stating it when it is
            # (the paragraphs it does find are printed: a mere mention is no story, judged by eye).
            told = engine.retrieve(f"{r['question']} {answers[0]}", 5, as_of=q.as_of)
            stating = next((h.paragraph for h in told if has(h.paragraph.text)), None)
            found["not in the first 5 stories"] += 1
            found["... nor in any paragraph a search told the answer finds"] += stating is None
            if stating is not None and args.show:
                print(f"  told {answers[0]!r}: {stating.article_title[:60]} | {stating.text[:100]}")
        for stories in (1, 2, 3):
            sents = []
            for rank, h in enumerate(hits[:stories]):
                for p in index.article_of(h.paragraph):
                    texts, vectors = index.sentences_of(p.id)
                    sents += [(float(v @ query) - 0.05 * rank, t) for t, v in zip(texts, vectors, strict=True)]
            sents.sort(key=lambda x: -x[0])
            pre = sents[: story.PRESELECT]
            if not args.no_entities:
                pre = [(c + story.ENTITY_BONUS * story.names_kind(t, q), t) for c, t in pre]
                pre.sort(key=lambda x: -x[0])
            for m in (6, 8):
                found[f"{stories} stories, {m} sentences, similarity"] += any(has(t) for _, t in sents[:m])
                found[f"{stories} stories, {m} sentences, + entity bonus"] += any(has(t) for _, t in pre[:m])
        if args.judge and hits:
            best = hits[0].paragraph
            sents = [(t, float(v @ query)) for p in index.article_of(best)
                     for t, v in zip(*index.sentences_of(p.id), strict=True)]
            lede = sents[0][0]
            for i in sorted(range(len(sents)), key=lambda i: -sents[i][1])[:12]:
                text, before = sents[i][0], sents[i - 1][0] if i else ""
                shown = [text, f"{best.article_title}. {text}", f"{before} {text}", f"{lede} {text}"]
                judged["gold" if has(text) else "other"].append(engine.reranker.score(q.text, shown))
    split = "report" if args.report else "tuning"
    print(f"news-2025 {split} split, {len(rows)} answerable questions")
    for name, count in found.items():
        print(f"  {name}: {count}")
    if args.judge:
        for who, scores in judged.items():
            s = np.array(scores)
            floor = (s[:, 0] >= 0.9) | ((s[:, 1] >= 0.9) & (s[:, 0] >= STORY_FLOOR))
            shares = " / ".join(f"{np.mean(s[:, j] >= 0.9):.2f}" for j in range(4))
            print(f"  {who} sentences ({len(s)}): >= 0.9 alone / after title / after sentence before / after lede: "
                  f"{shares}; title with the floor: {np.mean(floor):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
