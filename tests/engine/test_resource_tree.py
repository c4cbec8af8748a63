"""The words the resource tree shows beside a child (engine/resource_tree.py), from real object shapes."""

from __future__ import annotations

from gitops_tui.engine.resource_tree import facts, retired
from gitops_tui.model import ResourceKey

RS = ResourceKey("apps", "ReplicaSet", "shop", "web-5d8f")
POD = ResourceKey("", "Pod", "shop", "web-5d8f-x2x4k")


def replica_set(replicas: int, ready: int, status_replicas: int, revision: str = "3") -> dict[str, object]:
    return {
        "metadata": {"annotations": {"deployment.kubernetes.io/revision": revision}},
        "spec": {"replicas": replicas},
        "status": {"replicas": status_replicas, "readyReplicas": ready},
    }


def test_a_replicaset_says_its_revision_and_readiness_and_an_old_one_is_retired() -> None:
    assert facts(RS, replica_set(3, 2, 3)) == "rev 3 · 2/3 ready"
    assert not retired(RS, replica_set(3, 2, 3))
    assert retired(RS, replica_set(0, 0, 0))
    assert not retired(RS, replica_set(0, 0, 1))  # still scaling down: its last Pod is going


def test_a_crashlooping_pod_says_why_and_how_often_before_readiness() -> None:
    pod = {
        "status": {
            "phase": "Running",
            "containerStatuses": [
                {
                    "name": "main",
                    "ready": False,
                    "restartCount": 5,
                    "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s"}},
                }
            ],
        }
    }
    assert facts(POD, pod) == "CrashLoopBackOff · 5 restarts"
    two = {"status": {"phase": "Running", "containerStatuses": [{"ready": True}, {"ready": False}]}}
    assert facts(POD, two) == "Running · 1/2 ready"
    assert facts(POD, {"metadata": {"deletionTimestamp": "2026-11-26T10:00:00Z"}, "status": {"phase": "Running"}}) == (
        "Terminating"
    )
