"""The sandbox's Nodes: a few Ready machines for the scheduler and DaemonSets to use.

They look like a kind cluster's nodes (names, labels, addresses, capacity) so node columns and
DaemonSet counts in the console read like a real cluster's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gitops_tui.sandbox.controllers.clock import SimClock
    from gitops_tui.sandbox.store import Store

JSON = dict[str, Any]
NODE_NAMES = ("sandbox-control-plane", "sandbox-worker", "sandbox-worker2")


def node_names(count: int) -> list[str]:
    return list(NODE_NAMES[: max(1, min(count, len(NODE_NAMES)))])


def pod_cidr_prefix(node: JSON) -> str:
    """'10.244.1' for a node whose podCIDR is 10.244.1.0/24."""
    cidr = (node.get("spec") or {}).get("podCIDR") or "10.244.0.0/24"
    return cidr.rsplit(".", 1)[0]


def internal_ip(node: JSON) -> str:
    for address in (node.get("status") or {}).get("addresses") or []:
        if address.get("type") == "InternalIP":
            return str(address["address"])
    return ""


def node_is_ready(node: JSON) -> bool:
    conditions = (node.get("status") or {}).get("conditions") or []
    schedulable = not (node.get("spec") or {}).get("unschedulable")
    return schedulable and any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def _node(name: str, index: int, now: str) -> JSON:
    labels = {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
    }
    if index == 0:
        labels["node-role.kubernetes.io/control-plane"] = ""
    capacity = {"cpu": "4", "ephemeral-storage": "102626232Ki", "memory": "16Gi", "pods": "110"}

    def pressure(kind: str, reason: str, message: str) -> JSON:
        return {
            "type": kind,
            "status": "False",
            "reason": reason,
            "message": message,
            "lastHeartbeatTime": now,
            "lastTransitionTime": now,
        }

    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "podCIDR": f"10.244.{index}.0/24",
            "podCIDRs": [f"10.244.{index}.0/24"],
            "providerID": f"kind://docker/sandbox/{name}",
        },
        "status": {
            "addresses": [
                {"type": "InternalIP", "address": f"172.18.0.{index + 2}"},
                {"type": "Hostname", "address": name},
            ],
            "allocatable": dict(capacity),
            "capacity": capacity,
            "conditions": [
                pressure("MemoryPressure", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                pressure("DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                pressure("PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "KubeletReady",
                    "message": "kubelet is posting ready status",
                    "lastHeartbeatTime": now,
                    "lastTransitionTime": now,
                },
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "architecture": "amd64",
                "bootID": f"00000000-0000-4000-8000-{index:012d}",
                "containerRuntimeVersion": "containerd://1.7.18",
                "kernelVersion": "6.8.0-sandbox",
                "kubeProxyVersion": "v1.32.0",
                "kubeletVersion": "v1.32.0",
                "machineID": f"{index:032x}",
                "operatingSystem": "linux",
                "osImage": "Debian GNU/Linux 12 (bookworm)",
                "systemUUID": f"00000000-0000-4000-8000-{index:012d}",
            },
        },
    }


def ensure_nodes(store: Store, clock: SimClock, count: int) -> None:
    """Create the sandbox's Nodes unless a restored state already has some."""
    if store.list("nodes"):
        return
    for index, name in enumerate(node_names(count)):
        store.create("nodes", _node(name, index, clock.timestamp()), keep_status=True, manager="kubelet")
