"""ReplicaSet controller: keep `spec.replicas` pods matching the template, report their readiness."""

from __future__ import annotations

from typing import Any

from gitops_tui.sandbox.controllers.base import Controller, Key, KeyMapper, controller_owner, same_key
from gitops_tui.sandbox.controllers.events import NORMAL
from gitops_tui.sandbox.controllers.kube import (
    condition,
    is_terminating,
    name_of,
    omit_zero,
    owned_objects,
    pod_from_template,
    pod_is_active,
    pod_is_ready,
    random_suffix,
    selector_matches,
)

JSON = dict[str, Any]


def deletion_rank(pod: JSON) -> tuple[int, int, int, int, str]:
    """Pods to delete first sort first: unscheduled, pending, not ready, restarting, youngest."""
    status = pod.get("status") or {}
    restarts = sum(cs.get("restartCount", 0) for cs in status.get("containerStatuses") or [])
    return (
        0 if not pod["spec"].get("nodeName") else 1,
        0 if status.get("phase") == "Pending" else 1,
        1 if pod_is_ready(pod) else 0,
        -restarts,
        _reverse(pod["metadata"].get("creationTimestamp") or ""),
    )


def _reverse(text: str) -> str:
    return "".join(chr(0x10FFFF - ord(c)) for c in text)


class ReplicaSetController(Controller):
    name = "replicasets"
    primary = "replicasets.apps"

    def watches(self) -> dict[str, KeyMapper]:
        return {"replicasets.apps": same_key, "pods": controller_owner("ReplicaSet")}

    def reconcile(self, key: Key) -> float | None:
        namespace, name = key
        rs = self.store.try_get("replicasets.apps", namespace, name)
        if rs is None or is_terminating(rs):
            return None
        spec = rs.get("spec") or {}
        pods = [pod for pod in owned_objects(self.store, "pods", rs) if pod_is_active(pod)]
        wanted = int(spec.get("replicas", 1))
        if len(pods) < wanted:
            pods += self._create_pods(rs, wanted - len(pods))
        elif len(pods) > wanted:
            pods = self._delete_pods(rs, pods, len(pods) - wanted)
        return self._write_status(rs, pods)

    def _create_pods(self, rs: JSON, count: int) -> list[JSON]:
        template = rs["spec"]["template"]
        created = []
        for _ in range(count):
            pod_name = f"{name_of(rs)}-{random_suffix()}"
            pod = pod_from_template(template, rs, pod_name, {})
            created.append(self.store.create("pods", pod, manager=self.manager))
            self.events.record(rs, NORMAL, "SuccessfulCreate", f"Created pod: {pod_name}", "replicaset-controller")
        return created

    def _delete_pods(self, rs: JSON, pods: list[JSON], count: int) -> list[JSON]:
        doomed = sorted(pods, key=deletion_rank)[:count]
        for pod in doomed:
            if self.store.try_get("pods", pod["metadata"]["namespace"], name_of(pod)) is not None:
                self.store.delete("pods", pod["metadata"]["namespace"], name_of(pod))
            self.events.record(rs, NORMAL, "SuccessfulDelete", f"Deleted pod: {name_of(pod)}", "replicaset-controller")
        doomed_names = {name_of(p) for p in doomed}
        return [p for p in pods if name_of(p) not in doomed_names]

    def _available_in(self, pod: JSON, min_ready_seconds: int) -> float | None:
        """Simulated seconds until a ready pod counts as available (0 once it does); None if not ready."""
        key = (pod["metadata"].get("uid"), "ready")
        stamp = (condition(pod, "Ready") or {}).get("lastTransitionTime")
        if not pod_is_ready(pod):
            self.stopwatch.forget(key)
            return None
        if not min_ready_seconds:
            return 0.0
        # Noted the first time this controller sees the pod ready: pod changes wake it at once.
        if self.stopwatch.noted(key, stamp) is None:
            self.stopwatch.note(key, stamp)
        return max(min_ready_seconds - self.stopwatch.elapsed(key, stamp), 0.0)

    def _write_status(self, rs: JSON, pods: list[JSON]) -> float | None:
        spec = rs["spec"]
        min_ready = int(spec.get("minReadySeconds") or 0)
        labels = (spec.get("template") or {}).get("metadata", {}).get("labels") or {}
        availability = [self._available_in(pod, min_ready) for pod in pods]
        pending_availability = [a for a in availability if a]
        status: JSON = {
            "replicas": len(pods),
            "fullyLabeledReplicas": sum(
                1 for p in pods if all(p["metadata"].get("labels", {}).get(k) == v for k, v in labels.items())
            ),
            "readyReplicas": sum(1 for a in availability if a is not None),
            "availableReplicas": sum(1 for a in availability if a == 0),
            "observedGeneration": rs["metadata"].get("generation", 1),
        }
        # `replicas` is the one count the API always prints, even at zero.
        status = {"replicas": status["replicas"], **omit_zero(status)}
        if rs.get("status") != status:
            rs["status"] = status
            self.store.update_status("replicasets.apps", rs, manager=self.manager)
        return min(pending_availability) if pending_availability else None


def replica_sets_matching(store: Any, namespace: str, selector: JSON) -> list[JSON]:
    return [
        rs
        for rs in store.list("replicasets.apps", namespace)
        if selector_matches(selector, rs["metadata"].get("labels"))
    ]
