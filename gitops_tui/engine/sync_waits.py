"""Waiting inside a sync: a wave's resources healthy, hooks finished, pruned objects gone.

Each wait is event-driven from the reconciler's watch cache where it covers the objects (sync_watch.py):
it reads them there and sleeps until one changes, so waiting costs the API server no requests. Objects
the cache does not cover are polled with GETs in a thread. A wait checks `should_stop` whenever it wakes
(terminate wakes it at once) so a terminated or interrupted sync never waits out a timeout, and reports
what it is waiting for, so the UI can say it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from gitops_tui.cluster.client import ClusterClient
from gitops_tui.cluster.errors import NotFoundError
from gitops_tui.engine.health import assess_health, has_health_check
from gitops_tui.engine.sync_plan_text import display_key
from gitops_tui.engine.sync_threads import in_sync_thread
from gitops_tui.engine.sync_watch import CacheReader, at_least
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
    """How often objects the watch cache does not cover are read with a GET."""
    idle_check: float = 10.0
    """Longest a wait sleeps without looking at `should_stop`: a safety net only, since a terminate and a
    lost lease wake the waits at once (their wakers). Every waiting operation wakes this often, and a
    thousand of them waking each second (reading and parsing what they wait for) cost a fifth of a core."""
    cache_lag: float = 2.0
    """How long the watch cache may lag a write before the wait asks the server with a GET instead."""


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
    return Verdict(False, message=f"{health.status.value}: {health.message}" if health.message else health.status.value)


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
    watch: CacheReader | None = None,
    written: Mapping[ResourceKey, str] | None = None,
    wakers: set[asyncio.Event] | None = None,
) -> dict[ResourceKey, Verdict]:
    """Wait until every key's verdict is done, or one has failed; returns the verdicts known (keys still pending
    when another failed are left out). A timeout is a failed verdict per pending key.

    Objects the `watch` cache covers are read there, and the wait sleeps until one of them changes; the rest
    are polled with GETs every `poll_interval`. `written` holds the resourceVersion each write of this sync
    returned, so a cache that has not caught up with the write is not believed (module docstring of
    sync_watch). Setting any event in `wakers` (terminate does) wakes the wait to look at `should_stop`."""
    written = written or {}
    pending = list(judges)
    verdicts: dict[ResourceKey, Verdict] = {}
    fetched: dict[ResourceKey, dict[str, Any] | None] = {}
    seen: set[ResourceKey] = set()
    started = time.monotonic()
    deadline = started + settings.timeout
    next_get = started
    said = ""
    changed = asyncio.Event()
    stop_notices = watch.notify(pending, changed) if watch is not None else None
    if wakers is not None:
        wakers.add(changed)
    try:
        while pending:
            reason = should_stop()
            if reason:
                raise SyncStopped(reason)
            changed.clear()
            now = time.monotonic()
            current, to_get = _read_cached(
                watch, judges, pending, written, seen, lagging=now - started < settings.cache_lag
            )
            if to_get and now >= next_get:
                objects = await in_sync_thread(_get_all, client, to_get)
                fetched.update(zip(to_get, objects, strict=True))
                next_get = time.monotonic() + settings.poll_interval
            for key in to_get:
                current[key] = judges[key](fetched[key]) if key in fetched else Verdict(False, message="pending")
            waiting: list[tuple[ResourceKey, Verdict]] = []
            for key in pending:
                verdict = current[key]
                if verdict.done:
                    verdicts[key] = verdict
                else:
                    waiting.append((key, verdict))
            pending = [key for key, _ in waiting]
            if not pending or any(not v.ok for v in verdicts.values()):
                break  # a Degraded resource fails the wave now: waiting on its neighbours would change nothing
            now = time.monotonic()
            if now >= deadline:
                for key, verdict in waiting:
                    verdicts[key] = Verdict(
                        True, ok=False, message=f"not done after {settings.timeout:g} s: {verdict.message or 'pending'}"
                    )
                break
            first_key, first = waiting[0]
            more = f" and {len(waiting) - 1} more" if len(waiting) > 1 else ""
            message = f"{what}: waiting for {display_key(first_key)} ({first.message or 'pending'}){more}"
            if message != said:  # said again on every wake-up, it would redraw the app for nothing
                report(message)
                said = message
            wake_at = [deadline, now + settings.idle_check]  # a safety net: stops wake the wait themselves
            if to_get:
                wake_at.append(next_get)
            if now - started < settings.cache_lag and any(key not in seen for key in pending):
                wake_at.append(started + settings.cache_lag)
            with contextlib.suppress(TimeoutError):
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation that arrives as
                # the event is set; the console's stop then waited out the whole wave and the sync ended Failed.
                async with asyncio.timeout(max(min(wake_at) - now, 0.0)):
                    await changed.wait()
    finally:
        if stop_notices is not None:
            stop_notices()
        if wakers is not None:
            wakers.discard(changed)
    return verdicts


def _read_cached(
    watch: CacheReader | None,
    judges: Mapping[ResourceKey, Judge],
    pending: list[ResourceKey],
    written: Mapping[ResourceKey, str],
    seen: set[ResourceKey],
    *,
    lagging: bool,
) -> tuple[dict[ResourceKey, Verdict], list[ResourceKey]]:
    """Verdicts for the keys the cache can answer; the keys to GET instead (not covered, or lagging too long)."""
    current: dict[ResourceKey, Verdict] = {}
    to_get: list[ResourceKey] = []
    scopes = watch.covered_scopes() if watch is not None else set()
    for key in pending:
        if watch is None or not watch.covers(key, scopes):
            to_get.append(key)
            continue
        version = written.get(key)
        if key in seen or version is None or at_least(watch.version(key), version):
            seen.add(key)
            current[key] = judges[key](watch.get(key))
        elif lagging:
            current[key] = Verdict(False, message="waiting for the watch to show the write")
        else:
            to_get.append(key)  # the watch lags (or versions do not compare): ask the server
    return current, to_get


async def wait_gone(
    client: ClusterClient,
    keys: Iterable[ResourceKey],
    *,
    settings: WaitSettings,
    should_stop: StopCheck,
    report: Report,
    what: str,
    watch: CacheReader | None = None,
    wakers: set[asyncio.Event] | None = None,
) -> dict[ResourceKey, Verdict]:
    """Deleted objects may linger while finalizers and foreground deletion of their dependents run."""

    def judge(obj: Mapping[str, Any] | None) -> Verdict:
        return Verdict(True, message="deleted") if obj is None else Verdict(False, message="being deleted")

    return await wait_for(
        client,
        dict.fromkeys(keys, judge),
        settings=settings,
        should_stop=should_stop,
        report=report,
        what=what,
        watch=watch,
        wakers=wakers,
    )


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
