"""The verifier's word folding: its suffix stripper (``rag.claims.term``) against spaCy's lemmas.

A claim is supported by a paragraph when the paragraph holds half its new
content words, folded so that an answer's wording meets the paragraph's. This
measures both foldings on SQuAD gold answers, without the model: how often a
gold answer is supported by its own paragraph (recall: a miss is a false
abstention) and by another paragraph of its article (a false support), and
the time each takes.

    .venv/bin/python benchmarks/lemmas.py ../shared/eval/squadshifts_new_wiki_v1.0.json
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from pathlib import Path

from rag import claims, language
from rag.eval.questions import read_squad
from rag.text import STOPWORDS


def lemma_terms(text: str) -> set[str]:
    """``rag.claims.terms`` with spaCy's lemma in place of the suffix stripper (numbers and percents alike)."""
    out = set()
    for token in language.doc(text):
        word = token.lower_
        if not any(c.isalnum() for c in word) or word in STOPWORDS:
            continue
        if word.endswith("%") and len(word) > 1:
            out.update((word[:-1], "percent"))
        else:
            out.add(claims._NUMBERS.get(word, token.lemma_.lower()))
    return out


def support(claim: str, paragraph: str, question: str, terms: Callable[[str], set[str]]) -> float:
    """``rag.claims.support`` with the folding given."""
    mine = terms(claim)
    new = mine - terms(question) or mine
    return 1.0 if not new else len(new & terms(paragraph)) / len(new)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("squad", type=Path)
    parser.add_argument("--questions", type=int, default=400)
    args = parser.parse_args()
    articles, questions = read_squad(args.squad)
    paragraphs = {p.id: p for a in articles for p in a.paragraphs}
    by_article: dict[str, list] = {}
    for p in paragraphs.values():
        by_article.setdefault(p.article_id, []).append(p)
    random.seed(7)
    asked = random.sample([q for q in questions if q.answers and q.gold_paragraph], args.questions)
    for name, terms in (("suffix stripper", claims.terms), ("spaCy lemmas", lemma_terms)):
        started, found, wrong = time.perf_counter(), 0, 0
        for q in asked:
            gold = paragraphs[q.gold_paragraph]
            others = [p for p in by_article[gold.article_id] if p.id != gold.id]
            found += support(q.answers[0], gold.text, q.question, terms) >= 0.5
            if others:
                other = random.Random(q.id).choice(others)
                wrong += support(q.answers[0], other.text, q.question, terms) >= 0.5
        print(f"{name}: gold answer supported by its paragraph {found / len(asked):.3f}, by another paragraph of "
              f"its article {wrong / len(asked):.3f}, {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
