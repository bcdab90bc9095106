"""``ask()``: the question read once, then search -> reading -> the model -> verification -> wording.

``stream`` is the whole composition, top to bottom: it reads the question
into its ``Question`` record (``rag.question``), answers a question about an
article's header from the header (``rag.header``), otherwise searches the
news of the day asked on (``rag.search``), shows the model what can answer
(``rag.generate``), keeps only the claims the shown paragraphs verify, worded
for the reader (``rag.verify``, ``rag.wording``), looks for the further
answers of a question with several (``rag.more``), and says what the dates
mean (``rag.when``). Abstention happens in code, twice: before the model,
when the retrieval evidence is too weak; after it, when the model says NOT
FOUND or none of its claims is verified. The matched paragraphs are read
first; when they give nothing verified, the question is asked once more
with the story read (``rag.story``: the best story's sentences, since the
answer is often elsewhere in it), or, with the story off, after a NOT
FOUND, with the best paragraph alone and whole (``reask``).

An ``Engine`` holds what is expensive to build (embedders, LLM, cross-encoder,
loaded index), each built on first use and each replaceable (tests pass
fakes); it holds no pipeline logic. The only global is the default engine,
built on the first ``ask()`` that doesn't bring its own.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import date

from rag import generate, header, index, more, question, retrieve, search, sync, when, wording
from rag.crossencoder import OnnxCrossEncoder
from rag.embed import Embedder, MiniLMEmbedder
from rag.errors import RagError
from rag.llm import LLM, make_llm
from rag.minilm import NumpyMiniLM
from rag.prompts import said_not_found
from rag.records import Answer, Evidence, Hit, IndexReport, Timings
from rag.rerank import Reranker
from rag.settings import Settings, load_settings

log = logging.getLogger(__name__)
BM25_FOLDER = "bm25"  # inside the index folder
QuestionError = question.QuestionError  # raised for an empty or huge question


def stream(engine: Engine, text: str, k: int | None = None, hits: Sequence[Hit] | None = None,
           as_of: date | None = None, history: Sequence[tuple[str, str]] = ()) -> Iterator[Evidence | str | Answer]:
    """Yield the ``Evidence`` retrieval finds (before the model is asked), raw answer text pieces as they are
    generated, then the final ``Answer``. ``hits`` replaces retrieval (to evaluate another retriever end to end);
    ``as_of`` is the day asked on (default today); ``history``: the conversation's earlier (question, answer)."""
    s, started, text = engine.settings, time.perf_counter(), question.clean(text)  # refused before the index loads
    q = question.read(text, as_of, dates=s.dates, history=history, articles=len(engine.index.articles))
    k = k or s.k
    if hits is None and (headed := header.answer_of(engine, q, k, started)) is not None:
        return (yield when.dated(headed[0], q, headed[1], engine.index))  # a byline, date, outlet: the header
    found = yield from search.found(engine, q, k + more.MORE_PASSAGES, hits)
    shown, timings = generate.shown(engine, q, found, k), Timings(retrieve=time.perf_counter() - started)
    if shown is None:  # too weak to answer from: no model call
        return (yield when.dated(wording.abstention(q.text, found.hits[:k], timings, s.model), q, found, engine.index))
    completion = yield from generate.answer(engine.llm, q.text, shown, s.max_tokens)
    answer = wording.verified(engine, q, completion, shown, timings.plus(completion))
    reask = s.reask and answer.abstained and (s.story or said_not_found(completion.text))  # nothing verified
    if reask and (second := generate.again(engine, q, found, shown)) != shown:  # the story read (rag.story)
        yield search.evidence(engine, found.query, list(second.hits), reranked=True)  # a new draft starts
        again = yield from generate.answer(engine.llm, q.text, second, s.max_tokens)
        answer = wording.verified(engine, q, again, second, answer.timings.plus(again), answer.read)
    answer = more.answers(engine, q, answer, found)
    if not answer.abstained:
        answer = replace(answer, text=wording.as_sentence(q, answer.text))  # "A [1] and B [2] met him."
    yield when.dated(answer, q, found, engine.index)


class Engine:
    """The loaded models and index behind ``ask()`` (``rag.resources.Resources``)."""

    def __init__(
        self,
        settings: Settings | None = None,
        embedder: Embedder | None = None,
        llm: LLM | None = None,
        prebuilt: index.Index | None = None,
        query_embedder: Embedder | None = None,
        make_llm: Callable[[Settings], LLM] = make_llm,
        reranker: Reranker | None = None,
    ) -> None:
        """``prebuilt``: an index to use as is (an evaluation corpus), instead of the articles folder's.

        ``embedder`` indexes articles; ``query_embedder`` embeds questions and
        must give the same vectors. By default they are sentence-transformers
        (fast in bulk, slow to import) and ``NumpyMiniLM`` (starts in 0.3 s),
        so a question never waits for torch unless articles changed.
        ``reranker`` re-scores the retrieved paragraphs when ``Settings.rerank``
        is on (default: the ONNX cross-encoder).
        """
        self.settings = settings or load_settings()
        self._embedder, self._query_embedder = embedder, query_embedder or embedder
        self._llm, self._make_llm, self._reranker = llm, make_llm, reranker
        self._index: index.Index | None = prebuilt
        self._prebuilt = prebuilt is not None  # an evaluation corpus: its folder is not ours to write in
        self._bm25: retrieve.Bm25 | None = None
        self._read: dict = {}  # article files already read by this engine (rag.ingest.load_articles)
        self._saving: threading.Thread | None = None  # a background save of the index (refresh(wait=False))
        self._bm25_lock = threading.Lock()

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = MiniLMEmbedder.for_index(self.settings)
        return self._embedder

    @property
    def query_embedder(self) -> Embedder:
        if self._query_embedder is None:
            self._query_embedder = NumpyMiniLM()
        return self._query_embedder

    @property
    def llm(self) -> LLM:
        if self._llm is None:
            self._llm = self._make_llm(self.settings)
        return self._llm

    @property
    def reranker(self) -> Reranker:
        if self._reranker is None:
            self._reranker = OnnxCrossEncoder(self.settings.threads)
        return self._reranker

    @property
    def index(self) -> index.Index:
        if self._index is None:
            self.refresh()
        assert self._index is not None
        return self._index

    @property
    def bm25(self) -> retrieve.Bm25:
        """The BM25 model of the current index: loaded from beside the index, else built (and saved there)."""
        corpus = self.index.corpus_sha256
        with self._bm25_lock:  # the background save builds it too (``refresh(wait=False)``)
            if self._bm25 is None or self._bm25.corpus_sha256 != corpus:
                saved = self.settings.index_dir / BM25_FOLDER
                bm25 = None if self._prebuilt else retrieve.Bm25.load(saved, corpus)
                if bm25 is None:  # the previous model's tokens are reused: only new paragraphs are tokenized
                    bm25 = retrieve.Bm25(self.index, self._bm25)
                    if not self._prebuilt:
                        with contextlib.suppress(OSError):  # a read-only index folder: built again next start
                            bm25.save(saved)
                self._bm25 = bm25
            return self._bm25

    def refresh(
        self, rebuild: bool = False, progress: Callable[[int, int], None] | None = None, wait: bool = True
    ) -> IndexReport:
        """Re-read the articles folder and re-embed only what changed (``rag.sync``). ``wait=False`` (a
        long-running process such as the web page) returns once the new index is in memory and saves it in a
        background thread; the next refresh (or ``wait()``) waits for that save."""
        self.wait()
        self._index, self._read, report = sync.refresh(self.settings, self.embedder, self._index, self._read,
                                                       rebuild, progress, None if wait else self._save_in_background)
        return report

    def share_index(self, other: Engine) -> None:
        """Use ``other``'s index and BM25 model (an engine of the same folders with another model)."""
        self._index, self._bm25, self._read = other.index, other._bm25, other._read

    def wait(self) -> None:
        """Wait for a background save of the index (``refresh(wait=False)``) to finish."""
        if self._saving is not None:
            self._saving.join()
            self._saving = None

    def _save_in_background(self, save: Callable[[], None]) -> None:
        def run() -> None:
            try:
                save()
            except RagError as err:  # a full disk: the index in memory works; the next start rebuilds what is missing
                log.warning("the index could not be saved: %s", err)
                return
            # The next question's BM25, built now and saved for the next process too; a later refresh does not
            # wait for it (the lock in ``bm25`` keeps one build at a time).
            threading.Thread(target=lambda: self.bm25, name="bm25").start()

        self._saving = threading.Thread(target=run, name="index-save")
        self._saving.start()

    def stream(self, question: str, k: int | None = None, hits: Sequence[Hit] | None = None,
               as_of: date | None = None, history: Sequence[tuple[str, str]] = ()) -> Iterator[Evidence | str | Answer]:
        """``stream`` on this engine's models and index."""
        return stream(self, question, k, hits, as_of, history)

    def ask(self, question: str, k: int | None = None, hits: Sequence[Hit] | None = None,
            as_of: date | None = None, history: Sequence[tuple[str, str]] = ()) -> Answer:
        *_, answer = stream(self, question, k, hits, as_of, history)
        assert isinstance(answer, Answer)
        return answer

    def retrieve(self, text: str, k: int, retriever: str | None = None, as_of: date | None = None) -> list[Hit]:
        """The ``k`` best paragraphs for ``text`` by ``retriever`` (default: the configured one), asked on ``as_of``."""
        q = question.read(text, as_of, dates=self.settings.dates)
        return list(generate.collect(search.found(self, q, k, retriever=retriever)).hits)  # no evidence shown


_default: Engine | None = None


def default_engine() -> Engine:
    global _default
    if _default is None:
        _default = Engine()
    return _default


def ask(question: str, *, k: int | None = None, as_of: date | None = None, engine: Engine | None = None) -> Answer:
    """Answer ``question`` from the indexed articles as of the day ``as_of`` (default today), citing its paragraphs."""
    return (engine or default_engine()).ask(question, k, as_of=as_of)
