"""The object store: every object, the resourceVersion counter, the change log and its subscribers.

Internal API (used by the HTTP handlers and by the simulated controllers; keep it stable):

    store = Store(registry=Registry(), clock=utc_now)
    store.get(resource, namespace, name) -> dict                # raises ApiError 404
    store.try_get(resource, namespace, name) -> dict | None
    store.list(resource, namespace=None, label_selector=None, field_selector=None) -> list[dict]
    store.create(resource, obj, namespace=None, *, dry_run=False, manager=..., keep_status=False) -> dict
    store.update(resource, obj, *, dry_run=False, manager=..., subresource="") -> dict   # 409 on stale RV
    store.update_status(resource, obj, **kw) -> dict          # writes only .status (status subresource)
    store.mutate(resource, namespace, name, fn, *, subresource="", manager=...) -> dict  # read-modify-write
    store.delete(resource, namespace, name, *, propagation="Background", dry_run=False) -> dict | None
    store.generate_name(prefix) -> str
    store.subscribe(callback, resource=None) -> Subscription   # callback(WatchEvent), .close()
    store.resource_version -> int

`resource` is a group-resource string: "pods", "deployments.apps", "leases.coordination.k8s.io"
(a Kind such as "Deployment" also works for built-ins). Reads return private copies by default; objects
inside a `WatchEvent` are the stored ones and must be treated as read-only.

Everything runs on one asyncio loop (or one thread): there is no locking. Subscriber callbacks run
synchronously after each write; a callback may write to the store, and the resulting events are
delivered after the current dispatch finishes, so every subscriber sees events in resourceVersion order.
"""

from __future__ import annotations

import json
import logging
import secrets
import uuid
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from . import crds, deletion, errors
from .entry import Callback, Entry, Subscription, WatchEvent, dumps, format_time
from .owner_index import index_owners
from .resources import Registry, ResourceType
from .selectors import object_matches, parse_field_selector, parse_label_selector
from .validation import validate_object
from .writes import WritePipeline

log = logging.getLogger(__name__)

DEFAULT_MANAGER = "sandbox"
DEFAULT_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def utc_now() -> datetime:
    return datetime.now(UTC)


class Store:
    def __init__(
        self,
        registry: Registry | None = None,
        *,
        clock: Callable[[], datetime] = utc_now,
        history: int = 100_000,
        seed_namespaces: bool = True,
        gc_delay: float = 0.0,
        pod_termination_delay: float = 0.0,
    ) -> None:
        self.registry = registry or Registry()
        self.clock = clock
        self._history_size = history
        # Seconds between a deletion and the garbage collector / namespace controller acting on it
        # (0: at once). See deletion.py.
        self.gc_delay = gc_delay
        # Real seconds a simulated kubelet takes to confirm a graceful pod deletion (0: pods go at once).
        self.pod_termination_delay = pod_termination_delay
        # group-resource -> namespace ("" for cluster scope) -> name -> Entry
        self._data: dict[str, dict[str, dict[str, Entry]]] = {}
        self._rv = 0
        self._history: deque[WatchEvent] = deque()
        self._compacted_rv = 0  # events with rv > this are all in _history
        self._subscribers: set[Subscription] = set()
        self._dispatching = False
        self._pending: deque[WatchEvent] = deque()
        # owner uid -> keys of objects that name it in ownerReferences (for garbage collection)
        self.dependents: dict[str, set[tuple[str, str, str]]] = {}
        # Callbacks run (synchronously) after an object is removed for good: GC, namespaces, CRDs.
        self.removal_hooks: list[Callable[[str, dict[str, Any]], None]] = []
        self.commit_hooks: list[Callable[[WatchEvent], None]] = []
        self.writes = WritePipeline(self)
        deletion.install(self)
        crds.install(self)
        if seed_namespaces:
            for ns in DEFAULT_NAMESPACES:
                self.create("namespaces", {"metadata": {"name": ns}}, manager="kube-apiserver")

    # ---- time, names, versions -------------------------------------------------------------------

    def now(self) -> str:
        return format_time(self.clock())

    @property
    def resource_version(self) -> int:
        return self._rv

    @property
    def compacted_resource_version(self) -> int:
        """Watches and continue tokens from an RV older than this get 410 Gone."""
        return self._compacted_rv

    def generate_name(self, prefix: str) -> str:
        return prefix + "".join(secrets.choice(_NAME_ALPHABET) for _ in range(5))

    @staticmethod
    def new_uid() -> str:
        return str(uuid.uuid4())

    # ---- type resolution ---------------------------------------------------------------------------

    def resolve(self, resource: str | ResourceType) -> ResourceType:
        if isinstance(resource, ResourceType):
            found = self.registry.storage_type(resource.group_resource)
        else:
            found = self.registry.storage_type(resource)
            if found is None:
                found = next(
                    (
                        rt
                        for rt in self.registry.all_types()
                        if rt.kind == resource and rt.version == rt.storage_version
                    ),
                    None,
                )
        if found is None:
            raise errors.unknown_resource()
        return found

    # ---- reads -------------------------------------------------------------------------------------

    def entry(self, rt: ResourceType, namespace: str | None, name: str) -> Entry | None:
        ns = (namespace or "") if rt.namespaced else ""
        return self._data.get(rt.group_resource, {}).get(ns, {}).get(name)

    def try_get(self, resource: str | ResourceType, namespace: str | None, name: str) -> dict[str, Any] | None:
        found = self.entry(self.resolve(resource), namespace, name)
        return json.loads(found.raw()) if found else None

    def get(self, resource: str | ResourceType, namespace: str | None, name: str) -> dict[str, Any]:
        rt = self.resolve(resource)
        found = self.entry(rt, namespace, name)
        if found is None:
            raise errors.not_found(rt.plural, rt.group, name)
        return json.loads(found.raw())

    def entries(
        self,
        rt: ResourceType,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        after: tuple[str, str] | None = None,
    ) -> list[Entry]:
        """Matching entries in key order (namespace, name), as etcd returns them; `after` skips keys."""
        labels = parse_label_selector(label_selector)
        fields = parse_field_selector(field_selector, rt.field_labels)
        by_ns = self._data.get(rt.group_resource, {})
        namespaces = [namespace or ""] if (namespace and rt.namespaced) or not rt.namespaced else sorted(by_ns)
        out: list[Entry] = []
        for ns in namespaces:
            if after is not None and ns < after[0]:
                continue
            names = by_ns.get(ns)
            if not names:
                continue
            for name in sorted(names):
                if after is not None and (ns, name) <= after:
                    continue
                found = names[name]
                if (labels is None and fields is None) or object_matches(found.obj, labels, fields):
                    out.append(found)
        return out

    def list(
        self,
        resource: str | ResourceType,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> list[dict[str, Any]]:
        rt = self.resolve(resource)
        return [json.loads(e.raw()) for e in self.entries(rt, namespace, label_selector, field_selector)]

    def count(self, resource: str | ResourceType) -> int:
        return sum(len(names) for names in self._data.get(self.resolve(resource).group_resource, {}).values())

    def namespace_entries(self, namespace: str) -> list[tuple[str, Entry]]:
        """Every object in a namespace, across all resources, as (group-resource, entry)."""
        return [(gr, e) for gr, by_ns in self._data.items() for e in by_ns.get(namespace, {}).values()]

    # ---- writes (validation and metadata rules live in writes.py) -----------------------------------

    def create(
        self,
        resource: str | ResourceType,
        obj: dict[str, Any],
        namespace: str | None = None,
        *,
        dry_run: bool = False,
        manager: str = DEFAULT_MANAGER,
        keep_status: bool = False,
    ) -> dict[str, Any]:
        obj = json.loads(dumps(obj))
        return json.loads(
            self.writes.create(
                self.resolve(resource), obj, namespace, dry_run=dry_run, manager=manager, keep_status=keep_status
            ).raw()
        )

    def update(
        self,
        resource: str | ResourceType,
        obj: dict[str, Any],
        *,
        dry_run: bool = False,
        manager: str = DEFAULT_MANAGER,
        subresource: str = "",
    ) -> dict[str, Any]:
        obj = json.loads(dumps(obj))
        return json.loads(
            self.writes.update(
                self.resolve(resource), obj, dry_run=dry_run, manager=manager, subresource=subresource
            ).raw()
        )

    def update_status(self, resource: str | ResourceType, obj: dict[str, Any], **kw: Any) -> dict[str, Any]:
        return self.update(resource, obj, subresource="status", **kw)

    def mutate(
        self,
        resource: str | ResourceType,
        namespace: str | None,
        name: str,
        fn: Callable[[dict[str, Any]], dict[str, Any] | None],
        *,
        subresource: str = "",
        manager: str = DEFAULT_MANAGER,
    ) -> dict[str, Any]:
        """Read, let `fn` change a private copy (in place or by returning a new dict), write back."""
        current = self.get(resource, namespace, name)
        changed = fn(current)
        return self.update(
            resource, changed if isinstance(changed, dict) else current, manager=manager, subresource=subresource
        )

    def delete(
        self,
        resource: str | ResourceType,
        namespace: str | None,
        name: str,
        *,
        propagation: str | None = None,
        dry_run: bool = False,
        preconditions: dict[str, str] | None = None,
        grace_period: int | None = None,
    ) -> dict[str, Any] | None:
        """Delete like a real server: returns the object if it lingers (finalizers), None if gone."""
        rt = self.resolve(resource)
        return deletion.delete_object(
            self,
            rt,
            namespace,
            name,
            propagation=propagation,
            dry_run=dry_run,
            preconditions=preconditions,
            grace_period=grace_period,
        )

    def validate(self, rt: ResourceType, obj: dict[str, Any]) -> None:
        validate_object(rt, obj)
        if rt.group_resource == crds.CRD_RESOURCE:
            crds.validate_crd(obj)

    # ---- commit primitives (used by writes.py / deletion.py only) ------------------------------------

    def next_rv(self) -> int:
        self._rv += 1
        return self._rv

    def commit(self, rt: ResourceType, obj: dict[str, Any], event_type: str, old: dict[str, Any] | None) -> Entry:
        """Store `obj` (owned by the store from now on) under a fresh resourceVersion and announce it."""
        rv = self.next_rv()
        obj["metadata"]["resourceVersion"] = str(rv)
        entry = Entry(obj, rv)
        meta = obj["metadata"]
        ns = meta.get("namespace", "") if rt.namespaced else ""
        self._data.setdefault(rt.group_resource, {}).setdefault(ns, {})[meta["name"]] = entry
        self._index_owners(rt, old, obj)
        self._emit(WatchEvent(event_type, rt.group_resource, entry, old))
        return entry

    def remove(self, rt: ResourceType, obj: dict[str, Any]) -> Entry:
        """Remove an object for good: a DELETED event carrying its final state under a new RV."""
        meta = obj["metadata"]
        ns = meta.get("namespace", "") if rt.namespaced else ""
        by_ns = self._data.get(rt.group_resource, {})
        names = by_ns.get(ns, {})
        old_entry = names.pop(meta["name"], None)
        if not names:
            by_ns.pop(ns, None)
        final = json.loads(dumps(obj))
        rv = self.next_rv()
        final["metadata"]["resourceVersion"] = str(rv)
        entry = Entry(final, rv)
        self._index_owners(rt, old_entry.obj if old_entry else None, None)
        self._emit(WatchEvent("DELETED", rt.group_resource, entry, old_entry.obj if old_entry else None))
        for hook in list(self.removal_hooks):
            hook(rt.group_resource, final)
        return entry

    def drop_group_resource(self, group_resource: str) -> None:
        """Forget a whole group-resource without events (its CRD is gone; watchers are closed separately)."""
        self._data.pop(group_resource, None)

    def _index_owners(self, rt: ResourceType, old: dict[str, Any] | None, new: dict[str, Any] | None) -> None:
        index_owners(self.dependents, rt, old, new)

    # ---- events ------------------------------------------------------------------------------------

    def subscribe(self, callback: Callback, resource: str | None = None) -> Subscription:
        """Call `callback(event)` after every change (of one group-resource, or of all when None)."""
        sub = Subscription(self, callback, self.resolve(resource).group_resource if resource else None)
        self._subscribers.add(sub)
        return sub

    def history_since(self, rv: int) -> list[WatchEvent]:
        """Events after `rv`; raises 410 Expired when they are no longer retained."""
        if rv < self._compacted_rv:
            raise errors.too_old_resource_version(rv, self._compacted_rv + 1)
        if not self._history or rv >= self._history[-1].rv:
            return []
        # The log is ordered by rv; scan from the end, it is usually a short tail.
        out: list[WatchEvent] = []
        for event in reversed(self._history):
            if event.rv <= rv:
                break
            out.append(event)
        out.reverse()
        return out

    def compact(self) -> None:
        """Forget the change log, like etcd compaction: older RVs now answer 410 Gone."""
        self._history.clear()
        self._compacted_rv = self._rv

    def _emit(self, event: WatchEvent) -> None:
        self._history.append(event)
        if len(self._history) > self._history_size:
            self._compacted_rv = self._history.popleft().rv
        for hook in self.commit_hooks:
            hook(event)
        self._pending.append(event)
        if self._dispatching:
            return
        self._dispatching = True
        try:
            while self._pending:
                pending = self._pending.popleft()
                for sub in list(self._subscribers):
                    if sub.resource is None or sub.resource == pending.resource:
                        try:
                            sub.callback(pending)
                        except Exception:  # a broken subscriber must not break writes
                            log.exception("store subscriber failed")
        finally:
            self._dispatching = False

    # ---- persistence -------------------------------------------------------------------------------

    def load_state(self, state: dict[str, Any]) -> None:
        """Replace everything with a dumped state (CRDs first so their types exist)."""
        self._data.clear()
        self.dependents.clear()
        self._history.clear()
        items = sorted(
            state.get("objects", []),
            key=lambda item: item["resource"] != "customresourcedefinitions.apiextensions.k8s.io",
        )
        for item in items:
            obj = item["object"]
            rt = self.resolve(item["resource"])
            meta = obj["metadata"]
            ns = meta.get("namespace", "") if rt.namespaced else ""
            entry = Entry(obj, int(meta.get("resourceVersion") or 0))
            self._data.setdefault(rt.group_resource, {}).setdefault(ns, {})[meta["name"]] = entry
            self._index_owners(rt, None, obj)
            for hook in self.commit_hooks:
                hook(WatchEvent("ADDED", rt.group_resource, entry, None))
        self._rv = max(int(state.get("resourceVersion", 0)), self._rv)
        self._compacted_rv = self._rv
