"""Scheduler and kubelet in one: Pods go Pending -> scheduled -> Running -> Ready over simulated time.

The image tag decides the container's fate, so a bad commit really degrades an app:

| tag         | restartPolicy Always                         | Never / OnFailure (Jobs)                  |
|-------------|----------------------------------------------|-------------------------------------------|
| `crashloop` | runs briefly, exits 1, CrashLoopBackOff      | as `fail`                                 |
| `fail`      | as `crashloop`                               | exits 1 (Never: pod Failed)               |
| `missing`   | ErrImagePull / ImagePullBackOff, Pending     | same                                      |
| anything    | Running, Ready after the readiness delay     | runs `RUN_SECONDS`, exits 0, Succeeded    |

The annotation `sandbox.gitops-tui.dev/run-seconds` on a pod (template) overrides how long a
finite container runs. Back-off grows 10 s, 20 s, 40 s... up to 300 s, as the kubelet's does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gitops_tui.sandbox.controllers import runtime
from gitops_tui.sandbox.controllers.base import Controller, Key, KeyMapper, same_key
from gitops_tui.sandbox.controllers.events import NORMAL, WARNING
from gitops_tui.sandbox.controllers.kube import is_terminating, name_of, namespace_of, stored_objects, uid_of
from gitops_tui.sandbox.controllers.nodes import internal_ip, node_is_ready, pod_cidr_prefix

JSON = dict[str, Any]

SCHEDULE_SECONDS = 0.5
READY_SECONDS = 0.5
RUN_SECONDS = 3.0
RUN_SECONDS_ANNOTATION = "sandbox.gitops-tui.dev/run-seconds"


@dataclass
class PodRuntime:
    uid: str
    containers: dict[str, runtime.ContainerRuntime] = field(default_factory=dict)
    pod_ip: str = ""


class PodLifecycleController(Controller):
    name = "pods"
    primary = "pods"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._runtimes: dict[Key, PodRuntime] = {}
        self._next_ip: dict[str, int] = {}
        self._next_node = 0

    def watches(self) -> dict[str, KeyMapper]:
        return {"pods": same_key, "persistentvolumeclaims": self._pending_pods_in_namespace}

    def _pending_pods_in_namespace(self, event: Any) -> Iterable[Key]:
        namespace = event.namespace
        return [
            (namespace, name_of(pod))
            for pod in stored_objects(self.store, "pods", namespace)
            if not (pod.get("spec") or {}).get("nodeName")
        ]

    def reconcile(self, key: Key) -> float | None:
        namespace, name = key
        pod = self.store.try_get("pods", namespace, name)
        if pod is None or is_terminating(pod):
            self._runtimes.pop(key, None)
            return None
        if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            return None
        if not pod["spec"].get("nodeName"):
            return self._schedule(pod)
        state = self._runtimes.get(key)
        if state is None or state.uid != uid_of(pod):
            state = self._runtimes[key] = self._start_runtime(pod)
        return self._run(pod, state)

    # ---- scheduling ------------------------------------------------------------------------------

    def _schedule(self, pod: JSON) -> float | None:
        age = self.age(pod)
        if age < SCHEDULE_SECONDS:
            return SCHEDULE_SECONDS - age
        unbound = [claim for claim in runtime.claim_names(pod) if not self._claim_bound(pod, claim)]
        nodes = [n for n in stored_objects(self.store, "nodes") if node_is_ready(n) and runtime.node_fits(pod, n)]
        if unbound or not nodes:
            return self._unschedulable(
                pod,
                "pod has unbound immediate PersistentVolumeClaims"
                if unbound
                else "didn't match Pod's node affinity/selector",
            )
        node = nodes[self._next_node % len(nodes)]
        self._next_node += 1
        # The binding subresource in a real cluster; here a plain write of spec.nodeName.
        pod["spec"]["nodeName"] = name_of(node)
        pod = self.store.update("pods", pod, manager="kube-scheduler")
        status = dict(pod.get("status") or {})
        status["conditions"] = [_condition("PodScheduled", True, self.clock.timestamp())]
        self._write_status(pod, status, manager="kube-scheduler")
        self.events.record(
            pod,
            NORMAL,
            "Scheduled",
            f"Successfully assigned {namespace_of(pod)}/{name_of(pod)} to {name_of(node)}",
            "default-scheduler",
        )
        return runtime.PULL_SECONDS

    def _unschedulable(self, pod: JSON, why: str) -> float:
        total = self.store.count("nodes")
        message = (
            f"0/{total} nodes are available: {why}. preemption: 0/{total} nodes are available: "
            f"{total} Preemption is not helpful for scheduling."
        )
        current = next(
            (c for c in (pod.get("status") or {}).get("conditions") or [] if c.get("type") == "PodScheduled"), None
        )
        if current is None or current.get("message") != message:
            status = dict(pod.get("status") or {})
            timestamp = self.clock.timestamp()
            status["conditions"] = [_condition("PodScheduled", False, timestamp, "Unschedulable", message)]
            self._write_status(pod, status, manager="kube-scheduler")
            self.events.record(pod, WARNING, "FailedScheduling", message, "default-scheduler")
        return 5.0

    def _claim_bound(self, pod: JSON, claim: str) -> bool:
        pvc = self.store.try_get("persistentvolumeclaims", namespace_of(pod), claim)
        return pvc is not None and (pvc.get("status") or {}).get("phase") == "Bound"

    # ---- running ---------------------------------------------------------------------------------

    def _start_runtime(self, pod: JSON) -> PodRuntime:
        node = self.store.try_get("nodes", None, pod["spec"]["nodeName"]) or {}
        prefix = pod_cidr_prefix(node)
        self._next_ip[prefix] = self._next_ip.get(prefix, 1) % 250 + 1
        pod_ip = (pod.get("status") or {}).get("podIP") or f"{prefix}.{self._next_ip[prefix] + 1}"
        state = PodRuntime(uid_of(pod), pod_ip=pod_ip)
        started = self.clock.sim_now()
        run_seconds = float(pod["metadata"].get("annotations", {}).get(RUN_SECONDS_ANNOTATION) or RUN_SECONDS)
        restart_policy = pod["spec"].get("restartPolicy", "Always")
        for container in pod["spec"].get("containers") or []:
            state.containers[container["name"]] = runtime.ContainerRuntime(
                behaviour=runtime.behaviour_for(container["image"], restart_policy),
                since=started,
                restart_policy=restart_policy,
                stamp=self.clock.timestamp,
                to_sim=self.clock.to_sim,
                run_seconds=run_seconds,
                ready_delay=READY_SECONDS
                + float((container.get("readinessProbe") or {}).get("initialDelaySeconds") or 0),
            )
        known = {cs["name"]: cs for cs in (pod.get("status") or {}).get("containerStatuses") or []}
        for name, container_state in state.containers.items():
            if name in known and known[name].get("containerID"):
                container_state.resume(known[name], started)
        return state

    def _run(self, pod: JSON, state: PodRuntime) -> float | None:
        now = self.clock.sim_now()
        next_look: list[float] = []
        for container in pod["spec"].get("containers") or []:
            container_state = state.containers.get(container["name"])
            if container_state is None:
                continue
            for transition in container_state.advance(now):
                self._record_transition(pod, container, transition)
            wait = container_state.seconds_until_next(now)
            if wait is not None:
                next_look.append(wait)
        status = self._status(pod, state, now)
        self._write_status(pod, status, manager="kubelet")
        return min(next_look) if next_look else None

    def _record_transition(self, pod: JSON, container: JSON, transition: str) -> None:
        image, name, host = container["image"], container["name"], pod["spec"].get("nodeName")
        field_path = f"spec.containers{{{name}}}"
        messages = {
            "pulling": (NORMAL, "Pulling", f'Pulling image "{image}"'),
            "started": (NORMAL, "Started", f"Started container {name}"),
            "pulled": (NORMAL, "Pulled", f'Successfully pulled image "{image}" in {runtime.PULL_SECONDS}s'),
            "created": (NORMAL, "Created", f"Created container: {name}"),
            "pull_failed": (
                WARNING,
                "Failed",
                f'Failed to pull image "{image}": rpc error: code = NotFound '
                f'desc = failed to pull and unpack image "{image}": not found',
            ),
            "pull_backoff": (WARNING, "BackOff", f'Back-off pulling image "{image}"'),
            "crashed": (
                WARNING,
                "BackOff",
                f"Back-off restarting failed container {name} in pod {name_of(pod)}_{namespace_of(pod)}({uid_of(pod)})",
            ),
        }
        if transition in messages:
            kind, reason, message = messages[transition]
            self.events.record(pod, kind, reason, message, "kubelet", host=host, field_path=field_path)

    def _status(self, pod: JSON, state: PodRuntime, now: datetime) -> JSON:
        old = pod.get("status") or {}
        node = self.store.try_get("nodes", None, pod["spec"]["nodeName"]) or {}
        host_ip = internal_ip(node)
        container_statuses = [
            state.containers[c["name"]].status(c, now, f"{name_of(pod)}_{namespace_of(pod)}({uid_of(pod)})")
            for c in pod["spec"].get("containers") or []
            if c["name"] in state.containers
        ]
        phase = runtime.pod_phase(container_statuses, pod["spec"].get("restartPolicy", "Always"))
        ready = bool(container_statuses) and all(cs["ready"] for cs in container_statuses)
        unready = [cs["name"] for cs in container_statuses if not cs["ready"]]
        timestamp = self.clock.timestamp()
        previous = {c["type"]: c for c in old.get("conditions") or []}

        def keep(kind: str, is_true: bool, reason: str = "", message: str = "") -> JSON:
            wanted = _condition(kind, is_true, timestamp, reason, message)
            before = previous.get(kind)
            if before and before.get("status") == wanted["status"]:
                wanted["lastTransitionTime"] = before.get("lastTransitionTime")
            return wanted

        finished = phase in ("Succeeded", "Failed")
        not_ready_reason = "PodCompleted" if finished else "ContainersNotReady"
        not_ready_message = "" if finished else f"containers with unready status: [{' '.join(unready)}]"
        conditions = [
            keep("PodReadyToStartContainers", not finished),
            keep("Initialized", True, "PodCompleted" if finished else ""),
            keep("Ready", ready, "" if ready else not_ready_reason, "" if ready else not_ready_message),
            keep("ContainersReady", ready, "" if ready else not_ready_reason, "" if ready else not_ready_message),
            keep("PodScheduled", True),
        ]
        status: JSON = {
            "phase": phase,
            "conditions": conditions,
            "hostIP": host_ip,
            "hostIPs": [{"ip": host_ip}],
            "startTime": old.get("startTime") or timestamp,
            "containerStatuses": container_statuses,
            "qosClass": old.get("qosClass", "BestEffort"),
        }
        if phase != "Pending" or any(cs.get("containerID") for cs in container_statuses):
            status["podIP"] = state.pod_ip
            status["podIPs"] = [{"ip": state.pod_ip}]
        return status

    def _write_status(self, pod: JSON, status: JSON, manager: str) -> None:
        if pod.get("status") == status:
            return
        pod["status"] = status
        self.store.update_status("pods", pod, manager=manager)


def _condition(kind: str, is_true: bool, timestamp: str, reason: str = "", message: str = "") -> JSON:
    cond: JSON = {
        "type": kind,
        "status": "True" if is_true else "False",
        "lastProbeTime": None,
        "lastTransitionTime": timestamp,
    }
    if reason:
        cond["reason"] = reason
    if message:
        cond["message"] = message
    return cond
