"""Retrieval over a built index: dense, BM25, fusion, hybrid, and the evidence gate."""

from pathlib import Path

import pytest

from rag.retrieve import dense_ranking
from tests.fakes import FakeEmbedder
from tests.test_index import _index_texts, _refresh


def test_search_orders_by_score(seeds: Path, tmp_path: Path) -> None:
    ix, _, _ = _refresh(seeds, tmp_path / "ix")
    ranking = dense_ranking(ix, FakeEmbedder().embed(["Soleimani Al-Asad base missiles January"])[0], 3)
    assert ix.paragraphs[ranking[0][0]].id == "000_efee75aea60a5e55:16"
    assert [score for _, score in ranking] == sorted((score for _, score in ranking), reverse=True)
    assert dense_ranking(ix, FakeEmbedder().embed(["x"])[0], 0) == []


def test_hybrid_finds_rare_names_dense_blurs(seeds: Path, tmp_path: Path) -> None:
    from rag.retrieve import Bm25, hits

    ix, _, _ = _refresh(seeds, tmp_path / "ix")
    question = "Kataib Hezbollah"
    query = FakeEmbedder().embed([question])[0]
    found = hits(ix, query, question, 3, "hybrid", Bm25(ix))
    assert found[0].paragraph.id == "000_efee75aea60a5e55:11"
    assert [h.paragraph.id for h in hits(ix, query, question, 1, "bm25")] == ["000_efee75aea60a5e55:11"]
    # Scores are the dense blend whatever ranked the hits: paragraph and best-sentence cosine averaged.
    _, sentence_vectors = ix.sentences_of("000_efee75aea60a5e55:11")
    paragraph_cos = float((ix.vectors[ix.owners == 10] @ query).max())
    assert found[0].score == pytest.approx((paragraph_cos + float((sentence_vectors @ query).max())) / 2, abs=1e-6)
    with pytest.raises(ValueError, match="unknown retriever"):
        hits(ix, query, question, 3, "nope")


def test_hybrid_prefers_the_paragraph_with_one_sentence_that_answers(tmp_path: Path) -> None:
    from rag.retrieve import hits

    ix = _index_texts(
        tmp_path,
        a="Title A\n\nThe mayor opened the bridge. Weather stayed calm all week.",
        b="Title B\n\nThe mayor spoke. A bridge was old. Shops opened.",
    )
    question = "Which bridge did the mayor open?"
    query = FakeEmbedder().embed(["mayor opened bridge"])[0]
    # Whole-paragraph vectors and BM25 favour the paragraph that scatters the words over three sentences ...
    assert hits(ix, query, question, 1, "fusion")[0].paragraph.id == "b:1"
    # ... the sentence-sharpened dense score finds the one sentence that says it.
    assert hits(ix, query, question, 1, "hybrid")[0].paragraph.id == "a:1"


def test_evidence_falls_when_the_questions_rare_words_are_missing(seeds: Path, tmp_path: Path) -> None:
    from rag.retrieve import Bm25, evidence, hits

    ix, _, _ = _refresh(seeds, tmp_path / "ix")
    bm25 = Bm25(ix)
    rouhani = ix.paragraphs[ix.positions["000_efee75aea60a5e55:8"]].text
    assert bm25.coverage("Who met the Iraqi foreign minister?", rouhani) == 1.0
    # Same topic, but the person asked about is in no article: the rare word carries most of the weight.
    assert bm25.coverage("Who met the Zambian foreign minister Mwansa?", rouhani) < 0.5
    assert bm25.idf("mwansa") > bm25.idf("minister")

    def evidence_of(question: str) -> float:
        query = FakeEmbedder().embed([question])[0]
        return evidence(question, hits(ix, query, question, 3, "hybrid", bm25), bm25)

    iraqi, zambian = "Who met the Iraqi foreign minister?", "Who met the Zambian foreign minister Mwansa?"
    assert evidence_of(zambian) < evidence_of(iraqi)
    assert evidence("anything", [], bm25) == 0.0


@pytest.mark.parametrize("retriever", ["dense", "bm25", "hybrid"])
def test_a_restricted_search_returns_only_allowed_paragraphs_however_well_others_match(
    tmp_path: Path, retriever: str
) -> None:
    from rag.records import Filter
    from rag.retrieve import Bm25, hits

    folder = tmp_path / "articles"
    folder.mkdir()
    question = "Iran missiles attack base"
    (folder / "old.md").write_text('---\ntitle: "Old"\ndate: 2024-01-08\n---\n\nIran missiles attack base.\n')
    news = "\n\n".join(f"Report {i} on the missiles and the base, seen from town {i}." for i in range(5))
    (folder / "new.md").write_text(f'---\ntitle: "New"\ndate: 2025-06-01\n---\n\n{news}\n')
    ix = _refresh(folder, tmp_path / "ix")[0]
    query = FakeEmbedder().embed([question])[0]
    assert hits(ix, query, question, 3, retriever, Bm25(ix))[0].paragraph.id == "old:1"  # the best match
    found = hits(ix, query, question, 3, retriever, Bm25(ix), Filter(first="2025-01-01"))
    assert found and "old:1" not in {h.paragraph.id for h in found}
    assert len(found) == 3


def test_a_restricted_ivf_search_keeps_the_index_probes() -> None:
    from types import SimpleNamespace

    import faiss
    import numpy as np

    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(2000, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(8), 8, 16, faiss.METRIC_INNER_PRODUCT)
    ivf.train(vectors)
    ivf.add(vectors)
    ivf.nprobe = 16  # every list: the search is exact, so the restricted one must find the best allowed rows
    ix = SimpleNamespace(vectors=vectors, owners=np.arange(2000, dtype=np.int32), faiss=ivf)
    allowed = np.arange(2000) % 2 == 0
    found = [p for p, _ in dense_ranking(ix, vectors[7], 5, allowed)]  # type: ignore[arg-type]
    exact = np.argsort(-(vectors @ vectors[7]) + 10 * ~allowed)[:5]  # row 7 itself is not allowed
    assert found == exact.tolist()


def test_a_storys_hits_cover_the_question_together(seeds: Path, tmp_path: Path) -> None:
    """The speaker named in one paragraph, their words in the next: the story answers what neither does alone."""
    from rag.records import Hit, Paragraph
    from rag.retrieve import Bm25, evidence

    ix, _, _ = _refresh(seeds, tmp_path / "ix")
    bm25 = Bm25(ix)
    question = "What did Stallbaum warn installers about prices?"
    named = Paragraph(id="s:5", article_id="s", article_title="T", number=5, text="The minister is Stallbaum.")
    words = Paragraph(id="s:7", article_id="s", article_title="T", number=7, text="She warned installers on prices.")
    elsewhere = Paragraph(id="o:7", article_id="o", article_title="O", number=7, text=words.text)
    same_story = [Hit(paragraph=words, score=0.4), Hit(paragraph=named, score=0.3)]
    two_stories = [Hit(paragraph=words, score=0.4), Hit(paragraph=elsewhere, score=0.3)]
    assert evidence(question, same_story, bm25) > evidence(question, two_stories, bm25)
    assert evidence(question, same_story, bm25) == (0.4 + bm25.coverage(question, f"{words.text} {named.text}")) / 2


def test_the_category_an_answer_is_an_instance_of_counts_only_where_it_is_stated(seeds: Path, tmp_path: Path) -> None:
    """ "What ethnicity do Qalibaf and Hussein share?" is answered by "both are Kurdish", which never says
    "ethnicity"; "the tech giant Apple" does say "giant", and that still counts for it."""
    from rag.retrieve import Bm25

    ix, _, _ = _refresh(seeds, tmp_path / "ix")
    bm25 = Bm25(ix)
    question, kurdish = "What ethnicity do Qalibaf and Hussein share?", "Qalibaf and Hussein are both Kurdish."
    assert bm25.coverage(question, kurdish) < bm25.coverage(question, kurdish, unstated=("ethnicity",)) < 1.0
    stated = "Qalibaf and Hussein share an ethnicity."
    assert bm25.coverage(question, stated, unstated=("ethnicity",)) == bm25.coverage(question, stated)
