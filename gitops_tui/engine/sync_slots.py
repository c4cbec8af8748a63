"""How many operations write to one cluster at once: a few, the others queue.

A thousand apps going OutOfSync together (a first start, a shared base changed) would otherwise start a
thousand syncs at once: each takes its Lease and then waits its turn for the threads and the API server,
holding that Lease (and renewing it) the whole time, and every app finishes late. With a bound per
cluster (Argo CD's application controller has one too: its operation processors, 10 by default) the
first apps are Synced within moments, leases are held only while their sync really runs, and the API
server sees a steady load. A queued operation says so, and can be terminated while it waits.

The bound is on writing: an operation gives its writer's place back while it waits for a wave's health or
a hook (no requests: the waits read the watch cache) and queues again for the next wave. Operations under
way at all (waiting ones included) have a looser bound of their own (500): a waiting operation costs a
Lease renewal every 40 s (it only holds its Lease while it waits, lease.py), and with a few dozen allowed
the first syncs of a thousand apps waited for rollouts fifty at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

DEFAULT_WRITERS = 10
DEFAULT_IN_FLIGHT = 500


class Slot:
    """One operation's places on its context: admitted (among the operations under way there, waiting ones
    included) and a writer's place, taken to write and given back while it only waits (for health, for
    hooks), so a slow rollout never keeps other apps from writing."""

    def __init__(
        self,
        line: ContextLine,
        *,
        should_stop: Callable[[], str],
        wakers: set[asyncio.Event],
        check_every: float,
        report: Callable[[str], None] | None = None,
    ) -> None:
        """`report` is told, when the operation has to queue, how many operations are ahead of it."""
        self._line = line
        self._admitted = line.admitted
        self._writers = line.writers
        self._report = report
        self._should_stop = should_stop
        self._wakers = wakers
        self._check_every = check_every
        self.admitted = False
        self.held = False

    async def take(self) -> str:
        """Be admitted (once) and take a writer's place; "" once held, or why the operation was stopped while
        it queued (not held then)."""
        line = self._line
        first = not self.admitted
        if first:
            if self._admitted.locked():
                self._say_queued(line.waiting_admission + line.waiting_writers)
            line.waiting_admission += 1
            try:
                stopped = await self._acquire(self._admitted)
            finally:
                line.waiting_admission -= 1
            if stopped:
                return stopped
            self.admitted = True
        if self.held:
            return ""
        if first and self._writers.locked():
            self._say_queued(line.waiting_writers)
        line.waiting_writers += 1
        try:
            stopped = await self._acquire(self._writers)
        finally:
            line.waiting_writers -= 1
        self.held = not stopped
        return stopped

    def _say_queued(self, ahead: int) -> None:
        if self._report is not None:
            line = self._line
            self._report(
                f"queued: waiting for a writer slot on context {line.context}, {ahead} ahead "
                f"({line.writers_bound} operations write at once, at most {line.in_flight_bound} under way)"
            )

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
        """Give the writer's place back for the block (a wait that writes nothing). It is not taken again
        after it: the operation takes one again (`take`) before its next write, if it has one, so an
        operation whose last wave just became healthy finishes without queueing behind other writers."""
        self.give_back()
        yield

    async def _acquire(self, semaphore: asyncio.Semaphore) -> str:
        """Take the semaphore; "" once taken, or why the operation was stopped meanwhile. Whatever stops an
        operation (a terminate, a lost lease) sets its wakers; `check_every` is only a slow safety net, so a
        thousand queued operations cost next to nothing while they wait."""
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


@dataclass
class ContextLine:
    """One context's bounds and who waits for them (counted in the order they came: semaphores wake FIFO)."""

    context: str
    writers_bound: int
    in_flight_bound: int
    admitted: asyncio.Semaphore = field(init=False)
    writers: asyncio.Semaphore = field(init=False)
    waiting_admission: int = 0
    waiting_writers: int = 0

    def __post_init__(self) -> None:
        self.admitted = asyncio.Semaphore(self.in_flight_bound)
        self.writers = asyncio.Semaphore(self.writers_bound)


class ClusterSlots:
    def __init__(self, writers: int = DEFAULT_WRITERS, in_flight: int = DEFAULT_IN_FLIGHT) -> None:
        self.writers = max(1, writers)
        self.in_flight = max(self.writers, in_flight)
        self._lines: dict[str, ContextLine] = {}

    def _of(self, context: str) -> ContextLine:
        found = self._lines.get(context)
        if found is None:
            found = self._lines[context] = ContextLine(context, self.writers, self.in_flight)
        return found

    def busy(self, context: str) -> bool:
        line = self._of(context)
        return line.admitted.locked() or line.writers.locked()

    def queued(self, context: str) -> int:
        """Operations waiting for a place on the context now."""
        line = self._of(context)
        return line.waiting_admission + line.waiting_writers

    def slot(
        self,
        context: str,
        *,
        should_stop: Callable[[], str],
        wakers: set[asyncio.Event],
        check_every: float,
        report: Callable[[str], None] | None = None,
    ) -> Slot:
        return Slot(self._of(context), should_stop=should_stop, wakers=wakers, check_every=check_every, report=report)
