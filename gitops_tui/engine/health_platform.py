"""Health of the supporting kinds: PersistentVolumeClaim, HorizontalPodAutoscaler,
PodDisruptionBudget, APIService, and Argo CD's own Application.

PVC, HPA and APIService follow Argo CD's built-in checks; PodDisruptionBudget and Application
follow the checks Argo CD ships as resource customizations (`policy/PodDisruptionBudget`, and the
`argoproj.io/Application` check its documentation gives for app-of-apps).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from gitops_tui.engine.health_fields import (
    degraded,
    find_condition,
    healthy,
    items,
    progressing,
    section,
    text,
    unknown,
)
from gitops_tui.model import Health, HealthStatus

PVC_PHASE_HEALTH = {
    "Bound": HealthStatus.HEALTHY,
    "Pending": HealthStatus.PROGRESSING,
    "Lost": HealthStatus.DEGRADED,
}


def pvc_health(obj: Mapping[str, Any]) -> Health:
    phase = text(section(obj, "status").get("phase"))
    return Health(PVC_PHASE_HEALTH.get(phase, HealthStatus.UNKNOWN))


HPA_WAITING = "Waiting to Autoscale"
# (type, reason) pairs that mean the autoscaler cannot do its job, whatever the condition's status.
HPA_FAILURES = frozenset(
    {
        ("AbleToScale", "FailedGetScale"),
        ("AbleToScale", "FailedUpdateScale"),
        ("ScalingActive", "FailedGetResourceMetric"),
        ("ScalingActive", "InvalidSelector"),
    }
)
HPA_HEALTHY_WHEN_TRUE = frozenset({"AbleToScale", "ScalingLimited"})
# autoscaling/v1 has no status.conditions: the controller serialises them into this annotation.
HPA_V1_CONDITIONS_ANNOTATION = "autoscaling.alpha.kubernetes.io/conditions"


def hpa_health(obj: Mapping[str, Any]) -> Health:
    if obj.get("apiVersion") == "autoscaling/v1":
        annotation = section(obj, "metadata", "annotations").get(HPA_V1_CONDITIONS_ANNOTATION)
        if annotation is None:
            return progressing(HPA_WAITING)
        try:
            conditions = json.loads(annotation)
        except (TypeError, ValueError) as err:
            return unknown(f"failed to convert conditions annotation to typed: {err}")
    else:
        conditions = section(obj, "status").get("conditions")

    conditions = [c for c in items(conditions) if isinstance(c, Mapping)]
    # Argo CD stops at the first condition that settles the question, so the usual
    # "AbleToScale True, ScalingActive False/FailedGetResourceMetric" (metrics server down) reads
    # Healthy there. A failure anywhere wins here: the autoscaler is not doing its job.
    for condition in conditions:
        if (text(condition.get("type")), text(condition.get("reason"))) in HPA_FAILURES:
            return degraded(text(condition.get("message")))
    for condition in conditions:
        if text(condition.get("type")) in HPA_HEALTHY_WHEN_TRUE and condition.get("status") == "True":
            return healthy(text(condition.get("message")))
    return progressing(HPA_WAITING)


def pdb_health(obj: Mapping[str, Any]) -> Health:
    verdict = progressing("Waiting for status")
    for condition in items(section(obj, "status").get("conditions")):
        if not isinstance(condition, Mapping):
            continue
        reason = text(condition.get("reason"))
        # InsufficientPods is often intended (minAvailable equal to replicas blocks voluntary
        # evictions on purpose), so Argo CD does not call it Degraded; any other False is.
        if condition.get("status") == "False" and reason != "InsufficientPods":
            return degraded(f"PodDisruptionBudget has {reason}")
        verdict = healthy(f"PodDisruptionBudget has {reason}")
    return verdict


def apiservice_health(obj: Mapping[str, Any]) -> Health:
    available = find_condition(section(obj, "status").get("conditions"), "Available")
    if available is None:
        return progressing("Waiting to be processed")
    message = f"{text(available.get('reason'))}: {text(available.get('message'))}"
    return healthy(message) if available.get("status") == "True" else progressing(message)


def application_health(obj: Mapping[str, Any]) -> Health:
    """A child Application reports its own health: take it as it says (app-of-apps)."""
    reported = section(obj, "status", "health")
    if not reported.get("status"):
        return progressing()
    try:
        status = HealthStatus(text(reported.get("status")))
    except ValueError:
        return unknown(f"unknown health status {reported.get('status')!r}: {text(reported.get('message'))}")
    return Health(status, text(reported.get("message")))
