"""Sync and rollback operations: the request, the plug points for execution and history, the bookkeeping.

Execution (engine/sync.py) and history (engine/history.py) are written elsewhere; the reconciler talks
to them only through `SyncExecutor` and `HistoryStore`, so they plug in without touching the loop.
`OperationBook` keeps one running operation per app and the last finished one, and tells the reconciler
(events, subscribers, the auto-sync policy, history) when one starts and ends.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from gitops_tui.cluster.cache import LiveCache
from gitops_tui.cluster.client import ClusterClient
from gitops_tui.engine.app_compare import DesiredObject
from gitops_tui.model import AppSpec, CommitInfo, HistoryEntry, Operation, OperationPhase, ResourceKey


class ReconcilerError(Exception):
    """A command the reconciler refuses; `.message` says why in words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ReadOnlyModeError(ReconcilerError):
    """The console runs read-only: every write path refuses."""


class UnknownAppError(ReconcilerError):
    pass


class OperationInProgressError(ReconcilerError):
    pass


@dataclass(frozen=True)
class SyncRequest:
    """What the user (or the auto-sync policy) asks a sync to do."""

    revision: str = ""
    """"" syncs the app's target revision as last resolved; else a branch, tag or SHA."""
    prune: bool = False
    dry_run: bool = False
    force: bool = False
    apply_out_of_sync_only: bool = False
    resources: frozenset[ResourceKey] | None = None
    """Selective sync: only these resources (no hooks run)."""
    initiated_by: str = "user"
    self_heal: bool = False


@dataclass(frozen=True)
class SyncJob:
    """Everything an executor needs to run one operation; it reports progress through `update`."""

    operation: Operation
    app: AppSpec
    revision: CommitInfo
    desired: tuple[DesiredObject, ...]
    live: Mapping[ResourceKey, Mapping[str, Any]]
    request: SyncRequest
    client: ClusterClient
    update: Callable[[Operation], None]
    cache: LiveCache | None = None
    """The reconciler's watch cache of the cluster: the executor's waits read it instead of polling."""
    on_written: Callable[[ResourceKey, Mapping[str, Any]], None] | None = None
    """Told each object a (non-dry-run) server-side apply returned: the compare reuses it as its prediction."""


class SyncExecutor(Protocol):
    async def run(self, job: SyncJob) -> Operation:
        """Apply (or dry-run) the job; returns the operation completed (Succeeded, Failed or Error)."""
        ...


class HistoryStore(Protocol):
    async def entries(self, app: AppSpec) -> Sequence[HistoryEntry]: ...

    async def record(self, app: AppSpec, operation: Operation, revision: CommitInfo) -> None: ...


class MemoryHistory:
    """History kept for the session only: what runs until engine/history.py keeps it in the cluster."""

    def __init__(self) -> None:
        self._entries: dict[str, list[HistoryEntry]] = {}
        self._ids = itertools.count(1)

    async def entries(self, app: AppSpec) -> Sequence[HistoryEntry]:
        return tuple(self._entries.get(app.name, ()))

    async def record(self, app: AppSpec, operation: Operation, revision: CommitInfo) -> None:
        entry = HistoryEntry(
            next(self._ids),
            revision.sha,
            operation.finished_at or datetime.now(UTC),
            operation.initiated_by,
            revision.author,
            revision.subject,
        )
        kept = [*self._entries.get(app.name, []), entry]
        self._entries[app.name] = kept[-max(app.revision_history_limit, 1) :]


Listener = Callable[[Operation, Operation | None], None]
"""Called with (operation now, operation before) on every change; before is None when it starts."""


class OperationBook:
    def __init__(self, on_change: Listener) -> None:
        self._ids = itertools.count(1)
        self._current: dict[str, Operation] = {}
        self._on_change = on_change

    def running(self, app: str) -> Operation | None:
        found = self._current.get(app)
        return found if found is not None and not found.phase.completed else None

    def latest(self, app: str) -> Operation | None:
        return self._current.get(app)

    def begin(self, app: str, kind: str, revision: str, request: SyncRequest) -> Operation:
        if self.running(app) is not None:
            raise OperationInProgressError(f"{app}: an operation is already running")
        operation = Operation(
            next(self._ids),
            app,
            kind,
            revision,
            request.initiated_by,
            datetime.now(UTC),
            dry_run=request.dry_run,
            prune=request.prune,
        )
        self._current[app] = operation
        self._on_change(operation, None)
        return operation

    def update(self, operation: Operation) -> None:
        before = self._current.get(operation.app)
        if before is None or before.id != operation.id or before.phase.completed:
            return  # a late report from an operation already finished: the book keeps the final word
        self._current[operation.app] = operation
        self._on_change(operation, before)

    def finish(self, operation: Operation, phase: OperationPhase, message: str = "") -> Operation:
        done = replace(
            operation,
            phase=phase,
            message=message or operation.message,
            finished_at=operation.finished_at or datetime.now(UTC),
        )
        self.update(done)
        return done
