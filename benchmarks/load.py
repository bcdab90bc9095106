"""Concurrent sessions against the web chat: latency behind the queue, and no crossed answers.

Opens ``--sessions`` browser-less sessions (``gradio_client``, one session
each) on the web chat and fires one seed question per session at the same
moment (``tests/seed_questions.jsonl``, 12 answerable and 4 unanswerable,
reused round-robin beyond 16). For each session it records the latency and
checks that:

- the page state it got back holds exactly its own question (one turn) and
  a finished answer, not an error: a crossed session would show another's;
- the answer is the one the same question gets when asked alone (a
  sequential baseline run first; decoding is greedy, so any difference is
  interference between sessions) and cites the question's gold paragraph
  (or abstains, for the unanswerable ones) -- a quality figure, reported.

In process the app answers one question at a time (``RAG_LLM_SLOTS`` 1), so
the prediction is a plain queue: all arriving at once, the i-th answer is
done after about i x the single-question time (median of the baseline), or
more exactly after the sum of the baseline times of the i questions served
first. The script prints the measured finish times next to both.

``--backends`` runs the same sessions against several generators, one after
the other, and ends with a table of them side by side:

- ``inprocess``: ``python app.py`` with its own llama.cpp model (the default);
- ``server:N``: llama.cpp's own ``llama-server`` (``make llama-server``)
  started on the default GGUF with N parallel slots (continuous batching,
  ``-np N``, each slot the app's context size), and ``python app.py`` with
  ``RAG_LLM_URL`` pointing at it and ``RAG_LLM_SLOTS=N``: N questions are
  generated at once, retrieval and verification stay in the app.

Only loopback addresses: ``--url`` must name 127.0.0.1, ::1 or localhost,
and a server the script starts listens on 127.0.0.1. Without ``--url`` it
starts ``python app.py`` (real models, on a copy of ``seeds/`` with its own
index, and waits for the warm-up) or, with ``--fake``, ``tests/ui_server.py``
(fake models: seconds, for the test).

    python benchmarks/load.py [--sessions 16] [--url http://127.0.0.1:7860/ | --fake] [--out runs/load.md]
    python benchmarks/load.py --backends inprocess,server:1,server:4 --out runs/load.md
"""

from __future__ import annotations

import argparse
import html
import ipaddress
import itertools
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

PROJECT = Path(__file__).resolve().parent.parent
QUESTIONS = PROJECT / "tests" / "seed_questions.jsonl"
LLAMA_SERVER = Path.home() / ".cache" / "rag" / "bin" / "llama-server"  # make llama-server


class LoadError(RuntimeError):
    """The benchmark cannot run (bad URL, server did not start)."""


def loopback_url(url: str) -> str:
    """``url`` if its host is a loopback address; refuses anything else.

    >>> loopback_url("http://127.0.0.1:7860"), loopback_url("http://[::1]:80/")
    ('http://127.0.0.1:7860/', 'http://[::1]:80/')
    """
    host = urlsplit(url).hostname or ""
    try:
        ok = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        ok = False
    if not ok or urlsplit(url).scheme not in ("http", "https"):
        raise LoadError(f"refusing {url!r}: only http(s) on a loopback host (127.0.0.1, ::1, localhost)")
    return url.rstrip("/") + "/"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running(
    args: list[str],
    log: Path,
    ready: str | None = None,
    timeout: float = 900,
    env: dict[str, str] | None = None,
    probe: str = "",
) -> Iterator[str]:
    """Run ``args`` (a server given ``--port``), yield its 127.0.0.1 URL once ``probe`` (a path) answers 200
    and ``ready`` is logged. ``env``: more environment variables."""
    url = f"http://127.0.0.1:{args[args.index('--port') + 1]}/"
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONUNBUFFERED": "1", **(env or {})}
    with log.open("w") as out:
        proc = subprocess.Popen(args, cwd=PROJECT, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise LoadError(f"server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                raise LoadError(f"server not ready after {timeout:.0f} s:\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(url + probe, timeout=5) as response:
                    up = response.status == 200
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                up = False
            if up and (ready is None or ready in log.read_text()):
                break
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def serve(fake: bool, delay: float = 0.02, timeout: float = 900, env: dict[str, str] | None = None) -> Iterator[str]:
    """Start the web chat on a free 127.0.0.1 port over a copy of the seeds; yield its URL once it answers."""
    with tempfile.TemporaryDirectory(prefix="rag-load-") as tmp:
        root = Path(tmp)
        shutil.copytree(PROJECT / "seeds", root / "seeds", ignore=shutil.ignore_patterns(".*"))
        where = ["--port", str(free_port()), "--seeds", str(root / "seeds"), "--index", str(root / "index")]
        if fake:
            args = [sys.executable, str(PROJECT / "tests" / "ui_server.py"), *where, "--delay", str(delay)]
            ready = None
        else:
            args = [sys.executable, str(PROJECT / "app.py"), "--host", "127.0.0.1", *where]
            ready = "models loaded and warm"
        with running(args, root / "server.log", ready, timeout, env) as url:
            yield url


@contextmanager
def llama_server(binary: Path, slots: int, log: Path, timeout: float = 300) -> Iterator[str]:
    """llama.cpp's ``llama-server`` on the default GGUF with ``slots`` parallel slots; yields its ``/v1`` URL."""
    sys.path.insert(0, str(PROJECT))
    from rag.gguf import resolve
    from rag.settings import load_settings

    if not binary.exists():
        raise LoadError(f"no llama-server at {binary}: build it with 'make llama-server'")
    settings = load_settings()
    gguf = resolve(settings.model, settings.model_dir)[0]
    threads = str(settings.threads)
    args = [str(binary), "-m", str(gguf), "--host", "127.0.0.1", "--port", str(free_port()),
            "-np", str(slots), "-c", str(settings.n_ctx * slots), "-t", threads, "-tb", threads, "--no-webui"]
    with running(args, log, timeout=timeout, probe="health") as url:
        yield url + "v1"


def backend_names(text: str) -> list[str]:
    """``--backends``: ``inprocess`` or ``server:N`` (N parallel slots), comma-separated.

    >>> backend_names("inprocess, server:1,server:4")
    ['inprocess', 'server:1', 'server:4']
    """
    names = [n.strip() for n in text.split(",") if n.strip()]
    for name in names:
        if name != "inprocess" and not re.fullmatch(r"server:[1-9]\d*", name):
            raise argparse.ArgumentTypeError(f"unknown backend {name!r}: use inprocess or server:N")
    return names


@contextmanager
def backend(name: str, binary: Path, logs: Path) -> Iterator[str]:
    """The web chat's URL, generating with backend ``name`` (``backend_names``)."""
    if name == "inprocess":
        with serve(False) as url:
            yield url
        return
    slots = int(name.split(":")[1])
    with (
        llama_server(binary, slots, logs / f"llama-server-{slots}.log") as llm_url,
        serve(False, env={"RAG_LLM_URL": llm_url, "RAG_LLM_SLOTS": str(slots)}) as url,
    ):
        yield url


@dataclass
class Session:
    number: int
    id: str
    question: str
    gold: int | None  # gold paragraph number (the seed is one article); None: unanswerable
    started: float = 0.0
    seconds: float = 0.0
    state: str = ""  # final, abstained, error, or "" when no answer came back
    answer: str = ""
    cited: list[int] = field(default_factory=list)
    questions_shown: list[str] = field(default_factory=list)
    problem: str = ""  # why this session's result is wrong, if it is


def read_questions(path: Path, n: int) -> list[Session]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    out = []
    for i in range(n):
        row = rows[i % len(rows)]
        gold = row.get("gold_paragraph")
        out.append(Session(i + 1, row["id"], row["question"], int(gold.rsplit(":", 1)[1]) if gold else None))
    return out


def _text(markup: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", markup)).split())


def parse(session: Session, transcript: str, sources: str) -> None:
    """Fill in what the page shows: questions, answer state and text, cited paragraph numbers."""
    session.questions_shown = [_text(q) for q in re.findall(r'<div class="question">(.*?)</div>', transcript)]
    m = re.search(r'<div class="answer (\w+)">(.*?)</div>', transcript, re.S)
    session.state, session.answer = (m.group(1), _text(m.group(2))) if m else ("", "")
    cards = re.findall(r'<div class="small muted">[^<]*?paragraph (\d+) · support', sources)
    session.cited = sorted({int(n) for n in cards})


def _client(url: str):
    from gradio_client import Client  # imported here: --help and the URL check need no gradio

    return Client(url, verbose=False)


def ask(client, session: Session, start: threading.Barrier | None = None) -> None:
    """One question in ``client``'s current Gradio session; fills in the final page state."""
    try:
        if start is not None:
            start.wait()
        session.started = time.perf_counter()
        result = client.submit(session.question, api_name="/ask").result(timeout=1800)
        session.seconds = time.perf_counter() - session.started
        _, transcript, sources = result
        parse(session, transcript, sources)
    except Exception as err:  # a benchmark records every failure as a finding and goes on with the others
        session.seconds = time.perf_counter() - session.started if session.started else 0.0
        session.problem = f"request failed: {type(err).__name__}: {err}"


def _concurrent(url: str, session: Session, start: threading.Barrier) -> None:
    client = _client(url)  # a client per thread: its own Gradio session, as a browser tab would have
    try:
        ask(client, session, start)
    finally:
        client.close()


def check(session: Session, alone: Session | None) -> None:
    """Set ``problem`` if the session got an error, another session's page, or a different answer than alone."""
    if session.problem:
        return
    if session.questions_shown != [session.question]:
        session.problem = f"page shows questions {session.questions_shown!r}"
    elif session.state not in ("final", "abstained"):
        session.problem = f"answer state {session.state or 'missing'!r}: {session.answer}"
    elif alone is not None and (session.answer, session.cited) != (alone.answer, alone.cited):
        session.problem = f"answer differs from the same question alone ({alone.answer!r} {alone.cited})"


def run(url: str, sessions: list[Session], baseline: bool = True) -> tuple[list[Session], list[Session]]:
    """(sequential baseline sessions, concurrent sessions), each checked."""
    alone: list[Session] = []
    if baseline:
        client = _client(url)
        try:
            for s in sessions:
                client.reset_session()  # a fresh session (empty conversation) for every question
                single = Session(s.number, s.id, s.question, s.gold)
                ask(client, single)
                check(single, None)
                alone.append(single)
        finally:
            client.close()
    start = threading.Barrier(len(sessions))
    threads = [threading.Thread(target=_concurrent, args=(url, s, start)) for s in sessions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, s in enumerate(sessions):
        check(s, alone[i] if alone else None)
    return alone, sessions


def quality(s: Session) -> str:
    if s.gold is None:
        return "abstained (right)" if s.state == "abstained" else "answered an unanswerable question"
    if s.state == "abstained":
        return "abstained"
    return "cites gold" if s.gold in s.cited else f"cites {s.cited}, gold {s.gold}"


def report(alone: list[Session], sessions: list[Session], url: str) -> tuple[str, dict]:
    n = len(sessions)
    single = statistics.median(s.seconds for s in alone) if alone else None
    lat = sorted(s.seconds for s in sessions)
    bad = [s for s in sessions + alone if s.problem]
    lines = [
        f"# {n} concurrent sessions on {url}",
        "",
        "| # | question | latency | predicted: rank x single / sum of alone times | answer | cited ¶ | vs gold "
        "| problem |",
        "|---|---|---|---|---|---|---|---|",
    ]
    order = sorted(range(n), key=lambda i: sessions[i].seconds)
    rank = {i: r for r, i in enumerate(order, 1)}
    # Served in finishing order, each taking as long as it did alone: the queue's own prediction.
    queued = dict(zip(order, itertools.accumulate(alone[i].seconds for i in order), strict=True)) if alone else {}
    for i, s in enumerate(sessions):
        predicted = f"{rank[i] * single:.1f} s / {queued[i]:.1f} s" if single else "–"
        answer = s.answer if len(s.answer) <= 60 else s.answer[:59] + "…"
        lines.append(
            f"| {s.number} | {s.id}: {s.question} | {s.seconds:.1f} s | {predicted} | {answer.replace('|', '/')} "
            f"| {', '.join(map(str, s.cited)) or '–'} | {quality(s)} | {s.problem or '–'} |"
        )
    summary = {
        "sessions": n,
        "median_s": statistics.median(lat),
        "max_s": lat[-1],
        "min_s": lat[0],
        "single_s": single,
        "predicted_median_s": single * (n + 1) / 2 if single else None,
        "predicted_max_s": single * n if single else None,
        "sum_alone_s": sum(s.seconds for s in alone) if alone else None,
        "problems": len(bad),
        "errors": sum(bool(s.problem) and not s.problem.startswith("answer differs") for s in sessions),
        "differs": sum(s.problem.startswith("answer differs") for s in sessions),
        "cites_gold": sum(s.gold is not None and s.gold in s.cited for s in sessions),
        "answerable": sum(s.gold is not None for s in sessions),
        "right_abstentions": sum(s.gold is None and s.state == "abstained" for s in sessions),
        "unanswerable": sum(s.gold is None for s in sessions),
    }
    lines += [
        "",
        f"Latency: median {summary['median_s']:.1f} s, max {summary['max_s']:.1f} s, min {summary['min_s']:.1f} s.",
    ]
    if single:
        ratio = lat[-1] / summary["predicted_max_s"]
        lines.append(
            f"One question alone (sequential baseline, median): {single:.1f} s. Queue prediction (one generation "
            f"at a time, all arriving together): median {summary['predicted_median_s']:.1f} s, "
            f"max {summary['predicted_max_s']:.1f} s; measured/predicted max {ratio:.2f}. All {n} questions "
            f"one after the other took {summary['sum_alone_s']:.1f} s (measured max/that "
            f"{lat[-1] / summary['sum_alone_s']:.2f})."
        )
    lines.append(
        f"Problems (errors, crossed pages, answers differing from the question alone): {len(bad)}. "
        f"Cited the gold paragraph: {summary['cites_gold']}/{summary['answerable']}; "
        f"abstained on unanswerable: {summary['right_abstentions']}/{summary['unanswerable']}."
    )
    for s in bad:
        lines.append(f"- session {s.number} ({s.id}): {s.problem}")
    return "\n".join(lines) + "\n", summary


def side_by_side(summaries: dict[str, dict]) -> str:
    """One row per backend: the figures a reader compares."""
    lines = [
        "| backend | one question alone (median) | latency median | max | errors | answer differs from alone "
        "| cites gold | abstains (unanswerable) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, s in summaries.items():
        single = f"{s['single_s']:.1f} s" if s["single_s"] else "–"
        lines.append(
            f"| {name} | {single} | {s['median_s']:.1f} s | {s['max_s']:.1f} s | {s['errors']} | {s['differs']} "
            f"| {s['cites_gold']}/{s['answerable']} | {s['right_abstentions']}/{s['unanswerable']} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=16)
    parser.add_argument("--backends", type=backend_names, help="inprocess and/or server:N, comma-separated "
                        "(started here, one after the other; default: inprocess)")
    parser.add_argument("--llama-server", type=Path, default=LLAMA_SERVER, help=f"(default {LLAMA_SERVER})")
    parser.add_argument("--url", help="a running web chat on this machine (default: start one)")
    parser.add_argument("--fake", action="store_true", help="start the fake-model test server instead of app.py")
    parser.add_argument("--delay", type=float, default=0.02, help="--fake: seconds per streamed piece")
    parser.add_argument("--no-baseline", action="store_true", help="skip asking each question alone first")
    parser.add_argument("--questions", type=Path, default=QUESTIONS)
    parser.add_argument("--out", type=Path, help="also write the table here (e.g. runs/load.md)")
    parser.add_argument("--json", type=Path, help="write the summary and every session as JSON here")
    args = parser.parse_args(argv)
    if args.backends:
        return compare_backends(args)
    try:
        sessions = read_questions(args.questions, args.sessions)
        if args.url:
            url = loopback_url(args.url)
            alone, done = run(url, sessions, not args.no_baseline)
        else:
            with serve(args.fake, args.delay) as url:
                alone, done = run(url, sessions, not args.no_baseline)
    except LoadError as err:
        print(f"load.py: error: {err}", file=sys.stderr)
        return 2
    table, summary = report(alone, done, url)
    print(table)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(table, encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps(
            {"summary": summary, "sessions": [asdict(s) for s in done], "alone": [asdict(s) for s in alone]}, indent=1
        ), encoding="utf-8")
    return 1 if summary["problems"] else 0


def compare_backends(args: argparse.Namespace) -> int:
    """Every backend in turn, the same sessions; each one's table, then all side by side."""
    tables, summaries, runs = [], {}, {}
    with tempfile.TemporaryDirectory(prefix="rag-load-logs-") as logs:
        for name in args.backends:
            print(f"load.py: {name}: starting", file=sys.stderr)
            try:
                with backend(name, args.llama_server, Path(logs)) as url:
                    alone, done = run(url, read_questions(args.questions, args.sessions), not args.no_baseline)
            except LoadError as err:
                print(f"load.py: error: {name}: {err}", file=sys.stderr)
                return 2
            table, summaries[name] = report(alone, done, url)
            tables.append(table.replace("# ", f"# {name}: ", 1))
            runs[name] = {"sessions": [asdict(s) for s in done], "alone": [asdict(s) for s in alone]}
            print(tables[-1])
    out = side_by_side(summaries) + "\n" + "\n".join(tables)
    print(side_by_side(summaries))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(out, encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps({"summaries": summaries, "runs": runs}, indent=1), encoding="utf-8")
    return 1 if any(s["errors"] for s in summaries.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
