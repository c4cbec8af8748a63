"""Small facts about Kubernetes objects that several controllers share."""

from __future__ import annotations

import copy
import json
import secrets
from typing import Any

from gitops_tui.sandbox.selectors import label_selector_from_match

JSON = dict[str, Any]

# Generated name suffixes use consonants and digits so they never spell words (as apimachinery does).
NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def random_suffix(length: int = 5) -> str:
    return "".join(secrets.choice(NAME_ALPHABET) for _ in range(length))


def safe_encode(text: str) -> str:
    """apimachinery's SafeEncodeString: each byte mapped onto the vowel-free alphabet."""
    return "".join(NAME_ALPHABET[ord(char) % len(NAME_ALPHABET)] for char in text)


def template_hash(template: JSON, collision_count: int = 0) -> str:
    """A stable short hash of a pod template, like `pod-template-hash` (FNV-32a, then safe-encoded)."""
    data = json.dumps(template, sort_keys=True, separators=(",", ":")).encode()
    if collision_count:
        data += str(collision_count).encode()
    value = 0x811C9DC5
    for byte in data:
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return safe_encode(str(value))


def meta(obj: JSON) -> JSON:
    return obj.setdefault("metadata", {})


def name_of(obj: JSON) -> str:
    return str(obj["metadata"]["name"])


def namespace_of(obj: JSON) -> str:
    return str(obj["metadata"].get("namespace") or "")


def uid_of(obj: JSON) -> str:
    return str(obj["metadata"].get("uid") or "")


def owner_reference(owner: JSON) -> JSON:
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": name_of(owner),
        "uid": uid_of(owner),
        "controller": True,
        "blockOwnerDeletion": True,
    }


def controller_ref(obj: JSON) -> JSON | None:
    for ref in obj.get("metadata", {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return ref
    return None


def owned_by(obj: JSON, owner: JSON) -> bool:
    ref = controller_ref(obj)
    return ref is not None and ref.get("uid") == uid_of(owner)


def owner_key(obj: JSON, kind: str) -> tuple[str, str] | None:
    """(namespace, name) of the object's controller when it is of `kind`."""
    ref = controller_ref(obj)
    if ref is None or ref.get("kind") != kind:
        return None
    return namespace_of(obj), str(ref.get("name"))


def selector_matches(selector: JSON | None, labels: dict[str, str] | None) -> bool:
    """A LabelSelector; an empty or absent one matches nothing, as controllers treat it."""
    if not selector:
        return False
    predicate = label_selector_from_match(selector)
    return predicate is not None and predicate(labels or {})


def owned_objects(store: Any, resource: str, owner: JSON) -> list[JSON]:
    """Private copies of the `resource` objects whose controller is `owner`, in name order.

    Read through the store's owner index, so the cost is the owner's own dependents, not a scan
    (and a JSON decode) of every object in its namespace: with a thousand Deployments in twenty
    namespaces the scans made each ReplicaSet's reconcile decode every pod of its namespace."""
    group_resource = store.resolve(resource).group_resource
    found = []
    for kind, namespace, name in sorted(store.dependents.get(uid_of(owner), ())):
        if kind != group_resource:
            continue
        obj = store.try_get(resource, namespace, name)
        if obj is not None and owned_by(obj, owner):
            found.append(obj)
    return found


def stored_objects(store: Any, resource: str, namespace: str | None = None) -> list[JSON]:
    """The stored objects themselves (no copies): for reading only, never change or keep them."""
    return [entry.obj for entry in store.entries(store.resolve(resource), namespace)]


def is_terminating(obj: JSON) -> bool:
    return bool(obj.get("metadata", {}).get("deletionTimestamp"))


def condition(obj: JSON, kind: str) -> JSON | None:
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if cond.get("type") == kind:
            return cond
    return None


def condition_true(obj: JSON, kind: str) -> bool:
    cond = condition(obj, kind)
    return cond is not None and cond.get("status") == "True"


def set_condition(conditions: list[JSON], new: JSON) -> list[JSON]:
    """Replace a condition the way the workload controllers do.

    Same status and reason: nothing changes (timestamps included). Otherwise the old one is removed
    and the new one appended, keeping `lastTransitionTime` if only the reason changed.
    """
    conditions = list(conditions)
    existing = next((c for c in conditions if c.get("type") == new["type"]), None)
    if existing is not None and existing.get("status") == new["status"] and existing.get("reason") == new.get("reason"):
        return conditions
    new = dict(new)
    if existing is not None and existing.get("status") == new["status"] and "lastTransitionTime" in existing:
        new["lastTransitionTime"] = existing["lastTransitionTime"]
    return [c for c in conditions if c.get("type") != new["type"]] + [new]


def image_tag(image: str) -> str:
    if "@" in image:
        return ""
    return image.rsplit("/", 1)[-1].partition(":")[2]


def pod_is_active(pod: JSON) -> bool:
    """Counts toward a controller's replicas: not finished, not being deleted."""
    phase = (pod.get("status") or {}).get("phase")
    return phase not in ("Succeeded", "Failed") and not is_terminating(pod)


def pod_is_ready(pod: JSON) -> bool:
    return condition_true(pod, "Ready")


def pod_from_template(template: JSON, owner: JSON, name: str, extra_labels: dict[str, str]) -> JSON:
    template_meta = template.get("metadata") or {}
    pod_meta: JSON = {
        "name": name,
        "namespace": namespace_of(owner),
        "labels": {**(template_meta.get("labels") or {}), **extra_labels},
        "ownerReferences": [owner_reference(owner)],
    }
    if template_meta.get("annotations"):
        pod_meta["annotations"] = dict(template_meta["annotations"])
    return {"apiVersion": "v1", "kind": "Pod", "metadata": pod_meta, "spec": copy.deepcopy(template["spec"])}


def int_or_percent(value: Any, total: int, *, round_up: bool) -> int:
    """Resolve an IntOrString like `25%` against `total` (surge rounds up, unavailability down)."""
    if isinstance(value, str) and value.endswith("%"):
        scaled = int(value[:-1]) * total
        return -(-scaled // 100) if round_up else scaled // 100
    return int(value or 0)


def omit_zero(status: JSON) -> JSON:
    """int32 status fields tagged omitempty vanish at zero, as they do on a real server."""
    return {k: v for k, v in status.items() if v not in (0, None, [], {})}
