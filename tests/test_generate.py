"""Context selection: which sentences of the retrieved paragraphs the model is shown."""

from pathlib import Path

import numpy as np
import pytest

from rag.index import Index
from rag.records import Hit
from rag.retrieve import dense_ranking
from tests.fakes import FakeEmbedder
from tests.test_index import _index_texts, _refresh


def _dense_hits(ix: Index, query: np.ndarray, k: int) -> list[Hit]:
    return [Hit(paragraph=ix.paragraphs[p], score=score) for p, score in dense_ranking(ix, query, k)]


def test_context_keeps_the_sentences_closest_to_the_question(seeds: Path, tmp_path: Path) -> None:
    from rag.generate import select_context

    ix, _, _ = _refresh(seeds, tmp_path / "ix")
    query = FakeEmbedder().embed(["Soleimani killed January Al-Asad missiles"])[0]
    hits = _dense_hits(ix, query, 2)
    passages = select_context(query, hits, ix, budget=10)
    assert len(passages) == 2
    assert passages[0].startswith("The US also killed Iranian IRGC commander Qasem Soleimani in January")
    assert "Rumors indicate" not in passages[0]  # over budget, and less similar
    with pytest.raises(ValueError, match="unknown context"):
        select_context(query, hits, ix, budget=80, context="all")


def test_top_context_spends_the_budget_on_the_first_hit(tmp_path: Path) -> None:
    from rag.generate import select_context

    ix = _index_texts(
        tmp_path,
        a="A\n\nThe mayor opened the bridge. It cost millions. Crowds came.",
        b="B\n\nThe mayor praised the bridge. The bridge was opened late. Rain fell.",
    )
    query = FakeEmbedder().embed(["mayor opened bridge cost"])[0]
    hits = _dense_hits(ix, query, 2)
    assert [h.paragraph.id for h in hits] == ["a:1", "b:1"]
    best = select_context(query, hits, ix, budget=16)
    top = select_context(query, hits, ix, budget=16, context="top")
    assert best == ["The mayor opened the bridge.", "The mayor praised the bridge. The bridge was opened late."]
    assert top == ["The mayor opened the bridge. It cost millions. Crowds came.", "The bridge was opened late."]
