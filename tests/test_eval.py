"""``rag eval``: metric arithmetic, question readers, and resumable runs, with fake models only."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from rag import cli
from rag.eval.metrics import citation_counts, exact_match, gold_rank, markers_ok, normalize_answer, token_f1
from rag.eval.questions import (
    EvalError,
    Question,
    QuestionFileError,
    interleave,
    pool_squad,
    read_rows,
    read_squad,
    sample,
    slug,
)
from rag.eval.results import AnswerRecord, Latency, Ranking, Result, Scores, read_results
from rag.eval.run import Plan, evaluate, run
from rag.eval.summary import mrr, percentile, recall_at, summarize
from rag.ingest import read_article
from rag.pipeline import Engine
from rag.records import Hit, Paragraph
from rag.settings import Settings
from rag.text import strip_markers
from tests.fakes import PROJECT, SEED, FakeEmbedder, FakeLLM

ARTICLE = "000_efee75aea60a5e55"

# ---- metric arithmetic -------------------------------------------------------------


def test_squad_normalization_and_exact_match():
    assert normalize_answer("The  Denver Broncos!") == "denver broncos"
    assert normalize_answer("an apple, a pear") == "apple pear"
    assert normalize_answer("Theatre") == "theatre"  # articles only as whole words
    assert exact_match("the Denver  broncos.", ["Carolina", "Denver Broncos"]) == 1.0
    assert exact_match("Broncos", ["Denver Broncos"]) == 0.0
    assert exact_match("anything", []) == 0.0


def test_token_f1_hand_computed():
    # prediction tokens {broncos, won, game}, gold {denver, broncos}: 1 shared -> P 1/3, R 1/2, F1 0.4
    assert token_f1("Broncos won the game", ["Denver Broncos"]) == pytest.approx(0.4)
    # maximum over gold answers: "Denver" vs "Denver Broncos" -> P 1, R 1/2 -> 2/3
    assert token_f1("Denver", ["Broncos", "Denver Broncos"]) == pytest.approx(2 / 3)
    assert token_f1("the", ["Denver"]) == 0.0
    # repeated tokens count once per occurrence on both sides: {x, b, b} vs {b, b, c} share 2 -> P = R = 2/3
    assert token_f1("x b b", ["b b c"]) == pytest.approx(2 / 3)


def test_markers_are_stripped_before_scoring():
    text = "Fuad Hussein [1] met Qalibaf [2]."
    assert strip_markers(text) == "Fuad Hussein met Qalibaf."
    assert exact_match(strip_markers("Fuad Hussein [1]."), ["Fuad Hussein"]) == 1.0


def test_recall_at_k_and_mrr_hand_computed():
    ranks = [1, 3, None, 2]
    assert recall_at(ranks, 1) == 0.25
    assert recall_at(ranks, 2) == 0.5
    assert recall_at(ranks, 3) == 0.75
    assert recall_at(ranks, 10) == 0.75
    assert mrr(ranks) == pytest.approx((1 + 1 / 3 + 0 + 1 / 2) / 4)
    assert recall_at([], 5) is None and mrr([]) is None


def test_percentiles_interpolate_linearly():
    assert percentile([4, 1, 3, 2], 50) == 2.5
    assert percentile([1, 2, 3, 4], 95) == pytest.approx(3.85)
    assert percentile([1, 2, 3, 4], 0) == 1 and percentile([1, 2, 3, 4], 100) == 4
    assert percentile([7.0], 95) == 7.0
    assert percentile([], 50) is None


def _para(n: int, text: str, article: str = "a") -> Paragraph:
    return Paragraph(id=f"{article}:{n}", article_id=article, article_title=article.upper(), number=n, text=text)


def test_gold_rank_by_paragraph_or_article():
    hits = [Hit(paragraph=_para(2, "x"), score=0.9), Hit(paragraph=_para(1, "y", "b"), score=0.8)]
    hits.append(Hit(paragraph=_para(3, "z", "b"), score=0.7))
    assert gold_rank(hits, Question("q", "?", gold_paragraph="b:3", gold_article="b")) == 3
    assert gold_rank(hits, Question("q", "?", gold_article="b")) == 2
    assert gold_rank(hits, Question("q", "?", gold_paragraph="c:1", gold_article="c")) is None
    assert gold_rank(hits, Question("q", "?", answerable=False)) is None


def test_gold_rank_of_a_quiz_question_is_the_first_paragraph_with_its_answer():
    texts = ["The Pope spoke.", "The Dalai Lama, 90, said."]
    hits = [Hit(paragraph=_para(n, text), score=0.5) for n, text in enumerate(texts, 1)]
    assert gold_rank(hits, Question("q", "Which leader?", answers=("Dalai Lama",))) == 2
    assert gold_rank(hits, Question("q", "Which leader?", answers=("Aga Khan",))) is None


def test_markers_ok():
    assert markers_ok("A [1] and B [2].", {1, 2})
    assert markers_ok("No markers.", set())
    assert not markers_ok("A [3].", {1, 2})
    assert not markers_ok("A [1, 2].", {1, 2})
    assert not markers_ok("A [1", {1})


def test_citation_counts_use_the_projects_support_check():
    paragraphs = {1: _para(1, "Hassan Rouhani met the Iraqi minister."), 2: _para(2, "It rained in Baghdad.")}
    question = "who met the minister?"
    # "Hassan Rouhani" is supported by [1]; "Qalibaf" is cited with [2], which does not support it.
    claims, citations, supported = citation_counts("Hassan Rouhani [1] and Qalibaf [2].", paragraphs, question, 0.5)
    assert (claims, citations, supported) == (2, 2, 1)
    # an uncited claim counts against recall, not precision
    assert citation_counts("Hassan Rouhani [1]. Qalibaf too.", paragraphs, question, 0.5) == (2, 1, 1)
    # a marker with no paragraph behind it supports nothing
    assert citation_counts("Hassan Rouhani [7].", paragraphs, question, 0.5) == (1, 1, 0)


def _result(qid: str, answerable: bool, abstained: bool, f1: float | None, rank: int | None, total: float) -> Result:
    seconds = Latency(0.1, 0.2, total - 0.3, total)
    answer = AnswerRecord("default", "m", "x", "x", abstained, (), (), (), seconds, 100, 10)
    scores = Scores(f1, f1, None if abstained or not answerable else f1 == 1.0, 2, 1, 1, 2, 1, 1, True, True)
    return Result(qid, "?", answerable, ("a",) if answerable else (), "a:1" if answerable else None,
                  "a" if answerable else None, (Ranking("dense", rank, ()),), answer, scores)


def test_summary_rates_hand_computed():
    results = [
        _result("1", True, False, 1.0, 1, 1.0),
        _result("2", True, True, 0.0, 4, 2.0),  # answerable but abstained: a false abstention
        _result("3", False, True, None, None, 3.0),  # unanswerable, rightly abstained
        _result("4", False, False, None, None, 4.0),  # unanswerable, answered anyway
    ]
    s = summarize(results)
    assert (s.questions, s.answerable, s.unanswerable) == (4, 2, 2)
    assert s.retrieval[0].recall[0] == 0.5 and s.retrieval[0].recall[3] == 1.0
    assert s.retrieval[0].mrr == pytest.approx((1 + 1 / 4) / 2)
    assert s.f1.value == 0.5 and s.f1.n == 2
    assert s.false_abstention.value == 0.5 and s.abstention_unanswerable.value == 0.5
    assert s.citation_accuracy.value == 1.0 and s.citation_accuracy.n == 1
    assert s.citation_recall.value == 0.5 and s.citation_precision.value == 1.0
    total = next(x for x in s.latency if x.name == "total")
    assert total.p50 == 2.5 and total.p95 == pytest.approx(3.85)
    # per-question speeds 10/0.7, 10/1.7, 10/2.7, 10/3.7: the median is the mean of the middle two
    assert s.generated_tokens_per_s.p50 == pytest.approx((10 / 1.7 + 10 / 2.7) / 2)


# ---- readers -----------------------------------------------------------------------


def _squad(path: Path, articles: list[tuple[str, list[tuple[str, list[tuple[str, str, list[str]]]]]]]) -> Path:
    data = [
        {"title": title, "paragraphs": [
            {"context": context, "qas": [
                {"id": qid, "question": q, "answers": [{"text": a, "answer_start": 0} for a in answers]}
                for qid, q, answers in qas
            ]}
            for context, qas in paragraphs
        ]}
        for title, paragraphs in articles
    ]
    path.write_text(json.dumps({"version": "1.1", "data": data}), encoding="utf-8")
    return path


SUPER_BOWL = (
    "Super_Bowl_50",
    [
        ("The Denver Broncos defeated the Carolina Panthers 24 to 10 to win Super Bowl 50.", [
            ("q1", "Who won Super Bowl 50?", ["Denver Broncos", "Denver Broncos", "Broncos"]),
            ("q2", "Who lost  Super Bowl 50?", ["Carolina Panthers"]),
        ]),
        ("The game was played at Levi's Stadium in Santa Clara, California.", [
            ("q3", "Where was Super Bowl 50 played?", ["Levi's Stadium"]),
        ]),
    ],
)
WARSAW = ("Warsaw", [("Warsaw is the capital and largest city of Poland, on the Vistula river.", [
    ("q4", "Which river is Warsaw on?", ["Vistula"]),
    ("q5", "What is the capital of Poland?", ["Warsaw"]),
])])
OXYGEN = ("Oxygen", [("Oxygen is a chemical element with the symbol O and atomic number 8.", [
    ("u1", "What is the atomic number of oxygen?", ["8"]),
    ("u2", "What is the chemical symbol of oxygen?", ["O"]),
])])


@pytest.fixture
def squad_file(tmp_path: Path) -> Path:
    return _squad(tmp_path / "mini.json", [SUPER_BOWL, WARSAW])


def test_read_squad_articles_paragraphs_and_gold(squad_file: Path):
    articles, questions = read_squad(squad_file)
    assert [a.id for a in articles] == ["super-bowl-50", "warsaw"]
    assert articles[0].title == "Super_Bowl_50"
    assert [p.id for p in articles[0].paragraphs] == ["super-bowl-50:1", "super-bowl-50:2"]
    assert articles[0].paragraphs[1].text == SUPER_BOWL[1][1][0]  # context used as-is
    by_id = {q.id: q for q in questions}
    assert by_id["q1"].answers == ("Denver Broncos", "Broncos")  # duplicates dropped, order kept
    assert by_id["q2"].question == "Who lost Super Bowl 50?"
    assert (by_id["q3"].gold_paragraph, by_id["q3"].gold_article) == ("super-bowl-50:2", "super-bowl-50")
    assert by_id["q4"].gold_paragraph == "warsaw:1" and by_id["q4"].answerable


def test_pooled_squad_files_get_distinct_article_ids(tmp_path: Path, squad_file: Path):
    zoo = ("Warsaw has a zoo.", [("z1", "What does Warsaw have?", ["a zoo"])])
    other = _squad(tmp_path / "other.json", [("Warsaw", [zoo])])
    articles, by_file = pool_squad([squad_file, other, squad_file])  # a file given twice is read once
    assert [a.id for a in articles] == ["super-bowl-50", "warsaw", "warsaw-2"]
    assert by_file[other.resolve()][0].gold_paragraph == "warsaw-2:1"
    assert slug("Marxism%E2%80%93Leninism") == "marxism-e2-80-93leninism"


def test_malformed_squad_names_the_place(tmp_path: Path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"data": [{"title": "T", "paragraphs": [{"context": "", "qas": []}]}]}))
    with pytest.raises(QuestionFileError, match=r"bad\.json: data\[0\]\.paragraphs\[0\]: missing 'context'"):
        read_squad(bad)
    bad.write_text("[1, 2]")
    with pytest.raises(QuestionFileError, match="not SQuAD"):
        read_squad(bad)


def test_jsonl_reader(tmp_path: Path):
    path = tmp_path / "q.jsonl"
    rows = [
        {"question": "  Who met   the minister? ", "answers": ["Rouhani"], "gold_paragraph": "art:8"},
        {"id": 7, "question": "What day?", "answers": "Saturday", "gold_article": "art", "gold_paragraph": 2},
        {"question": "How many troops?", "answerable": False},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows[:2]) + "\n\n" + json.dumps(rows[2]) + "\n")
    q1, q2, q3 = read_rows(path)
    assert q1.question == "Who met the minister?" and q1.id.startswith("q-")
    assert (q1.gold_paragraph, q1.gold_article, q1.answers) == ("art:8", "art", ("Rouhani",))
    assert (q2.id, q2.gold_paragraph, q2.answers) == ("7", "art:2", ("Saturday",))
    assert not q3.answerable and q3.origin == f"{path}:4"
    assert read_rows(path)[0].id == q1.id  # ids derived from the text are stable


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"question": "ok"', "not valid JSON"),
        ('["a list"]', "expected a JSON object"),
        ('{"answers": ["x"]}', "'question' is missing"),
        ('{"question": "q", "answer": "x"}', "unknown field 'answer'"),
        ('{"question": "q", "answers": [["x"]]}', "list of strings"),
        ('{"question": "q", "answerable": "maybe"}', "must be true or false"),
        ('{"question": "q", "answerable": false, "answers": ["x"]}', "cannot have answers"),
        ('{"question": "q", "gold_paragraph": "art-3"}', "not a paragraph id"),
        ('{"question": "q", "gold_article": "b", "gold_paragraph": "a:3"}', "not in gold_article"),
    ],
)
def test_malformed_jsonl_rows_name_file_and_line(tmp_path: Path, line: str, message: str):
    path = tmp_path / "q.jsonl"
    path.write_text('{"question": "fine"}\n\n' + line + "\n")
    with pytest.raises(QuestionFileError, match=message) as err:
        read_rows(path)
    assert f"{path}:3:" in str(err.value)


def test_csv_reader_and_malformed_rows(tmp_path: Path):
    path = tmp_path / "q.csv"
    path.write_text(
        'question,answers,gold_paragraph,answerable\n'
        '"Who met, in Tehran, the minister?",Rouhani|Hassan Rouhani,art:8,\n'
        'How many troops?,,,false\n'
        'Which river?,"[""Arvand River""]",art:7,true\n'
    )
    q1, q2, q3 = read_rows(path)
    assert q1.question == "Who met, in Tehran, the minister?" and q1.answers == ("Rouhani", "Hassan Rouhani")
    assert q1.gold_article == "art" and q1.origin == f"{path}:2"
    assert not q2.answerable and q3.answers == ("Arvand River",)
    path.write_text("question,answers\nfine,x\nbad,x,extra cell\n")
    with pytest.raises(QuestionFileError, match=rf"{path}:3: more cells"):
        read_rows(path)
    path.write_text("query\nfine\n")
    with pytest.raises(QuestionFileError, match="no 'question' column"):
        read_rows(path)


def test_unsupported_and_empty_files(tmp_path: Path):
    with pytest.raises(QuestionFileError, match="unsupported question file"):
        read_rows(tmp_path / "q.txt")
    (tmp_path / "e.jsonl").write_text("\n")
    with pytest.raises(QuestionFileError, match="no questions"):
        read_rows(tmp_path / "e.jsonl")


def test_sampling_is_deterministic_and_extends_with_the_limit():
    qs = [Question(str(i), f"q{i}") for i in range(30)]
    five, ten = sample(qs, 5, seed=3), sample(qs, 10, seed=3)
    assert five == sample(qs, 5, seed=3) and ten[:5] == five
    assert sample(qs, 5, seed=4) != five
    assert sample(qs, None, seed=3) == qs
    mixed = interleave(ten, [Question("u1", "?"), Question("u2", "?")])
    assert len(mixed) == 12 and mixed[-1].id != "u2" and mixed[0].id != "u1"


def test_seed_questions_file_matches_the_seed_article():
    article = read_article(SEED)
    paragraphs = {p.id: normalize_answer(p.text) for p in article.paragraphs}
    questions = read_rows(PROJECT / "tests" / "seed_questions.jsonl")
    answerable = [q for q in questions if q.answerable]
    assert len(answerable) >= 10 and 3 <= len(questions) - len(answerable) <= 4
    for q in answerable:
        assert q.gold_article == ARTICLE and q.gold_paragraph in paragraphs, q.id
        # the first answer is a span of the gold paragraph (others may paraphrase)
        assert f" {normalize_answer(q.answers[0])} " in f" {paragraphs[q.gold_paragraph]} ", q.id


# ---- runs: resume, settings, end to end ---------------------------------------------


def _seed_questions() -> list[Question]:
    return read_rows(PROJECT / "tests" / "seed_questions.jsonl")


def _interrupting(engine: Engine, after: int) -> Engine:
    """Make ``engine.ask`` raise KeyboardInterrupt (Ctrl-C) on call ``after + 1``."""
    calls = []
    ask = engine.ask

    def flaky(question: str, k: int | None = None, hits: object = None, as_of: object = None, history=()) -> object:
        if len(calls) == after:
            raise KeyboardInterrupt
        calls.append(question)
        return ask(question, k, hits, as_of, history)

    engine.ask = flaky  # type: ignore[method-assign]
    return engine


def test_interrupted_run_resumes_and_asks_each_question_once(make_engine: Callable[..., Engine], tmp_path: Path):
    questions = _seed_questions()
    out = tmp_path / "run"
    reply = "Fuad Hussein [1] met Iranian officials."
    with pytest.raises(KeyboardInterrupt):
        run(_interrupting(make_engine(reply), after=5), questions, out, ["hybrid"], "hybrid", {"k": 3})
    finished = read_results(out / "results.jsonl")
    assert [r.id for r in finished] == [q.id for q in questions[:5]]
    assert "Partial run" in (out / "report.md").read_text()
    # a crash mid-write leaves a torn last line: it is dropped and that question asked again
    with (out / "results.jsonl").open("a") as f:
        f.write('{"id": "seed-06", "question": "Which riv')
    engine = make_engine(reply)
    summary = run(engine, questions, out, ["hybrid"], "hybrid", {"k": 3})
    ids = [r.id for r in read_results(out / "results.jsonl")]
    assert sorted(ids) == sorted(q.id for q in questions) and len(ids) == len(set(ids))
    assert len(engine.llm.prompts) <= len(questions) - 5  # only the unfinished questions reached the model
    assert summary.questions == len(questions)
    doc = json.loads((out / "summary.json").read_text())
    assert doc["partial"] is False and doc["questions"] == len(questions)


def test_rerun_with_other_settings_is_refused_unless_overwrite(make_engine: Callable[..., Engine], tmp_path: Path):
    questions = _seed_questions()[:3]
    out = tmp_path / "run"
    run(make_engine(), questions, out, ["dense"], None, {"k": 3, "model": "a"})
    with pytest.raises(EvalError, match=r"other settings \(k: 3 -> 5\).*--overwrite"):
        run(make_engine(), questions, out, ["dense"], None, {"k": 5, "model": "a"})
    run(make_engine(), questions, out, ["dense"], None, {"k": 5, "model": "a"}, overwrite=True)
    assert len(read_results(out / "results.jsonl")) == 3


def test_seed_questions_end_to_end_with_fakes(make_engine: Callable[..., Engine], tmp_path: Path):
    def reply(prompt: str) -> str:
        return "NOT FOUND" if "troops" in prompt.rsplit("Question:", 1)[-1] else "Fuad Hussein [1] met officials."

    summary = run(make_engine(reply), _seed_questions(), tmp_path / "run", ["hybrid", "bm25"], "hybrid", {})
    assert [r.retriever for r in summary.retrieval] == ["hybrid", "bm25"]
    assert summary.retrieval[1].recall[9] >= summary.retrieval[1].recall[0] > 0.5
    line = json.loads((tmp_path / "run" / "results.jsonl").read_text().splitlines()[0])
    assert line["id"] == "seed-01" and line["gold_paragraph"] == f"{ARTICLE}:2"
    assert set(line["answer"]["seconds"]) == {"retrieve", "prompt", "generate", "total"}
    assert line["answer"]["citations"][0]["paragraph"].startswith(ARTICLE)
    assert line["scores"]["em"] == 0.0 and line["scores"]["f1"] == pytest.approx(2 * (2 / 4) * 1 / (2 / 4 + 1))
    assert summary.abstention_unanswerable.n == 4 and summary.abstention_unanswerable.value == 0.25
    report = (tmp_path / "run" / "report.md").read_text()
    assert "## Metric definitions" in report and "rag.claims.support" in report and "| bm25 |" in report


def _plan(tmp_path: Path, questions: Path, **changes: object) -> Plan:
    return Plan(questions_file=questions, out=tmp_path / "out", cache_dir=tmp_path / "cache", **changes)  # type: ignore[arg-type]


def _settings(tmp_path: Path) -> Settings:
    # The story read whole (rag.story) adds passages beyond the retriever's hits; these tests count on them alone.
    return Settings(seeds_dir=tmp_path / "no-seeds", index_dir=tmp_path / "no-index", min_score=0.05, margin=1.0,
                    story=False)


def test_squad_corpus_is_indexed_once_and_compared(tmp_path: Path, squad_file: Path):
    unanswerable = _squad(tmp_path / "other.json", [OXYGEN])
    plan = _plan(tmp_path, squad_file, compare=True, unanswerable_from=unanswerable, unanswerable=2)
    first = FakeEmbedder()
    [(name, summary)] = evaluate(plan, _settings(tmp_path), first, lambda model: FakeLLM("Denver Broncos [1]."))
    assert name == "" and (summary.questions, summary.unanswerable) == (7, 2)
    assert [r.retriever for r in summary.retrieval] == ["dense", "bm25", "fusion", "hybrid"]  # hybrid: the default
    assert summary.retrieval[0].questions == 5 and summary.f1.n == 5
    assert len(list((tmp_path / "cache").iterdir())) == 1
    assert any("Warsaw is the capital" in t for call in first.calls for t in call)
    # the same command again: the cached index is loaded, not embedded, and every question is already done
    second, llm = FakeEmbedder(), FakeLLM()
    evaluate(plan, _settings(tmp_path), second, lambda model: llm)
    assert not any("Warsaw is the capital" in t for call in second.calls for t in call)
    assert len(list((tmp_path / "cache").iterdir())) == 1 and llm.prompts == []
    results = read_results(tmp_path / "out" / "results.jsonl")
    assert sorted(r.id for r in results) == ["q1", "q2", "q3", "q4", "q5", "u1", "u2"]


def test_limit_sample_and_pooled_corpus(tmp_path: Path, squad_file: Path):
    other = _squad(tmp_path / "other.json", [OXYGEN])
    plan = _plan(tmp_path, squad_file, corpus=(other,), limit=3, sample_seed=1, retrieval_only=True)
    [(_, summary)] = evaluate(plan, _settings(tmp_path), FakeEmbedder(), lambda model: FakeLLM())
    assert summary.questions == 3 and summary.answered.n == 0
    meta = json.loads((tmp_path / "out" / "run.json").read_text())
    assert meta["paragraphs"] == 4 and len(meta["corpus"]) == 2
    assert "retrieval only" in (tmp_path / "out" / "report.md").read_text()


def test_pooled_questions_and_held_out_articles(tmp_path: Path, squad_file: Path):
    other = _squad(tmp_path / "other.json", [OXYGEN])
    plan = _plan(tmp_path, squad_file, corpus=(other,), pool_questions=True, retrieval_only=True)
    [(_, summary)] = evaluate(plan, _settings(tmp_path), FakeEmbedder(), lambda model: FakeLLM())
    assert summary.questions == 7 and summary.unanswerable == 0  # the oxygen questions are asked too
    # One of the three articles held out: its questions are asked, without gold, of the two left.
    plan = _plan(tmp_path, squad_file, corpus=(other,), pool_questions=True, holdout=1, unanswerable=9,
                 overwrite=True, retrieval_only=True)
    [(_, summary)] = evaluate(plan, _settings(tmp_path), FakeEmbedder(), lambda model: FakeLLM())
    results = read_results(tmp_path / "out" / "results.jsonl")
    held = {r.id for r in results if not r.answerable}
    assert held in ({"q1", "q2", "q3"}, {"q4", "q5"}, {"u1", "u2"}) and len(results) == 7
    assert json.loads((tmp_path / "out" / "run.json").read_text())["paragraphs"] == 4 - {3: 2, 2: 1}[len(held)]
    with pytest.raises(EvalError, match="--holdout 3"):
        evaluate(_plan(tmp_path, squad_file, corpus=(other,), holdout=3, overwrite=True), _settings(tmp_path),
                 FakeEmbedder())


def test_gold_retriever_hands_the_model_only_the_gold_paragraph(tmp_path: Path, squad_file: Path):
    llm = FakeLLM("Denver Broncos [1].")
    plan = _plan(tmp_path, squad_file, retriever="gold")
    [(_, summary)] = evaluate(plan, _settings(tmp_path), FakeEmbedder(), lambda model: llm)
    assert [r.retriever for r in summary.retrieval] == ["gold"] and summary.retrieval[0].recall[0] == 1.0
    for r in read_results(tmp_path / "out" / "results.jsonl"):
        assert r.answer is not None and [pid for pid, _ in r.answer.hits] == [r.gold_paragraph]
    contexts = [c for _, paragraphs in (SUPER_BOWL, WARSAW) for c, _ in paragraphs]
    assert [sum(c in p for c in contexts) for p in llm.prompts] == [1] * 5  # one passage each: the gold one


def test_non_default_retriever_answers_with_its_own_hits(tmp_path: Path, squad_file: Path):
    plan = _plan(tmp_path, squad_file, retriever="bm25", k=2)
    llm = FakeLLM("Denver Broncos [1].")
    [(_, summary)] = evaluate(plan, _settings(tmp_path), FakeEmbedder(), lambda model: llm)
    assert [r.retriever for r in summary.retrieval] == ["bm25"] and summary.answered.n == 5
    for r in read_results(tmp_path / "out" / "results.jsonl"):
        assert r.answer is not None and r.answer.retriever == "bm25"
        assert r.answer.hits == r.retrieval[0].hits[:2]  # the model saw BM25's top k, not the dense ones


def test_compare_models_runs_one_folder_each_and_a_table(tmp_path: Path, squad_file: Path):
    made: list[str] = []

    def make_llm(model: str) -> FakeLLM:
        made.append(model)
        return FakeLLM("Denver Broncos [1]." if model == "qwen2.5-0.5b" else "NOT FOUND")

    plan = _plan(tmp_path, squad_file, compare_models=("qwen2.5-0.5b", "gemma3-270m"))
    (a, first), (b, second) = evaluate(plan, _settings(tmp_path), FakeEmbedder(), make_llm)
    assert (a, b) == ("qwen2.5-0.5b", "gemma3-270m") and made == ["qwen2.5-0.5b", "gemma3-270m"]
    assert first.answered.value > 0 and second.answered.value == 0
    table = (tmp_path / "out" / "report.md").read_text()
    assert "[qwen2.5-0.5b](qwen2.5-0.5b/report.md)" in table and "[gemma3-270m]" in table
    assert (tmp_path / "out" / "gemma3-270m" / "results.jsonl").exists()
    with pytest.raises(EvalError, match="unknown model 'nope'"):
        evaluate(_plan(tmp_path, squad_file, compare_models=("nope",)), _settings(tmp_path), FakeEmbedder())


def test_unknown_gold_paragraph_is_a_clear_error(tmp_path: Path, seeds: Path):
    path = tmp_path / "q.jsonl"
    path.write_text('{"question": "Who?", "gold_paragraph": "000_efee75aea60a5e55:99"}\n')
    plan = _plan(tmp_path, path, seeds=seeds)
    with pytest.raises(EvalError, match=r"q\.jsonl:1: gold_paragraph '000_efee75aea60a5e55:99' is not in the index"):
        evaluate(plan, _settings(tmp_path), FakeEmbedder(), lambda model: FakeLLM())


def test_cli_reports_user_errors_in_one_line(tmp_path: Path, capsys):
    bad = tmp_path / "q.jsonl"
    bad.write_text('{"question": "ok"}\n{"question": \n')
    assert cli.main(["eval", str(bad), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"rag: error: {bad}:2: not valid JSON (Expecting value)"
    assert cli.main(["eval", str(tmp_path / "missing.json"), "--out", str(tmp_path / "o")]) == 2
    assert "missing.json: no such file" in capsys.readouterr().err
    assert cli.main(["eval", str(bad), "--out", str(tmp_path / "o"), "--limit", "0"]) == 2
    assert "--limit must be positive" in capsys.readouterr().err


def test_compare_answers_runs_each_retriever_end_to_end(tmp_path: Path, squad_file: Path):
    plan = _plan(tmp_path, squad_file, compare=True, compare_answers=True)
    runs = evaluate(plan, _settings(tmp_path), FakeEmbedder(), lambda model: FakeLLM("Denver Broncos [1]."))
    assert [name for name, _ in runs] == ["dense", "bm25", "fusion", "hybrid"]
    for name, summary in runs:
        assert [r.retriever for r in summary.retrieval] == [name] and summary.answered.n == 5
        assert (tmp_path / "out" / name / "report.md").exists()
    assert "| [bm25](bm25/report.md) |" in (tmp_path / "out" / "report.md").read_text()


def _multi(text: str, cited: list[tuple[str, str]], **question: object) -> tuple[object, object]:
    """(Question, Answer): ``cited`` is (claim, paragraph text) per citation; paragraph ids a:1, a:2, ..."""
    from rag.eval.questions import Question
    from rag.records import Answer, Citation, Paragraph

    citations = tuple(
        Citation(
            marker=i, sentence=claim, support=1.0, evidence=body,
            paragraph=Paragraph(id=f"a:{i}", article_id="a", article_title="A", number=i, text=body),
        )
        for i, (claim, body) in enumerate(cited, start=1)
    )
    answer = Answer(question="q", text=text, citations=citations, hits=(), abstained=not cited)
    return Question(id="m", question="q", **question), answer  # type: ignore[arg-type]


def test_all_answers_needs_every_answer_each_cited_by_a_paragraph_stating_it() -> None:
    from rag.eval.metrics import all_answers
    from rag.eval.questions import Expected

    expected = (
        Expected("Mohammad Baqer Qalibaf", ("Qalibaf",), ("a meeting between Hussein and Iran's Speaker",)),
        Expected("Hassan Rouhani", ("Rouhani",), ("Rouhani also met with the Iraqi foreign minister",)),
    )
    qalibaf = "The talks began with a meeting between Hussein and Iran's Speaker, Mohammad Baqer Qalibaf."
    rouhani = "President Hassan Rouhani also met with the Iraqi foreign minister."
    both = _multi("Qalibaf [1] and Rouhani [2] met him.", [("Qalibaf", qalibaf), ("and Rouhani met him.", rouhani)],
                  expected=expected)
    assert all_answers(*both) is True
    one = _multi("Hassan Rouhani [1]", [("Hassan Rouhani", rouhani)], expected=expected)
    assert all_answers(*one) is False  # Qalibaf is missing
    miscited = _multi("Qalibaf [1] and Rouhani [1].", [("Qalibaf and Rouhani.", rouhani)], expected=expected)
    assert all_answers(*miscited) is False  # Qalibaf's paragraph does not state his meeting
    assert all_answers(*_multi("The articles don't say.", [], expected=expected)) is False
    assert all_answers(*_multi("x", [("x", "y")])) is None  # not a multi-answer question


def test_a_header_fact_is_cited_to_the_header_of_the_questions_article() -> None:
    from rag.eval.metrics import all_answers
    from rag.eval.questions import Expected
    from rag.records import Answer, Citation, Paragraph

    def asked(article: str, text: str, claim: str) -> bool | None:
        header = Paragraph(id=f"{article}:0", article_id=article, article_title="T", number=0, text="Authors: x")
        cited = Citation(marker=1, paragraph=header, support=1.0, sentence=claim, evidence="Authors: x")
        answer = Answer(question="q", text=text, citations=(cited,), hits=(), abstained=False)
        return all_answers(Question("m", "q", gold_article="a", expected=(Expected(expected),)), answer)

    expected = "Joana Reis"
    assert asked("a", "“T” was written by Joana Reis [1].", "“T” was written by Joana Reis") is True
    assert asked("b", "“T” was written by Joana Reis [1].", "“T” was written by Joana Reis") is False  # other article
    expected = "no byline"
    assert asked("a", "“T” names no author: it has no byline [1].", "“T” names no author: it has no byline") is True


def test_an_attribution_error_is_another_speakers_quote_given_as_the_asked_persons() -> None:
    from rag.eval.metrics import attribution_error

    quote = '"Some countries normalized relations," Qalibaf said.'
    trap = {"said_by": "Mohammad Baqer Qalibaf", "quote": "Some countries normalized relations", "answerable": False}
    assert attribution_error(*_multi("That some countries normalized relations [1].", [("x", quote)], **trap))
    assert not attribution_error(*_multi("Rouhani did not say that; Qalibaf said that some countries normalized "
                                         "relations [1].", [("x", quote)], **trap))
    assert not attribution_error(*_multi("The articles don't say.", [], **trap))
    assert attribution_error(*_multi("x [1]", [("x", quote)])) is None


def test_a_conversations_earlier_questions_are_asked_first_and_given_as_history(
    make_engine: Callable[..., Engine], tmp_path: Path
) -> None:
    rows = [{"id": "chat-1", "question": "Who wrote it?", "history": ["Who met the Iraqi foreign minister?"],
             "answers": ["SETH J. FRANTZMAN"]}]
    path = tmp_path / "chat.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    (question,) = read_rows(path)
    assert question.history == ("Who met the Iraqi foreign minister?",)
    engine = make_engine("Hassan Rouhani [1].")
    run(engine, [question], tmp_path / "run", ["hybrid"], "hybrid", {"k": 3})
    (result,) = read_results(tmp_path / "run" / "results.jsonl")
    assert len(engine.llm.prompts) == 1  # the earlier question went to the model; "who wrote it?" to the header
    assert "FRANTZMAN" in result.answer.text and result.scores.contains
