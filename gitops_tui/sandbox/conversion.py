"""Version conversion between a stored object and the version a request speaks.

Two built-ins differ in shape between what is stored and what is served: HorizontalPodAutoscaler
(autoscaling/v2 stored, autoscaling/v1 converted) and Event (core/v1 stored, events.k8s.io/v1
converted, sharing one storage like the real server). Everything else, custom resources included
(conversion strategy None), only changes `apiVersion`.
"""

from __future__ import annotations

import json
from typing import Any

from .resources import ResourceType
from .store import Entry, dumps

_HPA = "horizontalpodautoscalers.autoscaling"
_EVENTS_V1 = "events.events.k8s.io"


def _cpu_target(metrics: list[dict[str, Any]] | None) -> int | None:
    for metric in metrics or []:
        resource = metric.get("resource") or {}
        target = resource.get("target") or {}
        if metric.get("type") == "Resource" and resource.get("name") == "cpu" and target.get("type") == "Utilization":
            return target.get("averageUtilization")
    return None


def _hpa_to_v1(obj: dict[str, Any]) -> dict[str, Any]:
    spec = obj.get("spec") or {}
    out_spec = {k: spec[k] for k in ("scaleTargetRef", "minReplicas", "maxReplicas") if k in spec}
    cpu = _cpu_target(spec.get("metrics"))
    if cpu is not None:
        out_spec["targetCPUUtilizationPercentage"] = cpu
    out = {**obj, "spec": out_spec}
    status = obj.get("status")
    if status is not None:
        out_status = {
            k: status[k]
            for k in ("observedGeneration", "lastScaleTime", "currentReplicas", "desiredReplicas")
            if k in status
        }
        for metric in status.get("currentMetrics") or []:
            resource = metric.get("resource") or {}
            if resource.get("name") == "cpu" and "averageUtilization" in (resource.get("current") or {}):
                out_status["currentCPUUtilizationPercentage"] = resource["current"]["averageUtilization"]
        out["status"] = out_status
    return out


def _hpa_to_v2(obj: dict[str, Any]) -> dict[str, Any]:
    spec = dict(obj.get("spec") or {})
    cpu = spec.pop("targetCPUUtilizationPercentage", None)
    if cpu is not None:
        spec["metrics"] = [
            {
                "type": "Resource",
                "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": cpu}},
            }
        ]
    out = {**obj, "spec": spec}
    status = obj.get("status")
    if status is not None:
        status = dict(status)
        current = status.pop("currentCPUUtilizationPercentage", None)
        if current is not None:
            status["currentMetrics"] = [
                {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": current}}}
            ]
        out["status"] = status
    return out


# core/v1 Event field -> events.k8s.io/v1 Event field (the rest keep their names)
_EVENT_FIELDS = {
    "involvedObject": "regarding",
    "message": "note",
    "source": "deprecatedSource",
    "firstTimestamp": "deprecatedFirstTimestamp",
    "lastTimestamp": "deprecatedLastTimestamp",
    "count": "deprecatedCount",
    "reportingComponent": "reportingController",
}
_EVENT_FIELDS_BACK = {v: k for k, v in _EVENT_FIELDS.items()}


def _rename(obj: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    return {names.get(k, k): v for k, v in obj.items()}


def to_version(obj: dict[str, Any], rt: ResourceType) -> dict[str, Any]:
    """The stored object as `rt`'s version (a new dict; the stored one is left alone)."""
    if obj.get("apiVersion") == rt.api_version:
        return obj
    out = dict(obj)
    if rt.group_resource == _HPA and rt.version == "v1":
        out = _hpa_to_v1(out)
    elif rt.group_resource == _EVENTS_V1:
        out = _rename(out, _EVENT_FIELDS)
    out["apiVersion"] = rt.api_version
    return out


def to_storage(obj: dict[str, Any], rt: ResourceType, storage: ResourceType) -> dict[str, Any]:
    """An incoming object in `rt`'s version, converted to the storage version before writing."""
    if rt.api_version == storage.api_version:
        return obj
    if rt.group_resource == _HPA and rt.version == "v1":
        obj = _hpa_to_v2(obj)
    elif rt.group_resource == _EVENTS_V1:
        obj = _rename(obj, _EVENT_FIELDS_BACK)
    obj["apiVersion"] = storage.api_version
    return obj


def entry_bytes(entry: Entry, rt: ResourceType) -> bytes:
    """JSON bytes of a stored entry in `rt`'s version; storage-version bytes are cached on the entry."""
    if entry.obj.get("apiVersion") == rt.api_version:
        return entry.raw()
    return dumps(to_version(entry.obj, rt))


def object_in(obj: dict[str, Any], rt: ResourceType) -> dict[str, Any]:
    return json.loads(dumps(to_version(obj, rt)))
