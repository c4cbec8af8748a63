"""CustomResourceDefinitions: creating one serves its resources; deleting one removes them and their objects.

Like the real apiextensions server, a CRD carries the `customresourcecleanup.apiextensions.k8s.io`
finalizer; deleting it first deletes every custom object, then the CRD itself.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from . import errors
from .errors import Cause
from .resources import ResourceType

if TYPE_CHECKING:
    from .store import Store, WatchEvent

CRD_RESOURCE = "customresourcedefinitions.apiextensions.k8s.io"
CLEANUP_FINALIZER = "customresourcecleanup.apiextensions.k8s.io"


def types_of(crd: dict[str, Any]) -> list[ResourceType]:
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    group = spec.get("group", "")
    versions = spec.get("versions") or []
    storage = next((v["name"] for v in versions if v.get("storage")), versions[0]["name"] if versions else "")
    out = []
    for version in versions:
        if not version.get("served", True):
            continue
        subresources = version.get("subresources") or {}
        scale = subresources.get("scale") or {}
        out.append(
            ResourceType(
                group=group,
                version=version["name"],
                plural=names.get("plural", ""),
                singular=names.get("singular") or names.get("kind", "").lower(),
                kind=names.get("kind", ""),
                namespaced=spec.get("scope", "Namespaced") == "Namespaced",
                short_names=tuple(names.get("shortNames") or ()),
                categories=tuple(names.get("categories") or ()),
                has_status="status" in subresources,
                has_scale="scale" in subresources,
                tracks_generation=True,
                scale_spec_path=scale.get("specReplicasPath", ".spec.replicas").lstrip("."),
                scale_status_path=scale.get("statusReplicasPath", ".status.replicas").lstrip("."),
                scale_selector_path=(scale.get("labelSelectorPath") or "").lstrip("."),
                storage_version=storage,
            )
        )
    return out


def validate_crd(crd: dict[str, Any]) -> None:
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    name = crd.get("metadata", {}).get("name", "")
    causes = []
    if not spec.get("group"):
        causes.append(Cause("spec.group", Cause.REQUIRED, ""))
    if not names.get("plural"):
        causes.append(Cause("spec.names.plural", Cause.REQUIRED, ""))
    if not names.get("kind"):
        causes.append(Cause("spec.names.kind", Cause.REQUIRED, ""))
    if spec.get("scope") not in ("Namespaced", "Cluster"):
        causes.append(
            Cause("spec.scope", Cause.NOT_SUPPORTED, 'supported values: "Cluster", "Namespaced"', spec.get("scope", ""))
        )
    versions = spec.get("versions") or []
    if not versions or sum(1 for v in versions if v.get("storage")) != 1:
        causes.append(
            Cause("spec.versions", Cause.INVALID, "must have exactly one version marked as storage version", None)
        )
    if names.get("plural") and spec.get("group") and name != f"{names['plural']}.{spec['group']}":
        causes.append(Cause("metadata.name", Cause.INVALID, 'must be spec.names.plural+"."+spec.group', name))
    if causes:
        raise errors.invalid("CustomResourceDefinition", "apiextensions.k8s.io", name, causes)


def initial_status(crd: dict[str, Any], now: str) -> None:
    """What the apiextensions controllers set right after creation: names accepted, established."""
    spec = crd.get("spec") or {}
    storage = [v["name"] for v in spec.get("versions") or [] if v.get("storage")]
    crd["status"] = {
        "acceptedNames": spec.get("names") or {},
        "conditions": [
            {
                "type": "NamesAccepted",
                "status": "True",
                "lastTransitionTime": now,
                "reason": "NoConflicts",
                "message": "no conflicts found",
            },
            {
                "type": "Established",
                "status": "True",
                "lastTransitionTime": now,
                "reason": "InitialNamesAccepted",
                "message": "the initial names have been accepted",
            },
        ],
        "storedVersions": storage,
    }
    finalizers = crd["metadata"].setdefault("finalizers", [])
    if CLEANUP_FINALIZER not in finalizers:
        finalizers.append(CLEANUP_FINALIZER)


def _register(store: Store, event: WatchEvent) -> None:
    if event.resource != CRD_RESOURCE or event.type == "DELETED":
        return
    old_types = types_of(event.old) if event.old else []
    for rt in old_types:
        store.registry.remove_group_resource(rt.group, rt.plural)
    for rt in types_of(event.obj):
        store.registry.add(rt)


def delete_crd(store: Store, crd_rt: ResourceType, crd: dict[str, Any]) -> dict[str, Any] | None:
    """Mark the CRD deleting, delete every custom object, then let the CRD go."""
    from .deletion import delete_object

    meta = crd["metadata"]
    if not meta.get("deletionTimestamp"):
        marked = json.loads(json.dumps(crd))
        marked["metadata"]["deletionTimestamp"] = store.now()
        marked["metadata"]["deletionGracePeriodSeconds"] = 0
        store.commit(crd_rt, marked, "MODIFIED", crd)
    served = types_of(crd)
    if served:
        rt = store.registry.storage_type(served[0].group_resource)
        if rt is not None:
            for entry in store.entries(rt):
                obj_meta = entry.obj["metadata"]
                if store.entry(rt, obj_meta.get("namespace"), obj_meta["name"]) is not None:
                    delete_object(store, rt, obj_meta.get("namespace"), obj_meta["name"])
            if store.entries(rt):
                current = store.entry(crd_rt, None, meta["name"])
                return json.loads(current.raw()) if current else None
    current = store.entry(crd_rt, None, meta["name"])
    if current is None:
        return None
    final = json.loads(current.raw())
    final["metadata"]["finalizers"] = [f for f in final["metadata"].get("finalizers") or [] if f != CLEANUP_FINALIZER]
    if final["metadata"]["finalizers"]:
        store.commit(crd_rt, final, "MODIFIED", current.obj)
        return final
    del final["metadata"]["finalizers"]
    store.remove(crd_rt, final)
    return None


def _unregister(store: Store, group_resource: str, removed: dict[str, Any]) -> None:
    if group_resource != CRD_RESOURCE:
        # The last lingering custom object of a deleting CRD lets the CRD go.
        crd_rt = store.registry.storage_type(CRD_RESOURCE)
        crd = store.entry(crd_rt, None, group_resource) if crd_rt else None
        if crd_rt and crd and crd.obj["metadata"].get("deletionTimestamp"):
            delete_crd(store, crd_rt, crd.obj)
        return
    for rt in types_of(removed):
        store.registry.remove_group_resource(rt.group, rt.plural)
        store.drop_group_resource(rt.group_resource)


def install(store: Store) -> None:
    store.commit_hooks.append(lambda event: _register(store, event))
    store.removal_hooks.append(lambda gr, obj: _unregister(store, gr, obj))
