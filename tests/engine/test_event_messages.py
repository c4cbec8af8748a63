"""The event log's transition messages: each says what changed (sync, health, error) in one shape, once.

The app is not repeated in the message: every view of the log shows it in a column of its own.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime

from gitops_tui.engine.events import EventLog, record_transitions
from gitops_tui.model import (
    AppSource,
    AppSpec,
    AppState,
    Destination,
    Health,
    HealthStatus,
    Severity,
    SyncStatus,
)

SPEC = AppSpec("orders", AppSource("file:///repo.git", "orders"), Destination(name="in-cluster"))
BASE = AppState(SPEC, SyncStatus.SYNCED, Health(HealthStatus.HEALTHY), None, (), "", datetime.now(UTC))

MESSAGE_ROOM_AT_80_COLUMNS = 44
"""An 80-column event log: 2 border and 2 scrollbar cells, then time (9), severity (8) and app (15) columns."""


def messages(before: AppState, after: AppState) -> list[tuple[Severity, str]]:
    log = EventLog()
    record_transitions(log, before, after)
    return [(event.severity, event.message) for event in log.since()]


def test_sync_and_health_changes_say_which_changed_and_leave_the_app_to_its_column() -> None:
    progressing = Health(HealthStatus.PROGRESSING, "Waiting for rollout to finish: 1 of 3 updated replicas")
    after = replace(BASE, sync=SyncStatus.OUT_OF_SYNC, health=progressing)
    assert messages(replace(BASE, health=Health(HealthStatus.MISSING)), after) == [
        (Severity.WARNING, "sync Synced → OutOfSync"),
        (Severity.INFO, "health Missing → Progressing (Waiting for rollout to finish: 1 of 3 updated replicas)"),
    ]
    assert messages(after, replace(BASE, sync=SyncStatus.SYNCED)) == [
        (Severity.INFO, "sync OutOfSync → Synced"),
        (Severity.INFO, "health Progressing → Healthy"),  # no reason, no empty brackets
    ]


def test_an_app_error_and_its_end_are_events_too() -> None:
    failed = replace(BASE, sync=SyncStatus.UNKNOWN, error="orders: apps/orders/kustomization.yaml: not found\nmore")
    assert messages(BASE, failed) == [
        (Severity.INFO, "sync Synced → Unknown"),
        (Severity.ERROR, failed.error),  # the error names the app and the file itself
    ]
    assert messages(failed, BASE)[-1] == (
        Severity.INFO,
        "error cleared (was: orders: apps/orders/kustomization.yaml: not found)",
    )


def test_every_transition_without_a_reason_fits_an_80_column_event_log() -> None:
    for old, new in itertools.permutations(SyncStatus, 2):
        [(_, text)] = messages(replace(BASE, sync=old), replace(BASE, sync=new))
        assert text.startswith("sync ") and "orders" not in text
        assert len(text) <= MESSAGE_ROOM_AT_80_COLUMNS, text
    for old, new in itertools.permutations(HealthStatus, 2):
        [(_, text)] = messages(replace(BASE, health=Health(old)), replace(BASE, health=Health(new)))
        assert text.startswith("health ") and "orders" not in text
        assert len(text) <= MESSAGE_ROOM_AT_80_COLUMNS, text


def test_no_change_no_event() -> None:
    assert messages(BASE, replace(BASE, compared_at=datetime.now(UTC))) == []
