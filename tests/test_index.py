import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from rag import index
from rag.ingest import load_articles
from rag.parse import parse_article
from rag.pipeline import Engine
from rag.records import Filter
from rag.retrieve import dense_ranking
from rag.settings import Settings, SettingsError
from tests.fakes import PROJECT, FakeEmbedder, FakeLLM, FakeReranker, FakeSpanEmbedder


def _refresh(seeds: Path, folder: Path, embedder: FakeEmbedder | None = None, **kw: object):
    articles, _ = load_articles(seeds)
    return index.refresh(articles, folder, embedder or FakeEmbedder(), **kw)


def _index_texts(tmp_path: Path, **texts: str):
    """An index over one article per keyword (file name -> text), built with the fake embedder."""
    folder = tmp_path / "articles"
    folder.mkdir()
    for name, text in texts.items():
        (folder / f"{name}.txt").write_text(text)
    return _refresh(folder, tmp_path / "ix")[0]


def test_build_save_load_roundtrip(seeds: Path, tmp_path: Path) -> None:
    built, embedded, _ = _refresh(seeds, tmp_path / "ix")
    assert embedded == ["000_efee75aea60a5e55"]
    manifest = json.loads((tmp_path / "ix" / "manifest.json").read_text())
    assert manifest["embedder"] == "fake-hash-64" and manifest["dim"] == 64
    assert manifest["paragraphs"] == 16 and len(manifest["corpus_sha256"]) == 64
    loaded = index.load(tmp_path / "ix", "fake-hash-64")
    assert loaded.paragraphs == built.paragraphs
    np.testing.assert_array_equal(loaded.vectors, built.vectors)
    assert not any(p.suffix == ".pkl" for p in (tmp_path / "ix").iterdir())


def test_unchanged_corpus_embeds_nothing(seeds: Path, tmp_path: Path) -> None:
    _refresh(seeds, tmp_path / "ix")
    embedder = FakeEmbedder()
    _, embedded, removed = _refresh(seeds, tmp_path / "ix", embedder)
    assert embedded == [] and removed == [] and embedder.calls == []


def test_only_added_and_edited_articles_are_embedded(seeds: Path, tmp_path: Path) -> None:
    _refresh(seeds, tmp_path / "ix")
    (seeds / "extra.txt").write_text("Extra title\nThe mayor opened a bridge.Nobody came.")
    embedder = FakeEmbedder()
    ix, embedded, _ = _refresh(seeds, tmp_path / "ix", embedder)
    assert embedded == ["extra"]
    assert sorted(t for call in embedder.calls for t in call) == ["Nobody came.", "The mayor opened a bridge."]
    assert ix.paragraphs[-1].id == "extra:2"
    # Seed paragraph ids are unchanged by the re-index.
    assert ix.paragraphs[0].id == "000_efee75aea60a5e55:1"

    (seeds / "extra.txt").write_text("Extra title\nThe mayor closed the bridge.")
    ix, embedded, _ = _refresh(seeds, tmp_path / "ix")
    assert embedded == ["extra"] and ix.paragraphs[-1].text == "The mayor closed the bridge."


def test_removed_article_leaves_the_index(seeds: Path, tmp_path: Path) -> None:
    (seeds / "extra.txt").write_text("Extra title\nThe mayor opened a bridge.")
    _refresh(seeds, tmp_path / "ix")
    (seeds / "extra.txt").unlink()
    ix, embedded, removed = _refresh(seeds, tmp_path / "ix")
    assert removed == ["extra"] and embedded == []
    assert all(p.article_id != "extra" for p in ix.paragraphs)
    assert len(ix.vectors) == len(ix.owners) and ix.owners.max() == len(ix.paragraphs) - 1


def test_other_embedder_is_a_clear_error(seeds: Path, tmp_path: Path) -> None:
    _refresh(seeds, tmp_path / "ix")
    other = FakeEmbedder()
    other.name = "another-model"
    with pytest.raises(index.BadIndexError, match="built with fake-hash-64"):
        _refresh(seeds, tmp_path / "ix", other)
    _, embedded, _ = _refresh(seeds, tmp_path / "ix", other, rebuild=True)
    assert embedded == ["000_efee75aea60a5e55"]


def test_corrupt_file_is_detected_and_rebuilt(seeds: Path, tmp_path: Path) -> None:
    _refresh(seeds, tmp_path / "ix")
    (generation,) = (tmp_path / "ix").glob("gen-*")
    with (generation / "vectors.npy").open("r+b") as f:
        f.seek(200)
        f.write(b"\xff" * 16)
    with pytest.raises(index.BadIndexError, match="does not match the manifest"):
        index.load(tmp_path / "ix", "fake-hash-64")
    _, embedded, _ = _refresh(seeds, tmp_path / "ix")
    assert embedded == ["000_efee75aea60a5e55"]
    index.load(tmp_path / "ix", "fake-hash-64")


def test_missing_index_message(tmp_path: Path) -> None:
    with pytest.raises(index.BadIndexError, match="run `rag index`"):
        index.load(tmp_path / "none", "fake-hash-64")


def test_long_paragraph_is_embedded_in_pieces_but_cited_whole(tmp_path: Path) -> None:
    long_text = " ".join(f"Sentence number {i} talks about topic{i}." for i in range(80))
    article = parse_article(f"Title\n{long_text}\nShort one.", "long")
    ix, _ = index.build([article], FakeEmbedder())
    assert len(ix.paragraphs) == 2 and len(ix.vectors) > 2
    assert set(ix.owners.tolist()) == {0, 1}
    ranking = dense_ranking(ix, FakeEmbedder().embed(["Sentence number 70 talks about topic70"])[0], 2)
    assert ix.paragraphs[ranking[0][0]].id == "long:1"
    assert len({p for p, _ in ranking}) == len(ranking)


def test_index_survives_copy(seeds: Path, tmp_path: Path) -> None:
    _refresh(seeds, tmp_path / "ix")
    shutil.copytree(tmp_path / "ix", tmp_path / "copy")
    assert len(index.load(tmp_path / "copy", "fake-hash-64").paragraphs) == 16


def test_sentence_vectors_are_stored_and_survive_incremental_updates(seeds: Path, tmp_path: Path) -> None:
    ix, _, _ = _refresh(seeds, tmp_path / "ix")
    texts, vectors = ix.sentences_of("000_efee75aea60a5e55:8")
    assert texts[0] == "IRANIAN PRESIDENT Hassan Rouhani also met with the Iraqi foreign minister."
    np.testing.assert_allclose(vectors, FakeEmbedder().embed(texts), atol=1e-6)
    (seeds / "extra.txt").write_text("Extra title\nThe mayor opened a bridge. Nobody came.")
    ix2, _, _ = _refresh(seeds, tmp_path / "ix")
    np.testing.assert_array_equal(ix2.sentences_of("000_efee75aea60a5e55:8")[1], vectors)
    assert ix2.sentences_of("extra:1")[0] == ["The mayor opened a bridge.", "Nobody came."]
    loaded = index.load(tmp_path / "ix", "fake-hash-64")
    np.testing.assert_array_equal(loaded.sentence_offsets, ix2.sentence_offsets)


def test_sentence_vectors_are_pooled_from_their_paragraph_pass_when_the_embedder_can(tmp_path: Path) -> None:
    text = "Title\nRouhani met the Iraqi foreign minister. They spoke of trade.\nOne sentence only."
    article = parse_article(text, "a")
    embedder = FakeSpanEmbedder()
    ix, _ = index.build([article], embedder)
    embedded = [t for call in embedder.calls for t in call]
    assert sorted(embedded) == ["One sentence only.", "Rouhani met the Iraqi foreign minister. They spoke of trade."]
    assert [s for call in embedder.span_calls for s in call if s] == [[(0, 39), (40, 60)]]
    said, vectors = ix.sentences_of("a:1")
    np.testing.assert_allclose(vectors, FakeEmbedder().embed(said), atol=1e-6)

    alone = FakeSpanEmbedder()
    alone.in_context = False  # as MiniLMEmbedder(in_context=False): every sentence gets a pass of its own
    index.build([article], alone)
    assert "They spoke of trade." in [t for call in alone.calls for t in call] and not alone.span_calls


def test_a_resumed_build_reuses_pooled_sentence_vectors_from_the_cache(tmp_path: Path) -> None:
    from rag.index.cache import EmbedCache

    article = parse_article("Title\nThe harbour reopened. Ferries run.\nShops opened. Cafes too.", "a")
    first, _ = index.build([article], FakeSpanEmbedder(), cache=EmbedCache(tmp_path, "fake-hash-64"))
    again = FakeSpanEmbedder()
    resumed, _ = index.build([article], again, cache=EmbedCache(tmp_path, "fake-hash-64"))
    assert again.calls == [] and again.span_calls == []
    np.testing.assert_array_equal(resumed.sentence_vectors, first.sentence_vectors)


def test_a_sentence_is_located_in_its_piece_whatever_its_spacing() -> None:
    from rag.embed import pieces
    from rag.index.build import locate
    from rag.text import sentences

    text = "First  one\there. " + " ".join(f"Word{i} goes." for i in range(120)) + " Last one."
    own = pieces(text)
    units = locate(sentences(text), own)
    assert len(own) > 1 and len(units) == len(sentences(text))
    for sentence, unit in zip(sentences(text), units, strict=True):
        piece, start, end = unit
        assert piece[start:end] == " ".join(sentence.split())
    assert units[-1][0] == own[-1]


def test_old_format_index_is_rebuilt(seeds: Path, tmp_path: Path) -> None:
    _refresh(seeds, tmp_path / "ix")
    manifest = json.loads((tmp_path / "ix" / "manifest.json").read_text())
    manifest["format"] = 1
    (tmp_path / "ix" / "manifest.json").write_text(json.dumps(manifest))
    _, embedded, _ = _refresh(seeds, tmp_path / "ix")
    assert embedded == ["000_efee75aea60a5e55"]


def test_killed_save_leaves_the_previous_index_whole(seeds: Path, tmp_path: Path) -> None:
    """SIGKILL the writer at many points of a save: the index always loads, old or new, never broken."""
    import os
    import signal
    import subprocess
    import sys
    import textwrap
    import time

    folder = tmp_path / "ix"
    before, _, _ = _refresh(seeds, folder)
    (seeds / "extra.txt").write_text("Extra title\n" + " ".join(f"Sentence {i} here." for i in range(3000)))
    script = textwrap.dedent(f"""
        from pathlib import Path
        from rag import index
        from rag.ingest import load_articles
        from tests.fakes import FakeEmbedder
        articles, _ = load_articles(Path({str(seeds)!r}))
        built, _ = index.build(articles, FakeEmbedder())
        print("built", flush=True)
        while True:
            index.save(built, Path({str(folder)!r}))
    """)
    for delay in (0.0, 0.003, 0.01, 0.02, 0.05, 0.1):
        child = subprocess.Popen(
            [sys.executable, "-c", script], stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(PROJECT)}
        )
        assert child.stdout is not None and child.stdout.readline() == b"built\n"
        time.sleep(delay)
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        loaded = index.load(folder, "fake-hash-64")
        assert len(loaded.paragraphs) in (len(before.paragraphs), len(before.paragraphs) + 1)
        assert len(loaded.vectors) == len(loaded.owners)
    assert len(list(folder.glob("gen-*"))) >= 1


def _clustered(n: int, dim: int = 64, seed: int = 0) -> np.ndarray:
    """Unit rows around 40 centres: neighbours worth finding, unlike uniform noise."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((40, dim))
    x = centres[rng.integers(0, 40, n)] + 0.8 * rng.standard_normal((n, dim))
    return np.ascontiguousarray(x / np.linalg.norm(x, axis=1, keepdims=True), np.float32)


def test_index_type_follows_corpus_size(monkeypatch: pytest.MonkeyPatch) -> None:
    import faiss

    vectors = _clustered(3000)
    exact = index.make_faiss(vectors[:100])
    assert isinstance(exact, faiss.IndexFlatIP)
    monkeypatch.setattr(index.searcher, "EXACT_ROWS", 1000)
    approx = index.make_faiss(vectors)
    assert isinstance(approx, faiss.IndexIVFFlat) and approx.nprobe == index.IVF_PROBES < approx.nlist
    assert faiss.omp_get_max_threads() == 1  # searches run single-threaded after a build
    reference = faiss.IndexFlatIP(vectors.shape[1])
    reference.add(vectors)
    queries = vectors[:200] + 0.05 * np.random.default_rng(1).standard_normal((200, vectors.shape[1]), np.float32)
    _, want = reference.search(queries, 10)
    _, got = approx.search(queries, 10)
    assert (got[:, 0] == want[:, 0]).mean() == 1.0
    assert np.mean([len(set(g) & set(w)) / 10 for g, w in zip(got, want, strict=True)]) >= 0.95


def _articles(n: int, seed: int = 0) -> list:
    rng = np.random.default_rng(seed)
    vocabulary = [f"w{i}" for i in range(300)]
    return [
        parse_article(f"Title {a}\n" + "\n".join(
            " ".join(rng.choice(vocabulary, 12)) + "." for _ in range(6)
        ), f"a{a:03d}")
        for a in range(n)
    ]


def test_large_index_update_keeps_centroids_and_matches_exact(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import faiss

    monkeypatch.setattr(index.searcher, "EXACT_ROWS", 100)
    articles = _articles(60)
    first, _ = index.build(articles, FakeEmbedder())
    assert isinstance(first.faiss, faiss.IndexIVFFlat) and first.faiss.ntotal == len(first.vectors) == 360
    added = parse_article("New article\n" + "\n".join(f"Fresh words here {i}." for i in range(5)), "new")
    second, embedded = index.build([*articles[1:], added], FakeEmbedder(), first)
    assert embedded == ["new"]
    ivf = second.faiss
    assert isinstance(ivf, faiss.IndexIVFFlat) and ivf.ntotal == len(second.vectors)
    # The trained centroids are kept; every row sits in the list of its nearest centroid.
    np.testing.assert_array_equal(ivf.quantizer.reconstruct_n(0, ivf.nlist),
                                  first.faiss.quantizer.reconstruct_n(0, first.faiss.nlist))
    np.testing.assert_array_equal(index.searcher._lists(ivf), ivf.quantizer.assign(second.vectors, 1)[:, 0])
    # Probing every list is exact search: the same scores as a flat index (tied rows may swap).
    exact = faiss.IndexFlatIP(second.vectors.shape[1])
    exact.add(second.vectors)
    ivf.nprobe = ivf.nlist
    np.testing.assert_allclose(ivf.search(second.vectors, 5)[0], exact.search(second.vectors, 5)[0], atol=1e-6)

    index.save(second, tmp_path / "ix")
    loaded = index.load(tmp_path / "ix", "fake-hash-64")
    assert isinstance(loaded.faiss, faiss.IndexIVFFlat) and loaded.faiss.nprobe == index.IVF_PROBES
    assert isinstance(loaded.vectors, np.memmap)  # memory-mapped, not read into RAM
    query = second.vectors[7:8]
    assert loaded.faiss.search(query, 1)[1][0, 0] == 7
    assert [p for p, _ in dense_ranking(loaded, query[0], 3)] == [p for p, _ in dense_ranking(second, query[0], 3)]


def test_truncated_file_is_detected_without_hashing(
    seeds: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _refresh(seeds, tmp_path / "ix")
    (generation,) = (tmp_path / "ix").glob("gen-*")
    with (generation / "sentence_vectors.npy").open("r+b") as f:
        f.truncate(1000)
    monkeypatch.setattr(index.store, "sha256_file", lambda path: pytest.fail(f"hashed {path}"))
    with pytest.raises(index.BadIndexError, match="truncated"):
        index.load(tmp_path / "ix", "fake-hash-64")


def test_only_files_changed_since_the_stamp_are_hashed(
    seeds: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import time

    _refresh(seeds, tmp_path / "ix")
    (generation,) = (tmp_path / "ix").glob("gen-*")
    later = time.time_ns() + 10**9  # as if hashing at save time had taken a second (as it does for big indexes)
    os.utime(generation / index.STAMP, ns=(later, later))
    hashed: list[str] = []
    real = index.store.sha256_file
    monkeypatch.setattr(index.store, "sha256_file", lambda path: hashed.append(path.name) or real(path))
    index.load(tmp_path / "ix", "fake-hash-64")
    assert hashed == []
    os.utime(generation / "owners.npy")  # touched: its ctime moves, so it is hashed again (and matches)
    index.load(tmp_path / "ix", "fake-hash-64")
    assert hashed == ["owners.npy"]
    hashed.clear()
    index.load(tmp_path / "ix", "fake-hash-64", full_check=True)
    assert sorted(hashed) == sorted(index.FILES)


def test_the_engine_builds_indexes_with_the_bulk_embedder() -> None:
    from rag.embed import MiniLMEmbedder
    from rag.pipeline import Engine

    indexer = Engine().embedder  # nothing is loaded until the first text
    assert isinstance(indexer, MiniLMEmbedder) and indexer.bulk and not MiniLMEmbedder().bulk


def test_an_index_build_embeds_in_bfloat16_where_the_cpu_has_it_else_in_int8(monkeypatch: pytest.MonkeyPatch) -> None:
    from rag import embed
    from rag.settings import Settings

    for native, expected in ((True, "bfloat16"), (False, "int8")):
        monkeypatch.setattr(embed, "native_bf16", lambda native=native: native)
        assert embed.MiniLMEmbedder.for_index(Settings()).bulk_precision == expected
    assert embed.MiniLMEmbedder.for_index(Settings(precision="float32")).bulk_precision == "float32"
    assert embed.MiniLMEmbedder(precision="int8").bulk_precision == "float32"  # only bulk passes change
    with pytest.raises(SettingsError, match="precision='int4'"):
        Settings(precision="int4")


@pytest.mark.real
def test_minilm_bulk_vectors_stay_close_to_float32() -> None:
    """Index builds embed in bfloat16 or int8: the vectors must stay interchangeable with float32 ones."""
    from rag.embed import MiniLMEmbedder

    articles, _ = load_articles(Path(__file__).resolve().parent.parent / "seeds")
    texts = [s for a in articles for p in a.paragraphs for s in (p.text, *p.text.split(". "))][:200]
    f32 = MiniLMEmbedder().embed(texts)
    bf16 = np.sum(f32 * MiniLMEmbedder(bulk=True, precision="bfloat16").embed(texts), axis=1)
    assert bf16.min() > 0.999
    int8 = np.sum(f32 * MiniLMEmbedder(bulk=True, precision="int8").embed(texts), axis=1)
    assert 0.95 < int8.mean() < 0.9999 and int8.min() > 0.85  # quantized, and still the same vectors


@pytest.mark.real
def test_minilm_pools_a_sentence_from_its_paragraph_pass() -> None:
    """A span's vector comes from the text's own pass: the whole text as a span is its vector; bf16 matches float32;
    a span that truncation cut off (past 256 word-pieces) is embedded alone."""
    from rag.embed import MiniLMEmbedder

    paragraph = "Rouhani met the Iraqi foreign minister in Tehran. They spoke of trade and of the border."
    long = " ".join(["The council debated the budget for hours."] * 40) + " The mayor resigned."
    spans = [[(0, len(paragraph)), (50, len(paragraph))], [(len(long) - 20, len(long))]]
    f32 = MiniLMEmbedder(bulk=True, precision="float32")
    vectors, pooled = f32.embed_spans([paragraph, long], spans)
    np.testing.assert_allclose(vectors, f32.embed([paragraph, long]), atol=1e-5)
    assert float(pooled[0][0] @ vectors[0]) > 0.99
    assert 0.5 < float(pooled[0][1] @ f32.embed([paragraph[50:]])[0]) < 0.99  # read in context, not alone
    np.testing.assert_allclose(pooled[1][0], f32.embed(["The mayor resigned."])[0], atol=1e-5)
    _, bulk = MiniLMEmbedder(bulk=True, precision="bfloat16").embed_spans([paragraph, long], spans)
    assert min(float(a @ b) for p, q in zip(pooled, bulk, strict=True) for a, b in zip(p, q, strict=True)) > 0.999


def test_a_full_disk_while_saving_is_one_clear_error_and_keeps_the_previous_index(
    seeds: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before, _, _ = _refresh(seeds, tmp_path / "ix")
    (seeds / "extra.txt").write_text("Extra title\nThe mayor opened a bridge.")

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(index.store.np, "save", full)
    with pytest.raises(index.BadIndexError, match=r"cannot write the index into .*ix \(No space left on device\)"):
        _refresh(seeds, tmp_path / "ix")
    monkeypatch.undo()
    assert len(list((tmp_path / "ix").glob("gen-*"))) == 1  # the half-written generation is gone
    assert len(index.load(tmp_path / "ix", "fake-hash-64").paragraphs) == len(before.paragraphs)


def test_a_killed_build_resumes_without_embedding_again_what_it_had(tmp_path: Path) -> None:
    """SIGKILL a slow build after its first cache chunk: the rerun embeds only the rest, same vectors."""
    import os
    import signal
    import subprocess
    import sys
    import textwrap
    import time

    seeds = tmp_path / "articles"
    seeds.mkdir()
    for n in range(10):  # 10 articles x 500 one-sentence paragraphs: 5,000 texts, 20 batches of 256
        lines = "\n".join(f"Item {n}-{i} says the number {n * 1000 + i} matters." for i in range(500))
        (seeds / f"a{n}.txt").write_text(f"Article {n}\n{lines}\n")
    folder = tmp_path / "ix"
    script = textwrap.dedent(f"""
        import time
        from pathlib import Path
        from rag.pipeline import Engine
        from rag.settings import Settings
        from tests.fakes import FakeEmbedder

        class Slow(FakeEmbedder):
            def embed(self, texts):
                time.sleep(0.4)
                return super().embed(texts)

        settings = Settings(seeds_dir=Path({str(seeds)!r}), index_dir=Path({str(folder)!r}))
        Engine(settings, embedder=Slow()).refresh()  # as `rag index` does
    """)
    child = subprocess.Popen([sys.executable, "-c", script], env={**os.environ, "PYTHONPATH": str(PROJECT)})
    deadline = time.time() + 60
    while not list((folder / "embed-cache").glob("*.npz")) and time.time() < deadline and child.poll() is None:
        time.sleep(0.05)
    # Meanwhile another process answers from BM25 alone: the paragraphs were saved before embedding.
    settings = Settings(seeds_dir=seeds, index_dir=folder, min_score=0.05, min_relevance=0.0, more_answers=False)
    meanwhile = Engine(
        settings, embedder=FakeEmbedder(), llm=FakeLLM("The number 3007 matters [1]."), reranker=FakeReranker()
    )
    answer = meanwhile.ask("What does item 3-7 say?")
    assert index.is_building(folder) and not meanwhile.index.dense
    assert answer.hits[0].paragraph.text == "Item 3-7 says the number 3007 matters." and not answer.abstained
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert list((folder / "embed-cache").glob("*.npz")) and not index.load(folder, "fake-hash-64").dense
    assert not index.is_building(folder)

    counting = FakeEmbedder()  # the next engine finds nobody completing the index, so it resumes the build
    resumed = Engine(settings, embedder=counting, llm=FakeLLM(), reranker=FakeReranker()).index
    assert resumed.dense
    embedded = sum(len(call) for call in counting.calls)
    assert 0 < embedded <= 5000 - 2048
    assert not (folder / "embed-cache").exists()  # a finished build leaves no cache behind
    clean, _, _ = _refresh(seeds, tmp_path / "clean")
    np.testing.assert_array_equal(resumed.vectors, clean.vectors)
    np.testing.assert_array_equal(resumed.sentence_vectors, clean.sentence_vectors)


def test_a_paragraph_two_articles_share_is_embedded_once_and_keeps_both(tmp_path: Path) -> None:
    wire = "The Kelvo harbour reopened on Friday after two weeks of storm repairs, the port authority said."
    ix = _index_texts(
        tmp_path,
        ap=f"Harbour reopens\n{wire}\nFerries run again.",
        reuters=f"Kelvo port open\n{wire.upper().replace(',', '')}\nShops reopened too.",  # case and commas aside
        other="Other news\nThe mayor opened a bridge.",
    )
    assert [p.article_id for p in ix.copies_of("ap:1")] == ["reuters"]
    assert [p.article_id for p in ix.copies_of("reuters:1")] == ["ap"]
    assert ix.copies_of("ap:2") == () and ix.copies_of("other:1") == ()


def test_wire_copies_are_embedded_once(tmp_path: Path) -> None:
    wire = "The Kelvo harbour reopened on Friday after two weeks of storm repairs, the port authority said."
    articles = [parse_article(f"Title {n}\n{wire}\nLine {n} of its own.", f"a{n}") for n in range(3)]
    embedder = FakeEmbedder()
    index.build(articles, embedder)
    embedded = [t for call in embedder.calls for t in call]
    assert embedded.count(wire) == 1 and len(embedded) == len(set(embedded)) == 4


def test_a_filter_allows_the_paragraphs_of_its_dates_and_outlets_and_undated_ones(tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    for name, date, outlet in (("june", "2025-06-01", "Wire A"), ("july", "2025-07-01", "Wire B"),
                               ("undated", "", "Wire A")):
        front = f'---\ntitle: "{name}"\n' + (f"date: {date}\n" if date else "") + f'outlet: "{outlet}"\n---\n\n'
        (folder / f"{name}.md").write_text(front + f"The {name} story happened.\n\nIt went on.\n")
    ix = _refresh(folder, tmp_path / "ix")[0]

    def allowed(where: Filter | None) -> list[str]:
        mask = ix.allowed(where)
        return sorted({p.article_id for i, p in enumerate(ix.paragraphs) if mask is None or mask[i]})

    assert ix.allowed(None) is None and ix.allowed(Filter(first="2025-01-01")) is None  # all pass: no mask
    assert allowed(Filter(first="2025-06-15", last="2025-07-31")) == ["july", "undated"]
    assert allowed(Filter(last="2025-06-30")) == ["june", "undated"]
    assert allowed(Filter(outlets=frozenset({"Wire A"}))) == ["june", "undated"]
    assert allowed(Filter(last="2025-06-30", outlets=frozenset({"Wire B"}))) == []
