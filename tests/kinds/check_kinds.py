#!/usr/bin/env python3
"""Self-check for the hand-made question-kinds set (``tests/kinds``).

Run:  .venv/bin/python tests/kinds/check_kinds.py
Exit code 0 and "OK" when every check passes; otherwise lists the problems.

The article layout checks (front matter keys, one-line paragraphs, 7-12 paragraphs, 250-600 words, authors a
list, source URL carrying the date) and the helpers ``locate`` and ``meta_value`` are those of
``tests/multi/check_set.py``, imported, not copied. Its date window (1-20 March 2025) is the one check replaced:
these articles are dated March 2026.
"""
import datetime as dt
import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
if str(ROOT) not in sys.path:  # run as a script: make ``tests.multi`` importable
    sys.path.insert(0, str(ROOT))

from tests.multi import check_set  # noqa: E402

KINDS = ("header", "narration", "apposition", "shared_trait", "chat")
PER_KIND = 5
ARTICLES = {"header": (1, 1), "narration": (2, 3), "apposition": (2, 3), "shared_trait": (2, 3), "chat": (3, 4)}
HEADER_KINDS = ("header", "chat")  # answered from the front matter, like tests/multi's metadata questions
REQUIRED = ("id", "kind", "question", "question_date", "expected", "note")
ALLOWED = set(REQUIRED) | {"field", "article", "history"}
FIRST, LAST = dt.date(2026, 3, 1), dt.date(2026, 3, 31)

# The two people who answer each chat question's earlier turn (``history``): both must be named in the
# question's article and in no other article of chat/, so the follow-up can only mean that article.
HISTORY_ANSWERS = {
    "chat-01": ("Heikki Ollikainen", "Juho Lähdesmäki"),
    "chat-02": ("Roberta Camilleri", "Jean-Paul Xuereb"),
    "chat-03": ("Morag Keddie", "Iain Baxendale"),
    "chat-04": ("Rocco Albanese", "Graziella Difonzo"),
    "chat-05": ("Nadine Zerafa", "Luke Spiteri Borg"),
}
# "X is the head of Y" and the like: apposition/ states roles only as a title before a name or an apposition.
ROLE_PREDICATE = re.compile(
    r"\b(is|was|are|were|became|becomes)\s+(now\s+)?(the\s+|its\s+|their\s+)?(\w+\s+)?"
    r"(head|chief|director|chair|chairman|chairwoman|leader|president|rector|boss|manager)\s+(of|at)\b",
    re.I,
)
PRONOUN_SENTENCE = re.compile(r"(^|[.!?][\"”]?\s)(He|She)\s")
DESCRIBED_SPEAKER = re.compile(r"[,?!][\"”] the [^\".]*?\b(said|told|added)\b")

errors = []


def err(msg):
    errors.append(msg)


def load_articles(kind):
    """check_set's loader on ``<kind>/articles``, with its March 2025 date window swapped for March 2026."""
    saved = check_set.ART_DIR
    check_set.errors.clear()
    check_set.ART_DIR = HERE / kind / "articles"
    try:
        arts = check_set.load_articles()
    finally:
        check_set.ART_DIR = saved
    for e in check_set.errors:
        if not re.search(r": date datetime\.date\(2026, 3, \d+\)$", e):
            err(f"{kind}/{e}")
    check_set.errors.clear()
    for name, a in arts.items():
        date = a["fm"].get("date")
        if not isinstance(date, dt.date) or not FIRST <= date <= LAST:
            err(f"{kind}/{name}: date {date!r} not in March 2026")
    return arts


def words(text):
    return {w.lower() for w in re.findall(r"[^\W\d_]+", text)}


def topic_words(arts):
    """Words that would name a topic: the titles' longer words and the names (capitalized words) of the bodies."""
    out, capitalized, lower = set(), set(), set()
    for a in arts.values():
        out |= {w for w in words(a["fm"]["title"]) if len(w) >= 4}
        for p in a["paras"]:
            for w in re.findall(r"[^\W\d_]+", p):
                (capitalized if w[0].isupper() else lower).add(w.lower())
    # a capitalized word also written in lower case is a sentence opening ("From", "It"), not a name
    return out | (capitalized - lower)


def check_kind(kind, all_ids):
    arts = load_articles(kind)
    lo, hi = ARTICLES[kind]
    if not lo <= len(arts) <= hi:
        err(f"{kind}: {len(arts)} articles, want {lo}-{hi}")
    qfile = HERE / kind / "questions.jsonl"
    qs = []
    for n, line in enumerate(qfile.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                qs.append(json.loads(line))
            except json.JSONDecodeError as e:
                err(f"{kind}/questions line {n}: {e}")
    if len(qs) != PER_KIND:
        err(f"{kind}: {len(qs)} questions, want {PER_KIND}")
    topics = topic_words(arts)

    for q in qs:
        qid = q.get("id", "?")
        all_ids.append(qid)
        for f in REQUIRED:
            if f not in q:
                err(f"{qid}: missing {f}")
        if set(q) - ALLOWED:
            err(f"{qid}: unknown fields {sorted(set(q) - ALLOWED)}")
        if q.get("kind") != kind or not qid.startswith(f"{kind}-"):
            err(f"{qid}: kind {q.get('kind')!r} / id prefix do not match folder {kind}/")
        question = q.get("question", "")
        for name in arts:
            if name in question:
                err(f"{qid}: question mentions file name {name}")
        exp = q.get("expected") or []
        if not exp:
            err(f"{qid}: empty expected")
        refs = set()

        if kind in HEADER_KINDS:
            art = q.get("article")
            if art not in arts:
                err(f"{qid}: unknown article {art!r}")
                continue
            refs.add(art)
            field = q.get("field")
            if field not in check_set.META_FIELDS:
                err(f"{qid}: bad field {field!r}")
                continue
            if any(e.get("evidence") != [] for e in exp):
                err(f"{qid}: a header answer has evidence []")
            want = check_set.meta_value(arts[art]["fm"], field)
            if ", ".join(e["answer"] for e in exp) != want:
                err(f"{qid}: answers {[e['answer'] for e in exp]!r} != front matter {want!r}")
            named = words(question) & topics
            if named:
                err(f"{qid}: question names a topic: {sorted(named)}")
        else:
            for item in exp:
                names = [item["answer"], *item.get("aliases", [])]
                if not item.get("evidence"):
                    err(f"{qid}: answer {item['answer']!r} has no evidence")
                for ev in item.get("evidence", []):
                    if not 5 <= len(ev.split()) <= 20:
                        err(f"{qid}: evidence not 5-20 words: {ev!r}")
                    if ev.lower() in question.lower():
                        err(f"{qid}: question copies evidence {ev!r}")
                    if not any(nm.lower() in ev.lower() for nm in names):
                        err(f"{qid}: neither {names} in evidence {ev!r}")
                    hits = check_set.locate(arts, ev)
                    if len(hits) != 1:
                        err(f"{qid}: evidence occurs {len(hits)} times: {ev!r}")
                        continue
                    art, i = hits[0]
                    refs.add(art)
                    para = arts[art]["paras"][i]
                    if kind == "narration":
                        if not PRONOUN_SENTENCE.search(para):
                            err(f"{qid}: evidence paragraph has no sentence opening with He/She")
                        if not any(DESCRIBED_SPEAKER.search(p) for p in arts[art]["paras"][: i + 1]):
                            err(f"{qid}: no '...,\" the <description> said' before the evidence")
                    if kind == "shared_trait":
                        pair = re.search(r"([^\W\d_][\w'-]*) and ([^\W\d_][\w'-]*)", question)
                        if not pair or not all(n[0].isupper() and n in para for n in pair.groups()):
                            err(f"{qid}: the two people asked about are not both in the evidence paragraph")
                        if not re.search(r"\b(both|each|Both|Each)\b", para):
                            err(f"{qid}: evidence paragraph states no shared trait (both/each)")
            if kind == "apposition":
                if not question.startswith("Who "):
                    err(f"{qid}: apposition questions ask 'Who ...?'")
                for item in exp:
                    if len(item["answer"].split()) < 2 or item["answer"].split()[-1] not in item.get("aliases", []):
                        err(f"{qid}: answer must be a full name with the surname as an alias")

        if kind == "chat":
            hist = q.get("history")
            if not (isinstance(hist, list) and len(hist) == 1 and isinstance(hist[0], str) and hist[0].strip()):
                err(f"{qid}: history must be a list with one earlier question")
            pair = HISTORY_ANSWERS.get(qid)
            if not pair:
                err(f"{qid}: no entry in HISTORY_ANSWERS")
            else:
                for person in pair:
                    where = [n for n, a in arts.items() if any(person in p for p in a["paras"])]
                    if where != [q.get("article")]:
                        err(f"{qid}: history answer {person!r} is named in {where}, want only [{q.get('article')!r}]")
                    if any(person in a["fm"]["authors"] for a in arts.values()):
                        err(f"{qid}: history answer {person!r} is also an author")
        elif "history" in q:
            err(f"{qid}: history is for chat/ only")

        if refs:
            newest = max(arts[a]["fm"]["date"] for a in refs)
            want = (newest + dt.timedelta(days=1)).isoformat()
            if q.get("question_date") != want:
                err(f"{qid}: question_date {q.get('question_date')} but newest article + 1 day is {want}")

    if kind == "chat":
        bylines = [tuple(a["fm"]["authors"]) for a in arts.values()]
        if not all(bylines) or len(set(bylines)) != len(bylines):
            err("chat: articles need distinct, non-empty bylines")
    if kind == "header":
        for a in arts.values():
            if not any(re.search(r"\b[A-Z]\.\s", name) for name in a["fm"]["authors"]):
                err("header: byline needs a name with an initial and a period (e.g. 'Marta J. Kowalczyk')")
    if kind == "apposition":
        for name, a in arts.items():
            for i, p in enumerate(a["paras"]):
                m = ROLE_PREDICATE.search(p)
                if m:
                    err(f"apposition/{name}: paragraph {i} states a role as a predicate: {m.group(0)!r}")
    return arts, qs


def main():
    all_ids = []
    summary = []
    for kind in KINDS:
        arts, qs = check_kind(kind, all_ids)
        if arts:
            summary.append(f"{kind}: {len(arts)} articles ({min(a['words'] for a in arts.values())}-"
                           f"{max(a['words'] for a in arts.values())} words), {len(qs)} questions")
    for i, c in Counter(all_ids).items():
        if c > 1:
            err(f"duplicate id {i}")
    print("\n".join(summary))
    if errors:
        print(f"{len(errors)} problem(s):")
        for e in errors:
            print("  -", e)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
