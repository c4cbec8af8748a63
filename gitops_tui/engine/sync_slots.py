"""How many operations write to one cluster at once: a few, the others queue.

A thousand apps going OutOfSync together (a first start, a shared base changed) would otherwise start a
thousand syncs at once: each takes its Lease and then waits its turn for the threads and the API server,
holding that Lease (and renewing it) the whole time, and every app finishes late. With a bound per
cluster (Argo CD's application controller has one too: its operation processors, 10 by default) the
first apps are Synced within moments, leases are held only while their sync really runs, and the API
server sees a steady load. A queued operation says so, and can be terminated while it waits.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

DEFAULT_PER_CLUSTER = 10


class ClusterSlots:
    def __init__(self, per_cluster: int = DEFAULT_PER_CLUSTER) -> None:
        self.per_cluster = max(1, per_cluster)
        self._slots: dict[str, asyncio.Semaphore] = {}

    def busy(self, context: str) -> bool:
        slots = self._slots.get(context)
        return slots is not None and slots.locked()

    @contextlib.asynccontextmanager
    async def hold(
        self, context: str, *, should_stop: Callable[[], str], wakers: set[asyncio.Event], check_every: float
    ) -> AsyncIterator[str]:
        """Hold one of the context's slots for the block; yields "" once held, or the reason the operation
        was stopped while it queued (the block then runs without a slot and must not write)."""
        slots = self._slots.setdefault(context, asyncio.Semaphore(self.per_cluster))
        acquire = asyncio.ensure_future(slots.acquire())
        wake = asyncio.Event()
        wakers.add(wake)
        held = False
        try:
            while not acquire.done():
                waker = asyncio.ensure_future(wake.wait())
                await asyncio.wait({acquire, waker}, timeout=check_every, return_when=asyncio.FIRST_COMPLETED)
                waker.cancel()
                wake.clear()
                reason = should_stop()
                if reason and not acquire.done():
                    acquire.cancel()
                    break
            held = acquire.done() and not acquire.cancelled()
        except asyncio.CancelledError:
            if acquire.done() and not acquire.cancelled():
                slots.release()
            acquire.cancel()
            raise
        finally:
            wakers.discard(wake)
        try:
            yield "" if held else (should_stop() or "stopped while queued")
        finally:
            if held:
                slots.release()
