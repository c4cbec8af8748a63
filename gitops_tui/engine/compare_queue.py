"""The apps waiting for a compare pass, and the loops that run the passes.

An app is in the queue at most once, however many changes arrive for it, and never has two passes at
once: a change that arrives during its pass queues it again when the pass ends, so no change is lost.
Apps are compared in the order they first became dirty.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable, Mapping

from gitops_tui.engine.app_worker import AppWorker, Pools, compare_pass
from gitops_tui.model import AppState

log = logging.getLogger(__name__)


class CompareQueue:
    def __init__(
        self, workers: Mapping[str, AppWorker], publish: Callable[[AppWorker, AppState], None], *, server_dry_run: bool
    ) -> None:
        self._workers = workers
        self._publish = publish
        self._server_dry_run = server_dry_run
        self._dirty: OrderedDict[str, None] = OrderedDict()
        self._comparing: set[str] = set()
        self._again: set[str] = set()
        self._wake = asyncio.Event()

    def mark(self, app: str) -> None:
        """Compare `app` again (soon, once, after any pass of it that runs now)."""
        if app in self._comparing:
            self._again.add(app)
            return
        self._dirty[app] = None
        self._wake.set()

    async def run(self, pools: Pools) -> None:
        """One compare loop; the reconciler runs a few side by side, and cancels them on stop."""
        while True:
            while not self._dirty:
                self._wake.clear()
                await self._wake.wait()
            name, _ = self._dirty.popitem(last=False)
            worker = self._workers[name]
            self._comparing.add(name)
            waiters = worker.take_compare_waiters()
            try:
                state = await compare_pass(worker, pools, server_dry_run=self._server_dry_run)
                if state is not None:
                    self._publish(worker, state)
            except Exception as exc:  # a bug must cost one app one pass, never the loop
                log.exception("comparing %s failed", name)
                self._publish(worker, worker.failed(f"{name}: internal error while comparing: {exc!r}"))
            finally:
                self._comparing.discard(name)
                worker.resolve(waiters)
                if name in self._again:
                    self._again.discard(name)
                    self.mark(name)
