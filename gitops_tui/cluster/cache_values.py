"""The values a LiveCache hands out and is tuned with: change events, per-scope freshness, settings.

Apart from cache.py so that readers of these (the engine's runtimes, the UI's freshness) need not know
how the cache keeps itself current; `gitops_tui.cluster.cache` re-exports them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from gitops_tui.model import ResourceKey

from .store import EventType
from .watch import SyncState, WatchOptions


@dataclass(frozen=True, slots=True)
class CacheEvent:
    type: EventType
    key: ResourceKey
    context: str


@dataclass(frozen=True)
class WatchStatus:
    """How fresh one watched scope is: what the UI shows next to a cluster's data."""

    resource: str
    namespace: str
    state: SyncState
    error: str = ""
    last_event_at: float | None = None
    """time.monotonic() of the newest list, event or bookmark; None before the first one."""

    def age(self, now: float | None = None) -> float | None:
        if self.last_event_at is None:
            return None
        return (time.monotonic() if now is None else now) - self.last_event_at


@dataclass(frozen=True)
class CacheSettings:
    watch: WatchOptions = field(default_factory=WatchOptions)
    kind_retry_interval: float = 30.0
    """How often kinds that discovery does not know yet (a CRD not created yet) are looked for again."""
    discovery_retry_interval: float = 5.0
    """How soon discovery is tried again when it failed (cluster unreachable at start)."""
    slice_budget: float = 0.004
    """Longest the inbox works on the loop before yielding to other callbacks."""


Subscriber = Callable[[CacheEvent], None]
