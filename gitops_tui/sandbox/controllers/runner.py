"""Runs the simulated controllers inside the sandbox's event loop.

    runner = ControllerRunner(store, SimClock(speed=10), nodes=2)
    await runner.start()     # creates Nodes, subscribes to the store, starts the work loop
    ...
    await runner.stop()

One asyncio task drains a de-duplicated queue of (controller, key) pairs; store change events and
timers (in simulated seconds) feed it. Reconciles are short and synchronous, and the task yields to
the loop between them so the HTTP server stays responsive.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Sequence
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
        self._queue: OrderedDict[tuple[str, Key], None] = OrderedDict()
        self._timers: dict[tuple[str, Key], asyncio.TimerHandle] = {}
        self._wakeup = asyncio.Event()
        self._subscription: Subscription | None = None
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._failures: dict[tuple[str, Key], int] = {}

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        ensure_nodes(self.store, self.clock, self.node_count)
        self._subscription = self.store.subscribe(self._on_change)
        for controller in self.controllers.values():
            for key in controller.initial_keys():
                self.enqueue(controller.name, key)
        self._task = asyncio.create_task(self._work(), name="sandbox-controllers")

    async def stop(self) -> None:
        if self._subscription is not None:
            self._subscription.close()
            self._subscription = None
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def enqueue(self, controller: str, key: Key, after: float = 0.0) -> None:
        item = (controller, key)
        if after <= 0:
            self._queue[item] = None
            self._wakeup.set()
            return
        if self._loop is None:
            return
        delay = self.clock.real_delay(after)
        existing = self._timers.get(item)
        if existing is not None:
            if existing.when() <= self._loop.time() + delay:
                return  # an earlier look is already booked; it will re-arm if needed
            existing.cancel()
        self._timers[item] = self._loop.call_later(delay, self._fire, item)

    def _fire(self, item: tuple[str, Key]) -> None:
        self._timers.pop(item, None)
        self._queue[item] = None
        self._wakeup.set()

    def _on_change(self, event: WatchEvent) -> None:
        for name, mapper in self._routes.get(event.resource, ()):
            for key in mapper(event):
                self._queue[(name, key)] = None
        if self._queue:
            self._wakeup.set()

    async def _work(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._queue:
                (name, key), _ = self._queue.popitem(last=False)
                self._run_one(name, key)
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
