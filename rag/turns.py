"""Turns at the model: one queue policy for the web page, the API and the MCP server.

The model answers ``slots`` questions at once: 1 in this process, or an
LLM server's parallel slots (``RAG_LLM_SLOTS``). Every other question waits
in a ``Line``, first come first served, and knows its place. Nobody waits
forever: past ``max_wait`` seconds a question is refused with ``Busy``,
which carries a retry estimate (the API's ``429`` with ``Retry-After``, the
page's "try again in ~N s"). A question whose client went away leaves the
line at once, so the ones behind it move up. Work that swaps the index
(adding or removing articles) takes an exclusive turn: it waits for the
answers in progress and no answer starts under it.

A waiting caller polls, so that it can report its place and notice a
client that left:

    >>> line = Line(slots=1, max_wait=5)
    >>> first, second = line.enter(), line.enter()
    >>> first.wait(0), second.wait(0)   # 0: your turn; otherwise how many are ahead
    (0, 1)
    >>> first.leave(); second.wait(0)
    0

``Rate`` is the other half of the policy, a limit per client (address) on
questions per minute, refused with the same ``Busy``.

Trade-off: a polling waiter (``wait`` with a short timeout) holds a worker
thread while it waits; the API and page poll every fraction of a second,
which costs nothing next to an answer that takes seconds of CPU.
"""

from __future__ import annotations

import math
import statistics
import threading
import time
from collections import deque

from rag.errors import RagError

RECENT = 20  # answers whose durations estimate the wait (Retry-After)
FIRST_GUESS = 10.0  # seconds an answer takes, before any was timed


class Busy(RagError):
    """Refused for now: the line is too long, or the client asks too often. ``retry_after`` is in seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Line:
    """A first-come, first-served line for ``slots`` turns at once, with a bounded wait."""

    def __init__(self, slots: int = 1, max_wait: float = 120.0) -> None:
        if slots < 1 or max_wait <= 0:
            raise ValueError("a line needs at least one slot and a positive max_wait")
        self.slots, self.max_wait = slots, max_wait
        self._cond = threading.Condition()
        self._waiting: deque[Ticket] = deque()
        self._serving = 0  # turns in progress; an exclusive turn counts as all of them
        self._took: deque[float] = deque(maxlen=RECENT)

    def enter(self, exclusive: bool = False) -> Ticket:
        """Join the end of the line (``exclusive``: a turn that runs alone). Leave it with ``leave``, or use
        the ticket as a context manager."""
        ticket = Ticket(self, exclusive)
        with self._cond:
            self._waiting.append(ticket)
        return ticket

    @property
    def waiting(self) -> int:
        """Questions in line that are not being answered yet."""
        return len(self._waiting)

    def retry_after(self, ahead: int | None = None) -> int:
        """Seconds until a question joining now (or with ``ahead`` before it) would likely get its turn.

        >>> Line(slots=2).retry_after(ahead=3)   # two answers of FIRST_GUESS seconds in a row
        20
        """
        took = statistics.median(self._took) if self._took else FIRST_GUESS
        ahead = self.waiting if ahead is None else ahead
        return max(1, math.ceil(took * (ahead // self.slots + 1)))

    def _serve(self) -> None:
        """Give turns to the front of the line while there is room (under the lock)."""
        while self._waiting:
            front = self._waiting[0]
            need = self.slots if front.exclusive else 1
            if self._serving + need > self.slots:
                return
            self._waiting.popleft()
            front.started = time.monotonic()
            self._serving += need
        self._cond.notify_all()

    def _place(self, ticket: Ticket) -> int:
        """0 if ``ticket`` has its turn, else how many are ahead of it (served ones included)."""
        if ticket.started is not None:
            return 0
        return self._waiting.index(ticket) + self._serving

    def _leave(self, ticket: Ticket) -> None:
        with self._cond:
            if ticket.started is not None:
                self._serving -= self.slots if ticket.exclusive else 1
                if not ticket.exclusive:
                    self._took.append(time.monotonic() - ticket.started)
            elif ticket in self._waiting:
                self._waiting.remove(ticket)
            self._serve()
            self._cond.notify_all()


class Ticket:
    """One place in a ``Line``."""

    def __init__(self, line: Line, exclusive: bool) -> None:
        self.line, self.exclusive = line, exclusive
        self.joined = time.monotonic()
        self.started: float | None = None
        self._left = False

    def wait(self, seconds: float | None = None) -> int:
        """Wait up to ``seconds`` (default: the line's whole bound) for the turn.

        Returns 0 when it is this ticket's turn, else the number ahead of it. Raises
        ``Busy`` (and leaves the line) once the ticket has waited ``max_wait`` in all.
        """
        line = self.line
        with line._cond:
            line._serve()
            left = line.max_wait - (time.monotonic() - self.joined)
            step = left if seconds is None else min(seconds, left)
            if line._place(self) and step > 0:
                line._cond.wait_for(lambda: line._place(self) == 0, timeout=step)
            ahead = line._place(self)
            if ahead and time.monotonic() - self.joined >= line.max_wait:
                retry = line.retry_after(ahead)
                self._left = True
                line._waiting.remove(self)
                raise Busy(
                    f"busy: {ahead} question(s) ahead, waited {line.max_wait:.0f} s; try again in about {retry} s",
                    retry,
                )
            return ahead

    def leave(self) -> None:
        """Give up the turn, or the place in line (idempotent)."""
        if not self._left:
            self._left = True
            self.line._leave(self)

    def __enter__(self) -> Ticket:
        return self

    def __exit__(self, *exc: object) -> None:
        self.leave()


class Rate:
    """At most ``per_minute`` requests per client, refilled evenly (a token bucket per key); 0 is no limit.

    >>> rate = Rate(per_minute=2)
    >>> rate.check("10.0.0.1"); rate.check("10.0.0.1"); rate.check("10.0.0.2")
    >>> try:
    ...     rate.check("10.0.0.1")
    ... except Busy as err:
    ...     print(err.retry_after)
    30
    """

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, when counted)
        self._lock = threading.Lock()

    def check(self, key: str) -> None:
        """Count one request of ``key``; raise ``Busy`` if it has none left."""
        if self.per_minute <= 0:
            return
        now, per_second = time.monotonic(), self.per_minute / 60
        with self._lock:
            tokens, then = self._buckets.get(key, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - then) * per_second)
            if tokens < 1:
                retry = max(1, math.ceil((1 - tokens) / per_second))
                raise Busy(f"too many requests: at most {self.per_minute} a minute; try again in {retry} s", retry)
            self._buckets[key] = (tokens - 1, now)
            if len(self._buckets) > 10_000:  # forget clients whose bucket has refilled
                full = now - 60
                self._buckets = {k: v for k, v in self._buckets.items() if v[1] > full}
