"""Runs the simulated controllers inside the sandbox's event loop.

    runner = ControllerRunner(store, SimClock(speed=10), nodes=2)
    await runner.start()     # creates Nodes, subscribes to the store, starts the work loop
    ...
    await runner.stop()

One asyncio task drains a de-duplicated queue of (controller, key) pairs; store change events and
timers (in simulated seconds) feed it. Reconciles are short and synchronous, and the task yields to
the loop after each one so the HTTP server stays responsive (the API comes first, as it would on a
cluster whose controllers have CPUs of their own; handing the controllers 5 ms slices instead
halved the requests served under load).

The clock follows the queue (`SimClock.follow`): the queue remembers when each item became due, and
once the oldest has waited too long simulated time slows down until the work is done, so a backlog
of a thousand rollouts costs real time, not simulated time a progress deadline would count. Timers
are booked in simulated time for the same reason: they ring when simulated time reaches them, not
after a fixed number of real seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
from collections import OrderedDict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from gitops_tui.sandbox.controllers.base import Controller, ControllerContext, Key, KeyMapper
from gitops_tui.sandbox.controllers.clock import SimClock
from gitops_tui.sandbox.controllers.events import EventRecorder
from gitops_tui.sandbox.controllers.nodes import ensure_nodes
from gitops_tui.sandbox.errors import ApiError

if TYPE_CHECKING:
    from gitops_tui.sandbox.store import Store, Subscription, WatchEvent

log = logging.getLogger(__name__)

# After a conflict or a failure, look again this much later (simulated seconds); repeated failures
# of the same key back off exponentially so a broken object cannot flood the log.
RETRY_AFTER_CONFLICT = 0.5
RETRY_AFTER_ERROR = 5.0
RETRY_AFTER_ERROR_MAX = 300.0
ALARM_FLOOR = 0.005
"""Real seconds: the shortest wait for a timer (a simulated time standing still rings it again)."""

Item = tuple[str, Key]


def default_controllers() -> list[type[Controller]]:
    from gitops_tui.sandbox.controllers import (
        cronjob,
        daemonset,
        deployment,
        hpa,
        job,
        pods,
        replicaset,
        services,
        statefulset,
        volumes,
    )

    return [
        pods.PodLifecycleController,
        replicaset.ReplicaSetController,
        deployment.DeploymentController,
        statefulset.StatefulSetController,
        daemonset.DaemonSetController,
        job.JobController,
        cronjob.CronJobController,
        volumes.VolumeController,
        services.EndpointsController,
        services.LoadBalancerController,
        services.IngressController,
        hpa.HorizontalPodAutoscalerController,
    ]


class ControllerRunner:
    def __init__(
        self,
        store: Store,
        clock: SimClock | None = None,
        *,
        nodes: int = 2,
        controllers: Sequence[type[Controller]] | None = None,
    ) -> None:
        self.store = store
        self.clock = clock or SimClock()
        self.node_count = nodes
        self.events = EventRecorder(store, self.clock)
        context = ControllerContext(store, self.clock, self.events, self.enqueue)
        self.controllers = {c.name: c(context) for c in (controllers or default_controllers())}
        # group-resource -> the controllers that care about its changes, with their key mappers
        self._routes: dict[str, list[tuple[str, KeyMapper]]] = {}
        for controller in self.controllers.values():
            for resource, mapper in controller.watches().items():
                self._routes.setdefault(resource, []).append((controller.name, mapper))
        # (controller, key) -> the real monotonic instant it became due; the oldest first.
        self._queue: OrderedDict[Item, float] = OrderedDict()
        # Timers in simulated time: the booked instant per item, a heap of bookings (superseded
        # ones are skipped when they come up) and one loop alarm for the earliest.
        self._timers: dict[Item, datetime] = {}
        self._bookings: list[tuple[datetime, int, Item]] = []
        self._booking_order = itertools.count()
        self._alarm: asyncio.TimerHandle | None = None
        self._alarm_at: datetime | None = None
        # When the item being reconciled became due: it is still waiting until its reconcile ends.
        self._running_since: float | None = None
        self._wakeup = asyncio.Event()
        self._subscription: Subscription | None = None
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._failures: dict[tuple[str, Key], int] = {}

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.clock.follow(self._backlog)
        ensure_nodes(self.store, self.clock, self.node_count)
        self._subscription = self.store.subscribe(self._on_change)
        for controller in self.controllers.values():
            for key in controller.initial_keys():
                self.enqueue(controller.name, key)
        self._task = asyncio.create_task(self._work(), name="sandbox-controllers")

    async def stop(self) -> None:
        self.clock.follow(None)  # a stopped runner's leftover queue is no backlog
        if self._subscription is not None:
            self._subscription.close()
            self._subscription = None
        if self._alarm is not None:
            self._alarm.cancel()
            self._alarm = self._alarm_at = None
        self._timers.clear()
        self._bookings.clear()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    @property
    def backlog(self) -> int:
        """Items waiting for a controller now (timers not counted)."""
        return len(self._queue)

    def enqueue(self, controller: str, key: Key, after: float = 0.0) -> None:
        item = (controller, key)
        if after <= 0:
            self._push(item)
            return
        if self._loop is None:
            return
        due = self.clock.sim_now() + timedelta(seconds=after)
        booked = self._timers.get(item)
        if booked is not None and booked <= due:
            return  # an earlier look is already booked; it will re-arm if needed
        self._timers[item] = due
        heapq.heappush(self._bookings, (due, next(self._booking_order), item))
        if self._alarm_at is None or due < self._alarm_at:
            self._set_alarm(due)

    def _push(self, item: Item) -> None:
        if item in self._queue:
            return  # it keeps its place, and the instant it became due
        if not self._queue:
            self.clock.settle()  # the backlog the clock follows changes from here
        self._queue[item] = self.clock.real_now()
        self._wakeup.set()

    def _backlog(self) -> tuple[float | None, datetime | None]:
        oldest = next(iter(self._queue.values()), None)
        if self._running_since is not None:
            oldest = self._running_since if oldest is None else min(oldest, self._running_since)
        return oldest, self._bookings[0][0] if self._bookings else None

    def _set_alarm(self, due: datetime) -> None:
        assert self._loop is not None
        if self._alarm is not None:
            self._alarm.cancel()
        self._alarm_at = due
        wait = self.clock.real_delay((due - self.clock.sim_now()).total_seconds())
        self._alarm = self._loop.call_later(max(wait, ALARM_FLOOR), self._ring)

    def _ring(self) -> None:
        self._alarm = self._alarm_at = None
        now = self.clock.sim_now()
        bookings = self._bookings
        while bookings and (bookings[0][0] <= now or self._timers.get(bookings[0][2]) != bookings[0][0]):
            due, _, item = heapq.heappop(bookings)
            if self._timers.get(item) == due:  # not superseded by an earlier booking
                del self._timers[item]
                self._push(item)
        if bookings:
            self._set_alarm(bookings[0][0])

    def _on_change(self, event: WatchEvent) -> None:
        for name, mapper in self._routes.get(event.resource, ()):
            for key in mapper(event):
                self._push((name, key))

    async def _work(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._queue:
                self.clock.settle()  # the oldest item is about to change
                (name, key), self._running_since = self._queue.popitem(last=False)
                try:
                    self._run_one(name, key)
                finally:
                    self.clock.settle()
                    self._running_since = None
                await asyncio.sleep(0)

    def _run_one(self, name: str, key: Key) -> None:
        controller = self.controllers[name]
        item = (name, key)
        try:
            again = controller.reconcile(key)
            self._failures.pop(item, None)
        except ApiError as error:
            log.debug("%s %s: %s; retrying", name, key, error)
            again = RETRY_AFTER_CONFLICT
        except Exception:
            failures = self._failures[item] = self._failures.get(item, 0) + 1
            if failures == 1:
                log.exception("controller %s failed on %s; retrying with back-off", name, key)
            again = min(RETRY_AFTER_ERROR * 2 ** (failures - 1), RETRY_AFTER_ERROR_MAX)
        if again is not None:
            self.enqueue(name, key, max(again, 0.01))
