"""Create and update as a real API server does them: metadata rules, status/spec separation,
generation, defaulting, managedFields, no-op detection, dry-run.

Defaulting (`defaults.apply_defaults`) and managedFields (`apply.record_update`) come from sibling
modules written separately; until they exist the writes simply skip them.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from . import apply, errors
from .defaults import apply_defaults
from .entry import Entry
from .errors import Cause
from .immutability import validate_update
from .resources import ResourceType
from .service_defaults import SequentialServiceAllocator

if TYPE_CHECKING:
    from .store import Store

_SERVER_METADATA = (
    "uid",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "generation",
    "resourceVersion",
    "selfLink",
)


def record_update(
    old: dict[str, Any] | None,
    new: dict[str, Any],
    manager: str,
    now: str,
    operation: str = "Update",
    subresource: str = "",
) -> dict[str, Any]:
    return apply.record_update(old, new, manager, now, operation=operation, subresource=subresource)


def _without_volatile(obj: dict[str, Any]) -> dict[str, Any]:
    """The object minus what changes on every write anyway, to detect no-op updates."""
    meta = dict(obj.get("metadata") or {})
    meta.pop("resourceVersion", None)
    fields = meta.get("managedFields")
    if fields:
        meta["managedFields"] = [{k: v for k, v in f.items() if k != "time"} for f in fields]
    return {**obj, "metadata": meta}


def _spec_part(obj: dict[str, Any], has_status: bool) -> dict[str, Any]:
    """What bumps generation: everything but metadata (and status, when it is a subresource)."""
    skipped = ("metadata", "status", "apiVersion", "kind") if has_status else ("metadata", "apiVersion", "kind")
    return {k: v for k, v in obj.items() if k not in skipped}


class WritePipeline:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._services: SequentialServiceAllocator | None = None
        store.removal_hooks.append(self._release_service_addresses)

    @property
    def services(self) -> SequentialServiceAllocator:
        """Cluster IPs and node ports, seeded on first use from the Services already stored
        (a state file restored before any write), so a restored sandbox never hands one out twice."""
        if self._services is None:
            self._services = SequentialServiceAllocator()
            for entry in self.store.entries(self.store.resolve("services"), None):
                _reserve(self._services, entry.obj)
        return self._services

    def _release_service_addresses(self, group_resource: str, obj: dict[str, Any]) -> None:
        if group_resource == "services" and self._services is not None:
            spec = obj.get("spec") or {}
            self._services.release(spec.get("clusterIP"))
            for port in spec.get("ports") or []:
                self._services.release(node_port=port.get("nodePort"))

    def _defaults(self, obj: dict[str, Any], previous: dict[str, Any] | None = None) -> dict[str, Any]:
        return apply_defaults(obj, self.services if obj.get("kind") == "Service" else None, previous)

    # ---- create ------------------------------------------------------------------------------------

    def create(
        self,
        rt: ResourceType,
        obj: dict[str, Any],
        namespace: str | None,
        *,
        dry_run: bool = False,
        manager: str = "sandbox",
        keep_status: bool = False,
        operation: str = "Update",
        prepared: bool = False,
    ) -> Entry:
        """Store a new object (a dry run returns an unstored Entry).

        `prepared` means managedFields are already set (server-side apply computed them)."""
        store = self.store
        obj["apiVersion"] = rt.api_version
        obj["kind"] = rt.kind
        meta = obj.get("metadata")
        if not isinstance(meta, dict):
            meta = obj["metadata"] = {}
        self._place_in_namespace(rt, meta, namespace)
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = self._unique_name(rt, meta["generateName"], meta.get("namespace"))
        for key in _SERVER_METADATA:
            meta.pop(key, None)
        name = meta.get("name") or ""
        store.validate(rt, obj)
        if rt.namespaced:
            self._check_namespace_accepts(rt, name, meta["namespace"])
        if store.entry(rt, meta.get("namespace"), name) is not None:
            raise errors.already_exists(rt.plural, rt.group, name)
        meta["uid"] = store.new_uid()
        meta["creationTimestamp"] = store.now()
        if rt.tracks_generation:
            meta["generation"] = 1
        if rt.has_status and not keep_status:
            obj.pop("status", None)
        self._initial_state(rt, obj, meta["creationTimestamp"])
        obj = self._defaults(obj)
        if not prepared:
            obj = record_update(None, obj, manager, store.now(), operation=operation)
        obj = _ordered(obj)
        if dry_run:
            return Entry(obj, 0)
        return store.commit(rt, obj, "ADDED", None)

    def _place_in_namespace(self, rt: ResourceType, meta: dict[str, Any], namespace: str | None) -> None:
        if not rt.namespaced:
            meta.pop("namespace", None)
            return
        given = meta.get("namespace")
        if namespace and given and given != namespace:
            raise errors.bad_request(
                "the namespace of the provided object does not match the namespace sent on the request"
            )
        meta["namespace"] = namespace or given or ""
        if not meta["namespace"]:
            raise errors.bad_request("an empty namespace may not be set during creation")

    def _check_namespace_accepts(self, rt: ResourceType, name: str, namespace: str) -> None:
        ns_entry = self.store.entry(self.store.resolve("namespaces"), None, namespace)
        if ns_entry is None:
            raise errors.not_found("namespaces", "", namespace)
        if ns_entry.obj["metadata"].get("deletionTimestamp"):
            raise errors.namespace_terminating(rt.plural, rt.group, name, namespace)

    def _unique_name(self, rt: ResourceType, prefix: str, namespace: str | None) -> str:
        while True:
            candidate = self.store.generate_name(prefix)
            if self.store.entry(rt, namespace, candidate) is None:
                return candidate

    @staticmethod
    def _initial_state(rt: ResourceType, obj: dict[str, Any], now: str) -> None:
        """What real registries' PrepareForCreate fills in before defaulting."""
        if rt.group_resource == "namespaces":
            obj["spec"] = {"finalizers": ["kubernetes"]}
            obj["status"] = {"phase": "Active"}
            obj["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = obj["metadata"]["name"]
        elif rt.group_resource == "customresourcedefinitions.apiextensions.k8s.io":
            from .crds import initial_status

            initial_status(obj, now)
        elif rt.group_resource == "pods" and "status" not in obj:
            obj["status"] = {"phase": "Pending"}

    # ---- update ------------------------------------------------------------------------------------

    def update(
        self,
        rt: ResourceType,
        obj: dict[str, Any],
        *,
        dry_run: bool = False,
        manager: str = "sandbox",
        subresource: str = "",
        operation: str = "Update",
        prepared: bool = False,
        expected_name: str | None = None,
    ) -> Entry:
        store = self.store
        meta = obj.get("metadata")
        if not isinstance(meta, dict):
            meta = obj["metadata"] = {}
        name = meta.get("name") or ""
        if expected_name is not None and name != expected_name:
            raise errors.bad_request(
                f"the name of the object ({name}) does not match the name on the URL ({expected_name})"
            )
        current = store.entry(rt, meta.get("namespace"), name)
        if current is None:
            raise errors.not_found(rt.plural, rt.group, name)
        old = current.obj
        old_meta = old["metadata"]
        wanted_rv = meta.get("resourceVersion")
        if wanted_rv and wanted_rv != old_meta["resourceVersion"]:
            raise errors.conflict(rt.plural, rt.group, name)
        if meta.get("uid") and meta["uid"] != old_meta["uid"]:
            raise errors.conflict(
                rt.plural,
                rt.group,
                name,
                f"Precondition failed: UID in precondition: {meta['uid']}, UID in object meta: {old_meta['uid']}",
            )
        new = self._merge_subresource(rt, old, obj, subresource)
        new["apiVersion"] = rt.api_version
        new["kind"] = rt.kind
        new_meta = new["metadata"]
        for key in (
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "generation",
            "namespace",
            "name",
        ):
            if key in old_meta:
                new_meta[key] = old_meta[key]
            else:
                new_meta.pop(key, None)
        new_meta.pop("resourceVersion", None)
        self._check_finalizers(rt, old, new)
        if not subresource or subresource == "scale":
            store.validate(rt, new)
        new = self._defaults(new, previous=old)
        if subresource != "status":
            validate_update(rt, old, new)
        if rt.tracks_generation and _spec_part(new, rt.has_status) != _spec_part(old, rt.has_status):
            new["metadata"]["generation"] = old_meta.get("generation", 0) + 1
        if not prepared:
            new = record_update(old, new, manager, store.now(), operation=operation, subresource=subresource)
        new = _ordered(new)
        new["metadata"]["resourceVersion"] = old_meta["resourceVersion"]
        if _without_volatile(new) == _without_volatile(old):
            # Real servers skip writes that change nothing: same resourceVersion, no watch event.
            return current
        if dry_run:
            return Entry(new, 0)
        if (
            new_meta.get("deletionTimestamp")
            and not new["metadata"].get("finalizers")
            and not self._namespace_waiting(rt, new)
        ):
            return store.remove(rt, new)
        return store.commit(rt, new, "MODIFIED", old)

    @staticmethod
    def _namespace_waiting(rt: ResourceType, obj: dict[str, Any]) -> bool:
        """A terminating namespace lingers until its content is gone, not just its metadata finalizers."""
        return rt.group_resource == "namespaces" and bool((obj.get("spec") or {}).get("finalizers"))

    @staticmethod
    def _merge_subresource(
        rt: ResourceType, old: dict[str, Any], obj: dict[str, Any], subresource: str
    ) -> dict[str, Any]:
        if subresource == "status":
            # The status endpoint changes status only; everything else stays as stored.
            new = json.loads(json.dumps(old))
            if "status" in obj:
                new["status"] = obj["status"]
            else:
                new.pop("status", None)
            if "managedFields" in obj.get("metadata", {}):
                new["metadata"]["managedFields"] = obj["metadata"]["managedFields"]
            return new
        if rt.has_status:
            # Writes to the main resource leave status alone.
            if "status" in old:
                obj["status"] = json.loads(json.dumps(old["status"]))
            else:
                obj.pop("status", None)
        return obj

    @staticmethod
    def _check_finalizers(rt: ResourceType, old: dict[str, Any], new: dict[str, Any]) -> None:
        if not old["metadata"].get("deletionTimestamp"):
            return
        before = set(old["metadata"].get("finalizers") or [])
        added = [f for f in new["metadata"].get("finalizers") or [] if f not in before]
        if added:
            raise errors.invalid(
                rt.kind,
                rt.group,
                old["metadata"]["name"],
                [
                    Cause(
                        "metadata.finalizers",
                        Cause.FORBIDDEN,
                        "no new finalizers can be added if the object is being deleted, found new finalizers "
                        + json.dumps(added),
                    )
                ],
            )


_FIRST = ("kind", "apiVersion", "metadata")


def _ordered(obj: dict[str, Any]) -> dict[str, Any]:
    """kind, apiVersion, metadata first, as real servers serialise Go structs."""
    out = {k: obj[k] for k in _FIRST if k in obj}
    out.update((k, v) for k, v in obj.items() if k not in out)
    return out


def _reserve(allocator: SequentialServiceAllocator, service: dict[str, Any]) -> None:
    spec = service.get("spec") or {}
    ip = spec.get("clusterIP")
    allocator.reserve(cluster_ip=ip if ip and ip != "None" else None)
    for port in spec.get("ports") or []:
        allocator.reserve(node_port=port.get("nodePort"))
