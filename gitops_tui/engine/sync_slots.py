"""How many operations write to one cluster at once: a few, the others queue.

A thousand apps going OutOfSync together (a first start, a shared base changed) would otherwise start a
thousand syncs at once: each takes its Lease and then waits its turn for the threads and the API server,
holding that Lease (and renewing it) the whole time, and every app finishes late. With a bound per
cluster (Argo CD's application controller has one too: its operation processors, 10 by default) the
first apps are Synced within moments, leases are held only while their sync really runs, and the API
server sees a steady load. A queued operation says so, and can be terminated while it waits.

The bound is on writing, not on waiting: an operation gives its place back while it waits for a wave's
health or a hook (no requests: the waits read the watch cache) and queues again for the next wave.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

DEFAULT_PER_CLUSTER = 10


class Slot:
    """One operation's place among the writers of its context: taken to write, given back while it only
    waits (for health, for hooks), so a slow rollout never keeps other apps from writing."""

    def __init__(
        self,
        semaphore: asyncio.Semaphore,
        *,
        should_stop: Callable[[], str],
        wakers: set[asyncio.Event],
        check_every: float,
    ) -> None:
        self._semaphore = semaphore
        self._should_stop = should_stop
        self._wakers = wakers
        self._check_every = check_every
        self.held = False

    async def take(self) -> str:
        """Wait for a place; "" once held, or why the operation was stopped while it queued (not held then)."""
        if self.held:
            return ""
        acquire = asyncio.ensure_future(self._semaphore.acquire())
        wake = asyncio.Event()
        self._wakers.add(wake)
        try:
            while not acquire.done():
                waker = asyncio.ensure_future(wake.wait())
                await asyncio.wait({acquire, waker}, timeout=self._check_every, return_when=asyncio.FIRST_COMPLETED)
                waker.cancel()
                wake.clear()
                if self._should_stop() and not acquire.done():
                    acquire.cancel()
                    return self._should_stop()
        except asyncio.CancelledError:
            if acquire.done() and not acquire.cancelled():
                self._semaphore.release()
            acquire.cancel()
            raise
        finally:
            self._wakers.discard(wake)
        self.held = True
        return ""

    def give_back(self) -> None:
        if self.held:
            self.held = False
            self._semaphore.release()

    @contextlib.asynccontextmanager
    async def away(self) -> AsyncIterator[None]:
        """Give the place back for the block (a wait that writes nothing) and take one again after it. A stop
        while queueing again leaves it not held; the caller's next stop check ends the operation."""
        was_held = self.held
        self.give_back()
        try:
            yield
        finally:
            if was_held:
                await self.take()


class ClusterSlots:
    def __init__(self, per_cluster: int = DEFAULT_PER_CLUSTER) -> None:
        self.per_cluster = max(1, per_cluster)
        self._slots: dict[str, asyncio.Semaphore] = {}

    def busy(self, context: str) -> bool:
        slots = self._slots.get(context)
        return slots is not None and slots.locked()

    def slot(
        self, context: str, *, should_stop: Callable[[], str], wakers: set[asyncio.Event], check_every: float
    ) -> Slot:
        semaphore = self._slots.setdefault(context, asyncio.Semaphore(self.per_cluster))
        return Slot(semaphore, should_stop=should_stop, wakers=wakers, check_every=check_every)
