"""Health of the rollout controllers: Deployment, StatefulSet, DaemonSet, ReplicaSet.

The rules and messages are Argo CD's built-in checks, which in turn follow `kubectl rollout
status`: first wait until the controller has observed the latest spec, then until enough
replicas run the new template and are available.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gitops_tui.engine.health_fields import (
    count,
    degraded,
    find_condition,
    generation,
    healthy,
    observed_generation,
    progressing,
    section,
    suspended,
    text,
)
from gitops_tui.model import Health

# The API server defaults `spec.replicas` to 1 for every workload that has it.
DEFAULT_REPLICAS = 1


def deployment_health(obj: Mapping[str, Any]) -> Health:
    spec, status = section(obj, "spec"), section(obj, "status")
    if spec.get("paused") is True:
        return suspended("Deployment is paused")
    if generation(obj) > observed_generation(obj):
        # Until the controller has seen the new spec, its replica counts describe the old one.
        return progressing("Waiting for rollout to finish: observed deployment generation less than desired generation")

    progress = find_condition(status.get("conditions"), "Progressing")
    if progress is not None and progress.get("reason") == "ProgressDeadlineExceeded":
        name = text(section(obj, "metadata").get("name"))
        return degraded(f'Deployment "{name}" exceeded its progress deadline')

    desired = count(spec.get("replicas"), DEFAULT_REPLICAS)
    replicas, updated = count(status.get("replicas")), count(status.get("updatedReplicas"))
    available = count(status.get("availableReplicas"))
    if updated < desired:
        return progressing(
            f"Waiting for rollout to finish: {updated} out of {desired} new replicas have been updated..."
        )
    if replicas > updated:
        return progressing(
            f"Waiting for rollout to finish: {replicas - updated} old replicas are pending termination..."
        )
    if available < updated:
        return progressing(f"Waiting for rollout to finish: {available} of {updated} updated replicas are available...")
    return healthy()


def statefulset_health(obj: Mapping[str, Any]) -> Health:
    spec, status = section(obj, "spec"), section(obj, "status")
    observed = observed_generation(obj)
    if observed == 0 or generation(obj) > observed:
        return progressing("Waiting for statefulset spec update to be observed...")

    desired = count(spec.get("replicas"), DEFAULT_REPLICAS)
    ready, updated = count(status.get("readyReplicas")), count(status.get("updatedReplicas"))
    if ready < desired:
        return progressing(f"Waiting for {desired - ready} pods to be ready...")

    strategy = section(spec, "updateStrategy")
    strategy_type = text(strategy.get("type")) or "RollingUpdate"
    rolling_update = strategy.get("rollingUpdate")
    if strategy_type == "RollingUpdate" and rolling_update is not None:
        # A partition keeps pods below that ordinal on the old revision on purpose: the rollout
        # is done once every pod at or above it is updated.
        partition = section(spec, "updateStrategy", "rollingUpdate").get("partition")
        if partition is not None and updated < desired - count(partition):
            return progressing(
                "Waiting for partitioned roll out to finish: "
                f"{updated} out of {desired - count(partition)} new pods have been updated..."
            )
        return healthy(f"partitioned roll out complete: {updated} new pods have been updated...")
    if strategy_type == "OnDelete":
        # Pods change revision only when someone deletes them: nothing to wait for.
        return healthy(f"statefulset has {ready} ready pods")

    update_revision, current_revision = text(status.get("updateRevision")), text(status.get("currentRevision"))
    if update_revision != current_revision:
        return progressing(
            f"waiting for statefulset rolling update to complete {updated} pods at revision {update_revision}..."
        )
    current = count(status.get("currentReplicas"))
    return healthy(f"statefulset rolling update complete {current} pods at revision {current_revision}...")


def daemonset_health(obj: Mapping[str, Any]) -> Health:
    spec, status = section(obj, "spec"), section(obj, "status")
    if generation(obj) > observed_generation(obj):
        return progressing("Waiting for rollout to finish: observed daemon set generation less than desired generation")

    desired = count(status.get("desiredNumberScheduled"))
    updated, available = count(status.get("updatedNumberScheduled")), count(status.get("numberAvailable"))
    if section(spec, "updateStrategy").get("type") == "OnDelete":
        return healthy(f"daemon set {updated} out of {desired} new pods have been updated")

    name = text(section(obj, "metadata").get("name"))
    if updated < desired:
        return progressing(
            f'Waiting for daemon set "{name}" rollout to finish: '
            f"{updated} out of {desired} new pods have been updated..."
        )
    if available < desired:
        return progressing(
            f'Waiting for daemon set "{name}" rollout to finish: {available} of {desired} updated pods are available...'
        )
    return healthy()


def replicaset_health(obj: Mapping[str, Any]) -> Health:
    spec, status = section(obj, "spec"), section(obj, "status")
    if generation(obj) > observed_generation(obj):
        return progressing(
            "Waiting for rollout to finish: observed replica set generation less than desired generation"
        )

    # ReplicaFailure is how the controller reports pods it could not create (quota, admission).
    failure = find_condition(status.get("conditions"), "ReplicaFailure")
    if failure is not None and failure.get("status") == "True":
        return degraded(text(failure.get("message")))

    desired, available = count(spec.get("replicas"), DEFAULT_REPLICAS), count(status.get("availableReplicas"))
    if available < desired:
        return progressing(f"Waiting for rollout to finish: {available} out of {desired} new replicas are available...")
    return healthy()
