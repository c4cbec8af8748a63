"""The console's event log: sync and health transitions, Git news, errors; the last 10,000 in memory.

The reconciler is the only writer (on the loop); the UI reads `since(seq)` to fetch what it has not shown.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime

from gitops_tui.model import AppState, Event, Health, HealthStatus, Severity, SyncStatus

EVENT_LOG_SIZE = 10_000


class EventLog:
    def __init__(self, size: int = EVENT_LOG_SIZE, on_record: Callable[[Event], None] | None = None) -> None:
        self._events: deque[Event] = deque(maxlen=size)
        self._seq = 0
        self._on_record = on_record

    def record(self, app: str, severity: Severity, message: str) -> Event:
        self._seq += 1
        event = Event(datetime.now(UTC), app, severity, message, self._seq)
        self._events.append(event)
        if self._on_record is not None:
            self._on_record(event)
        return event

    def info(self, app: str, message: str) -> Event:
        return self.record(app, Severity.INFO, message)

    def warning(self, app: str, message: str) -> Event:
        return self.record(app, Severity.WARNING, message)

    def error(self, app: str, message: str) -> Event:
        return self.record(app, Severity.ERROR, message)

    @property
    def last_seq(self) -> int:
        return self._seq

    def since(self, seq: int = 0, app: str | None = None) -> list[Event]:
        """Events newer than `seq` (all that are kept for 0), oldest first; only `app`'s when given."""
        if seq >= self._seq:
            return []
        newest_first: list[Event] = []
        for event in reversed(self._events):
            if event.seq <= seq:
                break
            if app is None or event.app == app:
                newest_first.append(event)
        return newest_first[::-1]

    def __len__(self) -> int:
        return len(self._events)


def record_transitions(log: EventLog, before: AppState | None, after: AppState) -> None:
    """Events for what changed between two states of one app: sync, health, and the error it reports.

    Each message starts with what changed ("sync Synced → OutOfSync", "health Healthy → Degraded (why)")
    and leaves the app out: every view of the log (the console's app column, `gitops-tui events`) shows it
    beside the message, and the words must fit an 80-column event log.
    """
    name = after.name
    if before is None:
        return
    if before.sync is not after.sync:
        severity = Severity.WARNING if after.sync is SyncStatus.OUT_OF_SYNC else Severity.INFO
        log.record(name, severity, transition("sync", before.sync.value, after.sync.value))
    if before.health.status is not after.health.status:
        log.record(name, _health_severity(after.health), _health_message(before.health, after.health))
    if after.error and after.error != before.error:
        log.error(name, after.error)
    elif before.error and not after.error:
        log.info(name, f"error cleared (was: {before.error.splitlines()[0][:200]})")


def transition(what: str, before: str, after: str, reason: str = "") -> str:
    """`sync OutOfSync → Synced`, `health Missing → Progressing (reason)`: one shape for every change."""
    text = f"{what} {before} → {after}"
    return f"{text} ({reason})" if reason else text


def _health_message(before: Health, after: Health) -> str:
    return transition("health", before.status.value, after.status.value, after.message)


def _health_severity(health: Health) -> Severity:
    if health.status in (HealthStatus.DEGRADED, HealthStatus.UNKNOWN):
        return Severity.ERROR
    if health.status is HealthStatus.MISSING:
        return Severity.WARNING
    return Severity.INFO
