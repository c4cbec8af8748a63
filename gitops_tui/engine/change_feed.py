"""Coalesced change notifications for the UI: at most one delivery per `min_interval` (10 a second).

Changes pile up in a set between deliveries, so a burst of 1,000 app updates reaches a subscriber as one
`Changes` value. A subscriber is a callback (called on the loop) or an async iterator; a slow iterator
finds everything that changed meanwhile merged into its next item, never a growing queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable

from gitops_tui.model import Changes

log = logging.getLogger(__name__)

DELIVERY_INTERVAL = 0.1


class Subscription:
    """`async for changes in subscription:` or a callback; `close()` ends it (the iterator then stops)."""

    def __init__(self, feed: ChangeFeed, callback: Callable[[Changes], None] | None) -> None:
        self._feed = feed
        self._callback = callback
        self._pending = Changes()
        self._ready = asyncio.Event()
        self.closed = False

    def _deliver(self, changes: Changes) -> None:
        if self._callback is not None:
            try:
                self._callback(changes)
            except Exception:
                log.exception("a change subscriber failed")
            return
        self._pending = merge(self._pending, changes)
        self._ready.set()

    def close(self) -> None:
        self.closed = True
        self._feed._remove(self)
        self._ready.set()

    def __aiter__(self) -> AsyncIterator[Changes]:
        return self

    async def __anext__(self) -> Changes:
        while not self.closed:
            await self._ready.wait()
            self._ready.clear()
            if self.closed:
                break
            changes, self._pending = self._pending, Changes()
            if changes != Changes():
                return changes
        raise StopAsyncIteration


class ChangeFeed:
    def __init__(self, min_interval: float = DELIVERY_INTERVAL) -> None:
        self.min_interval = min_interval
        self._subscriptions: list[Subscription] = []
        self._apps: set[str] = set()
        self._events = False
        self._clusters = False
        self._last_delivery = float("-inf")
        self._timer: asyncio.TimerHandle | None = None

    def subscribe(self, callback: Callable[[Changes], None] | None = None) -> Subscription:
        subscription = Subscription(self, callback)
        self._subscriptions.append(subscription)
        return subscription

    def _remove(self, subscription: Subscription) -> None:
        with contextlib.suppress(ValueError):
            self._subscriptions.remove(subscription)

    def app_changed(self, name: str) -> None:
        self._apps.add(name)
        self._schedule()

    def events_recorded(self) -> None:
        self._events = True
        self._schedule()

    def clusters_changed(self) -> None:
        self._clusters = True
        self._schedule()

    def _schedule(self) -> None:
        if self._timer is not None:
            return
        loop = asyncio.get_running_loop()
        due = max(self._last_delivery + self.min_interval, time.monotonic())
        self._timer = loop.call_at(loop.time() + max(0.0, due - time.monotonic()), self._flush)

    def _flush(self) -> None:
        self._timer = None
        self._last_delivery = time.monotonic()
        changes = Changes(frozenset(self._apps), self._events, self._clusters)
        self._apps, self._events, self._clusters = set(), False, False
        for subscription in list(self._subscriptions):
            subscription._deliver(changes)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for subscription in list(self._subscriptions):
            subscription.close()


def merge(a: Changes, b: Changes) -> Changes:
    return Changes(a.apps | b.apps, a.events or b.events, a.clusters or b.clusters)
