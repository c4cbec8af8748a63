"""Keeping many Leases alive at once: one schedule renews each when it is due, in two threads at most.

A task and a thread hop per Lease every few seconds do not scale: a thousand automated syncs waiting for
a writer's place each kept a timer, and their renewals took the threads the writes needed. Here each grant
is renewed when a third of the duration its last write set has passed (so two thirds of it remain for a
slow request or a retry), grants due together go out as one batch per thread, and the renewals have
threads of their own: however many Leases are held, the writes never wait behind them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from gitops_tui.cluster.errors import ClusterError
from gitops_tui.engine.lease_records import LeaseGrant

log = logging.getLogger(__name__)

THREADS = 2
BATCH = 25
"""Renewals per thread hop: big enough that a thousand due Leases are a few dozen hops, small enough that
one slow batch does not hold back the rest for long."""


class RenewalSchedule:
    def __init__(self, renew: Callable[[LeaseGrant], bool], due_at: Callable[[LeaseGrant], float]) -> None:
        """`renew(grant)` renews one grant (blocking; raises ClusterError when the cluster did not answer);
        `due_at(grant)` says when (time.monotonic()) it should be renewed next."""
        self._renew = renew
        self._due_at = due_at
        self._grants: set[LeaseGrant] = set()
        self._retry_at: dict[LeaseGrant, float] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._batches: set[asyncio.Task[None]] = set()
        self._executor: ThreadPoolExecutor | None = None

    def add(self, grant: LeaseGrant) -> None:
        self._grants.add(grant)
        if self._task is None or self._task.done():
            self._wake = asyncio.Event()  # of this loop (a manager may outlive one, in tests)
            self._task = asyncio.get_running_loop().create_task(self._run(), name="lease-renewals")
        self._wake.set()

    def discard(self, grant: LeaseGrant) -> None:
        self._grants.discard(grant)
        self._retry_at.pop(grant, None)
        self._wake.set()

    def changed(self) -> None:
        """A grant's due time may have moved (it gained a writer): look again."""
        self._wake.set()

    def __len__(self) -> int:
        return len(self._grants)

    async def _run(self) -> None:
        try:
            while self._grants or self._batches:
                self._wake.clear()
                next_at = self._start_due(time.monotonic())
                timeout = None if math.isinf(next_at) else max(next_at - time.monotonic(), 0.0)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout)
        finally:
            executor, self._executor = self._executor, None
            if executor is not None:
                executor.shutdown(wait=False)

    def _start_due(self, now: float) -> float:
        """Send the due grants off in batches; returns when the next one falls due."""
        due: list[LeaseGrant] = []
        next_at = math.inf
        for grant in self._grants:
            if grant.renewing:
                continue
            at = max(self._due_at(grant), self._retry_at.get(grant, 0.0))
            if at <= now:
                due.append(grant)
            else:
                next_at = min(next_at, at)
        due.sort(key=self._due_at)  # the closest to expiry first
        for start in range(0, len(due), BATCH):
            batch = due[start : start + BATCH]
            for grant in batch:
                grant.renewing = True
            task = asyncio.get_running_loop().create_task(self._renew_batch(batch))
            self._batches.add(task)
            task.add_done_callback(self._batch_done)
        return next_at

    def _batch_done(self, task: asyncio.Task[None]) -> None:
        self._batches.discard(task)
        self._wake.set()

    async def _renew_batch(self, batch: list[LeaseGrant]) -> None:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(THREADS, thread_name_prefix="lease-renewals")
        try:
            failed = await asyncio.get_running_loop().run_in_executor(self._executor, self._renew_all, batch)
        finally:
            for grant in batch:
                grant.renewing = False
            self._wake.set()
        now = time.monotonic()
        for grant in batch:
            retry = failed.get(grant)
            if retry is None:
                self._retry_at.pop(grant, None)
            elif grant in self._grants:
                self._retry_at[grant] = now + retry
        for grant in batch:
            if grant.lost and grant in self._grants:
                self._grants.discard(grant)  # nothing more to renew: the operation sees `lost` and stops
                grant.tell_lost()

    def _renew_all(self, batch: list[LeaseGrant]) -> dict[LeaseGrant, float]:
        """In a renewal thread: each grant of the batch in turn; the failed ones with when to try again."""
        failed: dict[LeaseGrant, float] = {}
        for grant in batch:
            if grant.released or grant.lost:
                continue
            try:
                self._renew(grant)
            except ClusterError as exc:  # unreachable for a moment: the lease may still be ours; retry soon
                log.warning("renewing the lease of %s failed: %s", grant.app, exc.message)
                failed[grant] = max(grant.written_seconds / 10, 0.05)
        return failed
