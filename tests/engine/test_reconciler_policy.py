"""Pure parts of the reconciler: the auto-sync policy table, the event log and transitions, the change feed."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import pytest

from gitops_tui.engine.auto_sync import AutoSyncMemory, AutoSyncPolicy
from gitops_tui.engine.change_feed import ChangeFeed
from gitops_tui.engine.events import EventLog, record_transitions
from gitops_tui.model import (
    AppSource,
    AppSpec,
    AppState,
    Changes,
    CommitInfo,
    Destination,
    Health,
    HealthStatus,
    ResourceKey,
    ResourceState,
    Severity,
    SyncPolicy,
    SyncStatus,
)

SPEC = AppSpec("guestbook", AppSource("file:///repo.git", "guestbook"), Destination(name="in-cluster"))
REV_A = CommitInfo("a" * 40, "Ada", "ada@example.test", datetime(2026, 1, 1, tzinfo=UTC), "first")
REV_B = CommitInfo("b" * 40, "Ada", "ada@example.test", datetime(2026, 1, 2, tzinfo=UTC), "second")
WEB = ResourceKey("apps", "Deployment", "guestbook", "web")
OLD = ResourceKey("", "ConfigMap", "guestbook", "old")

IN_SYNC = ResourceState(WEB, SyncStatus.SYNCED)
DRIFTED = ResourceState(WEB, SyncStatus.OUT_OF_SYNC, reason="differs from Git")
EXTRA = ResourceState(OLD, SyncStatus.OUT_OF_SYNC, reason="requires pruning", requires_pruning=True, in_git=False)


def state(
    sync: SyncStatus, *resources: ResourceState, revision: CommitInfo | None = REV_A, error: str = ""
) -> AppState:
    return AppState(SPEC, sync, Health(HealthStatus.HEALTHY), revision, tuple(resources), error, datetime.now(UTC))


AUTO = SyncPolicy(automated=True)
AUTO_HEAL = SyncPolicy(automated=True, self_heal=True)
AUTO_PRUNE = SyncPolicy(automated=True, prune=True)
AUTO_PRUNE_EMPTY = SyncPolicy(automated=True, prune=True, allow_empty=True)
TRIED_A = AutoSyncMemory(REV_A.sha, False, 0, 100.0)
FAILED_A = AutoSyncMemory(REV_A.sha, True, 0, 100.0)
OOS = state(SyncStatus.OUT_OF_SYNC, DRIFTED)

# (policy, state, memory, now, enabled, running) → (sync?, prune?, self-heal?, reason contains)
TABLE = [
    ("not automated", SyncPolicy(), OOS, AutoSyncMemory(), 0, True, False, (False, False, False, "not configured")),
    ("switched off", AUTO, OOS, AutoSyncMemory(), 0, False, False, (False, False, False, "switched off")),
    ("operation running", AUTO, OOS, AutoSyncMemory(), 0, True, True, (False, False, False, "running")),
    (
        "synced",
        AUTO,
        state(SyncStatus.SYNCED, IN_SYNC),
        AutoSyncMemory(),
        0,
        True,
        False,
        (False, False, False, "Synced"),
    ),
    (
        "not comparable",
        AUTO,
        state(SyncStatus.UNKNOWN, error="render failed"),
        AutoSyncMemory(),
        0,
        True,
        False,
        (False, False, False, "could not be compared"),
    ),
    ("new revision", AUTO, OOS, AutoSyncMemory(), 0, True, False, (True, False, False, "new revision aaaaaaa")),
    (
        "new revision, prune",
        AUTO_PRUNE,
        state(SyncStatus.OUT_OF_SYNC, DRIFTED, revision=REV_B),
        TRIED_A,
        0,
        True,
        False,
        (True, True, False, "new revision bbbbbbb"),
    ),
    (
        "failed revision never retried",
        AUTO_HEAL,
        OOS,
        FAILED_A,
        10_000,
        True,
        False,
        (False, False, False, "not retried automatically"),
    ),
    (
        "failed, then a newer revision",
        AUTO,
        state(SyncStatus.OUT_OF_SYNC, DRIFTED, revision=REV_B),
        FAILED_A,
        0,
        True,
        False,
        (True, False, False, "new revision bbbbbbb"),
    ),
    ("drift without selfHeal", AUTO, OOS, TRIED_A, 10_000, True, False, (False, False, False, "selfHeal is off")),
    ("self-heal backs off 2 s", AUTO_HEAL, OOS, TRIED_A, 101.0, True, False, (False, False, False, "backs off")),
    ("self-heal due", AUTO_HEAL, OOS, TRIED_A, 102.0, True, False, (True, False, True, "self-heal")),
    (
        "second heal waits 6 s",
        AUTO_HEAL,
        OOS,
        AutoSyncMemory(REV_A.sha, False, 1, 100.0),
        105.0,
        True,
        False,
        (False, False, False, "backs off"),
    ),
    (
        "second heal due",
        AUTO_HEAL,
        OOS,
        AutoSyncMemory(REV_A.sha, False, 1, 100.0),
        106.0,
        True,
        False,
        (True, False, True, "self-heal"),
    ),
    (
        "heal capped at 300 s",
        AUTO_HEAL,
        OOS,
        AutoSyncMemory(REV_A.sha, False, 9, 100.0),
        400.0,
        True,
        False,
        (True, False, True, "self-heal"),
    ),
    (
        "allowEmpty guard",
        AUTO_PRUNE,
        state(SyncStatus.OUT_OF_SYNC, EXTRA),
        AutoSyncMemory(),
        0,
        True,
        False,
        (False, False, False, "allowEmpty is off"),
    ),
    (
        "allowEmpty on",
        AUTO_PRUNE_EMPTY,
        state(SyncStatus.OUT_OF_SYNC, EXTRA),
        AutoSyncMemory(),
        0,
        True,
        False,
        (True, True, False, "new revision"),
    ),
    (
        "only pruning, prune off",
        AUTO,
        state(SyncStatus.OUT_OF_SYNC, IN_SYNC, EXTRA),
        AutoSyncMemory(),
        0,
        True,
        False,
        (False, False, False, "automated prune is off"),
    ),
    (
        "pruning and drift, prune off",
        AUTO,
        state(SyncStatus.OUT_OF_SYNC, DRIFTED, EXTRA),
        AutoSyncMemory(),
        0,
        True,
        False,
        (True, False, False, "new revision"),
    ),
]


@pytest.mark.parametrize(
    ("policy", "app_state", "memory", "now", "enabled", "running", "expected"),
    [row[1:] for row in TABLE],
    ids=[row[0] for row in TABLE],
)
def test_auto_sync_decision(
    policy: SyncPolicy,
    app_state: AppState,
    memory: AutoSyncMemory,
    now: float,
    enabled: bool,
    running: bool,
    expected: tuple[bool, bool, bool, str],
) -> None:
    decision = AutoSyncPolicy().decide(policy, app_state, memory, now, enabled=enabled, operation_running=running)
    sync, prune, heal, reason = expected
    assert (decision.sync, decision.prune, decision.self_heal) == (sync, prune, heal)
    assert reason in decision.reason


def test_heal_backoff_is_2s_times_3_up_to_300s() -> None:
    policy = AutoSyncPolicy()
    assert [policy.heal_delay(n) for n in range(7)] == [2, 6, 18, 54, 162, 300, 300]
    held = policy.decide(AUTO_HEAL, OOS, TRIED_A, 101.0)
    assert held.retry_at == pytest.approx(102.0)


def test_memory_follows_attempts_and_outcomes() -> None:
    policy = AutoSyncPolicy()
    memory = policy.attempted(AutoSyncMemory(), REV_A.sha, 10.0, self_heal=False)
    assert memory == AutoSyncMemory(REV_A.sha, False, 0, 10.0)
    memory = policy.attempted(memory, REV_A.sha, 12.0, self_heal=True)
    assert (memory.heal_attempts, memory.last_attempt_at) == (1, 12.0)
    memory = policy.finished(memory, REV_A.sha, succeeded=False)
    assert memory.attempt_failed
    assert not policy.decide(AUTO_HEAL, OOS, memory, 1_000.0).sync
    memory = policy.attempted(memory, REV_B.sha, 20.0, self_heal=False)  # a new revision starts afresh
    assert memory == AutoSyncMemory(REV_B.sha, False, 0, 20.0)
    # A manual sync to another revision counts as that revision's attempt.
    assert policy.finished(memory, REV_A.sha, succeeded=True).attempted_revision == REV_A.sha


def test_transitions_become_events() -> None:
    log = EventLog()
    before = state(SyncStatus.SYNCED, IN_SYNC)
    degraded = Health(
        HealthStatus.DEGRADED, 'Deployment guestbook/web: Deployment "web" exceeded its progress deadline'
    )
    after = AppState(SPEC, SyncStatus.OUT_OF_SYNC, degraded, REV_A, (DRIFTED,), "", datetime.now(UTC))
    record_transitions(log, before, after)
    record_transitions(log, after, after)  # no change, no event
    events = log.since()
    assert [(e.app, e.severity, e.message) for e in events] == [
        ("guestbook", Severity.WARNING, "sync Synced → OutOfSync"),
        (
            "guestbook",
            Severity.ERROR,
            'health Healthy → Degraded (Deployment guestbook/web: Deployment "web" exceeded its progress deadline)',
        ),
    ]
    assert [e.seq for e in events] == [1, 2]
    failed = AppState(SPEC, SyncStatus.UNKNOWN, degraded, REV_A, (DRIFTED,), "app 'guestbook': a.yaml: bad")
    record_transitions(log, after, failed)
    assert log.since(2)[-1].message == "app 'guestbook': a.yaml: bad"
    assert log.since(2)[-1].severity is Severity.ERROR


def test_event_log_keeps_the_newest_and_reads_since() -> None:
    log = EventLog(size=5)
    for n in range(12):
        log.info("a" if n % 2 else "b", f"event {n}")
    assert len(log) == 5
    assert [e.message for e in log.since()] == [f"event {n}" for n in range(7, 12)]
    assert [e.message for e in log.since(10)] == ["event 10", "event 11"]
    assert [e.message for e in log.since(0, app="a")] == ["event 7", "event 9", "event 11"]
    assert log.since(12) == []


async def test_change_feed_coalesces_a_burst_into_few_deliveries() -> None:
    feed = ChangeFeed(min_interval=0.05)
    seen: list[tuple[float, Changes]] = []
    feed.subscribe(lambda changes: seen.append((time.monotonic(), changes)))
    iterator = feed.subscribe()
    for n in range(1_000):
        feed.app_changed(f"app-{n % 100}")
    feed.events_recorded()
    first = await asyncio.wait_for(anext(iterator), 1)
    assert first == Changes(frozenset(f"app-{n}" for n in range(100)), events=True)
    feed.app_changed("late")
    second = await asyncio.wait_for(anext(iterator), 1)
    assert second.apps == {"late"} and not second.events
    assert len(seen) == 2 and seen[1][0] - seen[0][0] >= 0.045
    feed.close()
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(anext(iterator), 1)
