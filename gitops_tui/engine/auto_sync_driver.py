"""Automated sync and self-heal in the running reconciler: when to act, whether this console acts, starting it.

When: the pure policy of auto_sync.py, asked again whenever an app's state changes or an operation ends,
and at the moment a held-back self-heal becomes due (a timer per app).

Whether: where several consoles watch the same app, only the one holding the app's claim
(auto_sync_claims.py) syncs it automatically; the others show "auto-sync by <console>" and take over when
that console stops or its heartbeat lapses, and say so. Without a lease manager (no `executor.leases`)
nothing is coordinated and this console auto-syncs everything it watches.

Starting: before an automated sync the holder takes the app's operation Lease itself (counted: the sync
takes it again), so a manual sync another console runs meanwhile makes the automated one wait and start
again later, instead of failing and never retrying that revision. It also reads the persisted auto-sync
pause again, so a rollback made in another console is not undone here by the next automated sync.

Never silently: an automated app that waits (for its claim's heartbeat, another console's operation, an
operation already running here, self-heal's backoff) says so in its activity note and once in the events,
and is decided on again when the wait ends (the next claims round, a recheck of the Lease, the end of that
operation, a timer). An automated sync that cannot start says why and counts as a failed attempt.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from gitops_tui.cluster.errors import ClusterError
from gitops_tui.engine.app_worker import AppWorker, run_in
from gitops_tui.engine.auto_sync import AutoSyncDecision, AutoSyncMemory
from gitops_tui.engine.auto_sync_claims import AutoSyncClaims, ClaimsRound
from gitops_tui.engine.auto_sync_waits import AutoSyncWaits
from gitops_tui.engine.lease import LeaseGrant, LeaseManager
from gitops_tui.engine.operations import OperationInProgressError, ReconcilerError, SyncRequest
from gitops_tui.engine.operations_runner import describe_operation
from gitops_tui.engine.read_only import context_read_only

if TYPE_CHECKING:
    from gitops_tui.engine.reconciler import Reconciler

log = logging.getLogger(__name__)

OPERATION_RECHECK_SECONDS = 2.0
"""How often an automated sync that waits for another console's operation asks for the Lease again (one
GET each time, and only while it waits): the other operation may end without any change to see here."""


class AutoSyncDriver:
    def __init__(self, reconciler: Reconciler, leases: LeaseManager | None) -> None:
        self._r = reconciler
        self._leases = leases
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._claims: dict[str, AutoSyncClaims] = {}
        """By context: this console's claims on each cluster with automated apps."""
        self._adopting: set[str] = set()
        """Apps just claimed whose deployed revision is being read from the history: not decided on yet."""
        self._waits = AutoSyncWaits(reconciler._events, reconciler._feed)
        """Why apps wait (auto_sync_waits.py): their activity notes, the events, the apps held back by claims."""

    # ---- lifecycle ----------------------------------------------------------------------------------

    def start(self, workers: list[AppWorker]) -> None:
        """Start claiming the automated apps, per cluster (after the clusters' runtimes are set)."""
        leases = self._leases
        if leases is None:
            return
        settings = self._r.settings
        by_context: dict[str, list[AppWorker]] = {}
        for worker in workers:
            if worker.spec.sync_policy.automated and worker.runtime is not None:
                by_context.setdefault(worker.runtime.context, []).append(worker)
        for context, group in by_context.items():
            runtime = group[0].runtime
            assert runtime is not None
            claims = AutoSyncClaims(
                runtime.client,
                [w.name for w in group],
                identity=leases.identity,
                namespace=leases.namespace,
                duration_seconds=settings.auto_sync.claim_seconds,
                locks_dir=leases.locks_dir,
                read_only=settings.read_only or context in settings.read_only_contexts,
            )
            self._claims[context] = claims
            self._r._spawn(self._claim_loop(claims, group), f"auto-sync claims {context}")

    async def stop(self) -> None:
        """Cancel the timers and give the claims back, so another console takes over at its next round."""
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        pools = self._r._pools
        for claims in self._claims.values():
            try:
                if pools is not None:
                    await run_in(pools.claims, claims.release)
                else:
                    await asyncio.to_thread(claims.release)
            except Exception:  # they lapse by themselves: never keep the console from stopping
                log.exception("releasing the auto-sync claims on %s failed", claims.client.context)

    async def _claim_loop(self, claims: AutoSyncClaims, workers: list[AppWorker]) -> None:
        pools = self._r._pools
        assert pools is not None
        interval = max(claims.duration.total_seconds() / 3, 0.05)
        said_who = False
        while True:
            try:
                news = await run_in(pools.claims, claims.round)
            except Exception:  # a bug costs one round, never the claims
                log.exception("auto-sync claims round on %s failed", claims.client.context)
                news = ClaimsRound()
            if not said_who and any(claims.holder(w.name) for w in workers):
                said_who = True
                self._say_who(claims, workers)
            self._say(news)
            # Apps considered while this console's claim on them had lapsed (its heartbeat came late): nothing
            # else would decide on them again until their state changes, which may be never.
            for app in self._waits.ready(claims, self._adopting):
                worker = self._r._workers.get(app)
                if worker is not None:
                    self.consider(worker)
            await asyncio.sleep(interval)

    def _say_who(self, claims: AutoSyncClaims, workers: list[AppWorker]) -> None:
        ours = sum(claims.owns(w.name) for w in workers)
        others = sorted({claims.holder(w.name) for w in workers} - {claims.identity, ""})
        text = (
            f"context {claims.client.context}: this console ({claims.identity}) runs the automated syncs "
            f"of {ours} of {len(workers)} automated apps"
        )
        self._r._events.info("", text + (f"; other consoles run the rest: {', '.join(others)}" if others else ""))

    def _say(self, news: ClaimsRound) -> None:
        events = self._r._events
        if news.fallback:
            events.warning("", news.fallback)
        if news.duplicate:
            events.error("", news.duplicate)
        for app, before in news.gained:
            worker = self._r._workers.get(app)
            if worker is not None:
                self._adopting.add(app)
                self._r._spawn(self._adopt(worker), f"adopt auto-sync {app}")
            if before:
                events.warning(
                    app,
                    "this console runs its automated syncs now: the console that did "
                    f"({before}) stopped renewing its lease",
                )
        for app, holder in news.lost:
            events.warning(app, f"automated syncs are run by {holder} now (this console's lease lapsed)")
            self._changed(app)
        for app in news.moved:
            self._r._feed.app_changed(app)

    async def _adopt(self, worker: AppWorker) -> None:
        """Start from the revision the history says is deployed, as the console that synced it would: drift on
        it is then healed as drift (force, backoff, only with selfHeal), not synced as a new revision."""
        try:
            if not worker.auto_memory.attempted_revision:
                entries = await self._r.history_store.entries(worker.spec)
                if entries and not worker.auto_memory.attempted_revision:
                    worker.auto_memory = AutoSyncMemory(entries[-1].revision)
        except Exception as exc:  # no history to go by: the app's revision counts as new, as on a first start
            log.warning("reading the history of %s failed: %s", worker.name, exc)
        finally:
            self._adopting.discard(worker.name)
        self._changed(worker.name)

    def _changed(self, app: str) -> None:
        self._r._feed.app_changed(app)
        worker = self._r._workers.get(app)
        if worker is not None:
            self.consider(worker)

    # ---- what the UI is told --------------------------------------------------------------------------

    def _claims_for(self, worker: AppWorker) -> AutoSyncClaims | None:
        if not worker.spec.sync_policy.automated or worker.runtime is None:
            return None
        return self._claims.get(worker.runtime.context)

    def holder(self, worker: AppWorker) -> str:
        """The other console that runs the app's automated syncs; "" when this one does (or nobody says)."""
        claims = self._claims_for(worker)
        if claims is None:
            return ""
        holder = claims.holder(worker.name)
        return "" if holder in ("", claims.identity) else holder

    def note(self, worker: AppWorker) -> str:
        claims = self._claims_for(worker)
        if claims is None:  # nothing coordinates consoles: waits for an operation of this one only
            return self._waits.note(worker.name) if worker.spec.sync_policy.automated else ""
        holder = self.holder(worker)
        if holder:
            return f"auto-sync by {holder}: this console only watches, and takes over if that console stops"
        waiting = self._waits.claim_note(worker.name, claims) or self._waits.note(worker.name)
        return claims.duplicate or waiting or claims.local_note

    # ---- deciding -----------------------------------------------------------------------------------

    def consider(self, worker: AppWorker) -> None:
        r = self._r
        policy = worker.sync_policy
        ops = r._ops
        if not policy.automated or r.settings.read_only or ops is None or not worker.pause_checked:
            return
        if context_read_only(r.settings.read_only_contexts, r._runtimes, worker):
            return  # automated sync writes like any other sync
        self._cancel_timer(worker.name)
        claims = self._claims_for(worker)
        if claims is not None and (not claims.owns(worker.name) or worker.name in self._adopting):
            self._waits.hold_back(worker.name, claims)
            return  # the holder syncs it; the claims round after which this console owns it calls again
        if claims is not None:
            self._waits.released(worker.name, claims)
        now = time.monotonic()
        running = ops.running(worker.name)
        decision = r.settings.auto_sync.decide(
            policy,
            worker.state,
            worker.auto_memory,
            now,
            enabled=worker.auto_override is not False,
            operation_running=running is not None,
        )
        if decision.retry_at is not None:
            self._call_later(worker, decision.retry_at - now)
            due = datetime.now(UTC) + timedelta(seconds=decision.retry_at - now)
            attempts = worker.auto_memory.heal_attempts
            self._waits.wait(
                worker.name,
                f"auto-sync waiting: self-heal backs off until {due:%H:%M:%S} UTC ({attempts} heal attempts so far "
                "for this revision)",
                about=f"heal backoff {attempts}",
            )
        elif running is None and not decision.sync:
            self._waits.done(worker.name)  # nothing to wait for any more (or the policy has its own reason)
        if decision.sync and worker.state.revision is not None:
            self._begin(worker, decision)

    def _cancel_timer(self, app: str) -> None:
        timer = self._timers.pop(app, None)
        if timer is not None:
            timer.cancel()

    def _call_later(self, worker: AppWorker, delay: float) -> None:
        self._cancel_timer(worker.name)
        self._timers[worker.name] = asyncio.get_running_loop().call_later(max(delay, 0.0), self.consider, worker)

    def _begin(self, worker: AppWorker, decision: AutoSyncDecision) -> None:
        """The attempt is remembered at once, before any await, so a second verdict arriving meanwhile sees
        it and does not start another."""
        state = worker.state
        assert state.revision is not None
        sha = state.revision.sha
        before = worker.auto_memory
        worker.auto_memory = self._r.settings.auto_sync.attempted(
            before, sha, time.monotonic(), self_heal=decision.self_heal
        )
        request = SyncRequest(
            revision=sha, prune=decision.prune, initiated_by="automated", self_heal=decision.self_heal
        )
        self._r._spawn(self._run(worker, request, decision.reason, before), f"auto-sync {worker.name}")

    # ---- starting -----------------------------------------------------------------------------------

    async def _run(self, worker: AppWorker, request: SyncRequest, reason: str, before: AutoSyncMemory) -> None:
        coordinated = self._claims_for(worker) is not None
        grant = await self._operation_lease(worker) if coordinated else None
        if grant is False:
            worker.auto_memory = before  # not an attempt: look again when the other console's operation ends
            return
        try:
            if coordinated and await self._paused_elsewhere(worker):
                worker.auto_memory = before
                self._waits.done(worker.name)  # the pause note says why now
                return
            self._r._events.info(worker.name, f"automated sync to {request.revision[:7]} ({reason})")
            await self._start(worker, request, before)
        finally:
            if isinstance(grant, LeaseGrant) and self._leases is not None and worker.runtime is not None:
                await asyncio.shield(self._leases.release(worker.runtime.client, worker.name))

    async def _start(self, worker: AppWorker, request: SyncRequest, before: AutoSyncMemory) -> None:
        ops = self._r._operations()
        try:
            await ops.start(worker, "sync", request)
        except OperationInProgressError as exc:
            worker.auto_memory = before  # someone else's sync got there first: not an attempt of ours
            running = ops.running(worker.name)
            what = f"operation {describe_operation(running)}" if running is not None else exc.message
            note = f"auto-sync waiting: {what} still running; decided again when it ends"
            self._waits.wait(worker.name, note, about=f"operation {running.id if running else '?'}")
            self._r._spawn(self._after_operation(worker), f"auto-sync after operation {worker.name}")
            return
        except Exception as exc:  # never a silent stop: say why, and count it as a failed attempt
            if not isinstance(exc, (ReconcilerError, NotImplementedError)):
                log.exception("starting the automated sync of %s failed", worker.name)
            policy = self._r.settings.auto_sync
            worker.auto_memory = policy.finished(worker.auto_memory, request.revision, succeeded=False)
            message = exc.message if isinstance(exc, ReconcilerError) else str(exc) or repr(exc)
            self._waits.done(worker.name)
            self._r._events.error(worker.name, f"automated sync to {request.revision[:7]} could not start: {message}")
            return
        self._waits.done(worker.name)
        await ops.settled(worker.name)

    async def _after_operation(self, worker: AppWorker) -> None:
        """The operation that held the automated sync back has ended (history recorded): decide again. The
        operations runner decides again at that end too; a second verdict is harmless (attempts are
        remembered before any await)."""
        await self._r._operations().settled(worker.name)
        self.consider(worker)

    async def _operation_lease(self, worker: AppWorker) -> LeaseGrant | bool | None:
        """The app's operation Lease held for the automated sync: the grant; False when another console's
        operation holds it (said once, and asked again later); None when it could not be asked."""
        leases, runtime = self._leases, worker.runtime
        if leases is None or runtime is None:
            return None
        try:
            attempt = await leases.try_acquire(runtime.client, worker.name)
        except Exception as exc:  # the sync takes the Lease again: it meets the same problem and reports it
            if not isinstance(exc, (ReconcilerError, ClusterError)):
                log.exception("taking the operation Lease of %s for its automated sync failed", worker.name)
            return None
        if attempt.grant is not None:
            return attempt.grant
        holder = attempt.holder
        recheck = min(OPERATION_RECHECK_SECONDS, leases.duration_seconds / 3)
        if holder is not None and holder.identity == leases.identity:
            what = (
                f"this console's own earlier operation still holds the operation Lease ({holder.describe()}); "
                "it was not given back"
            )
        else:
            what = f"another console's operation: {holder.describe() if holder is not None else 'another console'}"
        about = f"holder {holder.identity if holder is not None else ''}"
        self._waits.wait(worker.name, f"auto-sync waiting: {what}; asked again every {recheck:g} s", about)
        self._call_later(worker, recheck)
        return False

    async def _paused_elsewhere(self, worker: AppWorker) -> bool:
        """A rollback, `a` in another console or `gitops-tui autosync off` pauses the app's auto-sync in the cluster
        (the shared pause, engine/shared_pause.py): honour it here too."""
        read = getattr(self._r.history_store, "auto_sync_pause", None)
        if read is None:
            return False
        try:
            pause = await read(worker.spec)
        except Exception as exc:  # cannot tell: the sync goes ahead, as it would have without the check
            log.warning("reading the auto-sync pause of %s failed: %s", worker.name, exc)
            return False
        if pause is None:
            return False
        worker.auto_override = False
        worker.auto_note = str(getattr(pause, "reason", "") or "paused after a rollback")
        self._r._events.warning(
            worker.name, f"automated sync paused in another console (or the CLI): {worker.auto_note}"
        )
        self._r._feed.app_changed(worker.name)
        return True
