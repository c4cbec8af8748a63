"""How many operations write to one cluster at once: a few, the others queue.

A thousand apps going OutOfSync together (a first start, a shared base changed) would otherwise start a
thousand syncs at once: each takes its Lease and then waits its turn for the threads and the API server,
holding that Lease (and renewing it) the whole time, and every app finishes late. With a bound per
cluster (Argo CD's application controller has one too: its operation processors, 10 by default) the
first apps are Synced within moments, leases are held only while their sync really runs, and the API
server sees a steady load. A queued operation says so, and can be terminated while it waits.

The bound is on writing: an operation gives its writer's place back while it waits for a wave's health or
a hook (no requests: the waits read the watch cache) and queues again for the next wave. Operations under
way at all (waiting ones included) have a looser bound of their own: each holds its Lease, renewed with two
requests every 10 s, and a thousand of them renewing while slow rollouts finish would crowd the writes out.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

DEFAULT_WRITERS = 10
DEFAULT_IN_FLIGHT = 50


class Slot:
    """One operation's places on its context: admitted (among the operations under way there, waiting ones
    included) and a writer's place, taken to write and given back while it only waits (for health, for
    hooks), so a slow rollout never keeps other apps from writing."""

    def __init__(
        self,
        admitted: asyncio.Semaphore,
        writers: asyncio.Semaphore,
        *,
        should_stop: Callable[[], str],
        wakers: set[asyncio.Event],
        check_every: float,
    ) -> None:
        self._admitted = admitted
        self._writers = writers
        self._should_stop = should_stop
        self._wakers = wakers
        self._check_every = check_every
        self.admitted = False
        self.held = False

    async def take(self) -> str:
        """Be admitted (once) and take a writer's place; "" once held, or why the operation was stopped while
        it queued (not held then)."""
        if not self.admitted:
            stopped = await self._acquire(self._admitted)
            if stopped:
                return stopped
            self.admitted = True
        if self.held:
            return ""
        stopped = await self._acquire(self._writers)
        self.held = not stopped
        return stopped

    def give_back(self) -> None:
        """The writer's place only: the operation stays admitted."""
        if self.held:
            self.held = False
            self._writers.release()

    def leave(self) -> None:
        self.give_back()
        if self.admitted:
            self.admitted = False
            self._admitted.release()

    @contextlib.asynccontextmanager
    async def away(self) -> AsyncIterator[None]:
        """Give the writer's place back for the block (a wait that writes nothing) and take one again after it.
        A stop while queueing again leaves it not held; the caller's next stop check ends the operation."""
        was_held = self.held
        self.give_back()
        try:
            yield
        finally:
            if was_held:
                await self.take()

    async def _acquire(self, semaphore: asyncio.Semaphore) -> str:
        acquire = asyncio.ensure_future(semaphore.acquire())
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
                semaphore.release()
            acquire.cancel()
            raise
        finally:
            self._wakers.discard(wake)
        return ""


class ClusterSlots:
    def __init__(self, writers: int = DEFAULT_WRITERS, in_flight: int = DEFAULT_IN_FLIGHT) -> None:
        self.writers = max(1, writers)
        self.in_flight = max(self.writers, in_flight)
        self._semaphores: dict[str, tuple[asyncio.Semaphore, asyncio.Semaphore]] = {}

    def _of(self, context: str) -> tuple[asyncio.Semaphore, asyncio.Semaphore]:
        found = self._semaphores.get(context)
        if found is None:
            found = self._semaphores[context] = (asyncio.Semaphore(self.in_flight), asyncio.Semaphore(self.writers))
        return found

    def busy(self, context: str) -> bool:
        admitted, writers = self._of(context)
        return admitted.locked() or writers.locked()

    def slot(
        self, context: str, *, should_stop: Callable[[], str], wakers: set[asyncio.Event], check_every: float
    ) -> Slot:
        admitted, writers = self._of(context)
        return Slot(admitted, writers, should_stop=should_stop, wakers=wakers, check_every=check_every)
