"""Question sets for ``rag eval`` and the corpus they are asked against.

SQuAD v1.1 JSON, JSONL or CSV -> ``Question`` records (the index to ask
them of is ``rag.eval.corpus``).

A SQuAD file is also a corpus: every ``data[]`` article becomes an
``Article`` (id = slug of its title) and every ``context`` one ``Paragraph``,
used as-is. Paragraph recovery is deliberately skipped: SQuAD's paragraphs
are the gold units, and re-splitting them would break the question ->
gold-paragraph mapping.

JSONL and CSV question sets are about the user's own articles (``--seeds``);
``question`` is required, everything else optional. Every malformed row is
an error naming the file and line: a silently skipped gold label would make
the metrics lie.

Question ids drive resuming, so they must be stable: SQuAD ids are kept, a
row without an ``id`` gets one derived from the question text (not the line
number, which shifts when rows are added above it).

"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import re
from dataclasses import dataclass, replace
from pathlib import Path

from rag.errors import RagError
from rag.records import Article, Paragraph

FIELDS = ("id", "question", "answers", "gold_article", "gold_paragraph", "answerable", "choices", "question_date",
          "kind", "expected", "asked", "said_by", "quote", "article", "history")
# Fields of the news-2025 quiz files and the multi-answer set that are read but not used for scoring.
INFORMATIVE = ("week", "gold_evidence", "original_date", "note", "trap", "field")


class EvalError(RagError):
    """A ``rag eval`` invocation that cannot run; the message says why."""


class QuestionFileError(EvalError):
    """A question file that cannot be read; the message names file, line and reason."""


@dataclass(frozen=True)
class Expected:
    """One answer a multi-answer question must give (``tests/multi``): as written, its short forms, and the
    passages that state it (exact substrings; empty for a header fact)."""

    answer: str
    aliases: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return (self.answer, *self.aliases)


@dataclass(frozen=True)
class Question:
    """One evaluation question and its gold labels.

    ``gold_paragraph`` is a paragraph id of the index; when only
    ``gold_article`` is known, any paragraph of that article counts as gold.
    ``origin`` ("file:line") is kept for error messages. ``question_date``
    (YYYY-MM-DD) is the day the question is asked as of; ``choices`` are a
    quiz's options, kept for scoring and never shown to the model.
    """

    id: str
    question: str
    answers: tuple[str, ...] = ()
    gold_paragraph: str | None = None
    gold_article: str | None = None
    answerable: bool = True
    origin: str = ""
    question_date: str = ""
    choices: tuple[str, ...] = ()
    # A multi-answer question (``tests/multi``): its kind (list, coref, attribution, metadata), every answer
    # expected, and for an attribution trap the person asked about, who said it instead and that quote.
    kind: str = ""
    expected: tuple[Expected, ...] = ()
    asked: str = ""
    said_by: str = ""
    quote: str = ""
    # The earlier questions of a conversation (``tests/kinds/chat``): each is asked first, in order, and the
    # question is asked after them with their answers as its history.
    history: tuple[str, ...] = ()

    @property
    def has_gold(self) -> bool:
        return self.answerable and bool(self.gold_paragraph or self.gold_article or self.answers)


def slug(title: str) -> str:
    """Article id from a SQuAD title.

    >>> slug("Fresno,_California")
    'fresno-california'
    """
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "article"


def is_squad(path: Path) -> bool:
    return path.suffix.lower() == ".json"


def _load_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise QuestionFileError(f"{path}: cannot read ({err.strerror or err})") from None
    except ValueError as err:
        raise QuestionFileError(f"{path}: not valid JSON ({err})") from None
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise QuestionFileError(f"{path}: not SQuAD v1.1 JSON (no top-level 'data' list)")
    return data


def read_squad(path: Path, taken: frozenset[str] = frozenset()) -> tuple[list[Article], list[Question]]:
    """Articles and questions of one SQuAD file; article ids avoid ``taken`` (pooled files)."""
    articles: list[Article] = []
    questions: list[Question] = []
    used = set(taken)
    for a_pos, item in enumerate(_load_json(path)["data"]):
        where = f"{path}: data[{a_pos}]"
        if not isinstance(item, dict) or not isinstance(item.get("paragraphs"), list):
            raise QuestionFileError(f"{where}: expected an object with a 'paragraphs' list")
        title = str(item.get("title") or f"article {a_pos + 1}")
        article_id = slug(title)
        n = 2
        while article_id in used:  # two titles with one slug, or the same article in two files
            article_id, n = f"{slug(title)}-{n}", n + 1
        used.add(article_id)
        paragraphs: list[Paragraph] = []
        for p_pos, para in enumerate(item["paragraphs"]):
            pwhere = f"{where}.paragraphs[{p_pos}]"
            if not isinstance(para, dict) or not isinstance(para.get("context"), str) or not para["context"].strip():
                raise QuestionFileError(f"{pwhere}: missing 'context' text")
            pid = f"{article_id}:{p_pos + 1}"
            paragraphs.append(
                Paragraph(id=pid, article_id=article_id, article_title=title, number=p_pos + 1, text=para["context"])
            )
            for q_pos, qa in enumerate(para.get("qas") or []):
                qwhere = f"{pwhere}.qas[{q_pos}]"
                if not isinstance(qa, dict) or not str(qa.get("question") or "").strip() or not qa.get("id"):
                    raise QuestionFileError(f"{qwhere}: needs 'id' and 'question'")
                impossible = bool(qa.get("is_impossible"))  # SQuAD 2.0: asked of this paragraph, not answered by it
                answers = tuple(dict.fromkeys(str(a.get("text", "")) for a in qa.get("answers") or [] if a.get("text")))
                questions.append(
                    Question(
                        str(qa["id"]),
                        " ".join(str(qa["question"]).split()),
                        () if impossible else answers,
                        None if impossible else pid,
                        None if impossible else article_id,
                        not impossible,
                        qwhere,
                    )
                )
        digest = hashlib.sha256("\n\n".join([title, *(p.text for p in paragraphs)]).encode("utf-8")).hexdigest()
        articles.append(
            Article(id=article_id, title=title, paragraphs=tuple(paragraphs), path=str(path), sha256=digest)
        )
    return articles, questions


def pool_squad(paths: list[Path]) -> tuple[list[Article], dict[Path, list[Question]]]:
    """One corpus from several SQuAD files (each read once), with each file's questions."""
    articles: list[Article] = []
    questions: dict[Path, list[Question]] = {}
    for path in dict.fromkeys(p.resolve() for p in paths):
        more, qs = read_squad(path, frozenset(a.id for a in articles))
        articles += more
        questions[path] = qs
    return articles, questions


def as_unanswerable(questions: list[Question]) -> list[Question]:
    """Questions asked against a corpus that does not hold their paragraphs: no gold at all."""
    return [replace(q, answers=(), gold_paragraph=None, gold_article=None, answerable=False) for q in questions]


def _bool(value: object, where: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "1"):
        return True
    if text in ("false", "no", "0"):
        return False
    raise QuestionFileError(f"{where}: 'answerable' must be true or false, not {value!r}")


def _answers(value: object, where: str, name: str = "answers") -> tuple[str, ...]:
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):  # a JSON list in a CSV cell
            try:
                value = json.loads(text)
            except ValueError:
                raise QuestionFileError(f"{where}: {name!r} is not a valid JSON list") from None
        else:  # CSV convenience: "Fuad Hussein|Hussein"
            return tuple(a.strip() for a in text.split("|") if a.strip())
    if not isinstance(value, list) or not all(isinstance(a, str | int | float) for a in value):
        raise QuestionFileError(f"{where}: {name!r} must be a list of strings")
    return tuple(str(a).strip() for a in value if str(a).strip())


def parse_row(row: dict, where: str) -> Question:
    """One JSONL object or CSV row -> ``Question``; empty values count as absent."""
    row = {k: v for k, v in row.items() if v is not None and v != ""}
    unknown = sorted(set(row) - set(FIELDS) - set(INFORMATIVE))
    if unknown:
        raise QuestionFileError(f"{where}: unknown field {unknown[0]!r} (expected {', '.join(FIELDS)})")
    text = row.get("question")
    if not isinstance(text, str) or not text.strip():
        raise QuestionFileError(f"{where}: 'question' is missing or empty")
    text = " ".join(text.split())
    # An attribution trap (what did X say about T? when only Y is quoted on T) has no answer to find.
    answerable = _bool(row.get("answerable", "said_by" not in row), where)
    answers = _answers(row["answers"], where) if "answers" in row else ()
    article = row.get("gold_article")
    paragraph = row.get("gold_paragraph")
    if isinstance(paragraph, int) and not isinstance(paragraph, bool) and article:
        paragraph = f"{article}:{paragraph}"  # a paragraph number within gold_article
    for name, value in (("gold_article", article), ("gold_paragraph", paragraph)):
        if value is not None and not isinstance(value, str):
            raise QuestionFileError(f"{where}: {name!r} must be a string")
    if paragraph is not None and not re.fullmatch(r".+:\d+", paragraph):
        raise QuestionFileError(f"{where}: gold_paragraph {paragraph!r} is not a paragraph id like 'article:3'")
    if paragraph and article and paragraph.rsplit(":", 1)[0] != article:
        raise QuestionFileError(f"{where}: gold_paragraph {paragraph!r} is not in gold_article {article!r}")
    if not answerable and (answers or paragraph or article):
        raise QuestionFileError(f"{where}: an unanswerable question cannot have answers or gold labels")
    asked_on = str(row.get("question_date", ""))
    if asked_on and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", asked_on):
        raise QuestionFileError(f"{where}: question_date {asked_on!r} is not a date like 2025-07-04")
    choices = _answers(row["choices"], where, "choices") if "choices" in row else ()
    history = _answers(row["history"], where, "history") if "history" in row else ()
    expected = _expected(row.get("expected", []), where)
    if expected and not answers:  # a multi-answer question is also scored as any other (contains, F1)
        answers = tuple(name for e in expected for name in e.names)
    article = article or row.get("article")
    qid = str(row.get("id") or "q-" + hashlib.sha1(text.lower().encode()).hexdigest()[:10])
    article = article or (paragraph.rsplit(":", 1)[0] if paragraph else None)
    return Question(
        id=qid,
        question=text,
        answers=answers,
        gold_paragraph=paragraph,
        gold_article=article,
        answerable=answerable,
        origin=where,
        question_date=asked_on,
        choices=choices,
        kind=str(row.get("kind", "")),
        expected=expected,
        asked=str(row.get("asked", "")),
        history=history,
        said_by=str(row.get("said_by", "")),
        quote=str(row.get("quote", "")),
    )


def _expected(value: object, where: str) -> tuple[Expected, ...]:
    """The ``expected`` answers of a multi-answer question: objects with ``answer``, ``aliases``, ``evidence``."""
    if not isinstance(value, list) or not all(isinstance(e, dict) and isinstance(e.get("answer"), str) for e in value):
        raise QuestionFileError(f"{where}: 'expected' must be a list of objects with an 'answer'")
    return tuple(
        Expected(
            answer=e["answer"],
            aliases=_answers(e.get("aliases", []), where, "aliases"),
            evidence=_answers(e.get("evidence", []), where, "evidence"),
        )
        for e in value
    )


def read_rows(path: Path) -> list[Question]:
    """Questions of a ``.jsonl`` or ``.csv`` file (one question per line / row)."""
    suffix = path.suffix.lower()
    if suffix not in (".jsonl", ".csv"):
        raise QuestionFileError(f"{path}: unsupported question file (use SQuAD .json, .jsonl or .csv)")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as err:
        raise QuestionFileError(f"{path}: cannot read ({err.strerror or err})") from None
    except UnicodeDecodeError:
        raise QuestionFileError(f"{path}: not UTF-8 text") from None
    out: list[Question] = []
    if suffix == ".jsonl":
        for line_no, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as err:
                raise QuestionFileError(f"{path}:{line_no}: not valid JSON ({err.msg})") from None
            if not isinstance(row, dict):
                raise QuestionFileError(f"{path}:{line_no}: expected a JSON object")
            out.append(parse_row(row, f"{path}:{line_no}"))
    else:
        reader = csv.DictReader(text.splitlines(keepends=True))
        if "question" not in (reader.fieldnames or []):
            raise QuestionFileError(f"{path}:1: the header has no 'question' column")
        for row in reader:
            if None in row:  # more cells than header columns
                raise QuestionFileError(f"{path}:{reader.line_num}: more cells than header columns")
            if any(v for v in row.values()):
                out.append(parse_row(dict(row), f"{path}:{reader.line_num}"))
    if not out:
        raise QuestionFileError(f"{path}: no questions")
    return out


def check_unique(questions: list[Question]) -> None:
    """Resuming skips ids already answered, so two questions may not share one."""
    seen: dict[str, Question] = {}
    for q in questions:
        if q.id in seen:
            raise QuestionFileError(f"{q.origin}: duplicate question id {q.id!r} (first at {seen[q.id].origin})")
        seen[q.id] = q


def read_questions(path: Path) -> list[Question]:
    """Questions of any supported file; a SQuAD file's corpus is ignored here."""
    return pool_squad([path])[1][path.resolve()] if is_squad(path) else read_rows(path)


def sample(questions: list[Question], limit: int | None, seed: int) -> list[Question]:
    """A random sample of ``limit`` questions (all, in file order, without a limit).

    The sample is a prefix of one seeded shuffle, so a larger ``limit`` with
    the same seed extends a run instead of asking different questions.
    """
    if limit is None:
        return list(questions)
    shuffled = list(questions)
    random.Random(seed).shuffle(shuffled)
    return shuffled[:limit]


def interleave(a: list[Question], b: list[Question]) -> list[Question]:
    """Spread ``b`` evenly through ``a``, so an interrupted run has asked some of each.

    >>> [q.id for q in interleave([Question(x, x) for x in "abc"], [Question("U", "U")])]
    ['a', 'b', 'U', 'c']
    """
    keyed = [((i + 0.5) / len(a), 0, q) for i, q in enumerate(a)]
    keyed += [((j + 1) / (len(b) + 1), 1, q) for j, q in enumerate(b)]
    return [q for *_, q in sorted(keyed, key=lambda t: (t[0], t[1]))]


def check_gold(questions: list[Question], paragraph_ids: set[str], article_ids: set[str], corpus: str) -> None:
    """A gold label naming nothing in the index is a typo, not a retrieval miss."""
    for q in questions:
        if q.gold_paragraph and q.gold_paragraph not in paragraph_ids:
            raise QuestionFileError(f"{q.origin}: gold_paragraph {q.gold_paragraph!r} is not in the index ({corpus})")
        if q.gold_article and q.gold_article not in article_ids:
            raise QuestionFileError(f"{q.origin}: gold_article {q.gold_article!r} is not in the index ({corpus})")
