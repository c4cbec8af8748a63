"""What a manifest's annotations say about when, and whether, a sync applies it.

Argo CD's vocabulary, read from one object at a time: the hook phases it runs in
(`argocd.argoproj.io/hook`, or Helm's `helm.sh/hook` when there is no Argo CD one), its
hook delete policies, its sync wave, its per-resource sync options, and the kind order
(Helm's install order) that breaks ties inside a wave. No I/O: `sync_plan` puts it together.

Functions that can meet a malformed value return the problems as short sentences without
the resource's name; the caller prefixes the resource, so a warning always names it.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

HOOK_ANNOTATION = "argocd.argoproj.io/hook"
HOOK_DELETE_POLICY_ANNOTATION = "argocd.argoproj.io/hook-delete-policy"
SYNC_WAVE_ANNOTATION = "argocd.argoproj.io/sync-wave"
SYNC_OPTIONS_ANNOTATION = "argocd.argoproj.io/sync-options"
HELM_HOOK_ANNOTATION = "helm.sh/hook"
HELM_HOOK_WEIGHT_ANNOTATION = "helm.sh/hook-weight"
HELM_HOOK_DELETE_POLICY_ANNOTATION = "helm.sh/hook-delete-policy"


class SyncPhase(enum.StrEnum):
    PRE_SYNC = "PreSync"
    SYNC = "Sync"
    POST_SYNC = "PostSync"
    SYNC_FAIL = "SyncFail"
    """Only runs when the sync failed; a plan lists these apart."""

    @property
    def order(self) -> int:
        return _PHASE_ORDER.index(self)


_PHASE_ORDER = list(SyncPhase)


class HookDeletePolicy(enum.StrEnum):
    HOOK_SUCCEEDED = "HookSucceeded"
    HOOK_FAILED = "HookFailed"
    BEFORE_HOOK_CREATION = "BeforeHookCreation"


_ARGO_HOOK_TYPES = {phase.value.lower(): phase for phase in SyncPhase}
# Deletion hooks (Argo CD 2.10+) run when the app is deleted; a sync never applies them.
_ARGO_DELETION_HOOKS = {"predelete": "PreDelete", "postdelete": "PostDelete"}
_SKIP = "skip"

_HELM_HOOK_PHASES = {
    "pre-install": SyncPhase.PRE_SYNC,
    "pre-upgrade": SyncPhase.PRE_SYNC,
    "post-install": SyncPhase.POST_SYNC,
    "post-upgrade": SyncPhase.POST_SYNC,
}
# Helm hook types Argo CD knows but never runs at sync (deletion, rollback and test hooks).
_HELM_HOOKS_NOT_AT_SYNC = frozenset(
    {"pre-delete", "post-delete", "pre-rollback", "post-rollback", "test", "test-success", "test-failure"}
)
# Helm 2 marked CRDs with the hook annotation; they are ordinary resources, not hooks.
_HELM_CRD_INSTALL = "crd-install"

_HELM_DELETE_POLICIES = {
    "hook-succeeded": HookDeletePolicy.HOOK_SUCCEEDED,
    "hook-failed": HookDeletePolicy.HOOK_FAILED,
    "before-hook-creation": HookDeletePolicy.BEFORE_HOOK_CREATION,
}
_ARGO_DELETE_POLICIES = {policy.value.lower(): policy for policy in HookDeletePolicy}

# Go's strconv.Atoi, which Argo CD uses: optional sign, digits, nothing else (no spaces, no `1_0`).
_WAVE_PATTERN = re.compile(r"[+-]?[0-9]+")

# Argo CD's kind order (gitops-engine's, Helm's install order). Kinds not listed sort after all of these.
KIND_ORDER: tuple[str, ...] = (
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
)
_KIND_RANK = MappingProxyType({kind: rank for rank, kind in enumerate(KIND_ORDER)})

# Well-known cluster-scoped (group, kind)s. Deliberately small: anything else is taken as namespaced
# unless the app's own CRDs or the live objects say otherwise (see `sync_plan._Scopes`).
CLUSTER_SCOPED_KINDS: frozenset[tuple[str, str]] = frozenset(
    {
        ("", "Namespace"),
        ("", "Node"),
        ("", "PersistentVolume"),
        ("", "ComponentStatus"),
        ("storage.k8s.io", "StorageClass"),
        ("storage.k8s.io", "CSIDriver"),
        ("storage.k8s.io", "CSINode"),
        ("storage.k8s.io", "VolumeAttachment"),
        ("apiextensions.k8s.io", "CustomResourceDefinition"),
        ("rbac.authorization.k8s.io", "ClusterRole"),
        ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
        ("apiregistration.k8s.io", "APIService"),
        ("scheduling.k8s.io", "PriorityClass"),
        ("networking.k8s.io", "IngressClass"),
        ("node.k8s.io", "RuntimeClass"),
        ("policy", "PodSecurityPolicy"),
        ("certificates.k8s.io", "CertificateSigningRequest"),
        ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
        ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"),
    }
)


@dataclass(frozen=True)
class HookSpec:
    """How a hook-annotated object takes part in a sync."""

    phases: tuple[SyncPhase, ...] = ()
    """The sync phases it runs in, in phase order; empty when it never runs at sync."""
    skip: bool = False
    """`argocd.argoproj.io/hook: Skip`: never applied at all."""
    not_at_sync: tuple[str, ...] = ()
    """Hook types that run at another time (PostDelete, helm `test`, ...), for the skip reason."""
    problems: tuple[str, ...] = ()


def annotations_of(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    metadata = obj.get("metadata") or {}
    return metadata.get("annotations") or {}


def csv_values(value: Any) -> list[str]:
    """Argo CD's GetAnnotationCSVs: comma-separated, trimmed, empty items dropped."""
    return [item.strip() for item in str(value or "").split(",") if item.strip()]


def hook_spec(obj: Mapping[str, Any]) -> HookSpec | None:
    """None for an ordinary resource. An Argo CD hook annotation wins over Helm's, as in Argo CD."""
    annotations = annotations_of(obj)
    if HOOK_ANNOTATION in annotations:
        return _argo_hook(csv_values(annotations[HOOK_ANNOTATION]))
    if HELM_HOOK_ANNOTATION in annotations:
        return _helm_hook(csv_values(annotations[HELM_HOOK_ANNOTATION]))
    return None


def _argo_hook(values: list[str]) -> HookSpec:
    phases: set[SyncPhase] = set()
    not_at_sync: list[str] = []
    problems: list[str] = []
    skip = False
    for value in values:
        lowered = value.lower()
        if lowered == _SKIP:
            skip = True
        elif lowered in _ARGO_HOOK_TYPES:
            phases.add(_ARGO_HOOK_TYPES[lowered])
        elif lowered in _ARGO_DELETION_HOOKS:
            not_at_sync.append(_ARGO_DELETION_HOOKS[lowered])
        else:
            problems.append(f"unknown hook type {value!r} in {HOOK_ANNOTATION}")
    if skip and phases:
        # Argo CD's own handling of `Skip` next to a phase is inconsistent; the user wrote Skip, so nothing runs.
        problems.append("hook Skip given together with phases: Skip wins, the resource is never applied")
    if not values:
        problems.append(f"empty {HOOK_ANNOTATION}: never applied at sync")
    ordered = tuple(sorted(phases, key=lambda phase: phase.order))
    return HookSpec(() if skip else ordered, skip, tuple(not_at_sync), tuple(problems))


def _helm_hook(values: list[str]) -> HookSpec | None:
    if all(value.lower() == _HELM_CRD_INSTALL for value in values):
        return None
    phases: set[SyncPhase] = set()
    not_at_sync: list[str] = []
    problems: list[str] = []
    for value in values:
        lowered = value.lower()
        if lowered in _HELM_HOOK_PHASES:
            phases.add(_HELM_HOOK_PHASES[lowered])
        elif lowered in _HELM_HOOKS_NOT_AT_SYNC:
            not_at_sync.append(f"helm {lowered}")
        elif lowered != _HELM_CRD_INSTALL:
            problems.append(f"unknown Helm hook type {value!r} in {HELM_HOOK_ANNOTATION}")
    ordered = tuple(sorted(phases, key=lambda phase: phase.order))
    return HookSpec(ordered, False, tuple(not_at_sync), tuple(problems))


def hook_delete_policies(obj: Mapping[str, Any]) -> tuple[tuple[HookDeletePolicy, ...], tuple[str, ...]]:
    """Argo CD's and Helm's policies together; BeforeHookCreation when neither names a valid one."""
    annotations = annotations_of(obj)
    found: list[HookDeletePolicy] = []
    problems: list[str] = []
    sources = (
        (HOOK_DELETE_POLICY_ANNOTATION, _ARGO_DELETE_POLICIES),
        (HELM_HOOK_DELETE_POLICY_ANNOTATION, _HELM_DELETE_POLICIES),
    )
    for annotation, known in sources:
        for value in csv_values(annotations.get(annotation)):
            policy = known.get(value.lower())
            if policy is None:
                problems.append(f"unknown hook delete policy {value!r} in {annotation}")
            elif policy not in found:
                found.append(policy)
    return (tuple(found) or (HookDeletePolicy.BEFORE_HOOK_CREATION,)), tuple(problems)


def sync_wave(obj: Mapping[str, Any]) -> tuple[int, tuple[str, ...]]:
    """`argocd.argoproj.io/sync-wave`, else `helm.sh/hook-weight`, else 0 (Argo CD's fallback chain)."""
    annotations = annotations_of(obj)
    problems: list[str] = []
    for annotation in (SYNC_WAVE_ANNOTATION, HELM_HOOK_WEIGHT_ANNOTATION):
        if annotation not in annotations:
            continue
        text = str(annotations[annotation])
        if _WAVE_PATTERN.fullmatch(text):
            return int(text), tuple(problems)
        problems.append(f"invalid {annotation} {text!r}: not an integer")
    if problems:
        problems[-1] += ", using wave 0"
    return 0, tuple(problems)


def resource_sync_options(obj: Mapping[str, Any]) -> tuple[str, ...]:
    """The per-resource `argocd.argoproj.io/sync-options`, as written."""
    return tuple(csv_values(annotations_of(obj).get(SYNC_OPTIONS_ANNOTATION)))


def has_option(options: Iterable[str], option: str) -> bool:
    """Case-insensitive, like `SyncPolicy.has_option`, so `prune=False` means what the user meant."""
    wanted = option.lower()
    return any(item.lower() == wanted for item in options)


def kind_rank(kind: str) -> int:
    """Position in Argo CD's kind order; unknown kinds (custom resources) after every known one."""
    return _KIND_RANK.get(kind, len(KIND_ORDER))


def is_crd(group: str, kind: str) -> bool:
    return group == "apiextensions.k8s.io" and kind == "CustomResourceDefinition"


def crd_defines(obj: Mapping[str, Any]) -> tuple[str, str, bool] | None:
    """(group, kind, cluster_scoped) of the resources a CRD manifest defines; None if it does not say."""
    spec = obj.get("spec") or {}
    group = spec.get("group")
    kind = (spec.get("names") or {}).get("kind")
    if not group or not kind:
        return None
    return str(group), str(kind), str(spec.get("scope") or "Namespaced") == "Cluster"
