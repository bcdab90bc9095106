"""A trained answer-sentence ranker against the cross-encoder it would learn from (issue #28's second design).

The question: among the sentences of the first three stories retrieval
finds, does a small model trained here pick the ones that hold the answer
better than the cross-encoder alone? If it did, the model would be shown
those sentences. Each candidate sentence (the ``PRESELECT`` closest to the
question by dense similarity, a bonus for a ranked paragraph, a malus per
story rank) gets 17 features: its cosine, the cross-encoder on it alone and
after its story's title (each also relative to the question's best), its
story's rank and best title score, whether retrieval ranked its paragraph,
its place in the article, whether it names an entity of the kind asked
(``rag.story.names_kind``), the question's idf-weighted words it holds (and
with the sentence before it), its length. Its label: it contains a gold
answer (``contains_answer``).

A logistic regression (torch, standardised features, L2) is trained on
pooled SQuAD questions *outside* the reported sample (the pooled eval asks
the first 150 of one seeded shuffle; training takes the next ``--train``),
then scored on news-2025's tuning split: how often the top 1/3/6/8
sentences by each scorer hold a gold answer. Never the report split. No
language model is called; the cross-encoder and spaCy are.

    .venv/bin/python benchmarks/ranker.py [--train 250] [--index ~/.cache/rag/exp/news]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import random
from pathlib import Path

import numpy as np
import torch

from rag import generate, question, search, story
from rag.embed import MiniLMEmbedder
from rag.eval.corpus import load
from rag.eval.metrics import contains_answer
from rag.minilm import NumpyMiniLM
from rag.pipeline import Engine
from rag.settings import load_settings

EVAL = Path(__file__).resolve().parent.parent.parent / "shared" / "eval"
STORIES, PRESELECT, SAMPLE = 3, 40, 150
FEATURES = ("cosine", "cosine - best", "CE", "CE - best", "CE after title", "CE after title - best", "first story",
            "second story", "ranked paragraph", "first ranked", "lede", "place in article", "names the kind asked",
            "question words held", "... with the sentence before", "log words", "story's best title score - best")


def logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def candidates(engine: Engine, q: question.Question, answers: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The features and labels of the ``PRESELECT`` candidate sentences of the first ``STORIES`` stories."""
    index = engine.index
    hits = list(generate.collect(search.found(engine, q, 8)).hits)
    query = engine.query_embedder.embed([q.text])[0]
    ranked = {h.paragraph.id: r for r, h in enumerate(hits[:3])}
    stories: list[str] = list(dict.fromkeys(h.paragraph.article_id for h in hits))[:STORIES]
    first = {h.paragraph.article_id: h.paragraph for h in reversed(hits)}
    rows = []
    for rank, article in enumerate(stories):
        paragraphs = index.article_of(first[article])
        before = ""
        for p in paragraphs:
            texts, vectors = index.sentences_of(p.id)
            for text, vector in zip(texts, vectors, strict=True):
                rows.append({"story": rank, "p": p, "n": len(paragraphs), "text": text, "before": before,
                             "cos": float(vector @ query), "hit": ranked.get(p.id, -1)})
                before = text
    if not rows:
        return np.zeros((0, len(FEATURES))), np.zeros(0, bool)
    cheap = [r["cos"] + 0.05 * (r["hit"] >= 0) - 0.03 * r["story"] for r in rows]
    rows = [rows[i] for i in np.argsort(-np.array(cheap), kind="stable")[:PRESELECT]]
    alone = [logit(x) for x in engine.reranker.score(q.text, [r["text"] for r in rows])]
    titled = [logit(x) for x in engine.reranker.score(q.text, [f"{r['p'].article_title}. {r['text']}" for r in rows])]
    story_best: dict[int, float] = {}
    for r, t in zip(rows, titled, strict=True):
        story_best[r["story"]] = max(story_best.get(r["story"], -99.0), t)
    top_cos, top_ce, top_title = max(r["cos"] for r in rows), max(alone), max(titled)
    features = []
    for r, a, t in zip(rows, alone, titled, strict=True):
        held = engine.bm25.coverage(q.text, r["text"])
        features.append([r["cos"], r["cos"] - top_cos, a, a - top_ce, t, t - top_title, r["story"] == 0,
                         r["story"] == 1, r["hit"] >= 0, r["hit"] == 0, r["p"].number <= 1,
                         r["p"].number / max(r["n"], 1), story.names_kind(r["text"], q), held,
                         engine.bm25.coverage(q.text, f"{r['before']} {r['text']}") - held,
                         math.log(1 + len(r["text"].split())), story_best[r["story"]] - top_title])
    return np.array(features, np.float64), np.array([contains_answer(r["text"], answers) for r in rows])


def collect(engine: Engine, items: list[tuple[str, dt.date | None, list[str]]]) -> list[tuple[np.ndarray, np.ndarray]]:
    out = []
    for text, day, answers in items:
        q = question.read(text, day, dates=day is not None, articles=len(engine.index.articles))
        out.append(candidates(engine, q, answers))
    return out


def train(groups: list[tuple[np.ndarray, np.ndarray]], l2: float = 1e-3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mean, scale, weights with the bias last) of a logistic regression over every candidate of ``groups``."""
    x = np.concatenate([f for f, _ in groups])
    y = np.concatenate([labels for _, labels in groups]).astype(np.float64)
    mean, scale = x.mean(0), x.std(0) + 1e-9
    xt = torch.tensor(np.hstack([(x - mean) / scale, np.ones((len(x), 1))]))
    w = torch.zeros(xt.shape[1], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([w], max_iter=500)

    def loss() -> torch.Tensor:
        opt.zero_grad()
        value = torch.nn.functional.binary_cross_entropy_with_logits(xt @ w, torch.tensor(y)) + l2 * (w[:-1] ** 2).sum()
        value.backward()
        return value

    opt.step(loss)
    return mean, scale, w.detach().numpy()


def holds(groups: list[tuple[np.ndarray, np.ndarray]], score, m: int) -> int:
    """Questions whose ``m`` best candidates by ``score`` (features -> one score per candidate) hold an answer."""
    return sum(bool(labels[np.argsort(-score(f), kind="stable")[:m]].any()) for f, labels in groups if len(labels))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--eval", type=Path, default=EVAL)
    parser.add_argument("--index", type=Path, help="a built index of the news-2025 articles (default: the settings')")
    parser.add_argument("--train", type=int, default=250, help="pooled SQuAD questions to train on (after the sample)")
    args = parser.parse_args()
    settings = load_settings()
    questions, squad, _, _ = load(args.eval / "xquad.en.json", MiniLMEmbedder.for_index(settings), settings,
                                  corpus_files=(args.eval / "squadshifts_new_wiki_v1.0.json",),
                                  cache_dir=Path.home() / ".cache" / "rag" / "eval-index", seed=1,
                                  pool_questions=True, holdout=8)
    random.Random(1).shuffle(questions)  # as ``rag.eval.questions.sample``: the eval asks the first SAMPLE
    outside = questions[SAMPLE : SAMPLE + args.train]
    engine = Engine(settings, prebuilt=squad, query_embedder=NumpyMiniLM())
    squad_groups = collect(engine, [(q.question, None, list(q.answers)) for q in outside])
    news = args.eval / "news-2025"
    news_settings = settings.with_(seeds_dir=news / "articles")
    engine = Engine(news_settings.with_(index_dir=args.index) if args.index else news_settings)
    rows = [json.loads(line) for line in (news / "questions.jsonl").open(encoding="utf-8")]
    rows = [r for r in rows if r["answerable"] and r["question_date"] <= "2025-08-14"]
    asked = [(r["question"], dt.date.fromisoformat(r["question_date"]), r["answers"]) for r in rows]
    news_groups = collect(engine, asked)
    mean, scale, w = train(squad_groups)
    print("weights (standardised features):")
    for name, weight in zip(FEATURES, w, strict=False):
        print(f"  {name:>34} {weight:+.3f}")
    scorers = {
        "trained ranker": lambda f: ((f - mean) / scale) @ w[:-1],
        "cosine (+ ranked, - story rank)": lambda f: f[:, 0] + 0.05 * f[:, 8] - 0.03 * (1 - f[:, 6]),
        "cross-encoder alone": lambda f: f[:, 2],
        "cross-encoder after title": lambda f: f[:, 4],
    }
    for name, groups in (("pooled SQuAD, trained on", squad_groups), ("news-2025 tuning split", news_groups)):
        held = sum(bool(labels.any()) for _, labels in groups)
        print(f"{name}: {len(groups)} questions, an answer among the candidates for {held}")
        for scorer, score in scorers.items():
            print(f"  {scorer:>32}: top 1/3/6/8 hold one for "
                  + " / ".join(str(holds(groups, score, m)) for m in (1, 3, 6, 8)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
