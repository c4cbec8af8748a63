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
import heapq
import itertools
import logging
import math
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from gitops_tui.cluster.errors import ClusterError
from gitops_tui.engine.lease_holders import LeaseGrant

log = logging.getLogger(__name__)

THREADS = 2
BATCH = 25
"""Renewals per thread hop: big enough that a thousand due Leases are a few dozen hops, small enough that
one slow batch does not hold back the rest for long."""


class RenewalSchedule:
    def __init__(self, renew: Callable[[LeaseGrant], bool], due_at: Callable[[LeaseGrant], float]) -> None:
        """`renew(grant)` renews one grant (blocking; raises ClusterError when the cluster did not answer);
        `due_at(grant)` says when (time.monotonic()) it should be renewed next: it may change only when the
        grant is written (taken or renewed)."""
        self._renew = renew
        self._due_at = due_at
        self._grants: set[LeaseGrant] = set()
        self._queue: list[tuple[float, int, LeaseGrant]] = []
        """(when, tie-breaker, grant), a heap; entries of grants gone or renewed since are skipped."""
        self._order = itertools.count()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._batches: set[asyncio.Task[None]] = set()
        self._executor: ThreadPoolExecutor | None = None

    def add(self, grant: LeaseGrant) -> None:
        self._grants.add(grant)
        self._push(grant, self._due_at(grant))
        if self._task is None or self._task.done():
            self._wake = asyncio.Event()  # of this loop (a manager may outlive one, in tests)
            self._task = asyncio.get_running_loop().create_task(self._run(), name="lease-renewals")
        self._wake.set()

    def discard(self, grant: LeaseGrant) -> None:
        self._grants.discard(grant)  # its entries in the queue are skipped when they come up
        self._wake.set()

    def __len__(self) -> int:
        return len(self._grants)

    def _push(self, grant: LeaseGrant, when: float) -> None:
        heapq.heappush(self._queue, (when, next(self._order), grant))

    async def _run(self) -> None:
        try:
            while self._grants or self._batches:
                self._wake.clear()
                next_at = self._start_due(time.monotonic())
                timeout = None if math.isinf(next_at) else max(next_at - time.monotonic(), 0.0)
                with contextlib.suppress(TimeoutError):
                    # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation that
                    # arrives as the event is set, and the loop would then never stop.
                    async with asyncio.timeout(timeout):
                        await self._wake.wait()
        finally:
            executor, self._executor = self._executor, None
            if executor is not None:
                executor.shutdown(wait=False)

    def _start_due(self, now: float) -> float:
        """Send the due grants off in batches, the closest to expiry first; returns when the next falls due."""
        due: list[LeaseGrant] = []
        queue = self._queue
        while queue and queue[0][0] <= now:
            _, _, grant = heapq.heappop(queue)
            if grant in self._grants and not grant.renewing and grant not in due:
                due.append(grant)
        for start in range(0, len(due), BATCH):
            batch = due[start : start + BATCH]
            for grant in batch:
                grant.renewing = True
            task = asyncio.get_running_loop().create_task(self._renew_batch(batch))
            self._batches.add(task)
            task.add_done_callback(self._batch_done)
        return queue[0][0] if queue else math.inf

    def _batch_done(self, task: asyncio.Task[None]) -> None:
        self._batches.discard(task)
        self._wake.set()

    async def _renew_batch(self, batch: list[LeaseGrant]) -> None:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(THREADS, thread_name_prefix="lease-renewals")
        failed: dict[LeaseGrant, float] = {}
        try:
            failed = await asyncio.get_running_loop().run_in_executor(self._executor, self._renew_all, batch)
        finally:
            now = time.monotonic()
            for grant in batch:
                grant.renewing = False
                if grant not in self._grants:
                    continue
                if grant.lost:
                    self._grants.discard(grant)  # nothing more to renew: the operation sees `lost` and stops
                    grant.tell_lost()
                    continue
                retry = failed.get(grant)
                self._push(grant, now + retry if retry is not None else self._due_at(grant))
            self._wake.set()

    def _renew_all(self, batch: list[LeaseGrant]) -> dict[LeaseGrant, float]:
        """In a renewal thread: each grant of the batch in turn; the failed ones with how soon to try again."""
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
