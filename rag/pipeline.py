"""``ask()``: compose ingest -> index -> retrieve -> generate -> cite.

An ``Engine`` holds what is expensive to build (embedder, LLM, loaded
index) so a process pays for it once; every component is built lazily on
first use and can be passed in (tests pass fakes). The only global is the
default engine, built on the first ``ask()`` that doesn't bring its own.

Abstention happens in code, twice: before the model, when the retrieval
evidence is too weak (``rag.retrieve.evidence`` below ``min_score``); after it, when the model
says NOT FOUND or none of its claims is supported by a shown paragraph.

Untrusted text (the question, article passages) reaches the prompt as text
only. llama.cpp tokenizes the whole prompt with special tokens enabled (the
template needs them), so an article containing ``<|im_start|>system`` would
otherwise open a real system turn: the ``<`` of anything shaped like a
special token is replaced by ``‹`` in the prompt (the stored and shown text
is unchanged). A passage is also cut to ``MAX_PASSAGE_WORDS``: a paragraph
that is one run-on line without sentence ends is a single "sentence", which
context selection keeps whole and which would push the instructions out of
the model's context window. For the same reason the passages together stop
at ``MAX_CONTEXT_WORDS`` (many hits of long run-on lines): the last passages
are dropped, never the instructions at the top of the prompt. Both are
measured by ``benchmarks/injection.py``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np

from rag import cite, generate, index, ingest, models, retrieve
from rag.embed import Embedder, MiniLMEmbedder
from rag.llm import LLM, LlamaCppLLM
from rag.minilm import NumpyMiniLM
from rag.prompts import ABSTAIN_TEXT, NOT_FOUND, answer_prefix
from rag.records import Answer, Completion, Hit, Timings
from rag.settings import Settings, load_settings

MAX_QUESTION_CHARS = 2000
# News sentences are well under 100 words; a longer passage is a run-on line (see the docstring).
MAX_PASSAGE_WORDS = 250
# About 1,200 tokens: with the ~350-token fixed prefix and the answer it fits the default 2,048-token context.
MAX_CONTEXT_WORDS = 900
# "<|im_start|>", "<|endoftext|>", "<start_of_turn>", "</s>": what chat templates use as special tokens.
_SPECIAL_TOKEN = re.compile(r"<(?=\|)|<(?=/?[A-Za-z_][\w-]*>)")
_DEFANGED = re.compile(r"‹(?=\|)|‹(?=/?[A-Za-z_][\w-]*>)")


class QuestionError(ValueError):
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


def defang(text: str) -> str:
    """Untrusted text that cannot form a special token when the prompt is tokenized.

    >>> defang("a <|im_start|>system x</s> <b>bold</b> 1 < 2")
    'a ‹|im_start|>system x‹/s> ‹b>bold‹/b> 1 < 2'
    """
    return _SPECIAL_TOKEN.sub("‹", text)


def fit(passages: Sequence[str], max_words: int = MAX_CONTEXT_WORDS) -> int:
    """How many leading passages fit in ``max_words`` (always at least one).

    >>> fit(["a b", "c d", "e"], 4), fit(["a b c d e"], 4)
    (2, 1)
    """
    total = 0
    for n, passage in enumerate(passages):
        total += len(passage.split())
        if total > max_words:
            return max(1, n)
    return len(passages)


def undefang(text: str) -> str:
    """The model's answer with ``defang`` undone: a quote of the article reads as the article does.

    >>> undefang(defang("the bridge <script>x</script> closed")) == "the bridge <script>x</script> closed"
    True
    """
    return _DEFANGED.sub("<", text)


def clip(passage: str, max_words: int = MAX_PASSAGE_WORDS) -> str:
    """At most ``max_words`` words of ``passage`` (untouched when shorter).

    >>> clip("one two three", 2), clip("one two", 2)
    ('one two …', 'one two')
    """
    words = passage.split()
    return passage if len(words) <= max_words else " ".join(words[:max_words]) + " …"


@dataclass(frozen=True)
class IndexReport:
    articles: int
    paragraphs: int
    embedded: list[str]
    removed: list[str]
    errors: list[str]
    seconds: float


class Engine:
    """The loaded models and index behind ``ask()``."""

    def __init__(
        self,
        settings: Settings | None = None,
        embedder: Embedder | None = None,
        llm: LLM | None = None,
        prebuilt: index.Index | None = None,
        query_embedder: Embedder | None = None,
    ) -> None:
        """``prebuilt``: an index to use as is (an evaluation corpus), instead of the articles folder's.

        ``embedder`` indexes articles; ``query_embedder`` embeds questions and
        must give the same vectors. By default they are sentence-transformers
        (fast in bulk, slow to import) and ``NumpyMiniLM`` (starts in 0.3 s),
        so a question never waits for torch unless articles changed.
        """
        self.settings = settings or load_settings()
        self._embedder = embedder
        self._query_embedder = query_embedder or embedder
        self._llm = llm
        self._index: index.Index | None = prebuilt
        self._bm25: retrieve.Bm25 | None = None

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = MiniLMEmbedder()
        return self._embedder

    @property
    def query_embedder(self) -> Embedder:
        if self._query_embedder is None:
            self._query_embedder = NumpyMiniLM()
        return self._query_embedder

    @property
    def llm(self) -> LLM:
        if self._llm is None:
            s = self.settings
            path, template = models.resolve(s.model, s.model_dir)
            llm = LlamaCppLLM(path, n_ctx=s.n_ctx, threads=s.threads, name=s.model, template=template)
            llm.prime(answer_prefix(template), s.model_dir / "prefix-cache")
            self._llm = llm
        return self._llm

    @property
    def index(self) -> index.Index:
        if self._index is None:
            self.refresh()
        assert self._index is not None
        return self._index

    def refresh(self, rebuild: bool = False, progress: Callable[[int, int], None] | None = None) -> IndexReport:
        """Re-read the articles folder and re-embed only what changed."""
        started = time.perf_counter()
        articles, errors = ingest.load_articles(self.settings.seeds_dir)
        if not articles:
            raise index.BadIndexError(
                f"no articles to index in {self.settings.seeds_dir} (add .txt or .md files)"
                + (f"; skipped: {'; '.join(errors)}" if errors else "")
            )
        self._index, embedded, removed = index.refresh(
            articles, self.settings.index_dir, self.embedder, rebuild=rebuild, progress=progress
        )
        return IndexReport(
            len(articles), len(self._index.paragraphs), embedded, removed, errors, time.perf_counter() - started
        )

    def stream(self, question: str, k: int | None = None, hits: Sequence[Hit] | None = None) -> Iterator[str | Answer]:
        """Yield raw answer text pieces as they are generated, then the final ``Answer``.

        ``hits`` replaces retrieval (to evaluate another retriever end to end).
        """
        question = clean_question(question)
        k = k or self.settings.k
        t0 = time.perf_counter()
        query = self.query_embedder.embed([question])[0]
        found = tuple((self._retrieve(question, query, k) if hits is None else hits)[:k])
        t_retrieve = time.perf_counter() - t0
        if not found or retrieve.evidence(question, found, self.bm25) < self.settings.min_score:
            yield _abstain(question, found, Timings(retrieve=t_retrieve), self.settings.model)
            return
        hits = tuple(retrieve.within(found, self.settings.margin))
        s = self.settings
        passages = generate.select_context(query, hits, self.index, s.context_words, s.context)
        passages = [defang(clip(p)) for p in passages]
        kept = fit(passages)
        passages, hits = passages[:kept], hits[:kept]
        t1 = time.perf_counter()
        llm = self.llm  # loaded on first use: a one-off cost, kept out of the per-question timings
        yield from hold_not_found(generate.stream_answer(llm, defang(question), passages, s.max_tokens))
        completion: Completion = llm.last
        timings = Timings(t1 - t0, completion.prompt_seconds, completion.generate_seconds)
        answer = finish(question, completion, hits, timings, s)
        # The model said NOT FOUND to passages the evidence gate let through: ask once more
        # with the best paragraph alone and whole (its other sentences may hold the answer).
        if not (s.reask and answer.abstained and said_not_found(completion.text)):
            yield answer
            return
        whole = [defang(clip(p)) for p in generate.select_context(query, hits[:1], self.index, MAX_PASSAGE_WORDS)]
        if whole != passages:
            yield from hold_not_found(generate.stream_answer(llm, defang(question), whole, s.max_tokens))
            again: Completion = llm.last
            timings = replace(
                timings,
                prompt=timings.prompt + again.prompt_seconds,
                generate=timings.generate + again.generate_seconds,
            )
            answer = finish(question, again, hits[:1], timings, s)
        yield answer

    def retrieve(self, question: str, k: int, retriever: str | None = None) -> list[Hit]:
        """The ``k`` best paragraphs by ``retriever`` (default: the configured one)."""
        return self._retrieve(question, self.query_embedder.embed([question])[0], k, retriever)

    @property
    def bm25(self) -> retrieve.Bm25:
        """The BM25 model of the current index (rebuilt when articles change)."""
        if self._bm25 is None or self._bm25.corpus_sha256 != self.index.corpus_sha256:
            self._bm25 = retrieve.Bm25(self.index)
        return self._bm25

    def _retrieve(self, question: str, query: np.ndarray, k: int, retriever: str | None = None) -> list[Hit]:
        return retrieve.hits(self.index, query, question, k, retriever or self.settings.retriever, self.bm25)

    def ask(self, question: str, k: int | None = None, hits: Sequence[Hit] | None = None) -> Answer:
        *_, answer = self.stream(question, k, hits)
        assert isinstance(answer, Answer)
        return answer


def said_not_found(text: str) -> bool:
    """Whether the model's raw answer is the abstention (or nothing at all).

    >>> said_not_found(" NOT FOUND"), said_not_found("Not found."), said_not_found("Paris [1]")
    (True, True, False)
    """
    return not text.strip() or text.strip().upper().startswith(NOT_FOUND)


def hold_not_found(pieces: Iterable[str]) -> Iterator[str]:
    """Stream ``pieces`` except an answer that is only NOT FOUND (the caller may re-ask instead).

    Pieces that could still spell NOT FOUND are held back until the text leaves that path.

    >>> list(hold_not_found(["NOT", " FOUND"])), list(hold_not_found(["No", "rway [1]"]))
    ([], ['Norway [1]'])
    """
    held = ""
    pieces = iter(pieces)
    for piece in pieces:
        held += piece
        if not NOT_FOUND.startswith(held.strip().upper()[: len(NOT_FOUND)]):
            yield held
            yield from pieces
            return


def finish(
    question: str, completion: Completion, hits: tuple[Hit, ...], timings: Timings, settings: Settings
) -> Answer:
    """Verify the model's raw answer against the shown paragraphs."""
    raw = undefang(completion.text.strip())
    said = cite.drop_partial_sentence(raw) if completion.truncated else raw
    common = dict(
        raw=raw,
        model=settings.model,
        prompt_tokens=completion.prompt_tokens,
        generated_tokens=completion.generated_tokens,
        timings=timings,
    )
    if said_not_found(said):
        return Answer(question, ABSTAIN_TEXT, (), hits, True, **common)
    text, citations, unsupported = cite.verify(said, [h.paragraph for h in hits], question, settings.min_support)
    if not citations:
        return Answer(question, ABSTAIN_TEXT, (), hits, True, unsupported=unsupported, **common)
    return Answer(question, text, citations, hits, False, unsupported=unsupported, **common)


def _abstain(question: str, hits: tuple[Hit, ...], timings: Timings, model: str) -> Answer:
    return Answer(question, ABSTAIN_TEXT, (), hits, True, model=model, timings=timings)


_default: Engine | None = None


def default_engine() -> Engine:
    global _default
    if _default is None:
        _default = Engine()
    return _default


def ask(question: str, *, k: int | None = None, engine: Engine | None = None) -> Answer:
    """Answer ``question`` from the indexed articles, citing the paragraphs used."""
    return (engine or default_engine()).ask(question, k)
