"""DaemonSet controller: one pod per Ready node, pinned by node affinity, rolled one node at a time."""

from __future__ import annotations

from typing import Any

from gitops_tui.sandbox.controllers.base import Controller, Key, KeyMapper, controller_owner, same_key
from gitops_tui.sandbox.controllers.events import NORMAL
from gitops_tui.sandbox.controllers.kube import (
    int_or_percent,
    is_terminating,
    name_of,
    owned_objects,
    pod_from_template,
    pod_is_active,
    pod_is_ready,
    random_suffix,
    template_hash,
)
from gitops_tui.sandbox.controllers.nodes import node_is_ready
from gitops_tui.sandbox.controllers.revisions import ensure_revision

JSON = dict[str, Any]
REVISION_LABEL = "controller-revision-hash"
COMPONENT = "daemonset-controller"
# What the DaemonSet controller adds so its pods ride out node trouble.
DAEMON_TOLERATIONS = [
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"},
]


def pinned_node(pod: JSON) -> str:
    if pod["spec"].get("nodeName"):
        return str(pod["spec"]["nodeName"])
    terms = (
        ((pod["spec"].get("affinity") or {}).get("nodeAffinity") or {}).get(
            "requiredDuringSchedulingIgnoredDuringExecution"
        )
        or {}
    ).get("nodeSelectorTerms") or []
    for term in terms:
        for field in term.get("matchFields") or []:
            if field.get("key") == "metadata.name" and field.get("values"):
                return str(field["values"][0])
    return ""


class DaemonSetController(Controller):
    name = "daemonsets"
    primary = "daemonsets.apps"

    def watches(self) -> dict[str, KeyMapper]:
        return {"daemonsets.apps": same_key, "pods": controller_owner("DaemonSet"), "nodes": self._every_daemon_set}

    def _every_daemon_set(self, _event: Any) -> list[Key]:
        return [(ds["metadata"]["namespace"], name_of(ds)) for ds in self.store.list("daemonsets.apps")]

    def reconcile(self, key: Key) -> float | None:
        namespace, name = key
        ds = self.store.try_get("daemonsets.apps", namespace, name)
        if ds is None or is_terminating(ds):
            return None
        revision = template_hash(ds["spec"]["template"])
        ensure_revision(self.store, ds, f"{name}-{revision}", {REVISION_LABEL: revision}, self.manager)
        nodes = [name_of(n) for n in self.store.list("nodes") if node_is_ready(n)]
        pods = [p for p in owned_objects(self.store, "pods", ds) if pod_is_active(p)]
        by_node: dict[str, JSON] = {}
        for pod in pods:
            node = pinned_node(pod)
            if node not in nodes or node in by_node:
                self._delete(ds, pod)  # misscheduled or a duplicate
            else:
                by_node[node] = pod
        for node in nodes:
            if node not in by_node:
                by_node[node] = self._create(ds, node, revision)
        self._roll(ds, by_node, revision, len(nodes))
        self._write_status(ds, by_node, revision, len(nodes))
        return None

    def _create(self, ds: JSON, node: str, revision: str) -> JSON:
        pod_name = f"{name_of(ds)}-{random_suffix()}"
        labels = {REVISION_LABEL: revision, "pod-template-generation": str(ds["metadata"].get("generation", 1))}
        pod = pod_from_template(ds["spec"]["template"], ds, pod_name, labels)
        pod["spec"]["affinity"] = {
            **(pod["spec"].get("affinity") or {}),
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]}
                    ]
                }
            },
        }
        tolerations = pod["spec"].setdefault("tolerations", [])
        tolerations += [t for t in DAEMON_TOLERATIONS if t not in tolerations]
        created = self.store.create("pods", pod, manager=self.manager)
        self.events.record(ds, NORMAL, "SuccessfulCreate", f"Created pod: {pod_name}", COMPONENT)
        return created

    def _delete(self, ds: JSON, pod: JSON) -> None:
        if self.store.try_get("pods", pod["metadata"]["namespace"], name_of(pod)) is not None:
            self.store.delete("pods", pod["metadata"]["namespace"], name_of(pod))
            self.events.record(ds, NORMAL, "SuccessfulDelete", f"Deleted pod: {name_of(pod)}", COMPONENT)

    def _roll(self, ds: JSON, by_node: dict[str, JSON], revision: str, desired: int) -> None:
        strategy = ds["spec"].get("updateStrategy") or {}
        if strategy.get("type", "RollingUpdate") != "RollingUpdate":
            return
        max_unavailable = max(
            int_or_percent((strategy.get("rollingUpdate") or {}).get("maxUnavailable", 1), desired, round_up=True), 1
        )
        unavailable = sum(1 for p in by_node.values() if not pod_is_ready(p))
        for node, pod in sorted(by_node.items()):
            if unavailable >= max_unavailable:
                return
            if pod["metadata"].get("labels", {}).get(REVISION_LABEL) != revision:
                self._delete(ds, pod)
                del by_node[node]
                unavailable += 1

    def _write_status(self, ds: JSON, by_node: dict[str, JSON], revision: str, desired: int) -> None:
        ready = sum(1 for p in by_node.values() if pod_is_ready(p))
        updated = sum(1 for p in by_node.values() if p["metadata"].get("labels", {}).get(REVISION_LABEL) == revision)
        status: JSON = {
            "currentNumberScheduled": len(by_node),
            "desiredNumberScheduled": desired,
            "numberMisscheduled": 0,
            "numberReady": ready,
            "observedGeneration": ds["metadata"].get("generation", 1),
        }
        for field, value in (
            ("numberAvailable", ready),
            ("numberUnavailable", desired - ready),
            ("updatedNumberScheduled", updated),
        ):
            if value:
                status[field] = value
        if ds.get("status") != status:
            ds["status"] = status
            self.store.update_status("daemonsets.apps", ds, manager=self.manager)
