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
import contextlib
import copy
import itertools
from collections.abc import Callable, Iterable
from typing import Any

from gitops_tui.sandbox.quantity import QuantityError, canonicalize
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

# The file permission the API server writes for secret, configMap, projected and downwardAPI volumes.
DEFAULT_VOLUME_MODE = 420


def apply_defaults(
    obj: JSON, allocator: ServiceAllocator | None = None, previous: JSON | None = None
) -> JSON:
    """Return `obj` with the API server's defaults filled in (a new dict; `obj` is untouched)."""
    result = copy.deepcopy(obj)
    group = str(result.get("apiVersion", "")).rpartition("/")[0]
    handler = _BY_KIND.get((group, str(result.get("kind", ""))))
    if handler is not None:
        handler(result, allocator, previous)
    return result


# ---- helpers -------------------------------------------------------------------------------


def _set(mapping: JSON, key: str, value: Any) -> Any:
    """setdefault that also replaces an explicit null, as Go's nil pointer checks do."""
    if mapping.get(key) is None:
        mapping[key] = value
    return mapping[key]


def _dict(mapping: JSON, key: str) -> JSON:
    return _set(mapping, key, {})


def _canonical_quantities(resources: Any) -> None:
    if not isinstance(resources, dict):
        return
    for name, value in list(resources.items()):
        # An invalid quantity is a validation error upstream, not ours to hide or fix.
        with contextlib.suppress(QuantityError, TypeError):
            resources[name] = canonicalize(value)


def _canonical_requirements(requirements: Any) -> None:
    if isinstance(requirements, dict):
        for section in ("limits", "requests"):
            _canonical_quantities(requirements.get(section))


def image_pull_policy(image: str) -> str:
    """`Always` for `:latest` or untagged images, `IfNotPresent` for a tag or a digest."""
    if "@" in image:
        return "IfNotPresent"
    last_segment = image.rsplit("/", 1)[-1]
    tag = last_segment.partition(":")[2]
    return "Always" if tag in ("", "latest") else "IfNotPresent"


# ---- pods and pod templates ----------------------------------------------------------------


def _default_probe(probe: Any) -> None:
    if not isinstance(probe, dict):
        return
    _set(probe, "timeoutSeconds", 1)
    _set(probe, "periodSeconds", 10)
    _set(probe, "successThreshold", 1)
    _set(probe, "failureThreshold", 3)
    if isinstance(probe.get("httpGet"), dict):
        probe["httpGet"].setdefault("path", "/")
        _set(probe["httpGet"], "scheme", "HTTP")


def _default_field_ref(holder: Any) -> None:
    if isinstance(holder, dict) and isinstance(holder.get("fieldRef"), dict):
        _set(holder["fieldRef"], "apiVersion", "v1")


def _default_container(container: JSON) -> None:
    if "image" in container and container.get("imagePullPolicy") is None:
        container["imagePullPolicy"] = image_pull_policy(str(container["image"]))
    _set(container, "terminationMessagePath", "/dev/termination-log")
    _set(container, "terminationMessagePolicy", "File")
    # ResourceRequirements is a struct, not a pointer, so the server always prints `resources: {}`.
    _canonical_requirements(_dict(container, "resources"))
    for port in container.get("ports") or []:
        _set(port, "protocol", "TCP")
    for probe_name in ("livenessProbe", "readinessProbe", "startupProbe"):
        _default_probe(container.get(probe_name))
    for env in container.get("env") or []:
        _default_field_ref(env.get("valueFrom"))


def _default_volume(volume: JSON) -> None:
    sources = set(volume) - {"name"}
    if not sources:
        volume["emptyDir"] = {}
    for kind in ("secret", "configMap", "projected", "downwardAPI"):
        if isinstance(volume.get(kind), dict):
            _set(volume[kind], "defaultMode", DEFAULT_VOLUME_MODE)
    for item in (volume.get("downwardAPI") or {}).get("items") or []:
        _default_field_ref(item)
    if isinstance(volume.get("emptyDir"), dict) and "sizeLimit" in volume["emptyDir"]:
        volume["emptyDir"]["sizeLimit"] = canonicalize(volume["emptyDir"]["sizeLimit"])
    if isinstance(volume.get("hostPath"), dict):
        volume["hostPath"].setdefault("type", "")
    claim_template = (volume.get("ephemeral") or {}).get("volumeClaimTemplate")
    if isinstance(claim_template, dict) and isinstance(claim_template.get("spec"), dict):
        _default_pvc_spec(claim_template["spec"])


def _default_pod_spec(spec: JSON) -> None:
    _set(spec, "dnsPolicy", "ClusterFirst")
    _set(spec, "restartPolicy", "Always")
    _set(spec, "securityContext", {})
    _set(spec, "terminationGracePeriodSeconds", 30)
    _set(spec, "schedulerName", "default-scheduler")
    for container in itertools.chain(spec.get("initContainers") or [], spec.get("containers") or []):
        _default_container(container)
    for volume in spec.get("volumes") or []:
        _default_volume(volume)


def _default_pod_template(template: Any) -> None:
    if not isinstance(template, dict):
        return
    # ObjectMeta.creationTimestamp is a non-pointer time, printed as null inside templates (until 1.33).
    metadata = _dict(template, "metadata")
    metadata.setdefault("creationTimestamp", None)
    _default_pod_spec(_dict(template, "spec"))


def _requests_from_limits(containers: Iterable[JSON]) -> None:
    for container in containers:
        resources = container.get("resources") or {}
        for name, value in (resources.get("limits") or {}).items():
            resources.setdefault("requests", {}).setdefault(name, value)


def qos_class(spec: JSON) -> str:
    """The pod's QoS class, computed from its containers' requests and limits the way the kubelet does."""
    containers = list(itertools.chain(spec.get("initContainers") or [], spec.get("containers") or []))
    requests = [c.get("resources", {}).get("requests") or {} for c in containers]
    limits = [c.get("resources", {}).get("limits") or {} for c in containers]
    if not any(requests) and not any(limits):
        return "BestEffort"
    guaranteed = all(
        all(name in lim and name in req and lim[name] == req[name] for name in ("cpu", "memory"))
        for req, lim in zip(requests, limits, strict=True)
    )
    return "Guaranteed" if guaranteed else "Burstable"


def _default_pod(pod: JSON, _allocator: ServiceAllocator | None, _previous: JSON | None) -> None:
    spec = _dict(pod, "spec")
    _requests_from_limits(itertools.chain(spec.get("initContainers") or [], spec.get("containers") or []))
    _default_pod_spec(spec)
    _set(spec, "enableServiceLinks", True)
    # What the ServiceAccount, Priority and DefaultTolerationSeconds admission plugins add on create.
    _set(spec, "serviceAccountName", "default")
    _set(spec, "serviceAccount", spec["serviceAccountName"])
    _set(spec, "priority", 0)
    _set(spec, "preemptionPolicy", "PreemptLowerPriority")
    tolerations = _set(spec, "tolerations", [])
    for taint in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"):
        if not any(t.get("key") == taint for t in tolerations):
            tolerations.append(
                {"key": taint, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}
            )
    status = _dict(pod, "status")
    _set(status, "phase", "Pending")
    _set(status, "qosClass", qos_class(spec))


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


def _default_pvc_spec(spec: JSON) -> None:
    _set(spec, "volumeMode", "Filesystem")
    _canonical_requirements(spec.get("resources"))


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
