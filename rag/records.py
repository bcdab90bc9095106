"""The records passed between pipeline stages.

Every stage takes and returns these frozen, keyword-only dataclasses, never
dicts, so a field renamed in one place fails loudly everywhere else. They are
plain data: no methods that touch models or disk, and ``to_dict`` only for
JSON output. Records that only one module uses (the index's arrays, the
evaluation's result lines) live in that module.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date
from typing import Any


@dataclass(frozen=True, kw_only=True)
class Filter:
    """Which paragraphs a search may return: published from ``first`` to ``last`` (YYYY-MM-DD, both inclusive, either
    open; an undated paragraph always passes: nothing says it is old) and, with ``outlets``, from one of them.

    The store applies it inside the search, so the ``n`` best are all allowed ones: filtering after ranking let
    older articles that merely name an answer fill the candidates (``docs/decisions.md``).
    """

    first: str | None = None
    last: str | None = None
    outlets: frozenset[str] | None = None


@dataclass(frozen=True, kw_only=True)
class Paragraph:
    """One answerable paragraph; ``id`` is ``"<article_id>:<number>"`` (1-based; 0 is the article's header,
    ``rag.header``, which is cited but never indexed).

    ``date`` (YYYY-MM-DD, "" when unknown) and ``outlet`` are its article's,
    kept here so that every citation can show them.
    """

    id: str
    article_id: str
    article_title: str
    number: int
    text: str
    date: str = ""
    outlet: str = ""

    @property
    def place(self) -> str:
        """Where in its article: "paragraph 8", or "article header" for number 0 (``rag.header``).

        >>> Paragraph(id="a:0", article_id="a", article_title="A", number=0, text="Title: A").place
        'article header'
        """
        return "article header" if self.number == 0 else f"paragraph {self.number}"

    @property
    def provenance(self) -> str:
        """Outlet and date, as a citation shows them ("undated" when the article gives no date).

        >>> Paragraph(id="a:1", article_id="a", article_title="A", number=1, text="x", outlet="AP").provenance
        'AP, undated'
        """
        return ", ".join(x for x in (self.outlet, self.date or "undated") if x)


@dataclass(frozen=True, kw_only=True)
class Article:
    """An ingested article: metadata is kept apart from its paragraphs.

    ``path`` is the file it was read from; ``url`` where it was published.
    ``date`` is the publication date (YYYY-MM-DD, "" when the article does not
    say: never the time it was read), ``updated`` the last change seen.
    """

    id: str
    title: str
    paragraphs: tuple[Paragraph, ...]
    subtitle: str = ""
    byline: str = ""
    authors: tuple[str, ...] = ()
    date: str = ""
    updated: str = ""
    outlet: str = ""
    url: str = ""
    path: str = ""
    sha256: str = ""


@dataclass(frozen=True, kw_only=True)
class Hit:
    """A retrieved paragraph with its retrieval score (higher is better).

    ``score`` is the dense score every retriever reports (``rag.retrieve``);
    ``rank_score`` the score the retriever ranked by (fused for ``hybrid``),
    None for hits not found by a retriever (the gold paragraph in evaluation).
    ``relevance`` is the cross-encoder's probability that the paragraph
    answers the question (``rag.rerank``), None where it did not read it.
    """

    paragraph: Paragraph
    score: float
    rank_score: float | None = None
    relevance: float | None = None


@dataclass(frozen=True, kw_only=True)
class Window:
    """The publication dates a question asks about ("this week" as of a day: its last 7 days)."""

    first: date
    last: date
    phrase: str


@dataclass(frozen=True, kw_only=True)
class Question:
    """A question as read once at the top of the composition (``rag.question.read``); every stage reads this.

    ``field``: the article header field it asks for (``rag.header``), ``topic`` the article it names ("" none).
    ``speaker``: the person whose words it asks (by name), else ``role``: the role they are asked by;
    ``speaker_phrase`` the whole phrase naming them. ``kind``: the kind of answer (person, organisation, place,
    date, number, other); ``several``: it may have several answers (a who-question, a plural head noun).
    ``described``: the person a who-question describes ("the Iraqi foreign minister"); ``target``: what a
    "who <verb> ...?" asks about; ``names``: its capitalised words; ``choice``: it offers a choice ("A or
    B?"); ``verb`` and ``predicate``: "who <verb> <rest>?" with a past verb, to word a list answer as a sentence.
    ``category``: the noun the wh-word asks for ("what *ethnicity*", "which *country*"): a passage answers with an
    instance of it ("Kurdish"), seldom with the word itself.
    """

    text: str
    as_of: date
    window: Window | None = None
    field: str | None = None
    topic: str = ""
    speaker: str | None = None
    role: str | None = None
    speaker_phrase: str = ""
    kind: str = "other"
    several: bool = False
    described: str | None = None
    target: str = ""
    names: tuple[str, ...] = ()
    choice: bool = False
    verb: str = ""
    predicate: str = ""
    category: str = ""


@dataclass(frozen=True, kw_only=True)
class Citation:
    """A verified link from an answer sentence to the paragraph supporting it.

    ``marker`` is the number printed in the answer (``[1]``), ``support`` the
    verifier's score in [0, 1], ``sentence`` the answer sentence it backs and
    ``evidence`` the paragraph sentence that backs it best. ``antecedent`` is a
    second paragraph the claim is verified with, where the evidence refers to
    someone only as "Hussein" or "the minister" and that paragraph says who it
    is ("Iraqi Foreign Minister Fuad Hussein"); ``evidence`` then holds both
    sentences. ``also`` is the same paragraph in other articles (a wire story
    several outlets ran): "also reported by". ``context`` is the line of the
    story the evidence was read with when it states the claim without saying
    of what (the article's title or lede: "also voted no" in a story about the vote).
    """

    marker: int
    paragraph: Paragraph
    support: float
    sentence: str
    evidence: str
    antecedent: Paragraph | None = None
    also: tuple[Paragraph, ...] = ()
    context: str = ""

    @property
    def paragraphs(self) -> tuple[Paragraph, ...]:
        """The paragraph(s) that verify the claim: the antecedent's first, in reading order."""
        return (self.antecedent, self.paragraph) if self.antecedent is not None else (self.paragraph,)


@dataclass(frozen=True, kw_only=True)
class Evidence:
    """What the articles say before the model answers: ``sentences[i]`` is the sentence of ``hits[i]`` closest
    to the question. Yielded by ``Engine.stream`` right after the first stage of retrieval (``reranked``
    False, milliseconds after the question), again after the reranker, and once more before a second model
    call, for the paragraphs it reads: the raw text streamed before it is a draft that call replaces. Shown as
    evidence, never as an answer: nothing in it is verified to answer the question."""

    sentences: tuple[str, ...]
    hits: tuple[Hit, ...]
    reranked: bool


@dataclass(frozen=True, kw_only=True)
class Timings:
    """Seconds spent per stage of one question."""

    retrieve: float = 0.0
    prompt: float = 0.0
    generate: float = 0.0
    calls: int = 0  # model calls made for the question
    new_tokens: int = 0  # prompt tokens the model evaluated (not reused from the call before)

    @property
    def total(self) -> float:
        return self.retrieve + self.prompt + self.generate

    def plus(self, completion: Completion) -> Timings:
        """These timings with one more model call's prompt and generation time added."""
        return replace(
            self,
            prompt=self.prompt + completion.prompt_seconds,
            generate=self.generate + completion.generate_seconds,
            calls=self.calls + 1,
            new_tokens=self.new_tokens + completion.prompt_tokens - completion.reused_tokens,
        )


@dataclass(frozen=True, kw_only=True)
class Answer:
    """What ``ask()`` returns.

    ``text`` carries the citation markers; ``abstained`` is true when the
    articles do not answer the question (then ``citations`` is empty).
    ``unsupported`` lists answer sentences no shown paragraph supports.
    ``short`` is the answer itself, without markers or framing (what an
    evaluation scores); empty when abstained. ``note`` says what the user
    should know about the answer's dates (``rag.when.note``), or is empty.
    ``read`` is every passage the model was shown for it, over all its calls.
    """

    question: str
    text: str
    citations: tuple[Citation, ...]
    hits: tuple[Hit, ...]
    abstained: bool
    short: str = ""
    note: str = ""
    raw: str = ""
    unsupported: tuple[str, ...] = ()
    model: str = ""
    prompt_tokens: int = 0
    generated_tokens: int = 0
    timings: Timings = field(default_factory=Timings)
    read: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        out = asdict(self)
        out["timings"]["total"] = self.timings.total
        return out


@dataclass(frozen=True, kw_only=True)
class Completion:
    """One LLM call: the generated text, token counts and where the time went."""

    text: str
    prompt_tokens: int = 0
    generated_tokens: int = 0
    prompt_seconds: float = 0.0
    generate_seconds: float = 0.0
    # True when generation stopped at max_tokens, mid-sentence.
    truncated: bool = False
    # Prompt tokens whose KV state was kept from the previous call (not evaluated again).
    reused_tokens: int = 0


@dataclass(frozen=True, kw_only=True)
class Context:
    """What the model is shown for one question: ``passages[i]`` is cut from ``hits[i]``'s paragraph."""

    passages: tuple[str, ...]
    hits: tuple[Hit, ...]


@dataclass(frozen=True, kw_only=True)
class Found:
    """What retrieval found for a question (``rag.search``): ``hits`` best first (more than are shown: the rest
    may hold more answers), the ``query`` vector they were searched with, the first day that counted as news
    (``first``; None: no horizon) and the best ``older`` news left out, for the answer's note."""

    hits: tuple[Hit, ...]
    query: Any
    first: date | None = None
    older: tuple[Hit, ...] = ()


def about(article: Article | ArticleEntry) -> dict[str, object]:
    """What an ``Article`` and its ``ArticleEntry`` share: every field but the paragraphs and the row numbers."""
    return {name: getattr(article, name) for name in ARTICLE_FIELDS}


@dataclass(frozen=True, kw_only=True)
class ArticleEntry:
    """An indexed article as the index manifest records it: metadata and where its rows are."""

    id: str
    title: str
    subtitle: str
    byline: str
    authors: tuple[str, ...]
    date: str
    updated: str
    outlet: str
    url: str
    path: str
    sha256: str
    first_row: int
    rows: int
    first_paragraph: int
    paragraphs: int
    first_sentence: int
    sentences: int


@dataclass(frozen=True, kw_only=True)
class IndexReport:
    """What one refresh of the index did: counts, the article ids embedded and removed, skipped files."""

    articles: int
    paragraphs: int
    embedded: list[str]
    removed: list[str]
    errors: list[str]
    seconds: float


ARTICLE_FIELDS = tuple(f.name for f in fields(Article) if f.name != "paragraphs")
