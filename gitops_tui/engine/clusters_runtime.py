"""The reconciler's clusters: one live cache per kubeconfig context, what it watches, and who hears its news.

Each context's cache watches the kinds its apps render plus the kinds an app may have left behind (so
objects Git no longer has are still found, to be pruned), with the tree's children (ReplicaSets, Pods).
A change event is routed to the apps it concerns without parsing the object: the apps indexed for that
key (desired keys, and keys seen live at the last compare, so deletions and lost annotations are heard)
plus the apps the cached object's tracking annotation names.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from gitops_tui.cluster.cache import CacheEvent, LiveCache
from gitops_tui.cluster.client import ClusterClient
from gitops_tui.cluster.clusters import Clusters
from gitops_tui.cluster.kinds import GroupKind
from gitops_tui.cluster.watch import SyncState
from gitops_tui.engine.health import assess_health
from gitops_tui.engine.oneshot import LEFTOVER_KINDS
from gitops_tui.model import ClusterFreshness, Destination, Health, ResourceKey, Severity

log = logging.getLogger(__name__)

CONSUMER = "reconciler"
BASE_KINDS = frozenset(GroupKind(*kind) for kind in LEFTOVER_KINDS)


@dataclass(frozen=True)
class ClusterCondition:
    reachable: bool | None
    error: str


class ClusterRuntime:
    """One context: its client, its cache, the kinds registered and the key → apps routing index."""

    def __init__(self, context: str, client: ClusterClient, cache: LiveCache) -> None:
        self.context = context
        self.client = client
        self.cache = cache
        self.kinds: frozenset[GroupKind] = frozenset()
        self.ever_ready = False
        self.condition = ClusterCondition(None, "")
        self._by_key: dict[ResourceKey, set[str]] = {}
        self._keys_of: dict[str, frozenset[ResourceKey]] = {}
        self._kinds_of: dict[str, frozenset[GroupKind]] = {}

    # ---- routing ------------------------------------------------------------------------------------

    def apps_for(self, key: ResourceKey) -> set[str]:
        found = set(self._by_key.get(key, ()))
        entry = self.cache.store.entry(key)
        if entry is not None:
            found.update(entry.apps)
        return found

    def index(self, app: str, keys: Iterable[ResourceKey]) -> None:
        """The keys whose changes concern `app` from now on (replacing those given before)."""
        new = frozenset(keys)
        old = self._keys_of.get(app, frozenset())
        if new == old:
            return
        for key in old - new:
            names = self._by_key.get(key)
            if names is not None:
                names.discard(app)
                if not names:
                    del self._by_key[key]
        for key in new - old:
            self._by_key.setdefault(key, set()).add(app)
        self._keys_of[app] = new

    # ---- what to watch ------------------------------------------------------------------------------

    def set_app_kinds(self, app: str, kinds: Iterable[GroupKind]) -> bool:
        """Record the kinds `app` renders; True when the context's watched set grows or shrinks."""
        self._kinds_of[app] = frozenset(kinds)
        wanted = BASE_KINDS.union(*self._kinds_of.values())
        if wanted == self.kinds:
            return False
        self.kinds = wanted
        return True

    async def register(self) -> None:
        await self.cache.register(CONSUMER, self.kinds or BASE_KINDS)

    def children(self, key: ResourceKey) -> list[tuple[ResourceKey, Health | None]]:
        """What controllers made for the object at `key`, one level down (a Deployment's ReplicaSets, a
        ReplicaSet's Pods), with their health: the resource tree, read on demand."""
        entry = self.cache.store.entry(key)
        if entry is None or not entry.uid:
            return []
        return [(child, assess_health(obj)) for child, obj in sorted(self.cache.children(entry.uid).items())]

    # ---- freshness ----------------------------------------------------------------------------------

    @property
    def ready(self) -> bool:
        """Every watched scope has listed (or failed); compare now and nothing looks Missing by mistake."""
        states = [status.state for status in self.cache.status()]
        return SyncState.SYNCED in states and SyncState.RESYNCING not in states

    def freshness(self) -> ClusterFreshness:
        return ClusterFreshness(
            self.context,
            self.client.reachability.reachable,
            self.cache.newest_event_age(),
            self.cache.synced,
            self.condition.error,
        )

    def observe_condition(self) -> tuple[ClusterCondition, ClusterCondition]:
        """(before, now): reachability from the client, and the first error of a failing watch."""
        reachability = self.client.reachability
        errors = [s.error for s in self.cache.status() if s.state is SyncState.FAILING and s.error]
        error = reachability.error if reachability.reachable is False else (errors[0] if errors else "")
        before, self.condition = self.condition, ClusterCondition(reachability.reachable, error)
        return before, self.condition

    def status_news(self) -> tuple[Severity | None, str, bool]:
        """After the cache's status changed: (severity, event message or "", compare the apps again?)."""
        before, now = self.observe_condition()
        severity: Severity | None = None
        message = ""
        if before.reachable is not False and now.reachable is False:
            severity, message = Severity.ERROR, f"cluster {self.context} is unreachable: {now.error}"
        elif before.reachable is False and now.reachable:
            severity, message = Severity.INFO, f"cluster {self.context} is reachable again"
        newly_ready = self.ready and not self.ever_ready
        self.ever_ready = self.ever_ready or self.ready
        return severity, message, newly_ready or before != now or self.ready


class ClusterRuntimes:
    """Contexts in use, created on the first app that points at them."""

    def __init__(
        self,
        clusters: Clusters,
        on_change: Callable[[ClusterRuntime, CacheEvent], None],
        on_status: Callable[[ClusterRuntime], None],
    ) -> None:
        self.clusters = clusters
        self._on_change = on_change
        self._on_status = on_status
        self._runtimes: dict[str, ClusterRuntime] = {}
        self._started = False

    def context_for(self, destination: Destination) -> str:
        """Raises DestinationError (a ClusterError) when no context matches."""
        return self.clusters.context_for(destination)

    def get(self, context: str) -> ClusterRuntime:
        runtime = self._runtimes.get(context)
        if runtime is None:
            client = self.clusters.client(context)
            cache = self.clusters.cache(context)
            runtime = ClusterRuntime(context, client, cache)
            cache.subscribe(lambda event, rt=runtime: self._on_change(rt, event))
            cache.subscribe_status(lambda rt=runtime: self._on_status(rt))
            self._runtimes[context] = runtime
        return runtime

    def __iter__(self) -> Iterator[ClusterRuntime]:
        return iter(list(self._runtimes.values()))

    async def start(self) -> None:
        self._started = True
        for runtime in self:
            await runtime.register()
            await runtime.cache.start()

    async def kinds_changed(self, runtime: ClusterRuntime) -> None:
        if self._started:
            await runtime.register()

    def freshness(self) -> list[ClusterFreshness]:
        return [runtime.freshness() for runtime in sorted(self, key=lambda r: r.context)]

    async def aclose(self) -> None:
        self._runtimes.clear()
        await self.clusters.aclose()
