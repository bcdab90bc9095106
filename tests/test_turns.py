"""``rag.turns``: the line for the model (first come first served, bounded wait, exclusive turns) and the rate."""

from __future__ import annotations

import threading
import time

import pytest

from rag.turns import Busy, Line, Rate


def test_turns_are_given_in_arrival_order_as_slots_free_up() -> None:
    line = Line(slots=2, max_wait=5)
    a, b, c, d = (line.enter() for _ in range(4))
    assert [t.wait(0) for t in (a, b, c, d)] == [0, 0, 2, 3]
    b.leave()
    assert (c.wait(0), d.wait(0)) == (0, 2)
    a.leave()
    assert d.wait(0) == 0


def test_a_waiter_is_woken_when_its_turn_comes() -> None:
    line = Line(slots=1, max_wait=5)
    first, second = line.enter(), line.enter()
    assert first.wait(0) == 0
    threading.Timer(0.1, first.leave).start()
    started = time.monotonic()
    assert second.wait(3) == 0
    assert time.monotonic() - started < 2


def test_leaving_the_line_moves_the_ones_behind_up() -> None:
    line = Line(slots=1, max_wait=5)
    serving, gone, behind = line.enter(), line.enter(), line.enter()
    assert serving.wait(0) == 0 and behind.wait(0) == 2
    gone.leave()  # a client that went away while waiting
    assert behind.wait(0) == 1 and line.waiting == 1


def test_past_the_bound_a_waiter_is_refused_with_a_retry_estimate_and_leaves() -> None:
    line = Line(slots=1, max_wait=0.2)
    serving, late = line.enter(), line.enter()
    assert serving.wait(0) == 0
    with pytest.raises(Busy) as refused:
        while late.wait(0.05):
            pass
    assert refused.value.retry_after >= 1 and "try again" in str(refused.value)
    assert line.waiting == 0
    serving.leave()
    assert line.enter().wait(0) == 0


def test_an_exclusive_turn_waits_for_the_answers_in_progress_and_holds_back_later_ones() -> None:
    line = Line(slots=2, max_wait=5)
    answering = line.enter()
    assert answering.wait(0) == 0
    refresh = line.enter(exclusive=True)
    later = line.enter()
    assert refresh.wait(0) == 1 and later.wait(0) == 2  # first come: the later question waits behind the refresh
    answering.leave()
    assert refresh.wait(0) == 0 and later.wait(0) == 2  # the refresh takes every slot
    refresh.leave()
    assert later.wait(0) == 0


def test_the_retry_estimate_follows_how_long_answers_took() -> None:
    line = Line(slots=1, max_wait=5)
    for _ in range(3):
        with line.enter() as ticket:
            ticket.wait(0)
            time.sleep(0.05)
    assert line.retry_after(ahead=0) == 1  # answers of ~0.05 s: the next turn is within a second
    assert Line(slots=1).retry_after(ahead=2) == 30  # nothing timed yet: 10 s an answer, 3 answers


def test_the_rate_refills_with_time_and_keeps_clients_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    rate = Rate(per_minute=6)  # one request every 10 s, bursts of 6
    for _ in range(6):
        rate.check("a")
    with pytest.raises(Busy) as refused:
        rate.check("a")
    assert refused.value.retry_after == 10
    rate.check("b")  # another client has its own bucket
    now[0] += 10
    rate.check("a")
    with pytest.raises(Busy):
        rate.check("a")
    Rate(per_minute=0).check("a")  # 0: no limit
