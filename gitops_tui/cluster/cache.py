"""LiveCache: one cluster's objects, kept current by list+watch threads, indexed for the engine and the tree.

Ownership: the store and every index belong to the event loop. Watch threads (watch.py) decode objects and
post messages to an inbox; the inbox hands them to the loop with `loop.call_soon_threadsafe` and applies
them there in small time slices, so a 20,000-object list never blocks the loop for more than a few ms.
Subscribers are called on the loop, after the store has changed.

Callers say what to watch: `register(consumer, kinds, namespaces)`. Kinds are expanded with the children
the resource tree shows (a Deployment's ReplicaSets and Pods...). A kind is watched across all namespaces
if any consumer wants it so, else in the union of the namespaces asked for; when a cluster-wide list is
forbidden, the cache falls back to one watch per known namespace.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from gitops_tui.model import ResourceKey

from .cache_registrations import Registrations
from .cache_values import CacheEvent, CacheSettings, Subscriber, WatchStatus
from .client import ClusterClient
from .discovery import ApiResource
from .errors import ClusterError
from .inbox import Inbox
from .kinds import GroupKind
from .store import CachedObject, EventType, ObjectStore, decode_object
from .tracking import ARGOCD_TRACKING_ANNOTATION
from .watch import (
    Changed,
    ListChunk,
    ListForbidden,
    Message,
    Scope,
    StateChanged,
    SyncState,
    WatchWorker,
)

__all__ = ["CacheEvent", "CacheSettings", "LiveCache", "Subscriber", "WatchStatus"]  # the values: cache_values.py

log = logging.getLogger(__name__)


class LiveCache:
    def __init__(self, client: ClusterClient, settings: CacheSettings | None = None) -> None:
        self.client = client
        self.settings = settings or CacheSettings()
        self.store = ObjectStore()
        self._annotation_keys = tuple(dict.fromkeys((client.settings.tracking_annotation, ARGOCD_TRACKING_ANNOTATION)))
        self._registrations = Registrations()
        self._workers: dict[Scope, WatchWorker] = {}
        self._status: dict[Scope, WatchStatus] = {}
        self._unknown_kinds: dict[GroupKind, str] = {}
        self._discovery_error = ""
        self._forbidden_cluster_wide: set[str] = set()
        self._fallback_namespaces: set[str] = set()
        self._forbidden_namespaces: set[str] = set()
        self._listed: dict[Scope, set[ResourceKey]] = {}
        self._generation = 0
        self._subscribers: list[Subscriber] = []
        self._status_subscribers: list[Callable[[], None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._inbox: Inbox | None = None
        self._reconcile_lock = asyncio.Lock()
        self._maintenance: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()

    @property
    def context(self) -> str:
        return self.client.context

    # ---- lifecycle (the loop) -----------------------------------------------------------------------

    async def start(self) -> None:
        """Start watching what is registered; returns at once (see `wait_synced`)."""
        if self._loop is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._inbox = Inbox(self._loop, self._handle, self.settings.slice_budget)
        await self._reconcile_watches()
        self._maintenance = asyncio.create_task(self._look_for_unknown_kinds(), name=f"cache {self.context}")

    def stop(self) -> None:
        """Stop every watch thread (they exit within moments; nothing is delivered after this returns)."""
        if self._maintenance is not None:
            self._maintenance.cancel()
            self._maintenance = None
        workers, self._workers = list(self._workers.values()), {}
        for worker in workers:
            worker.stop()
        self._stopped_workers = workers
        self._loop = None

    async def aclose(self, timeout: float = 5.0) -> None:
        """`stop()`, then wait (off the loop) for the threads to end."""
        self.stop()
        workers = getattr(self, "_stopped_workers", [])
        deadline = time.monotonic() + timeout

        def join() -> None:
            for worker in workers:
                worker.join(max(0.0, deadline - time.monotonic()))

        await asyncio.to_thread(join)

    async def wait_synced(self, timeout: float | None = None) -> bool:
        """True once every watched scope has listed and is watching; False on timeout."""

        async def synced() -> None:
            while not self.synced:
                self._changed.clear()
                await self._changed.wait()

        try:
            await asyncio.wait_for(synced(), timeout)
        except TimeoutError:
            return False
        return True

    # ---- what to watch (the loop) -------------------------------------------------------------------

    async def register(
        self,
        consumer: str,
        kinds: Iterable[GroupKind | tuple[str, str]],
        namespaces: Iterable[str] | None = None,
        *,
        include_children: bool = True,
    ) -> None:
        """Declare what `consumer` needs (replacing what it declared before); None namespaces: all of them."""
        self._registrations.declare(consumer, kinds, namespaces, include_children=include_children)
        if self._loop is not None:
            await self._reconcile_watches()

    async def unregister(self, consumer: str) -> None:
        if self._registrations.withdraw(consumer) and self._loop is not None:
            await self._reconcile_watches()

    def _known_namespaces(self) -> set[str]:
        requested = self._registrations.requested_namespaces()
        return (self._fallback_namespaces | requested) - self._forbidden_namespaces

    async def _reconcile_watches(self) -> None:
        async with self._reconcile_lock:
            wanted = self._registrations.wanted_namespaces()
            resources: dict[GroupKind, ApiResource] = {}
            missing = [k for k in wanted if self.client.mapper.find_group_kind(k.group, k.kind) is None]
            self._discovery_error = ""
            if missing:
                try:
                    await asyncio.to_thread(self.client.mapper.refresh)
                except ClusterError as exc:  # unreachable, or no credentials: say so rather than "unknown kind"
                    self._discovery_error = f"cannot read the API's resource types: {exc.message}"
            self._unknown_kinds.clear()
            for kind in wanted:
                found = self.client.mapper.find_group_kind(kind.group, kind.kind)
                if found is None:
                    self._unknown_kinds[kind] = (
                        self._discovery_error or f"no resource type {kind} on cluster {self.context}"
                    )
                elif not found.watchable:
                    self._unknown_kinds[kind] = f"{found.group_resource} cannot be listed and watched"
                else:
                    resources[kind] = found
            scopes: set[Scope] = set()
            for kind, resource in resources.items():
                scopes |= self._scopes_for(resource, wanted[kind])
            if self._loop is None:
                return
            for scope in [s for s in self._workers if s not in scopes]:
                self._workers.pop(scope).stop()
                self._status.pop(scope, None)
                self._listed.pop(scope, None)
                self._purge_uncovered(scope.resource, scopes)
            for scope in sorted(scopes - set(self._workers), key=str):
                self._start_worker(scope)
            self._notify_status()

    def _scopes_for(self, resource: ApiResource, namespaces: frozenset[str] | None) -> set[Scope]:
        if not resource.namespaced:
            return {Scope(resource)}
        if namespaces is None:
            if resource.group_resource not in self._forbidden_cluster_wide:
                return {Scope(resource)}
            namespaces = frozenset(self._known_namespaces())
        return {Scope(resource, ns) for ns in namespaces if ns}

    def _start_worker(self, scope: Scope) -> None:
        assert self._inbox is not None
        self._generation += 1
        chosen_by_us = not scope.namespace or scope.namespace not in self._registrations.requested_namespaces()
        worker = WatchWorker(
            self.client,
            scope,
            self._generation,
            self._inbox.post,
            self._decode,
            self.settings.watch,
            report_forbidden=scope.resource.namespaced and chosen_by_us,
        )
        self._workers[scope] = worker
        self._status[scope] = WatchStatus(scope.resource.group_resource, scope.namespace, SyncState.RESYNCING)
        worker.start()

    def _decode(self, obj: dict[str, Any], resource: ApiResource) -> CachedObject:  # watch threads
        return decode_object(obj, resource, self._annotation_keys)

    def _purge_uncovered(self, resource: ApiResource, scopes: set[Scope]) -> None:
        covering = {
            s.namespace for s in scopes if s.resource.group == resource.group and s.resource.kind == resource.kind
        }
        if "" in covering:
            return
        stale = [k for k in self.store.keys_of_type(resource.group, resource.kind) if k.namespace not in covering]
        self._emit_many(EventType.DELETED, self.store.remove_many(stale))

    async def _look_for_unknown_kinds(self) -> None:
        while True:
            # An unreachable cluster is retried sooner than a kind that may never come (a CRD not installed).
            interval = self.settings.kind_retry_interval
            if self._discovery_error:
                interval = min(interval, self.settings.discovery_retry_interval)
            await asyncio.sleep(interval)
            if self._unknown_kinds:
                await self._reconcile_watches()

    # ---- applying messages (the loop) ---------------------------------------------------------------

    def _handle(self, message: Message) -> None:
        worker = self._workers.get(message.scope)
        if worker is None or worker.generation != message.generation:
            return  # from a worker stopped since: its view is no longer ours
        scope = message.scope
        status = self._status[scope]
        if isinstance(message, Changed):
            self._apply_change(message)
        elif isinstance(message, ListChunk):
            self._apply_list_chunk(message)
        elif isinstance(message, StateChanged):
            status = WatchStatus(status.resource, status.namespace, message.state, message.error, status.last_event_at)
        elif isinstance(message, ListForbidden):
            self._on_list_forbidden(scope, message.error)
            return
        if not isinstance(message, StateChanged):
            status = WatchStatus(status.resource, status.namespace, status.state, status.error, message.at)
        self._status[scope] = status
        if isinstance(message, StateChanged):
            self._notify_status()

    def _apply_change(self, message: Changed) -> None:
        if message.type == "DELETED":
            if self.store.remove(message.obj.key) is not None:
                self._emit(EventType.DELETED, message.obj.key)
            return
        change = self.store.upsert(message.obj)
        if change is not None:
            self._emit(change, message.obj.key)

    def _apply_list_chunk(self, message: ListChunk) -> None:
        scope = message.scope
        if message.first:
            self._listed[scope] = set()
        listed = self._listed.setdefault(scope, set())
        for obj in message.objects:
            listed.add(obj.key)
            change = self.store.upsert(obj)
            if change is not None:
                self._emit(change, obj.key)
        if message.last:
            resource = scope.resource
            namespace = scope.namespace if scope.namespace else None
            gone = self.store.keys_of_type(resource.group, resource.kind, namespace) - listed
            self._emit_many(EventType.DELETED, self.store.remove_many(gone))
            del self._listed[scope]

    def _on_list_forbidden(self, scope: Scope, error: str) -> None:
        if self._loop is None:
            return
        if scope.namespace:  # a namespace we guessed from the namespace list: not ours to see
            log.info("%s: forbidden, no longer watching namespace %s", scope, scope.namespace)
            self._forbidden_namespaces.add(scope.namespace)
            self._loop.create_task(self._reconcile_watches())
            return
        log.info("%s: cluster-wide list forbidden, falling back to namespaces", scope)
        self._forbidden_cluster_wide.add(scope.resource.group_resource)
        self._loop.create_task(self._fall_back_to_namespaces(scope, error))

    async def _fall_back_to_namespaces(self, scope: Scope, error: str) -> None:
        try:
            namespace_type = await asyncio.to_thread(self.client.mapper.resource_for, "v1", "Namespace")
            page = await asyncio.to_thread(self.client.list, namespace_type)
            self._fallback_namespaces |= {str(i["metadata"]["name"]) for i in page.items}
        except ClusterError:
            pass  # listing namespaces is forbidden too: the namespaces the apps named are all we know
        await self._reconcile_watches()
        if not self._scopes_for(scope.resource, None):
            self._status[scope] = WatchStatus(
                scope.resource.group_resource, "", SyncState.FAILING, f"{error}; no known namespace to watch instead"
            )
            self._notify_status()

    # ---- events -------------------------------------------------------------------------------------

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call `callback(CacheEvent)` on the loop after each change; returns the unsubscribe function."""
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback) if callback in self._subscribers else None

    def subscribe_status(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call `callback()` on the loop when a scope's sync state changes (read `status()` then)."""
        self._status_subscribers.append(callback)
        return lambda: self._status_subscribers.remove(callback) if callback in self._status_subscribers else None

    def _emit(self, change: EventType, key: ResourceKey) -> None:
        event = CacheEvent(change, key, self.context)
        for callback in list(self._subscribers):
            try:
                callback(event)
            except Exception:
                log.exception("cache subscriber failed on %s", event)

    def _emit_many(self, change: EventType, keys: Iterable[ResourceKey]) -> None:
        for key in keys:
            self._emit(change, key)

    def _notify_status(self) -> None:
        self._changed.set()
        for callback in list(self._status_subscribers):
            try:
                callback()
            except Exception:
                log.exception("cache status subscriber failed")

    # ---- reads (the loop) ---------------------------------------------------------------------------

    def get(self, key: ResourceKey) -> dict[str, Any] | None:
        """A private copy of the cached object (without managedFields), or None."""
        return self.store.get(key)

    def by_app(self, app: str) -> dict[ResourceKey, dict[str, Any]]:
        """Objects whose tracking annotation (ours or Argo CD's) names `app` and this very object."""
        return {key: obj for key in self.store.keys_by_app(app) if (obj := self.store.get(key)) is not None}

    def children(self, uid: str) -> dict[ResourceKey, dict[str, Any]]:
        """Objects listing `uid` in their ownerReferences (ReplicaSets of a Deployment, Pods of those)."""
        return {key: obj for key in self.store.keys_owned_by(uid) if (obj := self.store.get(key)) is not None}

    def keys(self, group: str | None = None, kind: str | None = None) -> set[ResourceKey]:
        if group is None or kind is None:
            return set(self.store.keys())
        return self.store.keys_of_type(group, kind)

    def status(self) -> list[WatchStatus]:
        """Per watched scope (and per kind discovery does not know) its state, error and freshness."""
        unknown = [WatchStatus(str(kind), "", SyncState.FAILING, error) for kind, error in self._unknown_kinds.items()]
        return sorted(self._status.values(), key=lambda s: (s.resource, s.namespace)) + unknown

    @property
    def synced(self) -> bool:
        return not self._unknown_kinds and all(s.state == SyncState.SYNCED for s in self._status.values())

    def newest_event_age(self) -> float | None:
        """Seconds since the freshest news from any scope; None before any."""
        ages = [age for s in self._status.values() if (age := s.age()) is not None]
        return min(ages) if ages else None

    @property
    def reachable(self) -> bool | None:
        return self.client.reachability.reachable
