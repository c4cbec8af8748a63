"""Deletion: finalizers, deletionTimestamp, propagation policies, garbage collection through
ownerReferences, and namespace termination.

Real clusters do garbage collection and namespace cleanup in controllers, a moment after the DELETE
returns. With `store.gc_delay > 0` (the Sandbox default) that work runs that many seconds later on
the loop, so clients see owners linger with their finalizers, dependents outlive their owner
briefly, and namespaces stay Terminating for a moment, as on a real cluster. With 0 (or no running
loop) it runs synchronously, for in-process use of the store.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from . import crds, errors
from .entry import format_time
from .resources import ResourceType

if TYPE_CHECKING:
    from .store import Store

log = logging.getLogger(__name__)
FOREGROUND = "foregroundDeletion"
ORPHAN = "orphan"
POLICIES = ("Foreground", "Background", "Orphan")
IMMORTAL_NAMESPACES = ("default", "kube-system", "kube-public")


def _later(store: Store, work: Callable[[], Any], delay: float | None = None) -> None:
    """Run controller-side work after `store.gc_delay` seconds, or now when there is no delay/loop."""
    delay = store.gc_delay if delay is None else delay
    try:
        loop = asyncio.get_running_loop() if delay > 0 else None
    except RuntimeError:
        loop = None
    if loop is None:
        work()
        return

    def guarded() -> None:
        try:
            work()
        except Exception:  # an object changed meanwhile; a real controller would retry, we just log
            log.exception("sandbox garbage collection step failed")

    loop.call_later(delay, guarded)


def delete_object(
    store: Store,
    rt: ResourceType,
    namespace: str | None,
    name: str,
    *,
    propagation: str | None = None,
    dry_run: bool = False,
    preconditions: dict[str, str] | None = None,
    grace_period: int | None = None,
) -> dict[str, Any] | None:
    """Returns the lingering object (finalizers or graceful termination pending) or None when gone."""
    current = store.entry(rt, namespace, name)
    if current is None:
        raise errors.not_found(rt.plural, rt.group, name)
    meta = current.obj["metadata"]
    if preconditions:
        if preconditions.get("uid") and preconditions["uid"] != meta["uid"]:
            raise errors.conflict(
                rt.plural,
                rt.group,
                name,
                f"Precondition failed: UID in precondition: {preconditions['uid']}, UID in object meta: {meta['uid']}",
            )
        wanted_rv = preconditions.get("resourceVersion")
        if wanted_rv and wanted_rv != meta["resourceVersion"]:
            raise errors.conflict(
                rt.plural,
                rt.group,
                name,
                f"Precondition failed: ResourceVersion in precondition: {wanted_rv}, "
                f"ResourceVersion in object meta: {meta['resourceVersion']}",
            )
    if propagation is not None and propagation not in POLICIES:
        raise errors.invalid(
            "DeleteOptions",
            "",
            "",
            [
                errors.Cause(
                    "propagationPolicy",
                    errors.Cause.NOT_SUPPORTED,
                    'supported values: "Foreground", "Background", "Orphan", "nil"',
                    propagation,
                )
            ],
        )
    if dry_run:
        return json.loads(current.raw())
    if rt.group_resource == "namespaces":
        if name in IMMORTAL_NAMESPACES:  # the NamespaceLifecycle admission plugin's refusal
            raise errors.ApiError(
                403,
                "Forbidden",
                f'namespaces "{name}" is forbidden: this namespace may not be deleted',
                {"name": name, "kind": "namespaces"},
            )
        return _terminate_namespace(store, rt, current.obj)
    if rt.group_resource == crds.CRD_RESOURCE:
        return crds.delete_crd(store, rt, current.obj)
    if rt.group_resource == "pods" and _graceful(store, current.obj, grace_period):
        return _terminate_pod(store, rt, current.obj, grace_period)
    policy = propagation or "Background"
    if meta.get("deletionTimestamp"):
        # Already going; a new policy only adds its finalizer, as real servers do.
        if policy == "Foreground" and FOREGROUND not in (meta.get("finalizers") or []):
            return _mark_deleting(store, rt, current.obj, FOREGROUND, then_collect=True)
        return json.loads(current.raw())
    if policy == "Orphan":
        _mark_deleting(store, rt, current.obj, ORPHAN, then_collect=False)
        uid = meta["uid"]

        def orphan() -> None:
            _orphan_dependents(store, uid)
            if _same_object(store, rt, namespace, name, uid):
                _drop_finalizer(store, rt, namespace, name, ORPHAN)

        _later(store, orphan)
        current = store.entry(rt, namespace, name)
        return json.loads(current.raw()) if current else None
    if policy == "Foreground":
        return _mark_deleting(store, rt, current.obj, FOREGROUND, then_collect=True)
    if meta.get("finalizers"):
        return _mark_deleting(store, rt, current.obj, None, then_collect=False)
    store.remove(rt, current.obj)
    return None


def _graceful(store: Store, pod: dict[str, Any], grace_period: int | None) -> bool:
    """Pods on a node terminate gracefully (the kubelet confirms); unscheduled or finished ones go at once."""
    if store.pod_termination_delay <= 0 or grace_period == 0 or not (pod.get("spec") or {}).get("nodeName"):
        return False
    if pod["metadata"].get("deletionTimestamp"):
        return True  # already terminating: a new DELETE without grace 0 changes nothing
    return (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed")


def _terminate_pod(store: Store, rt: ResourceType, pod: dict[str, Any], grace_period: int | None) -> dict[str, Any]:
    meta = pod["metadata"]
    if meta.get("deletionTimestamp"):
        return json.loads(json.dumps(pod))
    grace = (
        grace_period if grace_period is not None else (pod.get("spec") or {}).get("terminationGracePeriodSeconds", 30)
    )
    marked = json.loads(json.dumps(pod))
    # The deletion timestamp is when the kubelet may kill the pod: now + grace, as a real server writes it.
    marked["metadata"]["deletionTimestamp"] = format_time(store.clock() + timedelta(seconds=grace))
    marked["metadata"]["deletionGracePeriodSeconds"] = grace
    store.commit(rt, marked, "MODIFIED", pod)
    namespace, name, uid = meta.get("namespace"), meta["name"], meta["uid"]

    def kubelet_confirms() -> None:
        current = store.entry(rt, namespace, name)
        if current is None or current.obj["metadata"]["uid"] != uid:
            return
        final = json.loads(current.raw())
        final["metadata"]["deletionGracePeriodSeconds"] = 0
        if final["metadata"].get("finalizers"):
            store.commit(rt, final, "MODIFIED", current.obj)
        else:
            store.remove(rt, final)

    _later(store, kubelet_confirms, store.pod_termination_delay)
    return marked


def _mark_deleting(
    store: Store, rt: ResourceType, obj: dict[str, Any], finalizer: str | None, then_collect: bool
) -> dict[str, Any] | None:
    marked = json.loads(json.dumps(obj))
    meta = marked["metadata"]
    if not meta.get("deletionTimestamp"):
        meta["deletionTimestamp"] = store.now()
        meta["deletionGracePeriodSeconds"] = 0
        if meta.get("generation"):
            meta["generation"] += 1
    if finalizer and finalizer not in (meta.get("finalizers") or []):
        meta.setdefault("finalizers", []).append(finalizer)
    store.commit(rt, marked, "MODIFIED", obj)
    namespace, name, uid = meta.get("namespace"), meta["name"], meta["uid"]
    if then_collect:

        def collect() -> None:
            _delete_dependents_in_foreground(store, uid)
            if _same_object(store, rt, namespace, name, uid):
                _finish_foreground(store, rt, namespace, name)

        _later(store, collect)
    current = store.entry(rt, namespace, name)
    return json.loads(current.raw()) if current else None


def _same_object(store: Store, rt: ResourceType, namespace: str | None, name: str, uid: str) -> bool:
    current = store.entry(rt, namespace, name)
    return current is not None and current.obj["metadata"]["uid"] == uid


def _drop_finalizer(
    store: Store, rt: ResourceType, namespace: str | None, name: str, finalizer: str
) -> dict[str, Any] | None:
    current = store.entry(rt, namespace, name)
    if current is None:
        return None
    obj = json.loads(current.raw())
    obj["metadata"]["finalizers"] = [f for f in obj["metadata"].get("finalizers") or [] if f != finalizer]
    if not obj["metadata"]["finalizers"]:
        del obj["metadata"]["finalizers"]
        store.remove(rt, obj)
        return None
    store.commit(rt, obj, "MODIFIED", current.obj)
    return obj


def _dependent_entries(store: Store, owner_uid: str) -> list[tuple[ResourceType, dict[str, Any]]]:
    out = []
    for group_resource, ns, name in sorted(store.dependents.get(owner_uid, ())):
        rt = store.registry.storage_type(group_resource)
        entry = store.entry(rt, ns, name) if rt else None
        if rt and entry:
            out.append((rt, entry.obj))
    return out


def _orphan_dependents(store: Store, owner_uid: str) -> None:
    for rt, obj in _dependent_entries(store, owner_uid):
        changed = json.loads(json.dumps(obj))
        refs = [r for r in changed["metadata"].get("ownerReferences") or [] if r.get("uid") != owner_uid]
        if refs:
            changed["metadata"]["ownerReferences"] = refs
        else:
            changed["metadata"].pop("ownerReferences", None)
        store.commit(rt, changed, "MODIFIED", obj)


def _delete_dependents_in_foreground(store: Store, owner_uid: str) -> None:
    for rt, obj in _dependent_entries(store, owner_uid):
        meta = obj["metadata"]
        if meta.get("deletionTimestamp") and FOREGROUND in (meta.get("finalizers") or []):
            continue
        delete_object(store, rt, meta.get("namespace"), meta["name"], propagation="Foreground")


def _finish_foreground(store: Store, rt: ResourceType, namespace: str | None, name: str) -> dict[str, Any] | None:
    """Drop the foregroundDeletion finalizer once no dependent blocks any more."""
    current = store.entry(rt, namespace, name)
    if current is None:
        return None
    if _dependent_entries(store, current.obj["metadata"]["uid"]):
        return json.loads(current.raw())
    return _drop_finalizer(store, rt, namespace, name, FOREGROUND)


def collect_garbage(store: Store, group_resource: str, removed: dict[str, Any]) -> None:
    """Removal hook: background-delete orphans of `removed`, release owners waiting in foreground,
    and finish a terminating namespace once it is empty."""
    _later(store, lambda: _collect(store, group_resource, removed))


def _collect(store: Store, group_resource: str, removed: dict[str, Any]) -> None:
    meta = removed["metadata"]
    uid = meta["uid"]
    for rt, obj in _dependent_entries(store, uid):
        other_owners = [
            r
            for r in obj["metadata"].get("ownerReferences") or []
            if r.get("uid") != uid and _owner_exists(store, r, obj["metadata"].get("namespace"))
        ]
        if other_owners:
            changed = json.loads(json.dumps(obj))
            changed["metadata"]["ownerReferences"] = other_owners
            store.commit(rt, changed, "MODIFIED", obj)
        elif not obj["metadata"].get("deletionTimestamp"):
            delete_object(store, rt, obj["metadata"].get("namespace"), obj["metadata"]["name"])
    for ref in meta.get("ownerReferences") or []:
        owner = _find_owner(store, ref, meta.get("namespace"))
        if owner and FOREGROUND in (owner[1]["metadata"].get("finalizers") or []):
            o_meta = owner[1]["metadata"]
            _finish_foreground(store, owner[0], o_meta.get("namespace"), o_meta["name"])
    namespace = meta.get("namespace")
    if namespace and group_resource != "namespaces":
        _finish_namespace_if_empty(store, namespace)


def _find_owner(store: Store, ref: dict[str, Any], namespace: str | None) -> tuple[ResourceType, dict] | None:
    rt = store.registry.by_kind(ref.get("apiVersion", ""), ref.get("kind", ""))
    if rt is None:
        return None
    entry = store.entry(rt, namespace, ref.get("name", ""))
    if entry is None or entry.obj["metadata"]["uid"] != ref.get("uid"):
        return None
    return rt, entry.obj


def _owner_exists(store: Store, ref: dict[str, Any], namespace: str | None) -> bool:
    return _find_owner(store, ref, namespace) is not None


# ---- namespaces -----------------------------------------------------------------------------------


def _terminate_namespace(store: Store, rt: ResourceType, obj: dict[str, Any]) -> dict[str, Any] | None:
    name = obj["metadata"]["name"]
    if not obj["metadata"].get("deletionTimestamp"):
        marked = json.loads(json.dumps(obj))
        marked["metadata"]["deletionTimestamp"] = store.now()
        marked["metadata"]["deletionGracePeriodSeconds"] = 0
        marked.setdefault("status", {})["phase"] = "Terminating"
        store.commit(rt, marked, "MODIFIED", obj)
    _later(store, lambda: _drain_namespace(store, name))
    current = store.entry(rt, None, name)
    return json.loads(current.raw()) if current else None


def _drain_namespace(store: Store, name: str) -> None:
    """The namespace controller: delete everything in a terminating namespace, then the namespace."""
    namespace = store.entry(store.resolve("namespaces"), None, name)
    if namespace is None or not namespace.obj["metadata"].get("deletionTimestamp"):
        return  # gone already, or re-created since
    for group_resource, entry in store.namespace_entries(name):
        content_rt = store.registry.storage_type(group_resource)
        meta = entry.obj["metadata"]
        if content_rt and not meta.get("deletionTimestamp") and store.entry(content_rt, name, meta["name"]):
            delete_object(store, content_rt, name, meta["name"])
    _finish_namespace_if_empty(store, name)


def _finish_namespace_if_empty(store: Store, name: str) -> None:
    rt = store.resolve("namespaces")
    current = store.entry(rt, None, name)
    if current is None or not current.obj["metadata"].get("deletionTimestamp"):
        return
    if store.namespace_entries(name):
        return
    final = json.loads(current.raw())
    final.setdefault("spec", {})["finalizers"] = []
    if final["metadata"].get("finalizers"):
        store.commit(rt, final, "MODIFIED", current.obj)  # waits for metadata finalizers too
        return
    store.remove(rt, final)


def install(store: Store) -> None:
    store.removal_hooks.append(lambda gr, obj: collect_garbage(store, gr, obj))
