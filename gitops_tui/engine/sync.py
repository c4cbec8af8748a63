"""Sync execution: walk a `SyncPlan` against the cluster, wave by wave, and report as it goes.

`SyncRunner` is the `SyncExecutor` the reconciler plugs in (`Reconciler(executor=SyncRunner(...))`). For
one `SyncJob` it:

- refuses a second operation on an app while one runs, naming the running one;
- lets at most `operations_per_cluster` operations per cluster write at once (and a looser number be under
  way); the others queue (sync_slots.py);
- takes the app's Lease (engine/lease.py) before writing, renews it while it runs, gives it back after;
- plans (`plan_sync`) and walks the plan (`sync_walk.PlanWalker`): namespace first, then per (phase, wave)
  prunes, applies and hooks in plan order, waiting for the wave to be healthy before the next; SyncFail
  hooks only when the sync failed;
- retries a failed sync per `syncPolicy.retry` (5 s x 2 up to 3 min by default), planning again from what
  the cluster now holds;
- reports every change through `job.update`: the phase, a message saying what it does or waits for, and a
  `ResourceResult` per resource.

`terminate(app)` stops a running sync between steps (Terminating, then Failed "terminated by user").
Cancelling the task that awaits `run` (the reconciler's `stop()`) records the operation as Interrupted,
never as succeeded, and still gives the lease back. A dry run takes no lease and writes nothing: every
apply and delete is a server-side dry run.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from gitops_tui.cluster.client import ClusterClient
from gitops_tui.cluster.errors import ClusterError, NotFoundError
from gitops_tui.engine.lease import LeaseGrant, LeaseHeldError, LeaseManager
from gitops_tui.engine.operations import OperationInProgressError, ReconcilerError, SyncJob, SyncRequest
from gitops_tui.engine.sync_plan import SyncOptions, plan_sync
from gitops_tui.engine.sync_slots import DEFAULT_IN_FLIGHT, DEFAULT_WRITERS, ClusterSlots, Slot
from gitops_tui.engine.sync_threads import in_sync_thread
from gitops_tui.engine.sync_waits import SyncStopped, WaitSettings, sleep_unless_stopped
from gitops_tui.engine.sync_walk import PlanWalker, WalkOutcome
from gitops_tui.engine.sync_watch import reader_for
from gitops_tui.model import AppSpec, Operation, OperationPhase, ResourceKey, ResourceResult, RetryStrategy

log = logging.getLogger(__name__)

TERMINATED = "terminated by user"
INTERRUPTED = "interrupted: the console stopped while the sync ran; what it wrote may be incomplete"


@dataclass(frozen=True)
class SyncSettings:
    wait: WaitSettings = field(default_factory=WaitSettings)
    lease_release_timeout: float = 5.0
    """Longest a finishing (or interrupted) sync waits to give its lease back; it expires by itself anyway."""
    operations_per_cluster: int = DEFAULT_WRITERS
    """Operations writing to one cluster at once; more wait their turn, saying so (engine/sync_slots.py)."""
    operations_in_flight_per_cluster: int = DEFAULT_IN_FLIGHT
    """Operations under way on one cluster at all, those waiting for health included."""


class OperationControl:
    """One running operation: its latest state, its results, and whether it has been asked to stop."""

    def __init__(self, job: SyncJob) -> None:
        self.job = job
        self.operation = dataclasses.replace(job.operation, phase=OperationPhase.RUNNING, results=())
        self.results: list[ResourceResult] = []
        self.stop_reason = ""
        self.grant: LeaseGrant | None = None
        self.wakers: set[asyncio.Event] = set()
        """The events the sync's waits sleep on: set on terminate, so a wait notices at once."""
        self.slot: Slot | None = None
        """Its place among the cluster's writers (sync_slots.py), given back while it only waits."""

    @contextlib.asynccontextmanager
    async def waiting(self) -> AsyncIterator[None]:
        """Around a wait that writes nothing: the slot goes back meanwhile, so other apps can write, and the
        Lease is only held (renewed rarely, lease.py) until the operation writes again."""
        grant = self.grant
        if grant is not None:
            grant.writers = max(grant.writers - 1, 0)
        try:
            async with self.slot.away() if self.slot is not None else contextlib.nullcontext():
                yield
        finally:
            if grant is not None:
                grant.writers += 1

    async def writing(self) -> None:
        """Before a write: take a writer's place again if a wait gave it back; SyncStopped when the operation
        was stopped while it queued for it."""
        if self.slot is not None and not self.slot.held:
            stopped = await self.slot.take()
            if stopped:
                raise SyncStopped(stopped)

    def wake(self) -> None:
        """Wake every wait of the operation to look at `should_stop` (a terminate, a lost lease)."""
        for event in list(self.wakers):
            event.set()

    def should_stop(self) -> str:
        if self.stop_reason:
            return self.stop_reason
        if self.grant is not None and self.grant.lost:
            return self.grant.lost
        return ""

    def emit(self, **changes: Any) -> Operation:
        if self.operation.phase.completed:
            return self.operation  # the final word is said once
        if self.stop_reason and changes.get("phase") in (None, OperationPhase.RUNNING):
            changes["phase"] = OperationPhase.TERMINATING  # keep saying so until it has stopped
            changes.setdefault("message", self.operation.message)
        self.operation = dataclasses.replace(self.operation, results=tuple(self.results), **changes)
        try:
            self.job.update(self.operation)
        except Exception:  # a listener's bug must not break the sync it listens to
            log.exception("operation listener failed")
        return self.operation

    def report(self, message: str) -> None:
        self.emit(message=message)

    def add(self, result: ResourceResult) -> int:
        self.results.append(result)
        self.emit()
        return len(self.results) - 1

    def replace(self, index: int, **changes: Any) -> None:
        self.results[index] = dataclasses.replace(self.results[index], **changes)
        self.emit()

    def finish(self, phase: OperationPhase, message: str) -> Operation:
        return self.emit(phase=phase, message=message, finished_at=datetime.now(UTC))


class SyncRunner:
    def __init__(self, *, leases: LeaseManager | None = None, settings: SyncSettings | None = None) -> None:
        """Without `leases`, nothing keeps another console out (tests, single-user setups)."""
        self.leases = leases
        self.settings = settings or SyncSettings()
        self.slots = ClusterSlots(self.settings.operations_per_cluster, self.settings.operations_in_flight_per_cluster)
        self._controls: dict[str, OperationControl] = {}

    def running(self, app: str) -> Operation | None:
        control = self._controls.get(app)
        return control.operation if control is not None else None

    def terminate(self, app: str) -> Operation | None:
        """Ask the app's running operation to stop after its current step; None when nothing runs."""
        control = self._controls.get(app)
        if control is None or control.operation.phase.completed:
            return None
        if not control.stop_reason:
            control.stop_reason = TERMINATED
            control.emit(phase=OperationPhase.TERMINATING, message="terminating: stops after the current step")
            control.wake()
        return control.operation

    async def run(self, job: SyncJob) -> Operation:
        """Run the job to its end; returns the operation Succeeded, Failed or Error (Interrupted if cancelled)."""
        app = job.app.name
        running = self._controls.get(app)
        if running is not None:
            raise OperationInProgressError(
                f"{app}: {_describe(running.operation)} is running; wait for it or terminate it first"
            )
        control = OperationControl(job)
        self._controls[app] = control
        try:
            return await self._run_controlled(job, control)
        except asyncio.CancelledError:
            control.finish(OperationPhase.INTERRUPTED, INTERRUPTED)
            raise
        except ReconcilerError as exc:
            return control.finish(OperationPhase.ERROR, exc.message)
        except ClusterError as exc:
            return control.finish(OperationPhase.ERROR, exc.message)
        finally:
            if self._controls.get(app) is control:
                del self._controls[app]

    async def _run_controlled(self, job: SyncJob, control: OperationControl) -> Operation:
        client, app = job.client, job.app.name
        dry_run = job.request.dry_run
        if not dry_run and client.settings.read_only:
            return control.finish(
                OperationPhase.ERROR, f"read-only mode: refusing to sync {app} on context {client.context}"
            )
        control.slot = self.slots.slot(
            client.context,
            should_stop=control.should_stop,
            wakers=control.wakers,
            check_every=self.settings.wait.idle_check,
            report=control.report,
        )
        try:
            stopped = await control.slot.take()
            if stopped:
                return control.finish(OperationPhase.FAILED, stopped)
            return await self._run_in_slot(job, control)
        finally:
            control.slot.leave()

    async def _run_in_slot(self, job: SyncJob, control: OperationControl) -> Operation:
        client, app = job.client, job.app.name
        dry_run = job.request.dry_run
        if self.leases is not None and not dry_run:
            control.report(f"taking the sync lease of {app}")
            try:
                control.grant = await self.leases.acquire(client, app, writing=True)
            except LeaseHeldError as exc:
                return control.finish(OperationPhase.ERROR, exc.message)
            if control.grant.note:
                control.report(control.grant.note)
            control.grant.on_lost.append(control.wake)
        try:
            return await self._attempts(job, control)
        except asyncio.CancelledError:
            control.finish(OperationPhase.INTERRUPTED, INTERRUPTED)  # said before the lease goes back
            raise
        finally:
            if control.grant is not None:
                with contextlib.suppress(ValueError):
                    control.grant.on_lost.remove(control.wake)
            if control.grant is not None and self.leases is not None:
                with contextlib.suppress(asyncio.TimeoutError, ClusterError):
                    await asyncio.wait_for(
                        asyncio.shield(self.leases.release(client, app, writing=True)),
                        self.settings.lease_release_timeout,
                    )

    async def _attempts(self, job: SyncJob, control: OperationControl) -> Operation:
        options = sync_options(job)
        retry = job.app.sync_policy.retry
        limit = 0 if retry is None or options.dry_run else max(retry.limit, 0)
        desired = [item.obj for item in job.desired]
        live: Mapping[ResourceKey, Mapping[str, Any]] = job.live
        attempt = 1
        while True:
            plan = plan_sync(job.app, desired, live, None, options)
            walker = PlanWalker(
                job.client, job.app.name, plan, live, control, self.settings.wait, reader_for(job.cache), job.on_written
            )
            outcome = await walker.walk()
            if outcome.ok:
                return control.finish(OperationPhase.SUCCEEDED, outcome.message)
            if outcome.stopped or attempt > limit:
                return control.finish(OperationPhase.FAILED, _failure_message(outcome, attempt))
            assert retry is not None
            delay = backoff_delay(retry, attempt)
            control.report(
                f"attempt {attempt} failed: {outcome.message}; retrying in {delay:g} s (retry {attempt} of {limit})"
            )
            async with control.waiting():  # a backoff writes nothing: other apps may write meanwhile
                stopped = await sleep_unless_stopped(delay, control.should_stop)
            if stopped:
                return control.finish(OperationPhase.FAILED, f"{stopped} (after attempt {attempt}: {outcome.message})")
            live = await in_sync_thread(read_live, job.client, [*live, *(i.key for i in job.desired)])
            control.results.clear()  # the results on show are the current attempt's
            attempt += 1


def sync_options(job: SyncJob) -> SyncOptions:
    """The plan's options for a job; rollbacks run without hooks."""
    return request_options(job.app, job.request, rollback=job.operation.kind == "rollback")


def request_options(app: AppSpec, request: SyncRequest, *, rollback: bool = False) -> SyncOptions:
    """The plan options a request means (the executor and the console's preview plan with the same ones)."""
    base = SyncOptions.from_app(app, automated=request.initiated_by == "automated")
    return dataclasses.replace(
        base,
        prune=request.prune,
        dry_run=request.dry_run,
        # Self-heal exists to put Git's values back over someone else's edit; that edit's field manager
        # owns the field now, so without force every heal would stop at a conflict. Manual syncs force
        # only when asked.
        force=request.force or request.self_heal,
        apply_out_of_sync_only=base.apply_out_of_sync_only or request.apply_out_of_sync_only,
        resources=request.resources,
        skip_hooks=rollback,
    )


def backoff_delay(retry: RetryStrategy, failed_attempts: int) -> float:
    """Argo CD's backoff: duration * factor^(n-1), capped at the maximum."""
    delay = retry.backoff_duration_seconds * retry.backoff_factor ** max(failed_attempts - 1, 0)
    return min(delay, retry.backoff_max_duration_seconds)


def read_live(client: ClusterClient, keys: list[ResourceKey]) -> dict[ResourceKey, dict[str, Any]]:
    """Blocking. What the cluster holds now at these keys (for a retry's new plan)."""
    found: dict[ResourceKey, dict[str, Any]] = {}
    for key in dict.fromkeys(keys):
        try:
            obj = client.get(key)
        except NotFoundError:
            obj = None
        if obj is not None:
            found[key] = obj
    return found


def _failure_message(outcome: WalkOutcome, attempts: int) -> str:
    if attempts > 1 and not outcome.stopped:
        return f"{outcome.message} (after {attempts} attempts)"
    return outcome.message


def _describe(operation: Operation) -> str:
    revision = f" to {operation.revision[:7]}" if operation.revision else ""
    return (
        f"{operation.kind} #{operation.id}{revision} ({operation.initiated_by}, started "
        f"{operation.started_at:%H:%M:%S} UTC)"
    )
