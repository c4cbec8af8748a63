"""The type registry: which resources the sandbox serves, in which versions, with which verbs.

Built-in kinds are a static table; CustomResourceDefinitions add and remove entries at run time. Storage
is per *group-resource* (e.g. `horizontalpodautoscalers.autoscaling`), like a real server: one copy of
each object in its storage version, converted on the way out for the other served versions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
NO_DELETECOLLECTION = ("create", "delete", "get", "list", "patch", "update", "watch")

Converter = Callable[[dict[str, Any], str], dict[str, Any]]


@dataclass(frozen=True)
class ResourceType:
    group: str
    version: str
    plural: str
    singular: str
    kind: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    has_status: bool = False
    has_scale: bool = False
    # Kinds whose strategy bumps metadata.generation on spec changes (most built-ins with a spec do not).
    tracks_generation: bool = False
    verbs: tuple[str, ...] = ALL_VERBS
    # PUT of a missing object creates it (registries whose strategy has AllowCreateOnUpdate).
    create_on_update: bool = False
    # DELETE answers with the deleted object rather than a Success Status (ReturnDeletedObject).
    returns_deleted_object: bool = False
    # Field selectors beyond metadata.name / metadata.namespace that the real server accepts.
    field_labels: tuple[str, ...] = ()
    # A path into the object for `/scale` (e.g. spec.replicas) and the selector it reports.
    scale_spec_path: str = "spec.replicas"
    scale_status_path: str = "status.replicas"
    scale_selector_path: str = ""
    # Preferred version of this group-resource: where the object is stored.
    storage_version: str = ""
    # Converts a stored object to this type's version (None = only apiVersion changes).
    converter: Converter | None = field(default=None, compare=False, hash=False)

    @property
    def group_resource(self) -> str:
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_version(self) -> str:
        return self.api_version

    @property
    def list_kind(self) -> str:
        return self.kind + "List"


def _t(group: str, version: str, plural: str, kind: str, namespaced: bool = True, **kw: Any) -> ResourceType:
    singular = kw.pop("singular", kind.lower())
    return ResourceType(group, version, plural, singular, kind, namespaced, **kw)


ALL = ("all",)

BUILTIN_TYPES: tuple[ResourceType, ...] = (
    _t("", "v1", "namespaces", "Namespace", False, short_names=("ns",), has_status=True, verbs=NO_DELETECOLLECTION),
    _t("", "v1", "configmaps", "ConfigMap", short_names=("cm",)),
    _t("", "v1", "secrets", "Secret", field_labels=("type",)),
    _t(
        "",
        "v1",
        "services",
        "Service",
        short_names=("svc",),
        categories=ALL,
        has_status=True,
        verbs=NO_DELETECOLLECTION,
        create_on_update=True,
        returns_deleted_object=True,
    ),
    _t("", "v1", "serviceaccounts", "ServiceAccount", short_names=("sa",), returns_deleted_object=True),
    _t(
        "",
        "v1",
        "pods",
        "Pod",
        short_names=("po",),
        categories=ALL,
        has_status=True,
        returns_deleted_object=True,
        field_labels=(
            "spec.nodeName",
            "spec.restartPolicy",
            "spec.schedulerName",
            "spec.serviceAccountName",
            "status.phase",
            "status.podIP",
            "status.nominatedNodeName",
        ),
    ),
    _t("", "v1", "endpoints", "Endpoints", short_names=("ep",), singular="endpoints", create_on_update=True),
    _t(
        "",
        "v1",
        "events",
        "Event",
        short_names=("ev",),
        create_on_update=True,
        field_labels=(
            "involvedObject.kind",
            "involvedObject.namespace",
            "involvedObject.name",
            "involvedObject.uid",
            "involvedObject.apiVersion",
            "involvedObject.resourceVersion",
            "involvedObject.fieldPath",
            "reason",
            "reportingComponent",
            "source",
            "type",
        ),
    ),
    _t(
        "",
        "v1",
        "persistentvolumeclaims",
        "PersistentVolumeClaim",
        short_names=("pvc",),
        has_status=True,
        returns_deleted_object=True,
    ),
    _t(
        "",
        "v1",
        "persistentvolumes",
        "PersistentVolume",
        False,
        short_names=("pv",),
        has_status=True,
        returns_deleted_object=True,
    ),
    _t("", "v1", "nodes", "Node", False, short_names=("no",), has_status=True),
    _t(
        "apps",
        "v1",
        "deployments",
        "Deployment",
        short_names=("deploy",),
        categories=ALL,
        has_status=True,
        has_scale=True,
        tracks_generation=True,
    ),
    _t(
        "apps",
        "v1",
        "replicasets",
        "ReplicaSet",
        short_names=("rs",),
        categories=ALL,
        has_status=True,
        has_scale=True,
        tracks_generation=True,
    ),
    _t(
        "apps",
        "v1",
        "statefulsets",
        "StatefulSet",
        short_names=("sts",),
        categories=ALL,
        has_status=True,
        has_scale=True,
        tracks_generation=True,
    ),
    _t(
        "apps",
        "v1",
        "daemonsets",
        "DaemonSet",
        short_names=("ds",),
        categories=ALL,
        has_status=True,
        tracks_generation=True,
    ),
    _t("apps", "v1", "controllerrevisions", "ControllerRevision"),
    _t("batch", "v1", "jobs", "Job", categories=ALL, has_status=True, tracks_generation=True),
    _t(
        "batch",
        "v1",
        "cronjobs",
        "CronJob",
        short_names=("cj",),
        categories=ALL,
        has_status=True,
        tracks_generation=True,
    ),
    _t(
        "networking.k8s.io", "v1", "ingresses", "Ingress", short_names=("ing",), has_status=True, tracks_generation=True
    ),
    _t("networking.k8s.io", "v1", "ingressclasses", "IngressClass", False),
    _t(
        "networking.k8s.io",
        "v1",
        "networkpolicies",
        "NetworkPolicy",
        short_names=("netpol",),
        singular="networkpolicy",
        tracks_generation=True,
    ),
    _t("rbac.authorization.k8s.io", "v1", "roles", "Role"),
    _t("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding"),
    _t("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", False),
    _t("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", False),
    _t(
        "autoscaling",
        "v2",
        "horizontalpodautoscalers",
        "HorizontalPodAutoscaler",
        short_names=("hpa",),
        categories=ALL,
        has_status=True,
        tracks_generation=True,
    ),
    _t(
        "autoscaling",
        "v1",
        "horizontalpodautoscalers",
        "HorizontalPodAutoscaler",
        short_names=("hpa",),
        categories=ALL,
        has_status=True,
        tracks_generation=True,
        storage_version="v2",
    ),
    _t(
        "policy",
        "v1",
        "poddisruptionbudgets",
        "PodDisruptionBudget",
        short_names=("pdb",),
        has_status=True,
        tracks_generation=True,
    ),
    _t("coordination.k8s.io", "v1", "leases", "Lease", create_on_update=True),
    # Same REST storage as core events on a real server, so the same short name (kubectl warns about it).
    _t("events.k8s.io", "v1", "events", "Event", short_names=("ev",), create_on_update=True),
    _t("authorization.k8s.io", "v1", "selfsubjectaccessreviews", "SelfSubjectAccessReview", False, verbs=("create",)),
    _t(
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
        "CustomResourceDefinition",
        False,
        short_names=("crd", "crds"),
        has_status=True,
        tracks_generation=True,
    ),
)

# Group order in discovery, as a real server lists them (core first, then by priority).
BUILTIN_GROUP_ORDER = (
    "",
    "apiextensions.k8s.io",
    "apps",
    "events.k8s.io",
    "autoscaling",
    "batch",
    "networking.k8s.io",
    "policy",
    "rbac.authorization.k8s.io",
    "authorization.k8s.io",
    "coordination.k8s.io",
)


# Group-resources served from another one's storage, as the real server shares /registry/events.
SHARED_STORAGE = {"events.events.k8s.io": "events"}


class Registry:
    """Lookup of served types by (group, version, plural), by group-resource, and by kind."""

    def __init__(self, types: Iterable[ResourceType] = BUILTIN_TYPES) -> None:
        self._by_gvr: dict[tuple[str, str, str], ResourceType] = {}
        self._group_versions: dict[str, list[str]] = {}
        # storage_type() answers for every request; cached until the set of types changes.
        self._storage_cache: dict[str, ResourceType | None] = {}
        for rt in types:
            self.add(rt)

    def add(self, rt: ResourceType) -> None:
        if not rt.storage_version:
            rt = _with(rt, storage_version=rt.version)
        self._by_gvr[(rt.group, rt.version, rt.plural)] = rt
        self._storage_cache.clear()
        versions = self._group_versions.setdefault(rt.group, [])
        if rt.version not in versions:
            versions.append(rt.version)

    def remove_group_resource(self, group: str, plural: str) -> None:
        for key in [k for k in self._by_gvr if k[0] == group and k[2] == plural]:
            del self._by_gvr[key]
        self._storage_cache.clear()
        self._prune_versions(group)

    def _prune_versions(self, group: str) -> None:
        live = {v for (g, v, _p) in self._by_gvr if g == group}
        versions = [v for v in self._group_versions.get(group, []) if v in live]
        if versions:
            self._group_versions[group] = versions
        else:
            self._group_versions.pop(group, None)

    def get(self, group: str, version: str, plural: str) -> ResourceType | None:
        return self._by_gvr.get((group, version, plural))

    def storage_type(self, group_resource: str) -> ResourceType | None:
        """The type objects of this group-resource are stored as (e.g. `deployments.apps` → apps/v1)."""
        try:
            return self._storage_cache[group_resource]
        except KeyError:
            found = self._storage_cache[group_resource] = self._find_storage_type(group_resource)
            return found

    def _find_storage_type(self, group_resource: str) -> ResourceType | None:
        group_resource = SHARED_STORAGE.get(group_resource, group_resource)
        plural, _, group = group_resource.partition(".")
        for (g, v, p), rt in self._by_gvr.items():
            if g == group and p == plural and v == rt.storage_version:
                return rt
        return None

    def by_kind(self, api_version: str, kind: str) -> ResourceType | None:
        group, _, version = api_version.rpartition("/")
        for (g, v, _p), rt in self._by_gvr.items():
            if g == group and v == version and rt.kind == kind:
                return rt
        return None

    def groups(self) -> list[str]:
        """Served groups in discovery order: built-ins first, then custom groups by name."""
        builtin = [g for g in BUILTIN_GROUP_ORDER if g in self._group_versions]
        custom = sorted(g for g in self._group_versions if g not in BUILTIN_GROUP_ORDER)
        return builtin + custom

    def versions(self, group: str) -> list[str]:
        """Versions of a group, preferred first (Kubernetes version priority: v2 > v1 > v1beta1 ...)."""
        return sorted(self._group_versions.get(group, []), key=version_priority)

    def types_in(self, group: str, version: str) -> list[ResourceType]:
        return [rt for (g, v, _p), rt in self._by_gvr.items() if g == group and v == version]

    def all_types(self) -> list[ResourceType]:
        return list(self._by_gvr.values())

    def group_resources(self) -> set[str]:
        return {rt.group_resource for rt in self._by_gvr.values()}


def _with(rt: ResourceType, **changes: Any) -> ResourceType:
    from dataclasses import replace

    return replace(rt, **changes)


def version_priority(version: str) -> tuple[int, int, int, str]:
    """Sort key putting GA before beta before alpha, higher numbers first, odd names last by name."""
    import re

    m = re.fullmatch(r"v(\d+)(?:(alpha|beta)(\d+))?", version)
    if not m:
        return (3, 0, 0, version)
    major = int(m.group(1))
    stage = {None: 0, "beta": 1, "alpha": 2}[m.group(2)]
    minor = int(m.group(3) or 0)
    return (stage, -major, -minor, "")
