"""Running sync and rollback operations for the reconciler: the bookkeeping around a `SyncExecutor`.

The executor (engine/sync.py `SyncRunner`, plugged in by engine/console.py) writes; this module keeps one
operation per app, records events, remembers automated attempts, records history on success, and wakes
the app for a compare. Each job hands the executor the cluster's watch cache (its waits read it) and a
callback that turns what its applies returned into the compare's predictions. Without an executor,
`start` raises NotImplementedError and automated syncs are recorded as failed attempts.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from gitops_tui.engine.app_worker import AppWorker, run_in
from gitops_tui.engine.change_feed import ChangeFeed
from gitops_tui.engine.desired import DesiredSet, build_desired
from gitops_tui.engine.events import EventLog
from gitops_tui.engine.history import rollback_target
from gitops_tui.engine.operations import (
    HistoryStore,
    OperationBook,
    OperationInProgressError,
    ReconcilerError,
    SyncExecutor,
    SyncJob,
    SyncRequest,
)
from gitops_tui.model import Operation, OperationPhase, ResourceKey
from gitops_tui.source.errors import GitError, RenderError

if TYPE_CHECKING:
    from gitops_tui.engine.reconciler import Reconciler

log = logging.getLogger(__name__)

NO_EXECUTOR = (
    "sync execution is not available yet: engine/sync.py has not landed. The reconciler runs it "
    "once a SyncExecutor is passed as Reconciler(executor=...)"
)


class OperationsRunner:
    def __init__(
        self,
        reconciler: Reconciler,
        executor: SyncExecutor | None,
        history: HistoryStore,
        events: EventLog,
        feed: ChangeFeed,
    ) -> None:
        self._reconciler = reconciler
        self._executor = executor
        self._history = history
        self._events = events
        self._feed = feed
        self.book = OperationBook(self._on_change)
        self._tasks: dict[str, asyncio.Task[object]] = {}

    def running(self, app: str) -> Operation | None:
        return self.book.running(app)

    def latest(self, app: str) -> Operation | None:
        return self.book.latest(app)

    async def start(self, worker: AppWorker, kind: str, request: SyncRequest) -> Operation:
        if self._executor is None:
            raise NotImplementedError(NO_EXECUTOR)
        running = self.book.running(worker.name)
        if running is not None:  # name it, so the user knows what to wait for or terminate
            state = (
                "is queued (" + running.message.removeprefix("queued: ") + ")"
                if running.message.startswith("queued:")
                else "is already running"
            )
            raise OperationInProgressError(
                f"{worker.name}: {describe_operation(running)} {state}; wait for it or terminate it first"
            )
        runtime = worker.runtime
        if runtime is None:
            raise ReconcilerError(worker.destination_error or f"{worker.name}: no cluster to sync to")
        desired = await self.desired_at(worker, request.revision)
        operation = self.book.begin(worker.name, kind, desired.revision.sha, request)
        keys = {item.key for item in desired.items} | runtime.cache.store.keys_by_app(worker.name)
        live = {key: obj for key in keys if (obj := runtime.cache.get(key)) is not None}
        job = SyncJob(
            operation,
            worker.spec,
            desired.revision,
            tuple(i.as_desired_object() for i in desired.items),
            live,
            request,
            runtime.client,
            self.book.update,
            runtime.cache,
            _prediction_seeder(worker, desired),
        )
        self._tasks[worker.name] = self._reconciler._spawn(self._run(worker, job), f"{kind} {worker.name}")
        return operation

    async def settled(self, app: str) -> None:
        """Wait for the app's last operation to be fully done: the book shows it completed as soon as the
        executor ends, but history is recorded after that, and a one-shot command must not stop before it."""
        task = self._tasks.get(app)
        if task is not None and not task.done():
            await asyncio.wait([task])

    async def rollback(self, worker: AppWorker, history_id: int | None, prune: bool = False) -> Operation:
        """Roll back to entry `history_id`, by default to the one before the latest."""
        entries = await self._history.entries(worker.spec)
        try:
            entry = rollback_target(entries, history_id)
        except ReconcilerError as exc:
            raise ReconcilerError(f"{worker.name}: {exc.message}") from None
        operation = await self.start(worker, "rollback", SyncRequest(revision=entry.revision, prune=prune))
        note = f"paused after rollback to {entry.revision[:7]}: resume auto-sync to follow Git again"
        worker.auto_override, worker.auto_note = False, note
        self._events.warning(worker.name, "automated sync paused by the rollback")
        await self._call_history(worker, "pause_auto_sync", note)
        return operation

    # A history store may keep the pause durably (engine/history.py does, beside the entries), so that it
    # survives a restart; these optional methods are used where the store has them.

    async def load_pause(self, worker: AppWorker) -> None:
        """Read a persisted pause before the app's first automated sync may run."""
        try:
            pause = await self._call_history(worker, "auto_sync_pause")
            if pause is not None and worker.auto_override is None:
                worker.auto_override = False
                worker.auto_note = str(getattr(pause, "reason", "") or "paused after a rollback")
        finally:
            worker.pause_checked = True
        self._reconciler._consider_auto_sync(worker)

    async def resume(self, worker: AppWorker) -> None:
        await self._call_history(worker, "resume_auto_sync")

    async def _call_history(self, worker: AppWorker, method: str, *args: object) -> object:
        found = getattr(self._history, method, None)
        if found is None:
            return None
        try:
            return await found(worker.spec, *args)
        except Exception as exc:  # the pause is a convenience around the sync, never a reason to fail it
            log.warning("history %s for %s failed: %s", method, worker.name, exc)
            self._events.warning(worker.name, f"could not {method.replace('_', ' ')}: {exc}")
            return None

    async def desired_at(self, worker: AppWorker, revision: str) -> DesiredSet:
        """The app rendered at `revision` (Git's target when empty): what a sync or a rollback applies."""
        current = worker.desired
        if current is not None and (not revision or revision in (current.revision.sha, current.revision.short_sha)):
            return current
        if not revision:
            raise ReconcilerError(worker.source_error or f"{worker.name}: nothing rendered to sync yet")
        pools = self._reconciler._pools
        assert pools is not None
        mirror = self._reconciler.pool.get(worker.spec.source.repo_url)
        try:
            commit = await run_in(pools.git, mirror.resolve, revision)
            result = await run_in(pools.git, self._reconciler.renderer.render, worker.spec, commit.sha)
        except (GitError, RenderError) as exc:
            raise ReconcilerError(exc.message) from exc
        mapper = worker.runtime.client.mapper if worker.runtime is not None else None
        return await run_in(pools.git, build_desired, worker.spec, commit, result.objects, mapper, result.warnings)

    async def _run(self, worker: AppWorker, job: SyncJob) -> None:
        assert self._executor is not None
        try:
            done = await self._executor.run(job)
        except asyncio.CancelledError:
            self.book.finish(job.operation, OperationPhase.ERROR, "cancelled: the console stopped")
            raise
        except Exception as exc:
            log.exception("the sync executor failed on %s", worker.name)
            done = self.book.finish(job.operation, OperationPhase.ERROR, f"the sync could not run: {exc}")
        if not done.phase.completed:
            done = self.book.finish(done, OperationPhase.ERROR, "the executor returned a running operation")
        else:
            done = self.book.finish(done, done.phase)  # stamps finished_at when the executor did not
        succeeded = done.phase is OperationPhase.SUCCEEDED
        if not done.dry_run:
            policy = self._reconciler.settings.auto_sync
            worker.auto_memory = policy.finished(worker.auto_memory, done.revision, succeeded=succeeded)
        if succeeded and not done.dry_run and job.request.resources is None:
            try:
                await self._history.record(worker.spec, done, job.revision)
            except Exception as exc:  # history is a record of the sync, not part of it
                log.exception("recording history of %s failed", worker.name)
                self._events.warning(worker.name, f"the sync is not in the history: {exc}")
        self._reconciler._mark_dirty(worker.name)
        # A new revision (or drift) that arrived while this operation ran was held back by it: decide again
        # now, or the app would wait for its next state change to follow Git.
        self._reconciler._consider_auto_sync(worker)

    def _on_change(self, operation: Operation, before: Operation | None) -> None:
        name = operation.app
        what = f"{'dry-run ' if operation.dry_run else ''}{operation.kind} to {operation.revision[:7]}"
        if before is None:
            self._events.info(name, f"{what} started ({operation.initiated_by})")
        elif operation.phase.completed and not before.phase.completed:
            text = f"{what}: {operation.phase.value}" + (f": {operation.message}" if operation.message else "")
            if operation.phase is OperationPhase.SUCCEEDED:
                self._events.info(name, text)
            else:
                self._events.error(name, text)
        self._feed.app_changed(name)


def _prediction_seeder(worker: AppWorker, desired: DesiredSet) -> Callable[[ResourceKey, Mapping[str, Any]], None]:
    """What the sync's applies returned becomes the compare's prediction: the compare after a first sync of
    20 resources then makes no dry-run for the 17 that nothing else changes (the Deployment's controller
    moves its resourceVersion on, so it is predicted again). Called from the executor's worker thread: it only
    sets one entry of the comparer's prediction dict, which is safe there."""
    digests = {item.key: item.digest for item in desired.items}

    def seed(key: ResourceKey, written: Mapping[str, Any]) -> None:
        digest = digests.get(key)
        if digest is not None:
            worker.comparer.remember_written(key, digest, written)

    return seed


async def release_leases(executor: SyncExecutor | None) -> None:
    """On stop: give back the Leases the executor holds (engine/lease.py), when it holds any."""
    leases = getattr(executor, "leases", None)
    if leases is None:
        return
    try:
        await leases.release_all()
    except Exception:  # they expire by themselves: never let this keep the console from stopping
        log.exception("releasing leases failed")


def describe_operation(operation: Operation) -> str:
    """`sync #3 to 1a2b3c4 (user, started 18:30:02 UTC)`: how refusals name a running operation."""
    revision = f" to {operation.revision[:7]}" if operation.revision else ""
    return (
        f"{operation.kind} #{operation.id}{revision} ({operation.initiated_by}, started "
        f"{operation.started_at:%H:%M:%S} UTC)"
    )


def with_phase(operation: Operation, phase: OperationPhase, message: str = "") -> Operation:
    """For executors: the operation in a new phase (`update` it, or return it finished)."""
    return dataclasses.replace(operation, phase=phase, message=message or operation.message)
