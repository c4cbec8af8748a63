"""What a sync's waits read: the reconciler's watch cache, where it covers the object, instead of polling GETs.

The cache (cluster/cache.py) already holds every object of the kinds the apps render, kept current by
watches. A wave waiting for its Deployments to become healthy reads them there and sleeps until the
cache reports a change of one of them, so a thousand syncs waiting at once cost the API server nothing.

Two cautions the reader keeps:
- coverage: a kind the cache does not watch (yet), or a scope that is re-listing after a broken watch, is
  not covered; the wait GETs those objects instead;
- lag: right after a write the cache may still hold the object as it was before it. A cached object is
  trusted for a key only once it shows the resourceVersion our write returned (or a newer one); until
  then the key counts as "not seen yet" (see `sync_waits.wait_for`, which GETs it if the lag lasts).

One `CacheReader` per cache: a single cache subscription routes events by key to the waits that want
them, so a change costs one dict lookup however many syncs wait.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable, Iterable
from typing import Any

from gitops_tui.cluster.cache import CacheEvent, LiveCache
from gitops_tui.cluster.watch import SyncState
from gitops_tui.model import ResourceKey


class CacheReader:
    def __init__(self, cache: LiveCache) -> None:
        self.cache = cache
        self._waiting: dict[ResourceKey, set[asyncio.Event]] = {}
        self._unsubscribe: Callable[[], None] | None = None

    # ---- coverage -----------------------------------------------------------------------------------

    def covered_scopes(self) -> set[tuple[str, str]]:
        """(group_resource, namespace or "" for all) of every scope listed and watching right now."""
        return {(s.resource, s.namespace) for s in self.cache.status() if s.state is SyncState.SYNCED}

    def covers(self, key: ResourceKey, scopes: set[tuple[str, str]]) -> bool:
        resource = self.cache.client.mapper.find_group_kind(key.group, key.kind)
        if resource is None:
            return False
        return (resource.group_resource, "") in scopes or (resource.group_resource, key.namespace) in scopes

    # ---- reads --------------------------------------------------------------------------------------

    def version(self, key: ResourceKey) -> str | None:
        """The cached object's resourceVersion; None when the cache holds no object at `key`."""
        entry = self.cache.store.entry(key)
        return None if entry is None else entry.resource_version

    def get(self, key: ResourceKey) -> dict[str, Any] | None:
        return self.cache.get(key)

    # ---- change notices -----------------------------------------------------------------------------

    def notify(self, keys: Iterable[ResourceKey], event: asyncio.Event) -> Callable[[], None]:
        """Set `event` whenever one of `keys` changes in the cache; returns the function that stops it."""
        if self._unsubscribe is None:
            self._unsubscribe = self.cache.subscribe(self._on_event)
        wanted = list(dict.fromkeys(keys))
        for key in wanted:
            self._waiting.setdefault(key, set()).add(event)

        def stop() -> None:
            for key in wanted:
                events = self._waiting.get(key)
                if events is not None:
                    events.discard(event)
                    if not events:
                        del self._waiting[key]

        return stop

    def _on_event(self, event: CacheEvent) -> None:
        for waiting in self._waiting.get(event.key, ()):
            waiting.set()


_readers: weakref.WeakKeyDictionary[LiveCache, CacheReader] = weakref.WeakKeyDictionary()


def reader_for(cache: LiveCache | None) -> CacheReader | None:
    """The one reader of `cache` (made on first use); None without a cache."""
    if cache is None:
        return None
    found = _readers.get(cache)
    if found is None:
        found = _readers[cache] = CacheReader(cache)
    return found


def at_least(cached: str | None, written: str) -> bool:
    """Does a cached resourceVersion show our write? Versions are opaque to clients, but every API server
    we know (etcd's revisions, the sandbox's counter) gives integers that grow; where they are not
    integers only an equal version counts, and the wait falls back to a GET after the lag allowance."""
    if cached is None:
        return False
    if not written or cached == written:
        return True
    if cached.isdigit() and written.isdigit():
        return int(cached) >= int(written)
    return False
