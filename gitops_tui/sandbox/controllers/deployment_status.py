"""A Deployment's status, computed the way the upstream controller's calculateStatus and
syncRolloutStatus compute it, with their reasons and messages word for word."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gitops_tui.sandbox.controllers.kube import name_of, omit_zero, set_condition

JSON = dict[str, Any]


def _count(sets: list[JSON], field: str) -> int:
    return sum(int((rs.get("status") or {}).get(field, 0)) for rs in sets)


def deployment_status(
    deployment: JSON,
    sets: list[JSON],
    new_rs: JSON | None,
    conditions: list[JSON],
    max_unavailable: int,
    now: str,
    since_progress: Callable[[JSON], float],
) -> JSON:
    """`since_progress(condition)`: simulated seconds since the Progressing condition last moved."""
    spec = deployment["spec"]
    old = deployment.get("status") or {}
    desired = int(spec.get("replicas", 1))
    available = _count(sets, "availableReplicas")
    total_wanted = sum(int(rs["spec"].get("replicas", 0)) for rs in sets)
    status: JSON = {
        "observedGeneration": deployment["metadata"].get("generation", 1),
        "replicas": _count(sets, "replicas"),
        "updatedReplicas": int((new_rs or {}).get("status", {}).get("replicas", 0)) if new_rs else 0,
        "readyReplicas": _count(sets, "readyReplicas"),
        "availableReplicas": available,
        "unavailableReplicas": max(total_wanted - available, 0),
    }
    if old.get("collisionCount"):
        status["collisionCount"] = old["collisionCount"]
    if available >= desired - max_unavailable:
        available_condition = ("True", "MinimumReplicasAvailable", "Deployment has minimum availability.")
    else:
        available_condition = ("False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.")
    conditions = set_condition(
        conditions,
        {
            "type": "Available",
            "status": available_condition[0],
            "lastUpdateTime": now,
            "lastTransitionTime": now,
            "reason": available_condition[1],
            "message": available_condition[2],
        },
    )
    if not spec.get("paused") and spec.get("progressDeadlineSeconds") is not None:
        conditions = _rollout_condition(deployment, status, old, new_rs, conditions, now, since_progress)
    status = omit_zero(status)
    status["conditions"] = conditions
    return status


def _rollout_condition(
    deployment: JSON,
    status: JSON,
    old: JSON,
    new_rs: JSON | None,
    conditions: list[JSON],
    now: str,
    since_progress: Callable[[JSON], float],
) -> list[JSON]:
    current = next((c for c in conditions if c["type"] == "Progressing"), None)
    if (
        current is not None
        and current.get("reason") == "NewReplicaSetAvailable"
        and status["replicas"] == status["updatedReplicas"]
    ):
        return conditions  # a finished rollout stays finished until something new starts
    subject = f'ReplicaSet "{name_of(new_rs)}"' if new_rs else f'Deployment "{name_of(deployment)}"'
    if _complete(deployment, status):
        return set_condition(
            conditions, _progressing("True", "NewReplicaSetAvailable", f"{subject} has successfully progressed.", now)
        )
    if made_progress(old, status):
        fresh = _progressing("True", "ReplicaSetUpdated", f"{subject} is progressing.", now)
        if current is not None and current.get("status") == "True":
            fresh["lastTransitionTime"] = current.get("lastTransitionTime", now)
        # Unlike other conditions, progress refreshes lastUpdateTime even with the same reason.
        return [c for c in conditions if c["type"] != "Progressing"] + [fresh]
    if _timed_out(deployment, current, since_progress):
        return set_condition(
            conditions, _progressing("False", "ProgressDeadlineExceeded", f"{subject} has timed out progressing.", now)
        )
    return conditions


def _progressing(status: str, reason: str, message: str, now: str) -> JSON:
    return {
        "type": "Progressing",
        "status": status,
        "lastUpdateTime": now,
        "lastTransitionTime": now,
        "reason": reason,
        "message": message,
    }


def _complete(deployment: JSON, status: JSON) -> bool:
    desired = int(deployment["spec"].get("replicas", 1))
    return (
        status["updatedReplicas"] == desired
        and status["replicas"] == desired
        and status["availableReplicas"] == desired
        and status["observedGeneration"] >= deployment["metadata"].get("generation", 1)
    )


def made_progress(old: JSON, new: JSON) -> bool:
    """Upstream's DeploymentProgressing: more updated, fewer old, more ready or more available pods."""

    def count(status: JSON, field: str) -> int:
        return int(status.get(field, 0))

    old_old = count(old, "replicas") - count(old, "updatedReplicas")
    new_old = count(new, "replicas") - count(new, "updatedReplicas")
    return (
        count(new, "updatedReplicas") > count(old, "updatedReplicas")
        or new_old < old_old
        or count(new, "readyReplicas") > count(old, "readyReplicas")
        or count(new, "availableReplicas") > count(old, "availableReplicas")
    )


def _timed_out(deployment: JSON, current: JSON | None, since_progress: Callable[[JSON], float]) -> bool:
    if current is None:
        return False
    if current.get("reason") == "NewReplicaSetAvailable":
        return False
    if current.get("reason") == "ProgressDeadlineExceeded":
        return True
    return since_progress(current) > float(deployment["spec"]["progressDeadlineSeconds"])
