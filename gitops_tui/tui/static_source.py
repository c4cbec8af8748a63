"""`StaticSource`: the reconciler's public API answered from values held in memory, at a fixed clock.

The console's snapshot tests, its benchmark and the README's screenshots (screenshots.py) drive the real
console with it: states, events, diffs (real engine diffs of the objects it holds), plans, histories and
trees, and the commands it received, for tests to look at.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from gitops_tui.engine.diff import ResourceDiff, compare_resource
from gitops_tui.engine.masking import SecretMasker
from gitops_tui.engine.reconciler import ReadOnlyModeError, ReconcilerError, SyncRequest, UnknownAppError
from gitops_tui.engine.resource_tree import TreeNode
from gitops_tui.engine.sync_plan_model import SyncPlan
from gitops_tui.engine.sync_preview import preview_plan
from gitops_tui.model import (
    AppActivity,
    AppState,
    Changes,
    ClusterFreshness,
    Event,
    HistoryEntry,
    Operation,
    OperationPhase,
    ResourceKey,
    SyncStatus,
)

NOW = datetime(2026, 11, 26, 14, 30, 0, tzinfo=UTC)


def fixed_clock() -> datetime:
    return NOW


@dataclass
class _Subscription:
    source: StaticSource
    callback: Callable[[Changes], None] | None

    def close(self) -> None:
        if self in self.source.subscriptions:
            self.source.subscriptions.remove(self)


@dataclass
class StaticSource:
    """The reconciler's public API over values held in memory (tests, screenshots, the benchmark)."""

    states: dict[str, AppState]
    event_log: list[Event] = field(default_factory=list)
    clusters: list[ClusterFreshness] = field(default_factory=list)
    objects: dict[tuple[str, ResourceKey], tuple[dict[str, Any] | None, dict[str, Any] | None]] = field(
        default_factory=dict
    )
    """(live, desired) per app and resource, for diffs."""
    histories: dict[str, list[HistoryEntry]] = field(default_factory=dict)
    revisions: dict[tuple[str, str], list[tuple[dict[str, Any] | None, dict[str, Any] | None]]] = field(
        default_factory=dict
    )
    """(live now, desired at that revision) per app and revision, for the rollback dialog's diff."""
    revisions_asked: list[str] = field(default_factory=list)
    """Revisions whose diff was asked for, in order (tests of the dialog's debounce)."""
    read_only: bool = False
    auto_off: set[str] = field(default_factory=set)
    operations: dict[str, Operation] = field(default_factory=dict)
    subscriptions: list[_Subscription] = field(default_factory=list)
    calls: list[tuple[str, ...]] = field(default_factory=list)
    """Commands received, for tests: ("sync", "web", "prune")."""
    trees: dict[tuple[str, ResourceKey], list[TreeNode]] = field(default_factory=dict)
    """What controllers made below a resource (ReplicaSets, Pods), per app and resource."""

    async def start(self) -> None: ...
    async def stop(self) -> None: ...

    def snapshot(self) -> Mapping[str, AppState]:
        return dict(self.states)

    def subscribe(self, callback: Callable[[Changes], None] | None = None) -> _Subscription:
        subscription = _Subscription(self, callback)
        self.subscriptions.append(subscription)
        return subscription

    def publish(self, states: Iterable[AppState] = (), events: Iterable[Event] = ()) -> None:
        """Change some apps and record events, then tell subscribers (as the reconciler's feed does)."""
        names = set()
        for state in states:
            self.states[state.name] = state
            names.add(state.name)
        fresh = list(events)
        for event in fresh:
            self.event_log.append(replace(event, seq=len(self.event_log) + 1))
        for subscription in list(self.subscriptions):
            if subscription.callback is not None:
                subscription.callback(Changes(frozenset(names), bool(fresh), False))

    def events(self, since: int = 0, app: str | None = None) -> list[Event]:
        return [e for e in self.event_log if e.seq > since and (app is None or e.app == app)]

    def freshness(self) -> list[ClusterFreshness]:
        return list(self.clusters)

    def _state(self, app: str) -> AppState:
        if app not in self.states:
            raise UnknownAppError(f"no app named {app!r}")
        return self.states[app]

    def activity(self, app: str) -> AppActivity:
        policy = self._state(app).spec.sync_policy
        note = "" if policy.automated else "automated sync is not configured"
        if app in self.auto_off:
            note = "automated sync switched off by the user"
        return AppActivity(
            NOW + timedelta(seconds=92),
            NOW - timedelta(seconds=28),
            policy.automated and app not in self.auto_off,
            note,
            self.operations.get(app),
        )

    async def diff(self, app: str, key: ResourceKey) -> ResourceDiff | None:
        live, desired = self.objects.get((app, key), (None, None))
        if live is None and desired is None:
            return None
        return compare_resource(key, desired, live, masker=SecretMasker())

    async def history(self, app: str) -> Sequence[HistoryEntry]:
        return list(self.histories.get(app, []))

    async def revision_diff(self, app: str, revision: str) -> list[ResourceDiff]:
        """What rolling back to `revision` changes: the engine's diff of each (live, desired then) pair."""
        self.revisions_asked.append(revision)
        pairs = self.revisions.get((app, revision))
        if pairs is None:
            raise ReconcilerError(f"{app}: cannot render revision {revision[:7]}: no such commit in the repository")
        diffs = [
            compare_resource(ResourceKey.of(desired or live or {}), desired, live, masker=SecretMasker())
            for live, desired in pairs
        ]
        return [d for d in diffs if d.status is not SyncStatus.SYNCED]

    def resource_tree(self, app: str, key: ResourceKey) -> list[TreeNode]:
        self._state(app)
        return list(self.trees.get((app, key), []))

    async def plan(self, app: str, request: SyncRequest | None = None) -> SyncPlan:
        """The engine's own plan over the fleet's objects (desired from Git, live from the cluster)."""
        state = self._state(app)
        pairs = [pair for (owner, _), pair in self.objects.items() if owner == app]
        desired = [dict(d) for _, d in pairs if d is not None]
        live = {ResourceKey.of(obj): obj for obj, _ in pairs if obj is not None}
        return preview_plan(state, desired, live, request or SyncRequest())

    def terminate(self, app: str) -> Operation | None:
        operation = self.operations.get(app)
        if operation is None or operation.phase.completed:
            return None
        self.calls.append(("terminate", app))
        stopping = replace(
            operation, phase=OperationPhase.TERMINATING, message="terminating: stops after the current step"
        )
        self.operations[app] = stopping
        self.publish([self._state(app)])
        return stopping

    def refresh(self, app: str, hard: bool = False) -> Awaitable[AppState]:
        self.calls.append(("refresh", app, "hard" if hard else ""))
        future: asyncio.Future[AppState] = asyncio.get_running_loop().create_future()
        future.set_result(self._state(app))
        return future

    async def sync(self, app: str, request: SyncRequest | None = None) -> Operation:
        request = request or SyncRequest()
        if self.read_only and not request.dry_run:
            raise ReadOnlyModeError(f"read-only mode: refusing to sync {app}")
        state = self._state(app)
        self.calls.append(("sync", app, "prune" if request.prune else ""))
        operation = Operation(
            len(self.calls),
            app,
            "sync",
            state.revision.sha if state.revision else "",
            "user",
            NOW,
            prune=request.prune,
            dry_run=request.dry_run,
        )
        self.operations[app] = operation
        self.publish([state])  # as the reconciler's feed says an operation started
        return operation

    async def rollback(self, app: str, history_id: int) -> Operation:
        if self.read_only:
            raise ReadOnlyModeError(f"read-only mode: refusing to roll {app} back")
        self.calls.append(("rollback", app, str(history_id)))
        self.auto_off.add(app)
        entry = next(e for e in self.histories.get(app, []) if e.id == history_id)
        operation = Operation(len(self.calls), app, "rollback", entry.revision, "user", NOW)
        self.operations[app] = operation
        return operation

    def set_auto_sync(self, app: str, enabled: bool) -> None:
        if self.read_only:
            raise ReadOnlyModeError(f"read-only mode: refusing to switch auto-sync for {app}")
        self.calls.append(("auto-sync", app, "on" if enabled else "off"))
        (self.auto_off.discard if enabled else self.auto_off.add)(app)
