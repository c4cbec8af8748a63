"""The resource tree below one of an app's resources, as Argo CD's tree shows it: what controllers made for it.

Read on demand from the live cache's owner index (a Deployment's ReplicaSets, their Pods; a CronJob's Jobs,
theirs), depth first, each node with its health and the few facts that tell siblings apart ("rev 4 · 2/2
ready", "CrashLoopBackOff · 5 restarts"). ReplicaSets come newest revision first; an old one scaled to zero
is marked `retired`, so a view can fold the rollout history away.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gitops_tui.cluster.cache import LiveCache
from gitops_tui.engine.health import assess_health
from gitops_tui.model import Health, ResourceKey

NODE_LIMIT = 500
"""At most this many nodes under one resource (a Job controller gone wild must not flood the view)."""
REVISION_ANNOTATION = "deployment.kubernetes.io/revision"
STUCK_REASONS = frozenset(
    {
        "CrashLoopBackOff",
        "ImagePullBackOff",
        "ErrImagePull",
        "CreateContainerConfigError",
        "InvalidImageName",
        "CreateContainerError",
        "RunContainerError",
    }
)


@dataclass(frozen=True)
class TreeNode:
    key: ResourceKey
    health: Health | None
    parent: ResourceKey
    depth: int
    """1 for a direct child of the app's resource, 2 for a grandchild (a Deployment's Pods)."""
    facts: str = ""
    """A few words that tell siblings apart: revision and readiness, pod phase and restarts."""
    retired: bool = False
    """An old ReplicaSet scaled to zero: rollout history, not something running."""


def resource_tree(cache: LiveCache, key: ResourceKey, limit: int = NODE_LIMIT) -> list[TreeNode]:
    """Every object below `key` in the cache, depth first; [] when `key` is not cached."""
    nodes: list[TreeNode] = []
    _descend(cache, key, 1, nodes, limit, {key})
    return nodes


def _descend(
    cache: LiveCache, parent: ResourceKey, depth: int, nodes: list[TreeNode], limit: int, seen: set[ResourceKey]
) -> None:
    entry = cache.store.entry(parent)
    if entry is None or not entry.uid:
        return
    for key, obj in _ordered(cache.children(entry.uid)):
        if len(nodes) >= limit or key in seen:  # owner loops cannot happen in a real cluster; never hang on one
            return
        seen.add(key)
        nodes.append(TreeNode(key, assess_health(obj), parent, depth, facts(key, obj), retired(key, obj)))
        _descend(cache, key, depth + 1, nodes, limit, seen)


def _ordered(children: Mapping[ResourceKey, dict[str, Any]]) -> list[tuple[ResourceKey, dict[str, Any]]]:
    """Newest first where age matters (a Deployment's ReplicaSets, a CronJob's Jobs); by kind and name otherwise."""

    def age(item: tuple[ResourceKey, dict[str, Any]]) -> tuple[object, ...]:
        key, obj = item
        if key.kind == "ReplicaSet":
            return (key.kind, _revision(obj), str(_meta(obj).get("creationTimestamp") or ""))
        if key.kind == "Job":
            return (key.kind, 0, str(_meta(obj).get("creationTimestamp") or ""))
        return (key.kind, 0, "")

    by_name = sorted(children.items(), key=lambda item: item[0].name)
    newest_first = sorted(by_name, key=age, reverse=True)  # reverse keeps equal ages (Pods) in name order
    return sorted(newest_first, key=lambda item: item[0].kind)


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def _section(obj: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    found = obj.get(name)
    return found if isinstance(found, Mapping) else {}


def _int(value: object, default: int = 0) -> int:
    try:
        return int(value)  # type: ignore[call-overload, no-any-return]
    except (TypeError, ValueError):
        return default


def _revision(obj: Mapping[str, Any]) -> int:
    annotations = _meta(obj).get("annotations")
    return _int(annotations.get(REVISION_ANNOTATION)) if isinstance(annotations, Mapping) else 0


def retired(key: ResourceKey, obj: Mapping[str, Any]) -> bool:
    if key.kind != "ReplicaSet":
        return False
    return _int(_section(obj, "spec").get("replicas"), 1) == 0 and _int(_section(obj, "status").get("replicas")) == 0


def facts(key: ResourceKey, obj: Mapping[str, Any]) -> str:
    """The words shown beside a node's health in the tree."""
    spec, status = _section(obj, "spec"), _section(obj, "status")
    if key.kind == "ReplicaSet":
        revision = _revision(obj)
        ready = f"{_int(status.get('readyReplicas'))}/{_int(spec.get('replicas'), 1)} ready"
        return f"rev {revision} · {ready}" if revision else ready
    if key.kind == "Pod":
        return _pod_facts(obj, status)
    if key.kind == "Job":
        parts = [f"{n} {word}" for word in ("active", "succeeded", "failed") if (n := _int(status.get(word)))]
        return " · ".join(parts)
    return ""


def _pod_facts(obj: Mapping[str, Any], status: Mapping[str, Any]) -> str:
    statuses = [s for s in status.get("containerStatuses") or () if isinstance(s, Mapping)]
    state = "Terminating" if _meta(obj).get("deletionTimestamp") else str(status.get("phase") or "Unknown")
    for container in statuses:  # a stuck container says more than the pod's phase ("Running")
        waiting = _section(_section(container, "state"), "waiting")
        if str(waiting.get("reason") or "") in STUCK_REASONS:
            state = str(waiting["reason"])
            break
    ready = sum(bool(s.get("ready")) for s in statuses)
    restarts = sum(_int(s.get("restartCount")) for s in statuses)
    words = [state]
    if restarts:  # before readiness: a cut line still shows how often it died
        words.append(f"{restarts} restart{'s' if restarts != 1 else ''}")
    if len(statuses) > 1 or (statuses and state == "Running" and not ready):  # else the health says it
        words.append(f"{ready}/{len(statuses)} ready")
    return " · ".join(words)
