"""``ask()``: compose ingest -> index -> retrieve -> generate -> cite.

An ``Engine`` holds what is expensive to build (embedders, LLM, loaded
index) so a process pays for it once; every component is built lazily on
first use and can be passed in (tests pass fakes; the LLM comes from
``make_llm``, by default ``rag.llm.make_llm``). The only global is the
default engine, built on the first ``ask()`` that doesn't bring its own.

Abstention happens in code, twice: before the model, when the retrieval
evidence is too weak (``rag.retrieve.evidence`` below ``min_score``); after
it, when the model says NOT FOUND or none of its claims is supported by a
shown paragraph whose evidence answers the question (``rag.cite``). A NOT FOUND to passages the evidence gate let
through is asked once more with the best paragraph alone and whole, since
its other sentences may hold the answer (``reask``).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import numpy as np

from rag import attribute, cite, generate, header, index, ingest, more, rerank, retrieve, when
from rag.crossencoder import OnnxCrossEncoder
from rag.embed import Embedder, MiniLMEmbedder
from rag.errors import RagError
from rag.llm import LLM, make_llm
from rag.minilm import NumpyMiniLM
from rag.prompts import said_not_found
from rag.records import Answer, Completion, Context, Evidence, Hit, IndexReport, Timings, Window
from rag.settings import Settings, load_settings

MAX_QUESTION_CHARS = 2000
log = logging.getLogger(__name__)
BM25_FOLDER = "bm25"  # inside the index folder
EVIDENCE = 2  # paragraphs whose best sentence is shown before the answer (``Evidence``)
THEIRS = 2  # paragraphs of the person a question asks the words of, shown beyond the best hits (``_theirs``)
OLDER_CANDIDATES, OLDER_RERANKED = 10, 3  # the older news a note may name: few, since only its best is shown


class QuestionError(RagError):
    """The question cannot be asked (empty, only whitespace, or too long)."""


def clean_question(question: str) -> str:
    """Collapse whitespace and drop control characters; refuse empty or huge questions.

    >>> clean_question("  who   met the minister? ")
    'who met the minister?'
    """
    question = " ".join("".join(ch if ch.isprintable() else " " for ch in question).split())
    if not question:
        raise QuestionError("the question is empty")
    if len(question) > MAX_QUESTION_CHARS:
        raise QuestionError(f"the question is too long ({len(question):,} characters; limit {MAX_QUESTION_CHARS:,})")
    return question


class Engine:
    """The loaded models and index behind ``ask()``."""

    def __init__(
        self,
        settings: Settings | None = None,
        embedder: Embedder | None = None,
        llm: LLM | None = None,
        prebuilt: index.Index | None = None,
        query_embedder: Embedder | None = None,
        make_llm: Callable[[Settings], LLM] = make_llm,
        reranker: rerank.Reranker | None = None,
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
        self._embedder = embedder
        self._query_embedder = query_embedder or embedder
        self._llm = llm
        self._make_llm = make_llm
        self._reranker = reranker
        self._index: index.Index | None = prebuilt
        self._prebuilt = prebuilt is not None  # an evaluation corpus: its folder is not ours to write in
        self._bm25: retrieve.Bm25 | None = None
        self._read: dict = {}  # article files already read by this engine (rag.ingest.load_articles)
        self._saving: threading.Thread | None = None  # a background save of the index (refresh(wait=False))
        self._bm25_lock = threading.Lock()
        # (corpus, its articles' dates sorted, each paragraph's date): ``_since`` and ``_ranked``
        self._dates: tuple[str, list[str], np.ndarray] = ("", [], np.array([], str))

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
    def reranker(self) -> rerank.Reranker:
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
            return self._bm25_of(corpus)

    def _bm25_of(self, corpus: str) -> retrieve.Bm25:
        """``bm25`` for ``corpus``, under its lock."""
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
        """Re-read the articles folder and re-embed only what changed (nothing is read if no file changed).

        ``wait=False`` (a long-running process such as the web page) returns as
        soon as the new index is in memory and saves it in a background thread;
        the next refresh (or ``wait()``) waits for that save. A process killed
        before it ends loses nothing: the next start re-reads the changed files.
        """
        self.wait()
        started = time.perf_counter()
        folder, index_dir = self.settings.seeds_dir, self.settings.index_dir
        # Taken before reading: a file edited while it is read shows up as changed next time.
        files = ingest.folder_state(folder)
        saved = None if rebuild else index.current(index_dir, self.embedder.name, files)
        # A paragraphs-only index is used as is only while another process completes it.
        if saved is not None and (saved[0].dense or index.is_building(index_dir)):
            self._index, errors = saved
            # Unchanged files need not be read on the next refresh either: their articles are in the index.
            self._read = {
                rel: (tuple(files[rel]), article)
                for article in self._index.article_records()
                if (rel := _inside(article.path, folder)) in files
            }
            return IndexReport(
                articles=len(self._index.articles),
                paragraphs=len(self._index.paragraphs),
                embedded=[],
                removed=[],
                errors=errors,
                seconds=time.perf_counter() - started,
            )
        articles, errors = ingest.load_articles(folder, self._read)
        if not articles:
            raise index.BadIndexError(
                f"no articles to index in {self.settings.seeds_dir} (add .txt or .md files)"
                + (f"; skipped: {'; '.join(errors)}" if errors else "")
            )
        self._index, embedded, removed = index.refresh(
            articles,
            index_dir,
            self.embedder,
            rebuild=rebuild,
            progress=progress,
            folder_state={"files": files, "skipped": errors},
            current=self._index,
            save_with=None if wait else self._save_in_background,
        )
        return IndexReport(
            articles=len(articles),
            paragraphs=len(self._index.paragraphs),
            embedded=embedded,
            removed=removed,
            errors=errors,
            seconds=time.perf_counter() - started,
        )

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

    def stream(
        self, question: str, k: int | None = None, hits: Sequence[Hit] | None = None, as_of: date | None = None
    ) -> Iterator[Evidence | str | Answer]:
        """Yield the ``Evidence`` retrieval finds (before the model is asked), raw answer text pieces as they are
        generated, then the final ``Answer``.

        ``hits`` replaces retrieval (to evaluate another retriever end to end);
        ``as_of`` is the day the question is asked on (default today): "this
        week" means the week before it (``rag.when``).
        """
        question, s, started = clean_question(question), self.settings, time.perf_counter()
        if hits is None and (from_header := self._from_header(question, k or s.k, as_of or date.today(), started)):
            return (yield from_header)  # a byline, date or outlet: the article's header answers, not the model
        query, k, day = self.query_embedder.embed([question])[0], k or s.k, as_of or date.today()
        ranked, dated = yield from self._found(question, query, k + more.MORE_PASSAGES, hits, day)
        found = ranked[:k]  # what the model is shown at most; the rest may hold more answers (rag.more)
        if not found or retrieve.evidence(question, found, self.bm25) < s.min_score:
            abstained = cite.abstention(question, found, Timings(retrieve=time.perf_counter() - started), s.model)
            yield self._dated(abstained, dated)
            return
        close = retrieve.within(found, s.margin)
        shown = generate.context(question, query, [*close, *self._theirs(question, query, close)], self.index, s)
        timings = Timings(retrieve=time.perf_counter() - started)
        answer = yield from self._answer(question, query, shown, ranked, timings)
        yield self._dated(answer, dated)

    def _answer(
        self, question: str, query: np.ndarray, shown: Context, ranked: Sequence[Hit], timings: Timings
    ) -> Generator[str, None, Answer]:
        """The model's answer to the shown passages, verified: asked again with the best paragraph whole after a
        NOT FOUND (``reask``), and given the further answers of the paragraphs it did not cite (``rag.more``)."""
        s, llm = self.settings, self.llm  # the model is loaded on first use, outside the per-question timings
        completion = yield from generate.answer(llm, question, shown, s.max_tokens)
        answer = self._verified(question, completion, shown.hits, timings.plus(completion))
        if s.reask and answer.abstained and said_not_found(completion.text):
            whole = generate.whole(question, query, shown.hits[0], self.index, s)
            if whole.passages != shown.passages:
                again = yield from generate.answer(llm, question, whole, s.max_tokens)
                answer = self._verified(question, again, whole.hits, answer.timings.plus(again))
        if s.more_answers and not answer.abstained and more.applies(question) and not attribute.asked_speaker(question):
            answer = self._more(question, query, answer, ranked)
        if answer.abstained:
            return answer
        return replace(answer, text=cite.as_sentence(question, answer.text))  # "A [1] and B [2] met him."

    def _more(self, question: str, query: np.ndarray, answer: Answer, ranked: Sequence[Hit]) -> Answer:
        """``answer`` with the verified answers of the relevant paragraphs it did not cite: a short model call for
        each, the person the question describes masked to its words (``rag.more``), not streamed."""
        s = self.settings
        extra = more.candidates(answer, ranked, s.min_relevance) if s.rerank else []
        if not extra:
            return answer
        phrase = more.described(question)
        for hit in extra:  # one short call each: shown several, the model names one of them
            shown = generate.context(question, query, [hit], self.index, s, budget=more.MORE_WORDS)
            if phrase:
                article = " ".join(p.text for p in (*self.index.before(hit.paragraph), hit.paragraph))
                shown = replace(shown, passages=tuple(more.mask(t, article, phrase) for t in shown.passages))
            completion = generate.collect(generate.answer(self.llm, question, shown, s.max_tokens))
            further = self._verified(question, completion, shown.hits, answer.timings.plus(completion))
            answer = replace(more.merge(answer, further), timings=further.timings)
        return answer

    def _from_header(self, question: str, k: int, as_of: date, started: float) -> Answer | None:
        """A question about an article's byline, date, outlet, title or URL (``rag.header``): the article found
        by its topic (among an outlet's, when the question names one), answered from its header and cited to it.
        None for other questions, and when the header lacks a date, outlet, title or URL: a question shaped
        like that may be about the news.
        """
        field = header.asked_field(question) if self.settings.headers else None
        if field is None:
            return None
        s, entries = self.settings, {a.id: a for a in self.index.articles}
        about = header.topic(question, field) or question
        named = header.named_outlets(question, sorted({a.outlet for a in entries.values()}))
        only = np.array([p.outlet in named for p in self.index.paragraphs]) if named else None
        found, dated = generate.collect(self._found(about, self.query_embedder.embed([about])[0], k, None, as_of, only))
        timings = Timings(retrieve=time.perf_counter() - started)
        titled = header.by_title(about, [e for e in entries.values() if not named or e.outlet in named])
        if titled is None and (not found or retrieve.evidence(about, found, self.bm25) < s.min_score):
            return self._dated(cite.abstention(question, found, timings, s.model), dated)
        chosen = [titled.id if titled is not None else found[0].paragraph.article_id]
        if field == "outlet":  # "which outlet reported ...?": every article of the story the reranker holds answering
            chosen += [h.paragraph.article_id for h in found[1:] if (h.relevance or 0.0) >= s.min_relevance]
        articles = [entries[a] for a in dict.fromkeys(chosen)]
        if field != "authors" and not header.value(articles[0], field):
            return None
        return self._dated(header.answer(question, field, articles, found, timings), dated)

    def _found(
        self,
        question: str,
        query: np.ndarray,
        k: int,
        hits: Sequence[Hit] | None,
        as_of: date,
        only: np.ndarray | None = None,
    ) -> Generator[Evidence, None, tuple[list[Hit], _Dating]]:
        """The ``k`` hits to answer from (retrieved unless ``hits`` are given, among the ``only`` paragraphs when
        given) and what their dates mean; yields the ``Evidence`` found on the way."""
        window = self._window(question, as_of)
        first = self._since(as_of, window)
        if hits is None:
            found, older = yield from self._ranked(question, query, k, None, window, first, as_of, only)
        else:
            found, older = list(hits)[:k], []
        return found, _Dating(window=window, older=tuple(older), first=first)

    def _window(self, question: str, as_of: date) -> Window | None:
        """The dates the question asks about (None when it names none, or date handling is off)."""
        return when.window(question, as_of) if self.settings.dates else None

    def _since(self, as_of: date, window: Window | None) -> date | None:
        """The first day that is news as of ``as_of`` (``rag.when.since``; None: no horizon)."""
        if not self.settings.dates or not self.settings.horizon_days:
            return None
        return when.since(as_of, window, self._dated_corpus()[1], self.settings.horizon_days)

    def _dated_corpus(self) -> tuple[str, list[str], np.ndarray]:
        """(corpus hash, its articles' dates sorted, each paragraph's date), computed once per corpus."""
        corpus = self.index.corpus_sha256
        if self._dates[0] != corpus:
            articles = sorted(a.date[:10] for a in self.index.articles if a.date)
            self._dates = (corpus, articles, np.array([p.date[:10] for p in self.index.paragraphs], str))
        return self._dates

    def _dated(self, answer: Answer, dated: _Dating) -> Answer:
        """``answer`` with what the user should know about its dates (``rag.when.note``), and for each
        citation the other articles that ran the same paragraph ("also reported by")."""
        cited = [h for h in answer.hits if h.paragraph.id in {c.paragraph.id for c in answer.citations}]
        citations = tuple(replace(c, also=self.index.copies_of(c.paragraph.id)) for c in answer.citations)
        note = when.note(answer.hits, cited, dated.window, dated.older, dated.first)
        return replace(answer, note=note, citations=citations)

    def _verified(self, question: str, completion: Completion, shown: Sequence[Hit], timings: Timings) -> Answer:
        """The model's answer with only the claims the shown paragraphs verify (``rag.cite.answer_from``): by
        their evidence alone or with an earlier paragraph of the article (``rag.coref``), and, asked what
        someone said (by name, or by a role an article names them by), by their own words (``rag.attribute``)."""
        s, relevance = self.settings, self.reranker.score if self.settings.rerank else None
        return cite.answer_from(
            question, completion, shown, timings, s.min_support, s.model, relevance, s.min_relevance,
            earlier=self.index.before, asked=self._asked(question, shown),
        )

    def _asked(self, question: str, found: Sequence[Hit]) -> str | None:
        """The person whose words the question asks: named ("what did Rouhani say?"), or the holder of the role it
        names ("according to the police spokeswoman") in the found paragraphs' articles."""
        return attribute.asked_speaker(question) or self._holder(question, found)

    def _theirs(self, question: str, query: np.ndarray, found: Sequence[Hit]) -> list[Hit]:
        """The paragraphs in which the person the question asks the words of speaks, in the articles of the two best
        hits, beyond ``found``, when none of ``found`` gives their words on the topic: the reranker's best ``THEIRS``
        (the articles' order without it). "What did X say about T?" is answered only by X's words
        (``rag.attribute``), and X's paragraph may rank below others about T."""
        asked, before = self._asked(question, found), self.index.before
        if not asked or any(cite.speaks_to(question, asked, h.paragraph.text, cite.texts_before(before, h.paragraph))
                            for h in found):
            return []  # their words on it are shown already: more of them only distract a small model
        have, tops = {h.paragraph.id for h in found}, {h.paragraph.article_id: h.paragraph for h in found[:2]}
        theirs = [p for top in tops.values() for p in self.index.article_of(top)
                  if p.id not in have and attribute.quotes(p.text, asked, cite.texts_before(before, p))]
        dense = retrieve.cosine(self.index, query, [self.index.positions[p.id] for p in theirs])
        if not self.settings.rerank or not theirs:
            return [Hit(paragraph=p, score=d) for p, d in zip(theirs[:THEIRS], dense, strict=False)]
        scores = self.reranker.score(question, [p.text for p in theirs])
        best = sorted(range(len(theirs)), key=lambda i: -scores[i])[:THEIRS]
        return [Hit(paragraph=theirs[i], score=dense[i], relevance=scores[i]) for i in best]

    def _holder(self, question: str, shown: Sequence[Hit]) -> str | None:
        """Whom the shown paragraphs' articles give the role a question asks the words of ("according to the police
        spokeswoman, ...?"), the first found; None when no role is asked or none of them names its holder (then
        "according to the report" restricts nothing)."""
        role = attribute.asked_role(question)
        texts = ([p.text for p in self.index.article_of(h.paragraph)] for h in shown) if role else ()
        return next((name for t in texts if (name := attribute.holder(role or "", t))), None)

    def ask(
        self, question: str, k: int | None = None, hits: Sequence[Hit] | None = None, as_of: date | None = None
    ) -> Answer:
        *_, answer = self.stream(question, k, hits, as_of)
        assert isinstance(answer, Answer)
        return answer

    def retrieve(self, question: str, k: int, retriever: str | None = None, as_of: date | None = None) -> list[Hit]:
        """The ``k`` best paragraphs by ``retriever`` (default: the configured one), asked on ``as_of``."""
        query, day = self.query_embedder.embed([question])[0], as_of or date.today()
        window = self._window(question, day)
        ranked = self._ranked(question, query, k, retriever, window, self._since(day, window), day)
        return generate.collect(ranked)[0]  # without the evidence on the way

    def _ranked(
        self,
        question: str,
        query: np.ndarray,
        k: int,
        retriever: str | None = None,
        window: Window | None = None,
        first: date | None = None,
        as_of: date | None = None,
        only: np.ndarray | None = None,
    ) -> Generator[Evidence, None, tuple[list[Hit], list[Hit]]]:
        """(the ``k`` best hits, the best older news left out): retrieved among the paragraphs published
        from ``first`` to ``as_of`` (``rag.when.news``) and in ``only`` (a boolean per paragraph), reranked when
        on, those from ``window`` preferred. Yields the ``Evidence`` of the first stage (milliseconds), then
        of the reranker's order."""
        s, retriever = self.settings, retriever or self.settings.retriever
        allowed = when.news(self._dated_corpus()[2], first, as_of) if s.dates and as_of else None
        if only is not None:
            allowed = only if allowed is None else allowed & only
        found = retrieve.hits(self.index, query, question, max(k, s.rerank), retriever, self.bm25, allowed)
        yield self._evidence(query, found, reranked=False)
        if s.rerank:
            found = rerank.rerank(question, found, self.reranker)
            yield self._evidence(query, found, reranked=True)
        found = retrieve.one_per_story(when.prefer(found, window, when.PREFER_BONUS), self.index)[:k]
        return found, self._older(question, query, retriever, first)

    def _evidence(self, query: np.ndarray, found: Sequence[Hit], reranked: bool) -> Evidence:
        """The best sentence of each of the ``EVIDENCE`` best hits, shown before the model answers."""
        best = list(found[:EVIDENCE])
        return Evidence(sentences=retrieve.best_sentences(self.index, query, best), hits=tuple(best), reranked=reranked)

    def _older(self, question: str, query: np.ndarray, retriever: str, first: date | None) -> list[Hit]:
        """The best paragraph published before ``first``, for the note of an answer that finds nothing newer."""
        if first is None:
            return []
        ranked = retrieve.hits(self.index, query, question, OLDER_CANDIDATES, retriever, self.bm25)
        older = when.split(ranked, first)[1][:OLDER_RERANKED]
        return (rerank.rerank(question, older, self.reranker) if self.settings.rerank and older else older)[:1]


@dataclass(frozen=True, kw_only=True)
class _Dating:
    """What ``_dated`` tells the user about an answer's dates: the question's window, and the older
    news left out (published before ``first``)."""

    window: Window | None
    older: tuple[Hit, ...]
    first: date | None


def _inside(path: str, folder: Path) -> str:
    """``path`` relative to ``folder``, as ``rag.ingest.folder_state`` names files ("" if it is not inside)."""
    try:
        return Path(path).relative_to(folder).as_posix()
    except ValueError:
        return ""


_default: Engine | None = None


def default_engine() -> Engine:
    global _default
    if _default is None:
        _default = Engine()
    return _default


def ask(question: str, *, k: int | None = None, as_of: date | None = None, engine: Engine | None = None) -> Answer:
    """Answer ``question`` from the indexed articles as of the day ``as_of`` (default today), citing its paragraphs."""
    return (engine or default_engine()).ask(question, k, as_of=as_of)
