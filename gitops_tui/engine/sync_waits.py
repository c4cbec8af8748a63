"""Waiting inside a sync: a wave's resources healthy, hooks finished, pruned objects gone.

Each wait polls the API server with GETs in a thread (the executor has no watch of its own; the reconciler's
cache may lag the write it just made), checks `should_stop` between polls so a terminated or interrupted
sync never waits out a timeout, and reports what it is waiting for, so the UI can say it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from gitops_tui.cluster.client import ClusterClient
from gitops_tui.cluster.errors import NotFoundError
from gitops_tui.engine.health import assess_health, has_health_check
from gitops_tui.engine.sync_plan_text import display_key
from gitops_tui.model import HealthStatus, ResourceKey

StopCheck = Callable[[], str]
"""Returns why the sync must stop now ("terminated by user"), or "" to go on."""
Report = Callable[[str], None]

# Suspended counts as done, as in Argo CD: a paused rollout or suspended CronJob is what Git asked for.
_DONE = (HealthStatus.HEALTHY, HealthStatus.SUSPENDED)


class SyncStopped(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class WaitSettings:
    timeout: float = 300.0
    """How long one wave may take to become healthy (and a hook to finish) before the sync fails."""
    poll_interval: float = 1.0


@dataclass(frozen=True)
class Verdict:
    """One resource's state in a wait: done (ok or not) or still pending, with words for the UI."""

    done: bool
    ok: bool = True
    message: str = ""


def health_verdict(obj: Mapping[str, Any] | None) -> Verdict:
    """For an applied resource: Healthy/Suspended is done, Degraded fails the sync, anything else waits."""
    if obj is None:
        return Verdict(False, message="not created yet")
    key = ResourceKey.of(obj)
    if not has_health_check(key.group, key.kind):
        return Verdict(True)
    health = assess_health(obj)
    if health is None:
        return Verdict(True)
    if health.status in _DONE:
        return Verdict(True, message=health.status.value)
    if health.status is HealthStatus.DEGRADED:
        return Verdict(True, ok=False, message=f"Degraded: {health.message}" if health.message else "Degraded")
    return Verdict(False, message=f"{health.status.value}: {health.message}" if health.message else
                   health.status.value)


def hook_verdict(obj: Mapping[str, Any] | None) -> Verdict:
    """For a hook: Jobs and Pods must finish; other kinds are done once they exist (as in Argo CD)."""
    if obj is None:
        return Verdict(True, ok=False, message="deleted before it finished")
    key = ResourceKey.of(obj)
    if (key.group, key.kind) == ("", "Pod"):
        phase = str((obj.get("status") or {}).get("phase") or "Pending")
        if phase == "Succeeded":
            return Verdict(True, message="completed")
        if phase == "Failed":
            message = str((obj.get("status") or {}).get("message") or "")
            return Verdict(True, ok=False, message=f"failed{': ' + message if message else ''}")
        return Verdict(False, message=phase)
    if (key.group, key.kind) == ("batch", "Job"):
        health = assess_health(obj)
        if health is not None and health.status is HealthStatus.HEALTHY:
            return Verdict(True, message="completed")
        if health is not None and health.status is HealthStatus.DEGRADED:
            return Verdict(True, ok=False, message=f"failed: {health.message}" if health.message else "failed")
        return Verdict(False, message="running")
    return Verdict(True, message="created")


Judge = Callable[[Mapping[str, Any] | None], Verdict]


async def wait_for(
    client: ClusterClient,
    judges: Mapping[ResourceKey, Judge],
    *,
    settings: WaitSettings,
    should_stop: StopCheck,
    report: Report,
    what: str,
) -> dict[ResourceKey, Verdict]:
    """Poll until every key's verdict is done, or one has failed; returns the verdicts known (keys still pending
    when another failed are left out). A timeout is a failed verdict per pending key."""
    pending = list(judges)
    verdicts: dict[ResourceKey, Verdict] = {}
    deadline = time.monotonic() + settings.timeout
    while pending:
        reason = should_stop()
        if reason:
            raise SyncStopped(reason)
        objects = await asyncio.to_thread(_get_all, client, pending)
        waiting: list[tuple[ResourceKey, Verdict]] = []
        for key, obj in zip(pending, objects, strict=True):
            verdict = judges[key](obj)
            if verdict.done:
                verdicts[key] = verdict
            else:
                waiting.append((key, verdict))
        pending = [key for key, _ in waiting]
        if not pending or any(not v.ok for v in verdicts.values()):
            break  # a Degraded resource fails the wave now: waiting on its neighbours would change nothing
        if time.monotonic() >= deadline:
            for key, verdict in waiting:
                verdicts[key] = Verdict(True, ok=False, message=f"not done after {settings.timeout:g} s: "
                                                                  f"{verdict.message or 'pending'}")
            break
        first_key, first = waiting[0]
        more = f" and {len(waiting) - 1} more" if len(waiting) > 1 else ""
        report(f"{what}: waiting for {display_key(first_key)} ({first.message or 'pending'}){more}")
        await sleep_unless_stopped(settings.poll_interval, should_stop)
    return verdicts


async def wait_gone(
    client: ClusterClient, keys: Iterable[ResourceKey], *, settings: WaitSettings, should_stop: StopCheck,
    report: Report, what: str,
) -> dict[ResourceKey, Verdict]:
    """Deleted objects may linger while finalizers and foreground deletion of their dependents run."""

    def judge(obj: Mapping[str, Any] | None) -> Verdict:
        return Verdict(True, message="deleted") if obj is None else Verdict(False, message="being deleted")

    return await wait_for(client, dict.fromkeys(keys, judge), settings=settings, should_stop=should_stop,
                          report=report, what=what)


async def sleep_unless_stopped(seconds: float, should_stop: StopCheck) -> str:
    """Sleep in short slices so a stop request is seen within ~50 ms, not after a whole poll interval."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        reason = should_stop()
        if reason:
            return reason
        await asyncio.sleep(min(left, 0.05))
    return should_stop()


def _get_all(client: ClusterClient, keys: list[ResourceKey]) -> list[dict[str, Any] | None]:
    found: list[dict[str, Any] | None] = []
    for key in keys:
        try:
            found.append(client.get(key))
        except NotFoundError:
            found.append(None)
    return found
