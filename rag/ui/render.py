"""HTML for the web chat: the transcript, the sources panel and the article list.

Pure functions from records to HTML strings, so they are tested without a
browser. Everything that comes from an article, the user or the model is
untrusted and passes through ``esc`` before it is placed in markup; the only
markup is written here. Besides ``html.escape``, ``esc`` also encodes ``$``,
braces and backticks: Gradio's HTML component runs its template through
Handlebars and a JS template literal, and text must never be able to reach
either as syntax.

Citation markers become links to the paragraph in the sources panel
(``#src-<turn>-<marker>``); ids carry the turn number so the markers of an
earlier answer still point at that answer's sources. The small script in
``CLICK_JS`` opens the collapsed section and highlights the target; the
plain anchor keeps working without it.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from rag.records import Answer, ArticleEntry, Citation, Evidence, Hit
from rag.text import MARKER, sentences

_TEMPLATE_CHARS = str.maketrans({"$": "&#36;", "{": "&#123;", "}": "&#125;", "`": "&#96;"})


@dataclass(frozen=True)
class Turn:
    """One question of a session, as shown; ``answer`` is None while it streams."""

    number: int
    question: str
    standalone: str
    draft: str = ""
    answer: Answer | None = None
    error: str = ""
    note: str = ""  # e.g. answered from BM25 alone while the index is still being built
    waiting: int = 0  # questions ahead of this one in the line for the model (rag.turns)
    evidence: Evidence | None = None  # what retrieval found, shown until the model's first token


def esc(text: str) -> str:
    """Escape untrusted text for HTML content and attribute values.

    >>> esc('<img src=x onerror="alert(1)"> ${x} {{y}}')
    '&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &#36;&#123;x&#125; &#123;&#123;y&#125;&#125;'
    """
    return html.escape(text, quote=True).translate(_TEMPLATE_CHARS)


def cite_id(turn: int, marker: int) -> str:
    return f"src-{turn}-{marker}"


def linked_answer(text: str, turn: int, markers: set[int]) -> str:
    """Escaped answer text whose known citation markers link to their source.

    >>> print(linked_answer("A [1] <b> [7].", 2, {1}))
    A <a class="cite" href="#src-2-1" data-target="src-2-1" title="show source 1">[1]</a> &lt;b&gt; [7].
    """

    def link(m: re.Match[str]) -> str:
        n = int(m.group(1))
        if n not in markers:
            return m.group(0)
        target = cite_id(turn, n)
        return f'<a class="cite" href="#{target}" data-target="{target}" title="show source {n}">[{n}]</a>'

    return MARKER.sub(link, esc(text))


def highlighted(paragraph: str, evidence: Sequence[str]) -> str:
    """Escaped paragraph with each evidence sentence wrapped in ``<mark>``.

    >>> highlighted("A <x>. B said so. C.", ["B said so."])
    'A &lt;x&gt;. <mark>B said so.</mark> C.'
    """
    spans: list[tuple[int, int]] = []
    for sentence in evidence:
        start = paragraph.find(sentence) if sentence else -1
        if start >= 0:
            spans.append((start, start + len(sentence)))
    out: list[str] = []
    pos = 0
    for start, end in sorted(spans):
        if start < pos:  # overlapping evidence: extend the current mark
            start = pos
        if start >= end:
            continue
        out.append(esc(paragraph[pos:start]) + "<mark>" + esc(paragraph[start:end]) + "</mark>")
        pos = end
    out.append(esc(paragraph[pos:]))
    return "".join(out)


def _hit_list(hits: Sequence[Hit]) -> str:
    items = "".join(
        f'<li class="hit"><div class="hit-head"><span class="ptitle">{esc(h.paragraph.article_title)}</span> '
        f'<span class="small muted">{esc(h.paragraph.provenance)} · {h.paragraph.place} · '
        f"score {h.score:.2f}</span></div>"
        f'<div class="hit-text">{esc(h.paragraph.text)}</div></li>'
        for h in hits
    )
    return f'<ul class="hits">{items}</ul>'


def _sources_of(turn: Turn) -> str:
    answer = turn.answer
    if answer is None:
        return '<p class="muted">Sources appear when the answer is complete.</p>'
    if answer.abstained:
        if not answer.hits:
            return '<p class="muted">No paragraph came close to the question.</p>'
        return '<p class="muted">No citation: the closest paragraphs, which do not answer it:</p>' + _hit_list(
            answer.hits
        )
    by_marker: dict[int, list[Citation]] = defaultdict(list)
    for c in answer.citations:
        by_marker[c.marker].append(c)
    cards = []
    for marker in sorted(by_marker):
        cites = by_marker[marker]
        p = cites[0].paragraph
        support = max(c.support for c in cites)
        claims = "".join(f'<li>“{esc(c.sentence)}” <span class="score">{c.support:.2f}</span></li>' for c in cites)
        evidence = [part for c in cites for part in (sentences(c.evidence) or [c.evidence])]
        before = cites[0].antecedent  # the earlier paragraph that says who the evidence names (rag.coref)
        first = (
            f'<div class="small muted">{before.place}, who is who:</div>'
            f'<div class="src-text antecedent">{highlighted(before.text, evidence)}</div>'
            if before is not None else ""
        )
        places = f"{before.place} and {p.place}" if before is not None else p.place
        read_with = next((c.context for c in cites if c.context), "")  # what the evidence is about (rag.verify)
        if read_with:
            first += f'<div class="small muted">read with the story\'s line: “{esc(read_with)}”</div>'
        cards.append(
            f'<div class="src" id="{cite_id(turn.number, marker)}">'
            f'<div class="src-head"><span class="marker">[{marker}]</span> '
            f'<span class="ptitle">{esc(p.article_title)}</span>'
            f'<div class="small muted">{esc(p.provenance)} · {places} · support {support:.2f}</div></div>'
            f'{first}<div class="src-text{" header" if p.number == 0 else ""}">{highlighted(p.text, evidence)}</div>'
            f'<ul class="claims">{claims}</ul></div>'
        )
    cited = {c.paragraph.id for c in answer.citations}
    rest = [h for h in answer.hits if h.paragraph.id not in cited]
    if rest:
        cards.append(
            f'<details class="uncited"><summary>Retrieved but not cited ({len(rest)})</summary>'
            f"{_hit_list(rest)}</details>"
        )
    return "".join(cards)


def render_sources(turns: Sequence[Turn]) -> str:
    """The sources panel: the latest answer's sources open, earlier ones collapsed."""
    if not turns:
        hint = "Ask a question: the paragraphs behind the answer show here."
        return f'<div class="sources"><p class="muted">{hint}</p></div>'
    parts = []
    for i, turn in enumerate(reversed(turns)):
        body = f'<div class="turn-sources">{_sources_of(turn)}</div>'
        summary = f'<span class="muted">Q{turn.number}:</span> {esc(turn.question)}'
        parts.append(
            f'<details class="for-turn" id="sources-{turn.number}"{" open" if i == 0 else ""}>'
            f"<summary>{summary}</summary>{body}</details>"
        )
    return '<div class="sources">' + "".join(parts) + "</div>"


def _answer_html(turn: Turn) -> str:
    answer = turn.answer
    if turn.error:
        return f'<div class="answer error">Could not answer: {esc(turn.error)}</div>'
    if answer is None:
        if turn.waiting:
            ahead = f"{turn.waiting} question{'s' * (turn.waiting != 1)}"
            return (
                f'<div class="answer pending waiting"><span class="muted">Waiting for the model: {ahead} '
                "ahead of yours…</span></div>"
            )
        if not turn.draft and turn.evidence is not None:
            return _evidence_html(turn.evidence)
        if not turn.draft:
            return '<div class="answer pending"><span class="muted">Searching the articles…</span></div>'
        return f'<div class="answer draft">{esc(turn.draft)}<span class="cursor">▍</span></div>'
    dated = f'<div class="small muted dates">{esc(answer.note)}</div>' if answer.note else ""
    if answer.abstained:
        note = " The closest paragraphs are in the sources panel." if answer.hits else ""
        return f'<div class="answer abstained">{esc(answer.text)}<span class="muted">{note}</span></div>{dated}'
    markers = {c.marker for c in answer.citations}
    out = f'<div class="answer final">{linked_answer(answer.text, turn.number, markers)}</div>{dated}'
    if answer.unsupported:
        dropped = " | ".join(answer.unsupported)
        out += f'<div class="small muted">Left out, not supported by the articles: {esc(dropped)}</div>'
    return out


def _evidence_html(evidence: Evidence) -> str:
    """What retrieval found, marked as evidence and not an answer (the answer replaces it when it starts)."""
    stage = "checked by the reranker" if evidence.reranked else "first search"
    items = "".join(
        f'<li>“{esc(sentence)}” <span class="small muted">— {esc(h.paragraph.article_title)}, '
        f"{h.paragraph.place}</span></li>"
        for sentence, h in zip(evidence.sentences, evidence.hits, strict=True)
    )
    return (
        f'<div class="answer pending evidence" data-stage="{"reranked" if evidence.reranked else "first"}">'
        f'<div class="small muted">Evidence found ({stage}), not yet an answer: the model is reading it…</div>'
        f'<ul class="evidence-list">{items}</ul></div>'
    )


def _meta(turn: Turn) -> str:
    a = turn.answer
    if a is None:
        return ""
    t = a.timings
    model = f"{esc(a.model)} · " if a.model else ""
    note = f'<div class="small note">{esc(turn.note)}</div>' if turn.note else ""
    return (
        f'<div class="small muted meta">{model}retrieve {t.retrieve:.1f} s · prompt {t.prompt:.1f} s · '
        f"generate {t.generate:.1f} s</div>{note}"
    )


def render_transcript(turns: Sequence[Turn]) -> str:
    """The conversation, oldest first; a rewritten follow-up is shown in small print."""
    if not turns:
        return (
            '<div class="transcript empty"><p class="muted">Ask a question about the articles, e.g. '
            "<em>who met the Iraqi foreign minister?</em> Every answer cites the paragraphs it rests on.</p></div>"
        )
    rows = []
    for turn in turns:
        rewritten = ""
        if turn.standalone and turn.standalone != turn.question:
            rewritten = f'<div class="small muted rewritten">searched as: {esc(turn.standalone)}</div>'
        rows.append(
            f'<div class="turn" id="turn-{turn.number}" data-state="'
            f'{"done" if turn.answer is not None or turn.error else "streaming"}">'
            f'<div class="question">{esc(turn.question)}</div>{rewritten}'
            f"{_answer_html(turn)}{_meta(turn)}</div>"
        )
    return '<div class="transcript">' + "".join(rows) + "</div>"


def render_articles(entries: Sequence[ArticleEntry], note: str = "") -> str:
    """The indexed articles with their paragraph counts (titles escaped)."""
    rows = "".join(
        f'<tr><td class="ptitle">{esc(e.title)}</td><td class="num">{e.paragraphs}</td>'
        f'<td class="small muted">{esc(e.id)}</td></tr>'
        for e in entries
    )
    total = sum(e.paragraphs for e in entries)
    head = f"<p>{len(entries)} article{'s' * (len(entries) != 1)}, {total} paragraphs indexed.</p>"
    table = f'<table class="articles"><tr><th>Title</th><th>¶</th><th>File</th></tr>{rows}</table>'
    status = f'<p class="status">{esc(note)}</p>' if note else ""
    return f'<div class="article-list">{status}{head}{table}</div>'


# Runs once per component (Gradio's js_on_load); delegated, so it survives re-renders.
CLICK_JS = """
element.addEventListener('click', (event) => {
  const link = event.target.closest('a.cite');
  if (!link) return;
  const target = document.getElementById(link.dataset.target);
  if (!target) return;
  event.preventDefault();
  for (let d = target.closest('details'); d; d = d.parentElement && d.parentElement.closest('details')) d.open = true;
  document.querySelectorAll('.src.active').forEach((e) => e.classList.remove('active'));
  target.classList.add('active');
  target.scrollIntoView({behavior: 'smooth', block: 'nearest'});
});
watch('value', () => {
  const box = element.querySelector('.transcript');
  if (box) box.scrollTop = box.scrollHeight;
});
"""

CSS = """
.transcript { max-height: 60vh; overflow-y: auto; padding: 4px; }
.turn { margin: 0 0 14px 0; }
.question { font-weight: 600; margin-bottom: 2px; }
.question::before { content: "Q: "; color: var(--body-text-color-subdued); }
.answer { padding: 8px 10px; border-radius: 8px; background: var(--background-fill-secondary); margin-top: 4px; }
.answer.abstained { border-left: 4px solid #d97706; }
.answer.error { border-left: 4px solid #dc2626; }
.answer.draft { opacity: 0.85; }
.cursor { animation: blink 1s steps(1) infinite; }
@keyframes blink { 50% { opacity: 0; } }
a.cite { font-weight: 600; text-decoration: none; padding: 0 2px; border-radius: 4px; cursor: pointer; }
a.cite:hover { background: var(--color-accent-soft); }
.small { font-size: 0.8em; }
.muted { color: var(--body-text-color-subdued); }
.sources details.for-turn { margin-bottom: 8px; }
.sources summary { cursor: pointer; }
.src { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px; margin: 6px 0; }
.src.active, .src:target { outline: 3px solid var(--color-accent); }
.src-head { font-size: 0.9em; margin-bottom: 4px; }
.marker { font-weight: 700; }
.ptitle { font-weight: 600; }
.score { font-size: 0.8em; color: var(--body-text-color-subdued); margin-left: 6px; }
.src-text mark { background: #fde68a; color: inherit; }
.claims { font-size: 0.8em; margin: 4px 0 0 16px; }
.hits { padding-left: 16px; }
.hits li, .hits li .ptitle { font-size: 0.9em; font-weight: normal; }
.hits li .ptitle { font-size: 1em; font-weight: 600; }
.hit-text { font-size: 0.9em; margin: 2px 0 8px 0; }
.src-text { margin: 4px 0; }
.src-text.header { white-space: pre-line; }
.answer.evidence { border-left: 3px dashed #d1d5db; padding-left: 8px; }
.evidence-list { margin: 4px 0 0 0; padding-left: 18px; color: #4b5563; }
.src-text.antecedent { border-left: 3px solid #e5e7eb; padding-left: 6px; }
table.articles { width: 100%; border-collapse: collapse; }
table.articles td, table.articles th {
  text-align: left; padding: 3px 6px; border-bottom: 1px solid var(--border-color-primary);
}
td.num { text-align: right; }
"""
