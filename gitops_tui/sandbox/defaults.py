"""Server-side defaulting: the fields a real API server fills in that the manifest never mentioned.

A GitOps diff that compares the manifest with the live object naively reports every one of these
as drift; the sandbox fills them as as Kubernetes 1.32 does so our diff has to cope with the
same noise as it will against a real cluster. `DEFAULTS.md` lists every field handled here.

`apply_defaults` is pure: it returns a new object and never mutates its argument. The one thing
that needs state, handing out Service cluster IPs and node ports, goes through a `ServiceAllocator`
the store owns; on update the store passes the live object as `previous` so allocated values are
kept, as the real server keeps them when an apply omits them.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Callable
from typing import Any

# The pod part lives in pod_defaults.py; the kind table below still names its handlers as before.
from gitops_tui.sandbox.pod_defaults import canonical_quantities as _canonical_quantities
from gitops_tui.sandbox.pod_defaults import default_pod as _default_pod
from gitops_tui.sandbox.pod_defaults import default_pod_template as _default_pod_template
from gitops_tui.sandbox.pod_defaults import default_pvc_spec as _default_pvc_spec
from gitops_tui.sandbox.pod_defaults import dict_at as _dict
from gitops_tui.sandbox.pod_defaults import image_pull_policy, qos_class
from gitops_tui.sandbox.pod_defaults import set_default as _set
from gitops_tui.sandbox.service_defaults import (
    SequentialServiceAllocator,
    ServiceAllocator,
    default_service,
)

__all__ = [
    "SequentialServiceAllocator",
    "ServiceAllocator",
    "apply_defaults",
    "image_pull_policy",
    "qos_class",
]

JSON = dict[str, Any]


def apply_defaults(obj: JSON, allocator: ServiceAllocator | None = None, previous: JSON | None = None) -> JSON:
    """Return `obj` with the API server's defaults filled in (a new dict; `obj` is untouched)."""
    result = copy.deepcopy(obj)
    group = str(result.get("apiVersion", "")).rpartition("/")[0]
    handler = _BY_KIND.get((group, str(result.get("kind", ""))))
    if handler is not None:
        handler(result, allocator, previous)
    return result


# ---- workloads -----------------------------------------------------------------------------


def _default_deployment(obj: JSON, _a: ServiceAllocator | None, _p: JSON | None) -> None:
    spec = _dict(obj, "spec")
    _set(spec, "replicas", 1)
    strategy = _dict(spec, "strategy")
    _set(strategy, "type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = _dict(strategy, "rollingUpdate")
        _set(rolling, "maxUnavailable", "25%")
        _set(rolling, "maxSurge", "25%")
    _set(spec, "revisionHistoryLimit", 10)
    _set(spec, "progressDeadlineSeconds", 600)
    _default_pod_template(spec.get("template"))


def _default_replica_set(obj: JSON, _a: ServiceAllocator | None, _p: JSON | None) -> None:
    spec = _dict(obj, "spec")
    _set(spec, "replicas", 1)
    _default_pod_template(spec.get("template"))


def _default_stateful_set(obj: JSON, _a: ServiceAllocator | None, _p: JSON | None) -> None:
    spec = _dict(obj, "spec")
    _set(spec, "replicas", 1)
    _set(spec, "podManagementPolicy", "OrderedReady")
    strategy = _dict(spec, "updateStrategy")
    _set(strategy, "type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        _set(_dict(strategy, "rollingUpdate"), "partition", 0)
    _set(spec, "revisionHistoryLimit", 10)
    retention = _dict(spec, "persistentVolumeClaimRetentionPolicy")
    _set(retention, "whenDeleted", "Retain")
    _set(retention, "whenScaled", "Retain")
    for claim in spec.get("volumeClaimTemplates") or []:
        _default_pvc(claim, None, None)
    _default_pod_template(spec.get("template"))


def _default_daemon_set(obj: JSON, _a: ServiceAllocator | None, _p: JSON | None) -> None:
    spec = _dict(obj, "spec")
    strategy = _dict(spec, "updateStrategy")
    _set(strategy, "type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = _dict(strategy, "rollingUpdate")
        _set(rolling, "maxUnavailable", 1)
        _set(rolling, "maxSurge", 0)
    _set(spec, "revisionHistoryLimit", 10)
    _default_pod_template(spec.get("template"))


def _default_job(obj: JSON, _a: ServiceAllocator | None, _p: JSON | None) -> None:
    spec = _dict(obj, "spec")
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
    _set(spec, "parallelism", 1)
    _set(spec, "backoffLimit", 2**31 - 1 if spec.get("backoffLimitPerIndex") is not None else 6)
    _set(spec, "completionMode", "NonIndexed")
    _set(spec, "suspend", False)
    _set(spec, "podReplacementPolicy", "Failed" if spec.get("podFailurePolicy") else "TerminatingOrFailed")
    _default_pod_template(spec.get("template"))
    template_labels = (spec.get("template") or {}).get("metadata", {}).get("labels")
    _generate_job_selector(obj, spec)
    if template_labels and not obj["metadata"].get("labels"):
        obj["metadata"]["labels"] = dict(template_labels)


def _generate_job_selector(job: JSON, spec: JSON) -> None:
    """The Job strategy ties pods to the Job by its uid unless the user chose a manual selector."""
    metadata = _dict(job, "metadata")
    uid = metadata.get("uid")
    if not uid or spec.get("manualSelector") or spec.get("selector"):
        return
    name = metadata.get("name", "")
    labels = _dict(_dict(_dict(spec, "template"), "metadata"), "labels")
    for key, value in (
        ("batch.kubernetes.io/controller-uid", uid),
        ("batch.kubernetes.io/job-name", name),
        ("controller-uid", uid),
        ("job-name", name),
    ):
        labels.setdefault(key, value)
    spec["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}


def _default_cron_job(obj: JSON, _a: ServiceAllocator | None, _p: JSON | None) -> None:
    spec = _dict(obj, "spec")
    _set(spec, "concurrencyPolicy", "Allow")
    _set(spec, "suspend", False)
    _set(spec, "successfulJobsHistoryLimit", 3)
    _set(spec, "failedJobsHistoryLimit", 1)
    job_template = _dict(spec, "jobTemplate")
    # Only the pod template inside is defaulted; Job-level fields wait until a Job is created.
    _dict(job_template, "metadata").setdefault("creationTimestamp", None)
    _default_pod_template(_dict(job_template, "spec").get("template"))


# ---- core objects --------------------------------------------------------------------------


def _default_pvc(obj: JSON, _a: ServiceAllocator | None, _p: JSON | None) -> None:
    _default_pvc_spec(_dict(obj, "spec"))
    _set(_dict(obj, "status"), "phase", "Pending")


def _default_pv(obj: JSON, _a: ServiceAllocator | None, _p: JSON | None) -> None:
    spec = _dict(obj, "spec")
    _set(spec, "persistentVolumeReclaimPolicy", "Retain")
    _set(spec, "volumeMode", "Filesystem")
    _canonical_quantities(spec.get("capacity"))
    _set(_dict(obj, "status"), "phase", "Pending")


def _default_secret(obj: JSON, _a: ServiceAllocator | None, _p: JSON | None) -> None:
    _set(obj, "type", "Opaque")
    # stringData is write-only: the server folds it into base64 `data` and never stores or returns it.
    string_data = obj.pop("stringData", None)
    if isinstance(string_data, dict) and string_data:
        data = obj["data"] = dict(obj.get("data") or {})
        for key, value in string_data.items():
            data[key] = base64.b64encode(str(value).encode()).decode()


def _default_namespace(obj: JSON, _a: ServiceAllocator | None, _p: JSON | None) -> None:
    metadata = _dict(obj, "metadata")
    if metadata.get("name"):
        _dict(metadata, "labels")["kubernetes.io/metadata.name"] = metadata["name"]
    _set(_dict(obj, "spec"), "finalizers", ["kubernetes"])
    _set(_dict(obj, "status"), "phase", "Active")


def _default_resource_quota(obj: JSON, _a: ServiceAllocator | None, _p: JSON | None) -> None:
    _canonical_quantities(_dict(obj, "spec").get("hard"))


def _default_limit_range(obj: JSON, _a: ServiceAllocator | None, _p: JSON | None) -> None:
    for limit in _dict(obj, "spec").get("limits") or []:
        for section in ("max", "min", "default", "defaultRequest", "maxLimitRequestRatio"):
            _canonical_quantities(limit.get(section))


def _default_hpa(obj: JSON, _a: ServiceAllocator | None, _p: JSON | None) -> None:
    spec = _dict(obj, "spec")
    _set(spec, "minReplicas", 1)
    if not spec.get("metrics"):
        spec["metrics"] = [
            {
                "type": "Resource",
                "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}},
            }
        ]
    behavior = spec.get("behavior")
    if isinstance(behavior, dict):  # only a behavior the user started is completed
        scale_up = _dict(behavior, "scaleUp")
        _set(scale_up, "stabilizationWindowSeconds", 0)
        _set(scale_up, "selectPolicy", "Max")
        _set(
            scale_up,
            "policies",
            [
                {"type": "Pods", "value": 4, "periodSeconds": 15},
                {"type": "Percent", "value": 100, "periodSeconds": 15},
            ],
        )
        scale_down = _dict(behavior, "scaleDown")
        _set(scale_down, "stabilizationWindowSeconds", 300)
        _set(scale_down, "selectPolicy", "Max")
        _set(scale_down, "policies", [{"type": "Percent", "value": 100, "periodSeconds": 15}])


def _default_ingress(obj: JSON, _a: ServiceAllocator | None, _p: JSON | None) -> None:
    # Nothing in the v1 spec is defaulted (pathType is required), but the status struct always prints.
    _set(_dict(obj, "status"), "loadBalancer", {})


_Handler = Callable[[JSON, "ServiceAllocator | None", "JSON | None"], None]
_BY_KIND: dict[tuple[str, str], _Handler] = {
    ("", "Pod"): _default_pod,
    ("", "PodTemplate"): lambda obj, _a, _p: _default_pod_template(obj.get("template")),
    ("", "ReplicationController"): _default_replica_set,
    ("", "Service"): default_service,
    ("", "PersistentVolumeClaim"): _default_pvc,
    ("", "PersistentVolume"): _default_pv,
    ("", "Secret"): _default_secret,
    ("", "Namespace"): _default_namespace,
    ("", "ResourceQuota"): _default_resource_quota,
    ("", "LimitRange"): _default_limit_range,
    ("apps", "Deployment"): _default_deployment,
    ("apps", "ReplicaSet"): _default_replica_set,
    ("apps", "StatefulSet"): _default_stateful_set,
    ("apps", "DaemonSet"): _default_daemon_set,
    ("batch", "Job"): _default_job,
    ("batch", "CronJob"): _default_cron_job,
    ("autoscaling", "HorizontalPodAutoscaler"): _default_hpa,
    ("networking.k8s.io", "Ingress"): _default_ingress,
}
