"""The live cache's object store and its indexes, owned by the event loop (no locks: one writer).

Each object is kept once, as compact JSON bytes without `managedFields`: a parsed Kubernetes object costs
several times its JSON size in Python dicts and strings, and most cached objects (Pods, ReplicaSets) are
never read in full. `get` parses on demand and hands the caller its own copy, so nobody can corrupt the
cache by editing what they were given. Indexes hold keys, never objects.
"""

from __future__ import annotations

import enum
import sys
from collections.abc import Iterable, Iterator
from typing import Any

from gitops_tui.cluster import json_codec
from gitops_tui.model import ResourceKey

from .discovery import ApiResource
from .tracking import tracked_apps


class EventType(enum.StrEnum):
    ADDED = "added"
    MODIFIED = "modified"
    DELETED = "deleted"


class CachedObject:
    __slots__ = ("apps", "key", "owners", "raw", "resource_version", "uid")

    def __init__(
        self,
        key: ResourceKey,
        raw: bytes,
        resource_version: str,
        uid: str,
        owners: tuple[str, ...],
        apps: tuple[str, ...],
    ) -> None:
        self.key = key
        self.raw = raw
        self.resource_version = resource_version
        self.uid = uid
        self.owners = owners
        self.apps = apps

    def parse(self) -> dict[str, Any]:
        return json_codec.loads(self.raw)


def decode_object(obj: dict[str, Any], resource: ApiResource, annotation_keys: tuple[str, ...]) -> CachedObject:
    """Turn a server object into a cache entry (runs on watch threads: the costly part stays off the loop)."""
    metadata = obj.get("metadata") or {}
    metadata.pop("managedFields", None)
    obj.setdefault("apiVersion", resource.api_version)
    obj.setdefault("kind", resource.kind)
    namespace = str(metadata.get("namespace") or "") if resource.namespaced else ""
    # Interning makes the thousands of keys share one copy of each group, kind and namespace string.
    key = ResourceKey(
        sys.intern(resource.group), sys.intern(resource.kind), sys.intern(namespace), str(metadata.get("name") or "")
    )
    owners = tuple(
        str(ref.get("uid")) for ref in metadata.get("ownerReferences") or () if isinstance(ref, dict) and ref.get("uid")
    )
    apps = tuple(sys.intern(app) for app in tracked_apps(obj, key, annotation_keys))
    raw = json_codec.dumps(obj)
    return CachedObject(
        key, raw, str(metadata.get("resourceVersion") or ""), str(metadata.get("uid") or ""), owners, apps
    )


class ObjectStore:
    def __init__(self) -> None:
        self._objects: dict[ResourceKey, CachedObject] = {}
        self._by_type: dict[tuple[str, str], set[ResourceKey]] = {}
        self._by_app: dict[str, set[ResourceKey]] = {}
        self._by_owner: dict[str, set[ResourceKey]] = {}
        self._by_uid: dict[str, ResourceKey] = {}

    def __len__(self) -> int:
        return len(self._objects)

    def __contains__(self, key: ResourceKey) -> bool:
        return key in self._objects

    def __iter__(self) -> Iterator[ResourceKey]:
        return iter(self._objects)

    # ---- reads --------------------------------------------------------------------------------------

    def entry(self, key: ResourceKey) -> CachedObject | None:
        return self._objects.get(key)

    def get(self, key: ResourceKey) -> dict[str, Any] | None:
        found = self._objects.get(key)
        return found.parse() if found is not None else None

    def keys(self) -> Iterator[ResourceKey]:
        return iter(self._objects)

    def keys_of_type(self, group: str, kind: str, namespace: str | None = None) -> set[ResourceKey]:
        """Keys of one kind; with `namespace`, only those in it (None: every namespace)."""
        keys = self._by_type.get((group, kind), set())
        if namespace is None:
            return set(keys)
        return {k for k in keys if k.namespace == namespace}

    def keys_by_app(self, app: str) -> set[ResourceKey]:
        return set(self._by_app.get(app, ()))

    def apps(self) -> set[str]:
        return set(self._by_app)

    def keys_owned_by(self, uid: str) -> set[ResourceKey]:
        return set(self._by_owner.get(uid, ()))

    def key_for_uid(self, uid: str) -> ResourceKey | None:
        return self._by_uid.get(uid)

    # ---- writes -------------------------------------------------------------------------------------

    def upsert(self, entry: CachedObject) -> EventType | None:
        """Store a newer version; returns the change it makes, None when it is the version we have."""
        old = self._objects.get(entry.key)
        if old is not None and old.resource_version == entry.resource_version and old.raw == entry.raw:
            return None
        if old is not None:
            self._unindex(old)
        self._objects[entry.key] = entry
        self._index(entry)
        return EventType.ADDED if old is None else EventType.MODIFIED

    def remove(self, key: ResourceKey) -> CachedObject | None:
        old = self._objects.pop(key, None)
        if old is not None:
            self._unindex(old)
        return old

    def remove_many(self, keys: Iterable[ResourceKey]) -> list[ResourceKey]:
        return [key for key in keys if self.remove(key) is not None]

    def _index(self, entry: CachedObject) -> None:
        key = entry.key
        self._by_type.setdefault((key.group, key.kind), set()).add(key)
        for app in entry.apps:
            self._by_app.setdefault(app, set()).add(key)
        for owner in entry.owners:
            self._by_owner.setdefault(owner, set()).add(key)
        if entry.uid:
            self._by_uid[entry.uid] = key

    def _unindex(self, entry: CachedObject) -> None:
        key = entry.key
        _discard(self._by_type, (key.group, key.kind), key)
        for app in entry.apps:
            _discard(self._by_app, app, key)
        for owner in entry.owners:
            _discard(self._by_owner, owner, key)
        if entry.uid and self._by_uid.get(entry.uid) == key:
            del self._by_uid[entry.uid]


def _discard(index: dict[Any, set[ResourceKey]], bucket: Any, key: ResourceKey) -> None:
    keys = index.get(bucket)
    if keys is not None:
        keys.discard(key)
        if not keys:
            del index[bucket]
