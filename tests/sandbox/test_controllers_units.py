"""Pure parts of the simulated controllers: the clock, cron schedules, container life cycles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gitops_tui.sandbox.controllers import runtime
from gitops_tui.sandbox.controllers.clock import SimClock, Stopwatch
from gitops_tui.sandbox.controllers.cron import CronError, CronSchedule
from gitops_tui.sandbox.controllers.deployment import surge_and_unavailable
from gitops_tui.sandbox.controllers.kube import safe_encode, template_hash

START = datetime(2026, 1, 1, tzinfo=UTC)


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_simulated_time_runs_speed_times_faster_while_stamps_stay_wall_clock() -> None:
    ticks = FakeMonotonic()
    clock = SimClock(speed=10, start=START, monotonic=ticks)
    ticks.now += 3
    assert clock.sim_now() == START + timedelta(seconds=30)
    assert clock.now() == START + timedelta(seconds=3)
    assert clock.timestamp() == "2026-01-01T00:00:03Z"
    assert clock.timestamp(START + timedelta(seconds=30)) == "2026-01-01T00:00:03Z"
    assert clock.to_sim(clock.to_wall(START + timedelta(seconds=50))) == START + timedelta(seconds=50)
    assert clock.real_delay(600) == 60
    assert clock.sim_seconds_since("2026-01-01T00:00:01Z") == 20


def test_speed_changes_keep_both_time_lines_continuous() -> None:
    ticks = FakeMonotonic()
    clock = SimClock(speed=10, start=START, monotonic=ticks)
    ticks.now += 3
    clock.speed = 1
    assert clock.sim_now() == START + timedelta(seconds=30)
    ticks.now += 3
    assert clock.sim_now() == START + timedelta(seconds=33)
    assert clock.now() == START + timedelta(seconds=6)
    with pytest.raises(ValueError):
        SimClock(speed=0)


def test_stopwatch_is_precise_where_stamps_are_coarse() -> None:
    ticks = FakeMonotonic()
    clock = SimClock(speed=100, start=START, monotonic=ticks)
    watch = Stopwatch(clock)
    ticks.now += 0.5  # 50 simulated seconds, but still within the same wall second
    stamp = clock.timestamp()
    watch.note("progress", stamp)
    ticks.now += 0.1
    assert watch.elapsed("progress", stamp) == pytest.approx(10)
    # An instant noted for another timestamp (or never) falls back to the coarse stamp.
    assert stamp == "2026-01-01T00:00:00Z"
    assert watch.elapsed("progress", "2025-12-31T23:59:59Z") == pytest.approx(160)
    assert watch.elapsed("unknown", stamp) == pytest.approx(60)


@pytest.mark.parametrize(
    ("schedule", "after", "expected"),
    [
        ("* * * * *", "2026-01-01T10:00:30", "2026-01-01T10:01:00"),
        ("*/15 * * * *", "2026-01-01T10:01:00", "2026-01-01T10:15:00"),
        ("0 3 * * *", "2026-01-01T04:00:00", "2026-01-02T03:00:00"),
        ("30 9 * * MON-FRI", "2026-01-02T10:00:00", "2026-01-05T09:30:00"),  # Friday -> Monday
        ("0 0 1 */3 *", "2026-01-15T00:00:00", "2026-04-01T00:00:00"),
        ("0 12 13 * 5", "2026-01-01T00:00:00", "2026-01-02T12:00:00"),  # day-of-month OR Friday
        ("@hourly", "2026-01-01T10:59:59", "2026-01-01T11:00:00"),
        ("@weekly", "2026-01-01T00:00:00", "2026-01-04T00:00:00"),
        ("0 0 29 FEB *", "2026-03-01T00:00:00", "2028-02-29T00:00:00"),
        ("5,10 1-2 * * 7", "2026-01-04T01:05:00", "2026-01-04T01:10:00"),
    ],
)
def test_cron_next_run(schedule: str, after: str, expected: str) -> None:
    moment = datetime.fromisoformat(after).replace(tzinfo=UTC)
    assert CronSchedule.parse(schedule).next_after(moment) == datetime.fromisoformat(expected).replace(tzinfo=UTC)


@pytest.mark.parametrize("schedule", ["* * * *", "61 * * * *", "*/0 * * * *", "a b c d e", "5-1 * * * *"])
def test_bad_cron_schedules_are_rejected(schedule: str) -> None:
    with pytest.raises(CronError):
        CronSchedule.parse(schedule)


@pytest.mark.parametrize(
    ("image", "policy", "behaviour"),
    [
        ("web:1.0", "Always", runtime.SERVE),
        ("web:1.0", "Never", runtime.COMPLETE),
        ("web:crashloop", "Always", runtime.FAIL),
        ("tools:fail", "OnFailure", runtime.FAIL),
        ("registry:5000/web:missing", "Always", runtime.MISSING),
    ],
)
def test_image_tags_choose_the_container_fate(image: str, policy: str, behaviour: str) -> None:
    assert runtime.behaviour_for(image, policy) == behaviour


def test_crash_loop_back_off_grows_and_counts_restarts() -> None:
    container = runtime.ContainerRuntime(behaviour=runtime.FAIL, since=START)
    spec = {"name": "app", "image": "web:crashloop"}
    assert "pulling" in container.advance(START)
    assert container.status(spec, START, "p")["state"] == {"waiting": {"reason": "ContainerCreating"}}
    # pull (1.5 s), run 2 s, crash, back off 10 s, run 2 s, crash, back off 20 s...
    later = START + timedelta(seconds=1.5 + 2 + 10 + 2 + 1)
    container.advance(later)
    status = container.status(spec, later, "p")
    assert status["restartCount"] == 2
    assert status["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    assert "back-off 20s" in status["state"]["waiting"]["message"]
    assert status["lastState"]["terminated"]["exitCode"] == 1
    assert not status["ready"]
    assert runtime.backoff_seconds(10) == runtime.BACKOFF_MAX_SECONDS


def test_missing_images_alternate_between_pull_errors() -> None:
    container = runtime.ContainerRuntime(behaviour=runtime.MISSING, since=START)
    spec = {"name": "app", "image": "web:missing"}
    reasons = []
    for seconds in (1.6, 2.6, 13.0):
        moment = START + timedelta(seconds=seconds)
        container.advance(moment)
        reasons.append(container.status(spec, moment, "p")["state"]["waiting"]["reason"])
    assert reasons == ["ErrImagePull", "ImagePullBackOff", "ErrImagePull"]
    assert runtime.pod_phase([container.status(spec, START, "p")], "Always") == "Pending"


def test_pod_phase_for_finished_containers() -> None:
    done = runtime.ContainerRuntime(behaviour=runtime.COMPLETE, since=START, restart_policy="Never")
    failed = runtime.ContainerRuntime(behaviour=runtime.FAIL, since=START, restart_policy="Never")
    moment = START + timedelta(seconds=10)
    for container in (done, failed):
        container.advance(moment)
    ok = done.status({"name": "a", "image": "x:1"}, moment, "p")
    bad = failed.status({"name": "b", "image": "x:fail"}, moment, "p")
    assert ok["state"]["terminated"]["reason"] == "Completed"
    assert runtime.pod_phase([ok], "Never") == "Succeeded"
    assert runtime.pod_phase([ok, bad], "Never") == "Failed"


@pytest.mark.parametrize(
    ("replicas", "strategy", "expected"),
    [
        (3, {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}, (1, 0)),
        (10, {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}, (3, 2)),
        (4, {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}}, (0, 1)),
        (4, {"type": "Recreate"}, (0, 0)),
    ],
)
def test_surge_rounds_up_and_unavailability_rounds_down(replicas: int, strategy: dict, expected: tuple) -> None:
    assert surge_and_unavailable({"spec": {"replicas": replicas, "strategy": strategy}}) == expected


def test_template_hash_is_stable_and_uses_the_safe_alphabet() -> None:
    template = {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "a", "image": "x"}]}}
    assert template_hash(template) == template_hash(dict(template))
    assert template_hash(template) != template_hash(template, collision_count=1)
    assert set(template_hash(template)) <= set("bcdfghjklmnpqrstvwxz2456789")
    assert safe_encode("0123") == "4567"  # byte % 27 into the alphabet, as apimachinery does


async def test_runner_backs_off_a_key_that_keeps_failing() -> None:
    from gitops_tui.sandbox.controllers.base import Controller, Key
    from gitops_tui.sandbox.controllers.runner import ControllerRunner
    from gitops_tui.sandbox.store import Store

    calls: list[Key] = []

    class Broken(Controller):
        name = "broken"
        primary = "configmaps"

        def reconcile(self, key: Key) -> float | None:
            calls.append(key)
            raise RuntimeError("always")

    clock = SimClock(speed=1000)
    store = Store(clock=clock.now)
    runner = ControllerRunner(store, clock, nodes=1, controllers=[Broken])
    await runner.start()
    try:
        store.create("configmaps", {"metadata": {"name": "c"}, "data": {}}, "default")
        await clock.sleep(200)  # without back-off: 40 retries 5 simulated seconds apart
    finally:
        await runner.stop()
    assert 4 <= len(calls) <= 8
