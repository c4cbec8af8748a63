"""Resource and app health, following Argo CD's built-in health checks.

`assess_health` judges one live object with the check registered for its (group, kind) in
`HEALTH_CHECKS`; kinds without a check (ConfigMap, Secret, RBAC, ...) have no health at all and
do not count toward their app's. `aggregate_health` folds the resources of one app into the
app's health: the worst status in `HealthStatus` order, with Argo CD's exclusions.

The per-kind checks live next door: `health_workloads` (Deployment, StatefulSet, DaemonSet,
ReplicaSet), `health_pods`, `health_batch` (Job, CronJob), `health_network` (Service, Ingress)
and `health_platform` (PVC, HPA, PDB, APIService, Application).

Custom checks (Argo CD's Lua `resource.customizations.health.*`, in `health_lua`) are installed once
for the process with `install_custom_checks`, before the reconciler or a command starts; every caller
of `assess_health` (the reconciler, `status`, the sync waits, the resource tree, `gitops-tui health`)
then sees them. A custom check overrides the built-in one for its kind, as in Argo CD.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from types import MappingProxyType
from typing import Any, Protocol

from gitops_tui.engine.health_batch import cronjob_health, job_health
from gitops_tui.engine.health_fields import progressing, unknown
from gitops_tui.engine.health_network import ingress_health, service_health
from gitops_tui.engine.health_platform import (
    apiservice_health,
    application_health,
    hpa_health,
    pdb_health,
    pvc_health,
)
from gitops_tui.engine.health_pods import pod_health
from gitops_tui.engine.health_workloads import (
    daemonset_health,
    deployment_health,
    replicaset_health,
    statefulset_health,
)
from gitops_tui.model import Health, HealthStatus, ResourceKey

HealthCheck = Callable[[Mapping[str, Any]], Health]

HEALTH_CHECKS: Mapping[tuple[str, str], HealthCheck] = MappingProxyType(
    {
        ("apps", "Deployment"): deployment_health,
        ("apps", "StatefulSet"): statefulset_health,
        ("apps", "DaemonSet"): daemonset_health,
        ("apps", "ReplicaSet"): replicaset_health,
        ("", "Pod"): pod_health,
        ("", "Service"): service_health,
        ("", "PersistentVolumeClaim"): pvc_health,
        ("batch", "Job"): job_health,
        ("batch", "CronJob"): cronjob_health,
        ("networking.k8s.io", "Ingress"): ingress_health,
        # Still served by old clusters and still found in old charts.
        ("extensions", "Ingress"): ingress_health,
        ("autoscaling", "HorizontalPodAutoscaler"): hpa_health,
        ("policy", "PodDisruptionBudget"): pdb_health,
        ("apiregistration.k8s.io", "APIService"): apiservice_health,
        ("argoproj.io", "Application"): application_health,
    }
)

# Argo CD puts this finalizer on hooks it still needs; such a hook is not "going away" yet.
HOOK_FINALIZER = "argocd.argoproj.io/hook-finalizer"
ARGO_HOOK_ANNOTATION = "argocd.argoproj.io/hook"
HELM_HOOK_ANNOTATION = "helm.sh/hook"
# Helm 2 marked CRDs with this "hook"; they are ordinary resources, not hooks.
HELM_CRD_INSTALL = "crd-install"
IGNORE_HEALTHCHECK_ANNOTATION = "argocd.argoproj.io/ignore-healthcheck"
# How many of the worst resources the app's message names before "and N more".
NAMED_IN_MESSAGE = 3


class CustomHealthChecks(Protocol):
    """Checks configured by the user (`health_lua.LuaHealthChecks`); they come before the built-in ones."""

    def covers(self, group: str, kind: str) -> bool: ...

    def assess(self, obj: Mapping[str, Any]) -> Health | None: ...


_custom_checks: CustomHealthChecks | None = None


def install_custom_checks(checks: CustomHealthChecks | None) -> CustomHealthChecks | None:
    """Use `checks` for every assessment from now on (None: built-in checks only); returns the previous ones.

    Process-wide on purpose: health rules are configuration, like the table above, and threading them
    through every caller would change half the engine for one setting read at start-up."""
    global _custom_checks
    previous, _custom_checks = _custom_checks, checks
    return previous


def installed_custom_checks() -> CustomHealthChecks | None:
    """The custom checks every assessment uses now (a console that answers the CLI compares them)."""
    return _custom_checks


@contextmanager
def custom_checks_installed(checks: CustomHealthChecks | None) -> Iterator[None]:
    previous = install_custom_checks(checks)
    try:
        yield
    finally:
        install_custom_checks(previous)


def _group_kind(obj: Mapping[str, Any]) -> tuple[str, str]:
    key = ResourceKey.of(obj)
    return key.group, key.kind


def _metadata(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def _annotations(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    annotations = _metadata(obj).get("annotations")
    return annotations if isinstance(annotations, Mapping) else {}


def _is_being_deleted(obj: Mapping[str, Any]) -> bool:
    meta = _metadata(obj)
    finalizers = meta.get("finalizers")
    has_hook_finalizer = isinstance(finalizers, list) and HOOK_FINALIZER in finalizers
    return bool(meta.get("deletionTimestamp")) and not has_hook_finalizer


def has_health_check(group: str, kind: str) -> bool:
    custom = _custom_checks
    return (group, kind) in HEALTH_CHECKS or (custom is not None and custom.covers(group, kind))


def assess_health(obj: Mapping[str, Any]) -> Health | None:
    """The health of one live object; None when its kind has no health check.

    An object on its way out is Progressing whatever its kind, as in Argo CD: a ConfigMap held
    by a finalizer keeps the app from looking settled until it is really gone.
    """
    if _is_being_deleted(obj):
        return progressing("Pending deletion")
    custom = _custom_checks
    if custom is not None:
        health = custom.assess(obj)  # never raises: a failing script is the resource's Unknown
        if health is not None:
            return health
    check = HEALTH_CHECKS.get(_group_kind(obj))
    if check is None:
        return None
    try:
        return check(obj)
    except (TypeError, ValueError, AttributeError) as err:
        # A field of the wrong shape (a bad CRD conversion, a hand-edited status): Argo CD
        # reports Unknown with the conversion error rather than guessing.
        return unknown(f"failed to assess health: {err}")


def is_hook(obj: Mapping[str, Any]) -> bool:
    """A sync hook (Argo CD or Helm). Hooks come and go with syncs, so they never count toward app health."""
    annotations = _annotations(obj)
    # Any Argo CD hook annotation, Skip included: Skip resources are not applied, so not judged.
    if ARGO_HOOK_ANNOTATION in annotations:
        return True
    helm_hook = annotations.get(HELM_HOOK_ANNOTATION)
    if helm_hook is None:
        return False
    return any(part.strip() != HELM_CRD_INSTALL for part in str(helm_hook).split(","))


def _ignores_health(obj: Mapping[str, Any]) -> bool:
    return str(_annotations(obj).get(IGNORE_HEALTHCHECK_ANNOTATION, "")).lower() == "true"


def _describe(key: ResourceKey) -> str:
    where = f"{key.namespace}/{key.name}" if key.namespace else key.name
    return f"{key.kind} {where}"


def _summarise(worst: list[tuple[ResourceKey, Health]]) -> str:
    """`Deployment guestbook/web: Deployment "web" exceeded its progress deadline; ... and 2 more`."""
    worst = sorted(worst, key=lambda entry: entry[0])
    parts = [f"{_describe(key)}: {health.message or health.status.value}" for key, health in worst[:NAMED_IN_MESSAGE]]
    if len(worst) > NAMED_IN_MESSAGE:
        parts.append(f"and {len(worst) - NAMED_IN_MESSAGE} more")
    return "; ".join(parts)


def aggregate_health(resources: Iterable[tuple[ResourceKey, Health | None, Mapping[str, Any] | None]]) -> Health:
    """The app's health: the worst of its resources', in `HealthStatus` order.

    Each entry is (key, health, object): health is `assess_health` of the live object, or
    Health(MISSING) when the resource is in Git but not in the cluster; the object (live, or the
    desired one when there is no live one) is read for the hook and ignore-healthcheck annotations.

    Left out, as in Argo CD: hooks, resources annotated ignore-healthcheck, kinds without a
    health check, and missing resources of kinds without a health check (their absence already
    shows as OutOfSync). When nothing the app declares exists in the cluster yet, it is Missing.
    """
    return aggregate_flagged_health(
        (key, health, obj is not None and is_hook(obj), obj is not None and _ignores_health(obj))
        for key, health, obj in resources
    )


def health_flags(obj: Mapping[str, Any] | None) -> tuple[bool, bool]:
    """(is a hook, ignores health checks) of an object, as `aggregate_flagged_health` takes them."""
    return (obj is not None and is_hook(obj), obj is not None and _ignores_health(obj))


def aggregate_flagged_health(resources: Iterable[tuple[ResourceKey, Health | None, bool, bool]]) -> Health:
    """`aggregate_health` with each object's annotations already read: (key, health, hook, ignores health).

    The console's compare passes keep the flags with each resource's verdict, so a pass that changed one
    resource reads no annotations of the other nineteen.
    """
    counted: list[tuple[ResourceKey, Health]] = []
    declares_resources = False
    any_live = False
    for key, health, hook, ignored in resources:
        if hook:
            continue
        declares_resources = True
        missing = health is not None and health.status is HealthStatus.MISSING
        any_live = any_live or not missing
        if health is None or ignored:
            continue
        if missing and not has_health_check(key.group, key.kind):
            continue
        counted.append((key, health))

    if declares_resources and not any_live:
        return Health(HealthStatus.MISSING, "none of the app's resources exist in the cluster")
    if not counted:
        return Health(HealthStatus.HEALTHY)
    worst_status = max((health.status for _, health in counted), key=lambda status: status.severity)
    if worst_status is HealthStatus.HEALTHY:
        return Health(HealthStatus.HEALTHY)
    return Health(worst_status, _summarise([entry for entry in counted if entry[1].status is worst_status]))
