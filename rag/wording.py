"""Wording: the verified answer as the user reads it, and the ``Answer`` a model call becomes.

``answer_from`` verifies the model's raw text (``rag.verify``) and words what
is left: a person named by surname is given the full name the article uses
(``in_full``); asked what someone said, the answer quotes their sentences
verbatim from the cited paragraph (``in_their_words``), or says whose words
they are when the articles quote someone else (``SAID_BY_OTHER``); a bare
list answering "who <did> ...?" reads as a sentence in the question's words
(``as_sentence``). Nothing here adds a claim the verifier did not keep.

Trade-off: quoting the article rather than the model's paraphrase is stiffer
prose, but every word shown is one the citation proves.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from rag import attribute, whose
from rag.attribute import Story
from rag.claims import drop_partial_sentence
from rag.prompts import ABSTAIN_TEXT, SAID_BY_OTHER, said_not_found, undefang
from rag.records import Answer, Citation, Completion, Context, Hit, Question, Timings
from rag.resources import Resources
from rag.text import MARKED, sentences, strip_markers, words
from rag.verify import Relevance, verify


def as_sentence(question: Question, text: str) -> str:
    """A bare list answering "who <did something> ...?" (a past verb: ``Question.predicate``) as a sentence in
    the question's words.

    >>> from rag.question import read
    >>> as_sentence(read("who met the Iraqi foreign minister?"), "Hassan Rouhani [1] and Mohammad Baqer Qalibaf [2]")
    'Hassan Rouhani [1] and Mohammad Baqer Qalibaf [2] met the Iraqi foreign minister.'
    >>> as_sentence(read("who met the minister?"), "Rouhani [1] met him.")
    'Rouhani [1] met him.'
    >>> as_sentence(read("who is the minister?"), "Hussein [1]")
    'Hussein [1]'
    """
    body = text.rstrip(" .")
    bare = strip_markers(body)
    if not question.predicate or re.search(r"[.!?;:]", bare) or question.verb in words(bare) or len(bare.split()) > 12:
        return text
    return f"{body} {question.predicate}."


def in_full(text: str, citations: Sequence[Citation], story: Story | None) -> tuple[str, tuple[Citation, ...]]:
    """The answer with a claim that is a bare surname ("Qalibaf [2]") given the full name its article uses
    ("Mohammad Baqer Qalibaf [2]"): news names a person in full once, then by surname.

    >>> from rag.records import Paragraph
    >>> p = Paragraph(id="a:3", article_id="a", article_title="T", number=3,
    ...               text="A meeting with Speaker Mohammad Baqer Qalibaf. Qalibaf is Kurdish.")
    >>> c = Citation(marker=2, paragraph=p, support=1.0, sentence="and Qalibaf", evidence="Qalibaf is Kurdish.")
    >>> in_full("Rouhani [1] and Qalibaf [2]", [c], None)[0]
    'Rouhani [1] and Speaker Mohammad Baqer Qalibaf [2]'
    """
    out = []
    for c in citations:
        bare = MARKED.sub("", c.sentence).strip(" .,").removeprefix("and ").strip()
        if re.fullmatch(r"[A-ZÀ-Þ][\w'’-]+", bare):
            full = attribute.full_name(bare, attribute.so_far(story, c.paragraph))
            if full != bare:
                text = re.sub(rf"\b{re.escape(bare)}(?=\s*\[{c.marker}\])", full, text, count=1)
                c = replace(c, sentence=c.sentence.replace(bare, full))
        out.append(c)
    return text, tuple(out)


def in_their_words(
    asked: str, citations: Sequence[Citation], story: Story | None
) -> tuple[str, tuple[Citation, ...]]:
    """(answer text, citations) to "what did ``asked`` say?": their name, then from each cited paragraph the
    sentence of theirs that verified the claim, with the next one if theirs too, verbatim, each marked; each
    citation then backs those words (its ``sentence``), not the model's paraphrase.

    >>> from rag.records import Paragraph
    >>> p = Paragraph(id="a:9", article_id="a", article_title="T", number=9,
    ...               text='"We are with Iraq," Rouhani said. "It is not our job." Tehran backs militias.')
    >>> c = Citation(marker=1, paragraph=p, support=1.0, sentence="not our job", evidence='"It is not our job."')
    >>> text, cited = in_their_words("Hassan Rouhani", [c], None)
    >>> text, cited[0].sentence
    ('Hassan Rouhani: "It is not our job." [1]', '"It is not our job."')
    """
    quoted: list[str] = []
    words_of: dict[int, str] = {}
    for c in {c.marker: c for c in citations}.values():
        before, after = attribute.around(story, c.paragraph)
        parts = sentences(c.paragraph.text) or [c.paragraph.text]
        at = next((i for i, x in enumerate(parts) if x in c.evidence), None)
        if at is None:
            continue
        theirs = [parts[at]]
        text_ = c.paragraph.text
        if at + 1 < len(parts) and attribute.same_person(attribute.speaker(parts[at + 1], text_, before, after) or "",
                                                          asked):
            theirs.append(parts[at + 1])
        words_ = " ".join(x if attribute.mentions(x, asked, text_, before, after) else _quoted(x) for x in theirs)
        words_of[c.marker] = words_
        if words_ not in quoted:
            quoted.append(f"{words_} [{c.marker}]")
    if not quoted:
        return " ".join(f"{strip_markers(c.sentence)} [{c.marker}]" for c in citations), tuple(citations)
    cited = tuple(replace(c, sentence=words_of[c.marker]) if c.marker in words_of else c for c in citations)
    article = [text for c in citations for text in attribute.so_far(story, c.paragraph)]
    said = " ".join(quoted)
    if attribute.surname(asked) in said.casefold():  # "Orlik said the state would ...": it names them already
        return said, cited
    return f"{attribute.full_name(asked, article)}: {said}", cited


def _quoted(sentence: str) -> str:
    """A sentence of the article as quoted in an answer: in quotation marks unless it is already a quote.

    >>> _quoted("It is not our job."), _quoted('"It is," he said.')
    ('“It is not our job.”', '"It is," he said.')
    """
    if re.search(r"[\"“”]", sentence) or attribute.clause(sentence):
        return sentence  # a quote already, or reported speech ("Orlik said the state would ...")
    return f"“{sentence}”"


def abstention(question: str, hits: Sequence[Hit], timings: Timings, model: str, **details: object) -> Answer:
    """ "The articles don't say.", with the closest paragraphs and whatever ``details`` the model call left."""
    return Answer(
        question=question,
        text=ABSTAIN_TEXT,
        citations=(),
        hits=tuple(hits),
        abstained=True,
        model=model,
        timings=timings,
        **details,
    )


def answer_from(
    question: Question,
    completion: Completion,
    hits: Sequence[Hit],
    timings: Timings,
    min_support: float,
    model: str,
    relevance: Relevance | None = None,
    min_relevance: float = 0.0,
    *,
    story: Story | None = None,
    asked: str | None = None,
) -> Answer:
    """The model's raw answer verified against the shown paragraphs (``hits[i]`` was passage ``[i + 1]``).

    Asked what ``asked`` said, an answer whose claims are all someone else's words says whose they are, quoting
    the article's sentence (``SAID_BY_OTHER``), rather than giving them to ``asked``.
    """
    raw = undefang(completion.text.strip())
    said = drop_partial_sentence(raw) if completion.truncated else raw
    details: dict = dict(raw=raw, prompt_tokens=completion.prompt_tokens, generated_tokens=completion.generated_tokens)
    if said_not_found(said):
        return abstention(question.text, hits, timings, model, **details)
    shown = [h.paragraph for h in hits]
    verified = verify(said, shown, question, min_support, relevance=relevance, min_relevance=min_relevance,
                      story=story, asked=asked)
    text, citations = verified.text, verified.citations
    if question.kind == "person":  # a person is named in full ("Qalibaf" -> "Mohammad Baqer Qalibaf")
        text, citations = in_full(text, citations, story)
    short = strip_markers(text)  # the verified claim itself, also when the text gives the speaker's words
    if citations and asked:  # what someone said is shown in their words, not the model's
        text, citations = in_their_words(asked, citations, story)
    if not citations and verified.elsewhere and asked:
        other, speaker = verified.elsewhere[0]
        speaker = attribute.full_name(speaker, attribute.so_far(story, other.paragraph))
        words_ = other.evidence.strip().strip("“”\"")
        text = SAID_BY_OTHER.format(speaker=speaker, asked=asked, words=words_)
        citations, short = (replace(other, marker=1, sentence=text),), ""
    if not citations:
        return abstention(question.text, hits, timings, model, unsupported=verified.unsupported, **details)
    return Answer(
        question=question.text,
        text=text,
        short=short,
        citations=citations,
        hits=tuple(hits),
        abstained=False,
        unsupported=verified.unsupported,
        model=model,
        timings=timings,
        **details,
    )


def verified(res: Resources, question: Question, completion: Completion, shown: Context, timings: Timings,
             read: Sequence[str] = ()) -> Answer:
    """The model's answer to the ``shown`` passages with only the claims they verify (``answer_from``): by their
    evidence alone or with an earlier paragraph of the article (``rag.coref``), and, asked what someone said (by
    name, or by a role their articles give them), by their own words (``rag.attribute``); the cross-encoder
    judges the evidence when reranking is on. ``read``: the passages earlier calls for it were shown."""
    s, hits = res.settings, shown.hits
    relevance = res.reranker.score if s.rerank else None
    answer = answer_from(question, completion, hits, timings, s.min_support, s.model, relevance, s.min_relevance,
                         story=res.index.article_of, asked=whose.asked_person(question, hits, res.index))
    if answer.abstained:  # the closest paragraphs are retrieval's, not a story's unranked others (rag.story)
        ranked = tuple(h for h in answer.hits if h.rank_score is not None or h.relevance is not None)
        answer = replace(answer, hits=ranked or answer.hits)
    return replace(answer, read=(*read, *shown.passages))
