"""Benchmark: index build speed, then answer latency and citation health.

Prints, in one run on this machine:
- index build: paragraphs/s embedding the XQuAD corpus (240 paragraphs),
  with the embedder already loaded (its load time is printed apart);
- for the seed question (repeated, in a warm process) and for N XQuAD
  questions (one pass): median answer latency and its stages, time to the
  first streamed token, median prompt tokens, the share of answers whose
  citations all verify, and how often the model's own markers were right
  before the verifier repaired them;
- adding one article to a built index (embedder loaded);
- a cold ``rag ask`` in a fresh process, start to printed answer.

Absolute timings are noisy on a shared 2-core machine: medians and min-max
are printed, and comparisons belong in one run. ``--compare`` runs the
previous prompt design (whole retrieved paragraphs) and the new one (the
question's best sentences within ``context_words``) interleaved on the same
model, and a cold start with and without the saved prompt-prefix state, then
prints them side by side with their ratio. Quality lives in ``rag eval``.

    python benchmarks/bench.py [--questions 50] [--model NAME|PATH] [--repeat 5] [--compare]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Generator
from pathlib import Path

from rag import claims, index
from rag.embed import MiniLMEmbedder
from rag.eval.questions import read_squad
from rag.llm import LLM
from rag.pipeline import Engine
from rag.records import Answer, Completion
from rag.settings import PROJECT_DIR, load_settings
from rag.text import markers

XQUAD = PROJECT_DIR.parent / "shared" / "eval" / "xquad.en.json"
SEED_QUESTION = "who met the Iraqi foreign minister?"
OTHER_QUESTION = "When did the US kill Soleimani?"
# Settings of each compared variant; "new" is the configured default.
VARIANTS = {"previous": {"context_words": 100_000}, "new": {}}


def spread(values: list[float], unit: str = "s", digits: int = 2) -> str:
    if not values:
        return "n/a"
    return f"{statistics.median(values):.{digits}f}{unit} (min {min(values):.{digits}f}, max {max(values):.{digits}f})"


def verified(answer: Answer, min_support: float) -> bool:
    """Every marker in the text maps to a citation whose paragraph supports its claim."""
    return set(markers(answer.text)) == {c.marker for c in answer.citations} and all(
        claims.support(c.sentence, c.paragraph.text, answer.question) >= min_support for c in answer.citations
    )


def model_markers_right(answer: Answer) -> bool | None:
    """Were the markers the model wrote itself all kept as-is? None if it wrote none."""
    raw = markers(answer.raw)
    if not raw:
        return None
    shown = [h.paragraph.id for h in answer.hits]
    cited = {c.paragraph.id for c in answer.citations}
    return all(0 < n <= len(shown) and shown[n - 1] in cited for n in raw)


def report(name: str, answers: list[Answer], min_support: float) -> None:
    answered = [a for a in answers if not a.abstained]
    own = [r for r in (model_markers_right(a) for a in answered) if r is not None]
    print(f"\n{name}: {len(answers)} questions, {len(answered)} answered, {len(answers) - len(answered)} abstained")
    print(f"  latency total     {spread([a.timings.total for a in answers])}")
    print(f"    retrieve        {spread([a.timings.retrieve for a in answers], digits=3)}")
    print(f"    prompt eval     {spread([a.timings.prompt for a in answers])}")
    print(f"    generate        {spread([a.timings.generate for a in answers])}")
    print(f"  prompt tokens     {spread([float(a.prompt_tokens) for a in answers], unit='', digits=0)}")
    share = sum(verified(a, min_support) for a in answered) / max(1, len(answered))
    print(f"  answers whose citations all verify: {share:.0%} of answered")
    if own:
        print(f"  model's own markers right before repair: {sum(own) / len(own):.0%} of {len(own)} that cited")


class Recording:
    """The engine's LLM, keeping every call's ``Completion`` (how many prompt tokens were reused)."""

    def __init__(self, llm: LLM) -> None:
        self.llm, self.name, self.template = llm, llm.name, llm.template
        self.completions: list[Completion] = []

    def stream(self, prompt: str, **options: object) -> Generator[str, None, Completion]:
        completion = yield from self.llm.stream(prompt, **options)
        self.completions.append(completion)
        return completion


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5, help="runs of the seed question")
    parser.add_argument("--model", help="packaged model name or GGUF path")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cold", type=int, default=3, help="runs of a cold `rag ask` in a fresh process")
    parser.add_argument("--compare", action="store_true", help="previous and new variant side by side")
    args = parser.parse_args()
    settings = load_settings().with_(model=args.model)
    print(f"model {settings.model}, k={settings.k}, context_words={settings.context_words}")

    embedder = MiniLMEmbedder(bulk=True)
    t = time.perf_counter()
    embedder.embed(["warm up"])
    print(f"embedder load: {time.perf_counter() - t:.1f}s")
    if not XQUAD.exists():
        print(f"missing {XQUAD}", file=sys.stderr)
        return 1
    articles, questions = read_squad(XQUAD)
    n_paragraphs = sum(len(a.paragraphs) for a in articles)
    builds = []
    for _ in range(2):
        t = time.perf_counter()
        xquad_index, _ = index.build(articles, embedder)
        builds.append(n_paragraphs / (time.perf_counter() - t))
    print(f"index build: {n_paragraphs} paragraphs, {spread(builds, unit=' paragraphs/s', digits=1)}")

    with tempfile.TemporaryDirectory() as tmp:
        seeds = Path(tmp) / "seeds"
        shutil.copytree(settings.seeds_dir, seeds)
        seed_engine = Engine(settings.with_(index_dir=Path(tmp) / "index", seeds_dir=seeds), embedder=embedder)
        seed_engine.refresh()
        seed_engine.ask(OTHER_QUESTION)  # load the model, fill the KV cache with the fixed prompt prefix
        names = list(VARIANTS) if args.compare else ["new"]
        llm = Recording(seed_engine.llm)
        engines = {n: Engine(seed_engine.settings.with_(**VARIANTS[n]), embedder=embedder, llm=llm) for n in names}
        seed_answers: dict[str, list[Answer]] = {n: [] for n in names}
        first_token: dict[str, list[float]] = {n: [] for n in names}
        evaluated: dict[str, list[float]] = {n: [] for n in names}
        for _ in range(args.repeat):
            for name, engine in engines.items():  # interleaved, so machine noise hits both alike
                # Another question first, so only the fixed prefix is cached, as in a real conversation.
                engine.ask(OTHER_QUESTION)
                started = time.perf_counter()
                first = None
                for item in engine.stream(SEED_QUESTION):
                    if isinstance(item, str) and first is None:
                        first = time.perf_counter() - started
                assert isinstance(item, Answer)
                seed_answers[name].append(item)
                first_token[name].append(first if first is not None else item.timings.total)
                last = llm.completions[-1]
                evaluated[name].append(float(last.prompt_tokens - last.reused_tokens))
        for name in names:
            report(f"seed question x{args.repeat}, {name} (warm process, prefix cached)", seed_answers[name],
                   settings.min_support)
            print(f"  time to first token {spread(first_token[name])}")
            print(f"  prompt tokens evaluated (not reused) {spread(evaluated[name], unit='', digits=0)}")
            print(f"  answer: {seed_answers[name][-1].text}")
        rows = [("seed answer, warm (s)", {n: [a.timings.total for a in seed_answers[n]] for n in names}),
                ("seed first token (s)", first_token),
                ("seed prompt tokens", {n: [float(a.prompt_tokens) for a in seed_answers[n]] for n in names}),
                ("seed tokens evaluated", evaluated)]

        article = articles[0]
        text = article.title + "\n" + "\n".join(p.text for p in article.paragraphs)
        (seeds / "added.txt").write_text(text, encoding="utf-8")
        report_ = seed_engine.refresh()
        print(f"\nadd one article ({len(article.paragraphs)} paragraphs) to a built index: {report_.seconds:.2f}s")

        sample = random.Random(args.seed).sample(questions, args.questions)
        xquad: dict[str, list[Answer]] = {n: [] for n in names}
        xengines = {n: Engine(settings.with_(**VARIANTS[n]), embedder=embedder, llm=seed_engine.llm,
                              prebuilt=xquad_index) for n in names}
        for q in sample:
            for name, engine in xengines.items():
                xquad[name].append(engine.ask(q.question))
        for name in names:
            report(f"XQuAD sample of {len(sample)} (seed {args.seed}), {name}", xquad[name], settings.min_support)
        rows.append((f"XQuAD {len(sample)} answer (s)", {n: [a.timings.total for a in xquad[n]] for n in names}))

    colds: dict[str, list[float]] = {n: [] for n in names}
    prefix_cache = settings.model_dir / "prefix-cache"
    for _ in range(args.cold):
        for name in names:
            if name == "previous":  # no saved prefix state: the fresh process evaluates the prefix itself
                shutil.rmtree(prefix_cache, ignore_errors=True)
            env = {**os.environ, **{f"RAG_{k.upper()}": str(v) for k, v in VARIANTS[name].items()}}
            started = time.perf_counter()
            rag = Path(sys.executable).parent / "rag"
            subprocess.run([str(rag), "ask", SEED_QUESTION], check=True, capture_output=True, env=env)
            colds[name].append(time.perf_counter() - started)
    if args.cold:
        for name in names:
            print(f"\ncold `rag ask` (fresh process, built index), {name}: {spread(colds[name])}")
        rows.append(("cold `rag ask` (s)", colds))
        # Part of the cold start: spaCy and its English model, loaded by the first question read (rag.language).
        load = "import time; t = time.perf_counter(); from rag import language; language.nlp(); " \
               "print(time.perf_counter() - t)"
        spacy = [float(subprocess.run([sys.executable, "-c", load], check=True, capture_output=True,
                                      text=True).stdout) for _ in range(args.cold)]
        print(f"of which spaCy's English model loading (fresh process): {spread(spacy)}")
    if args.compare:
        print("\n| figure | previous | new | new / previous |\n|---|---|---|---|")
        for figure, values in rows:
            before, after = statistics.median(values["previous"]), statistics.median(values["new"])
            print(f"| {figure} | {spread(values['previous'], '')} | {spread(values['new'], '')} | "
                  f"{after / before:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
