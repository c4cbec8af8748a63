"""Server-side defaulting of Pods and pod templates: containers, probes, volumes, QoS class.

Split from `defaults.py` (which keeps the per-kind table and the other kinds): a pod template sits inside
every workload, so this is the part the others share. `set_default` and `dict_at` are the two helpers
every defaulting function here and in `defaults.py` is written with. These change the object they are
given in place; `apply_defaults` hands them a copy.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from gitops_tui.sandbox.quantity import QuantityError, canonicalize

if TYPE_CHECKING:
    from gitops_tui.sandbox.service_defaults import ServiceAllocator

JSON = dict[str, Any]

# The file permission the API server writes for secret, configMap, projected and downwardAPI volumes.
DEFAULT_VOLUME_MODE = 420


# ---- helpers -------------------------------------------------------------------------------


def set_default(mapping: JSON, key: str, value: Any) -> Any:
    """setdefault that also replaces an explicit null, as Go's nil pointer checks do."""
    if mapping.get(key) is None:
        mapping[key] = value
    return mapping[key]


def dict_at(mapping: JSON, key: str) -> JSON:
    return set_default(mapping, key, {})


def canonical_quantities(resources: Any) -> None:
    if not isinstance(resources, dict):
        return
    for name, value in list(resources.items()):
        # An invalid quantity is a validation error upstream, not ours to hide or fix.
        with contextlib.suppress(QuantityError, TypeError):
            resources[name] = canonicalize(value)


def canonical_requirements(requirements: Any) -> None:
    if isinstance(requirements, dict):
        for section in ("limits", "requests"):
            canonical_quantities(requirements.get(section))


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
    set_default(probe, "timeoutSeconds", 1)
    set_default(probe, "periodSeconds", 10)
    set_default(probe, "successThreshold", 1)
    set_default(probe, "failureThreshold", 3)
    if isinstance(probe.get("httpGet"), dict):
        probe["httpGet"].setdefault("path", "/")
        set_default(probe["httpGet"], "scheme", "HTTP")


def _default_field_ref(holder: Any) -> None:
    if isinstance(holder, dict) and isinstance(holder.get("fieldRef"), dict):
        set_default(holder["fieldRef"], "apiVersion", "v1")


def _default_container(container: JSON) -> None:
    if "image" in container and container.get("imagePullPolicy") is None:
        container["imagePullPolicy"] = image_pull_policy(str(container["image"]))
    set_default(container, "terminationMessagePath", "/dev/termination-log")
    set_default(container, "terminationMessagePolicy", "File")
    # ResourceRequirements is a struct, not a pointer, so the server always prints `resources: {}`.
    canonical_requirements(dict_at(container, "resources"))
    for port in container.get("ports") or []:
        set_default(port, "protocol", "TCP")
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
            set_default(volume[kind], "defaultMode", DEFAULT_VOLUME_MODE)
    for item in (volume.get("downwardAPI") or {}).get("items") or []:
        _default_field_ref(item)
    if isinstance(volume.get("emptyDir"), dict) and "sizeLimit" in volume["emptyDir"]:
        volume["emptyDir"]["sizeLimit"] = canonicalize(volume["emptyDir"]["sizeLimit"])
    if isinstance(volume.get("hostPath"), dict):
        volume["hostPath"].setdefault("type", "")
    claim_template = (volume.get("ephemeral") or {}).get("volumeClaimTemplate")
    if isinstance(claim_template, dict) and isinstance(claim_template.get("spec"), dict):
        default_pvc_spec(claim_template["spec"])


def _default_pod_spec(spec: JSON) -> None:
    set_default(spec, "dnsPolicy", "ClusterFirst")
    set_default(spec, "restartPolicy", "Always")
    set_default(spec, "securityContext", {})
    set_default(spec, "terminationGracePeriodSeconds", 30)
    set_default(spec, "schedulerName", "default-scheduler")
    for container in itertools.chain(spec.get("initContainers") or [], spec.get("containers") or []):
        _default_container(container)
    for volume in spec.get("volumes") or []:
        _default_volume(volume)


def default_pod_template(template: Any) -> None:
    if not isinstance(template, dict):
        return
    # ObjectMeta.creationTimestamp is a non-pointer time, printed as null inside templates (until 1.33).
    metadata = dict_at(template, "metadata")
    metadata.setdefault("creationTimestamp", None)
    _default_pod_spec(dict_at(template, "spec"))


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


def default_pod(pod: JSON, _allocator: ServiceAllocator | None, _previous: JSON | None) -> None:
    spec = dict_at(pod, "spec")
    _requests_from_limits(itertools.chain(spec.get("initContainers") or [], spec.get("containers") or []))
    _default_pod_spec(spec)
    set_default(spec, "enableServiceLinks", True)
    # What the ServiceAccount, Priority and DefaultTolerationSeconds admission plugins add on create.
    set_default(spec, "serviceAccountName", "default")
    set_default(spec, "serviceAccount", spec["serviceAccountName"])
    set_default(spec, "priority", 0)
    set_default(spec, "preemptionPolicy", "PreemptLowerPriority")
    tolerations = set_default(spec, "tolerations", [])
    for taint in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"):
        if not any(t.get("key") == taint for t in tolerations):
            tolerations.append({"key": taint, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300})
    status = dict_at(pod, "status")
    set_default(status, "phase", "Pending")
    set_default(status, "qosClass", qos_class(spec))


def default_pvc_spec(spec: JSON) -> None:
    set_default(spec, "volumeMode", "Filesystem")
    canonical_requirements(spec.get("resources"))
