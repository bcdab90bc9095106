#!/usr/bin/env python3
"""Self-check for the hand-made multi-answer evaluation set.

Run:  .venv/bin/python tests/multi/check_set.py  (``tests/test_multi_set.py`` runs it in the test suite)
Exit code 0 and "OK" when every check passes; otherwise lists the problems.
"""
import datetime as dt
import json
import re
import sys
from collections import Counter
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ART_DIR = HERE / "articles"
QFILE = HERE / "questions.jsonl"

FM_KEYS = {"title", "date", "authors", "outlet", "source"}
KINDS = ("list", "coref", "attribution", "metadata")
META_FIELDS = {"authors", "date", "outlet", "title", "url"}

errors = []


def err(msg):
    errors.append(msg)


def load_articles():
    arts = {}
    for path in sorted(ART_DIR.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        m = re.match(r"\A---\n(.*?)\n---\n\n(.*)\Z", text, re.S)
        if not m:
            err(f"{path.name}: bad front matter layout")
            continue
        fm = yaml.safe_load(m.group(1))
        body = m.group(2).rstrip("\n")
        if set(fm) != FM_KEYS:
            err(f"{path.name}: front matter keys {sorted(fm)}")
        if "\n\n\n" in body:
            err(f"{path.name}: more than one blank line between paragraphs")
        paras = body.split("\n\n")
        for i, p in enumerate(paras):
            if "\n" in p or not p.strip() or p != p.strip():
                err(f"{path.name}: paragraph {i} is wrapped, empty or padded")
        words = sum(len(p.split()) for p in paras)
        if not 7 <= len(paras) <= 12:
            err(f"{path.name}: {len(paras)} paragraphs")
        if not 250 <= words <= 600:
            err(f"{path.name}: {words} words")
        date = fm.get("date")
        if not isinstance(date, dt.date) or not (
            dt.date(2025, 3, 1) <= date <= dt.date(2025, 3, 20)
        ):
            err(f"{path.name}: date {date!r}")
        if not isinstance(fm.get("authors"), list):
            err(f"{path.name}: authors not a list")
        src = fm.get("source", "")
        exp_prefix = f"/{date:%Y/%m/%d}/" if isinstance(date, dt.date) else "?"
        if not re.match(r"^https://[a-z0-9-]+\.example/", src) or exp_prefix not in src:
            err(f"{path.name}: source {src!r}")
        arts[path.stem] = {"fm": fm, "paras": paras, "words": words}
    return arts


def meta_value(fm, field):
    if field == "authors":
        return ", ".join(fm["authors"]) if fm["authors"] else "no byline"
    if field == "date":
        return fm["date"].isoformat()
    if field == "url":
        return fm["source"]
    return fm[field]


def locate(arts, s):
    """All (article, paragraph index) where s occurs (counting repeats)."""
    hits = []
    for name, a in arts.items():
        for i, p in enumerate(a["paras"]):
            hits += [(name, i)] * p.count(s)
    return hits


def main():
    arts = load_articles()
    if len(arts) != 12:
        err(f"{len(arts)} articles, expected 12")
    if sum(1 for a in arts.values() if a["fm"]["authors"] == []) != 3:
        err("need exactly 3 articles with authors: []")
    if len({a["fm"]["outlet"] for a in arts.values()}) < 5:
        err("fewer than 5 outlets")

    qs = []
    for n, line in enumerate(QFILE.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                qs.append(json.loads(line))
            except json.JSONDecodeError as e:
                err(f"questions line {n}: {e}")

    ids = Counter(q.get("id") for q in qs)
    for i, c in ids.items():
        if c > 1:
            err(f"duplicate id {i}")
    kinds = Counter(q.get("kind") for q in qs)
    for k in KINDS:
        if kinds[k] < 11:
            err(f"only {kinds[k]} {k} questions")
    if set(kinds) - set(KINDS):
        err(f"unknown kinds {set(kinds) - set(KINDS)}")

    cross_lists = traps = genuine = nobyline_meta = 0
    for q in qs:
        qid = q.get("id", "?")
        for f in ("id", "kind", "question", "question_date", "expected", "note"):
            if f not in q:
                err(f"{qid}: missing {f}")
        if not qid.startswith(q.get("kind", "")[:4]):
            err(f"{qid}: id prefix does not match kind")
        for name in arts:
            if name in q.get("question", ""):
                err(f"{qid}: question mentions file name {name}")
        kind = q.get("kind")
        refs = set()  # articles the question is about

        def check_unique(s, what, qid=qid, q=q):
            if not 5 <= len(s.split()) <= 20 and what == "evidence":
                err(f"{qid}: evidence not 5-20 words: {s!r}")
            hits = locate(arts, s)
            if len(hits) != 1:
                err(f"{qid}: {what} occurs {len(hits)} times: {s!r}")
                return None
            if s.lower() in q["question"].lower():
                err(f"{qid}: question copies {what} {s!r}")
            return hits[0]

        if kind in ("list", "coref") or (kind == "attribution" and not q.get("trap")):
            exp = q["expected"]
            if not exp:
                err(f"{qid}: empty expected")
            item_paras = []
            for item in exp:
                names = [item["answer"], *item.get("aliases", [])]
                if not item.get("evidence"):
                    err(f"{qid}: answer {item['answer']!r} has no evidence")
                locs = []
                for ev in item.get("evidence", []):
                    loc = check_unique(ev, "evidence")
                    if loc is None:
                        continue
                    locs.append(loc)
                    refs.add(loc[0])
                    para = arts[loc[0]]["paras"][loc[1]].lower()
                    if not any(nm.lower() in para for nm in names):
                        err(f"{qid}: neither {names} found in paragraph of {ev!r}")
                item_paras.append(set(locs))
            if kind == "list":
                if not 2 <= len(exp) <= 3:
                    err(f"{qid}: list needs 2-3 answers")
                allp = set().union(*item_paras) if item_paras else set()
                if len(allp) < 2:
                    err(f"{qid}: list answers are not in different paragraphs")
                if len({a for a, _ in allp}) >= 2:
                    cross_lists += 1
            if kind == "coref" and not 1 <= len(exp) <= 2:
                err(f"{qid}: coref needs 1-2 answers")
            if kind == "attribution":
                genuine += 1
                if q.get("trap") is not False:
                    err(f"{qid}: genuine attribution needs trap false")
                if len(exp) != 1 or not 3 <= len(exp[0]["answer"].split()) <= 8:
                    err(f"{qid}: genuine attribution needs one 3-8 word answer")
                sur = q.get("asked", "").split()[-1:]
                for loc in item_paras[0] if item_paras else []:
                    if not sur or sur[0] not in arts[loc[0]]["paras"][loc[1]]:
                        err(f"{qid}: asked speaker not in quote paragraph")
        elif kind == "attribution":
            traps += 1
            if q.get("trap") is not True or q.get("expected") != []:
                err(f"{qid}: trap needs trap true and expected []")
            for f in ("asked", "said_by", "quote"):
                if not q.get(f):
                    err(f"{qid}: trap missing {f}")
            loc = check_unique(q.get("quote", ""), "quote")
            if loc:
                refs.add(loc[0])
                para = arts[loc[0]]["paras"][loc[1]]
                asked_sur = q["asked"].split()[-1]
                said_sur = q["said_by"].split()[-1]
                if said_sur not in para:
                    err(f"{qid}: said_by {q['said_by']} not in quote paragraph")
                if asked_sur in para:
                    err(f"{qid}: asked {q['asked']} appears in quote paragraph")
                if not any(q["asked"] in p for p in arts[loc[0]]["paras"]):
                    err(f"{qid}: asked {q['asked']} not in the quote's article")
        elif kind == "metadata":
            art = q.get("article")
            if art not in arts:
                err(f"{qid}: unknown article {art!r}")
                continue
            refs.add(art)
            field = q.get("field")
            if field not in META_FIELDS:
                err(f"{qid}: bad field {field!r}")
                continue
            exp = q["expected"]
            if not exp or any(e.get("evidence") != [] for e in exp):
                err(f"{qid}: metadata needs items with evidence []")
                continue
            want = meta_value(arts[art]["fm"], field)
            # Several authors are several expected answers, one per name.
            if ", ".join(e["answer"] for e in exp) != want:
                err(f"{qid}: answers {[e['answer'] for e in exp]!r} != front matter {want!r}")
            if want == "no byline":
                nobyline_meta += 1
        else:
            err(f"{qid}: unknown kind {kind!r}")
            continue

        if refs:
            newest = max(arts[a]["fm"]["date"] for a in refs)
            want = (newest + dt.timedelta(days=1)).isoformat()
            qd = q.get("question_date", "")
            if qd != want and not (kind == "attribution" and q.get("trap") and qd > want):
                err(f"{qid}: question_date {qd} but newest article + 1 day is {want}")

    if cross_lists < 3:
        err(f"only {cross_lists} list questions span two articles")
    if traps < 11:
        err(f"only {traps} attribution traps")
    if not 4 <= genuine <= 6:
        err(f"{genuine} genuine attribution questions (want 4-6)")
    if nobyline_meta < 3:
        err(f"only {nobyline_meta} metadata questions about unbylined articles")

    print(f"articles: {len(arts)}, words {min(a['words'] for a in arts.values())}-"
          f"{max(a['words'] for a in arts.values())}")
    print(f"questions: {len(qs)} {dict(kinds)}; cross-article lists {cross_lists}; "
          f"traps {traps}; genuine attribution {genuine}; no-byline metadata {nobyline_meta}")
    if errors:
        print(f"{len(errors)} problem(s):")
        for e in errors:
            print("  -", e)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
