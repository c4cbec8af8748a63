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


def seconds(moment: datetime) -> float:
    return (moment - START).total_seconds()


def test_simulated_time_slows_to_a_crawl_while_queued_work_waits_past_the_allowance(
    clock: SimClock, ticks: FakeMonotonic, backlog: Backlog
) -> None:
    ticks.now += 1
    assert clock.sim_now() == at(10)  # nothing waiting: 10x as usual
    backlog.queued_since = ticks.now
    ticks.now += 5  # the controllers are 5 real seconds behind
    assert clock.allowance() == pytest.approx(0.5)  # 5 simulated seconds at 10x
    # The allowance counts in full, the rest at (0.5 / wait)^2: 0.5 + 0.25 * (1/0.5 - 1/5) real seconds.
    assert seconds(clock.sim_now()) == pytest.approx(10 + 9.5)
    clock.settle()  # as the runner does before it takes the item
    backlog.queued_since = None
    ticks.now += 1
    assert seconds(clock.sim_now()) == pytest.approx(29.5)
    assert clock.held_seconds == pytest.approx(5 - 0.95)
    assert clock.now() == at(7)  # wall time never waits


def test_however_long_work_waits_it_costs_at_most_two_allowances(
    clock: SimClock, ticks: FakeMonotonic, backlog: Backlog
) -> None:
    backlog.queued_since = ticks.now
    ticks.now += 3600
    assert 5.0 < seconds(clock.sim_now()) < 10.0  # 5 simulated seconds of allowance, twice that at most


def test_a_steady_backlog_twice_the_allowance_runs_at_a_quarter_speed(
    clock: SimClock, ticks: FakeMonotonic, backlog: Backlog
) -> None:
    for _ in range(100):
        clock.settle()
        backlog.queued_since = ticks.now - 1.0  # each next item has waited twice the allowance
        ticks.now += 0.01
    assert seconds(clock.sim_now()) == pytest.approx(10 / 4, rel=0.05)


def test_a_timer_that_is_due_and_not_yet_handled_counts_as_waiting(
    clock: SimClock, ticks: FakeMonotonic, backlog: Backlog
) -> None:
    backlog.timer_due = at(5)  # reached after 0.5 real seconds
    ticks.now += 3  # the loop never got to ring it: waiting from 0.5 s on, 1.0 + 0.25 * (1/0.5 - 1/2.5) count
    assert seconds(clock.sim_now()) == pytest.approx(14.0)
    backlog.timer_due = None
    ticks.now += 1
    assert seconds(clock.sim_now()) == pytest.approx(24.0)


def test_stamps_stay_put_across_pauses_and_map_back(clock: SimClock, ticks: FakeMonotonic, backlog: Backlog) -> None:
    ticks.now += 1
    before = clock.sim_now()
    assert clock.timestamp(before) == "2026-01-01T00:00:01Z"
    backlog.queued_since = ticks.now
    ticks.now += 30
    behind = clock.sim_now()  # where simulated time crawled to while the controllers were behind
    clock.settle()
    backlog.queued_since = None
    ticks.now += 1
    after = clock.sim_now()
    # An instant noted before the pause keeps its wall time (a container's startedAt must not drift).
    assert clock.timestamp(before) == "2026-01-01T00:00:01Z"
    assert clock.to_wall(after) == at(32)
    # The instant reached while behind is stamped with about when it was reached, not when it resumed.
    assert seconds(clock.to_wall(behind)) == pytest.approx(1 + seconds(behind - timedelta(seconds=10)) / 10)
    assert clock.to_sim(at(15)) == behind  # wall instants inside the pause map onto that instant
    assert clock.to_sim(at(32)) == after
    assert clock.sim_seconds_since("2026-01-01T00:00:01Z") == pytest.approx(seconds(after) - 10)


def test_many_short_pauses_keep_stamps_within_half_a_second(
    clock: SimClock, ticks: FakeMonotonic, backlog: Backlog
) -> None:
    marks = []
    for _ in range(2000):
        ticks.now += 0.5
        marks.append((clock.sim_now(), clock.now()))
        backlog.queued_since = ticks.now
        ticks.now += 1  # 0.5 + 0.25 * (1/0.5 - 1/1) = 0.75 real seconds of it count, 0.25 are held
        clock.settle()
        backlog.queued_since = None
    assert clock.held_seconds == pytest.approx(2000 * 0.25)
    for simulated, wall in marks:
        assert abs((clock.to_wall(simulated) - wall).total_seconds()) < 0.5
        assert abs((clock.to_sim(wall) - simulated).total_seconds()) < 0.5 * clock.speed


def test_a_clock_nobody_follows_runs_freely(ticks: FakeMonotonic) -> None:
    clock = SimClock(speed=10, start=START, monotonic=ticks)
    ticks.now += 60
    assert clock.sim_now() == at(600)
    assert clock.held_seconds == 0
