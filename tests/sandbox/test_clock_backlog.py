"""Simulated time waits for the controllers: a backlog costs real time, never simulated time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gitops_tui.sandbox.controllers.clock import SimClock

START = datetime(2026, 1, 1, tzinfo=UTC)


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Backlog:
    """What the controller runner tells the clock: since when its oldest item waits, when its next timer rings."""

    def __init__(self) -> None:
        self.queued_since: float | None = None
        self.timer_due: datetime | None = None

    def __call__(self) -> tuple[float | None, datetime | None]:
        return self.queued_since, self.timer_due


def at(seconds: float) -> datetime:
    return START + timedelta(seconds=seconds)


@pytest.fixture
def ticks() -> FakeMonotonic:
    return FakeMonotonic()


@pytest.fixture
def backlog() -> Backlog:
    return Backlog()


@pytest.fixture
def clock(ticks: FakeMonotonic, backlog: Backlog) -> SimClock:
    clock = SimClock(speed=10, start=START, monotonic=ticks)
    clock.follow(backlog)
    return clock


def test_simulated_time_stands_still_while_queued_work_waits_past_the_allowance(
    clock: SimClock, ticks: FakeMonotonic, backlog: Backlog
) -> None:
    ticks.now += 1
    assert clock.sim_now() == at(10)  # nothing waiting: 10x as usual
    backlog.queued_since = ticks.now
    ticks.now += 5  # the controllers are 5 real seconds behind: only the allowance (2 simulated s) counts
    assert clock.allowance() == pytest.approx(0.2)
    assert clock.sim_now() == at(12)
    clock.settle()  # as the runner does before it takes the item
    backlog.queued_since = None
    ticks.now += 1
    assert clock.sim_now() == at(22)
    assert clock.held_seconds == pytest.approx(4.8)
    assert clock.now() == at(7)  # wall time never waits


def test_a_timer_that_is_due_and_not_yet_handled_counts_as_waiting(
    clock: SimClock, ticks: FakeMonotonic, backlog: Backlog
) -> None:
    backlog.timer_due = at(5)  # reached after 0.5 real seconds
    ticks.now += 3  # the loop never got to ring it: time stops once the allowance after it is used up
    assert clock.sim_now() == at(7)
    backlog.timer_due = None
    ticks.now += 1
    assert clock.sim_now() == at(17)


def test_stamps_stay_put_across_pauses_and_map_back(clock: SimClock, ticks: FakeMonotonic, backlog: Backlog) -> None:
    ticks.now += 1
    before = clock.sim_now()
    assert clock.timestamp(before) == "2026-01-01T00:00:01Z"
    backlog.queued_since = ticks.now
    ticks.now += 30
    clock.settle()
    backlog.queued_since = None
    ticks.now += 1
    after = clock.sim_now()
    # An instant noted before the pause keeps its wall time (a container's startedAt must not drift).
    assert clock.timestamp(before) == "2026-01-01T00:00:01Z"
    assert clock.to_wall(after) == at(32)
    # The instant simulated time stood still at is stamped with when it was reached, not when it resumed.
    assert clock.to_wall(at(12)) == at(1.2)
    assert clock.to_sim(at(15)) == at(12)  # wall instants inside the pause map onto that instant
    assert clock.to_sim(at(32)) == after
    assert clock.sim_seconds_since("2026-01-01T00:00:01Z") == pytest.approx(22 - 10)


def test_many_short_pauses_keep_stamps_within_half_a_second(
    clock: SimClock, ticks: FakeMonotonic, backlog: Backlog
) -> None:
    marks = []
    for _ in range(2000):
        ticks.now += 0.5
        marks.append((clock.sim_now(), clock.now()))
        backlog.queued_since = ticks.now
        ticks.now += 0.25  # 0.05 real seconds of it held
        clock.settle()
        backlog.queued_since = None
    assert clock.held_seconds == pytest.approx(2000 * 0.05)
    for simulated, wall in marks:
        assert abs((clock.to_wall(simulated) - wall).total_seconds()) < 0.5
        assert abs((clock.to_sim(wall) - simulated).total_seconds()) < 0.5 * clock.speed


def test_a_clock_nobody_follows_runs_freely(ticks: FakeMonotonic) -> None:
    clock = SimClock(speed=10, start=START, monotonic=ticks)
    ticks.now += 60
    assert clock.sim_now() == at(600)
    assert clock.held_seconds == 0
