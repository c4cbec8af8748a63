"""Fields a real server refuses to change on update (422 Invalid), with its wording.

These are the refusals a GitOps sync meets in practice: a changed Deployment selector, a StatefulSet
volumeClaimTemplate, a Job template, a binding's roleRef, an immutable ConfigMap.
"""

from __future__ import annotations

from typing import Any

from . import errors
from .errors import Cause
from .resources import ResourceType

JSON = dict[str, Any]

STATEFULSET_MUTABLE = (
    "replicas",
    "ordinals",
    "template",
    "updateStrategy",
    "persistentVolumeClaimRetentionPolicy",
    "minReadySeconds",
)


class GoValue:
    """A value printed the way Go's %#v prints it in validation messages (unquoted)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text


def _go_map(mapping: dict[str, str] | None) -> str:
    if not mapping:
        return "map[string]string(nil)"
    return "map[string]string{" + ", ".join(f'"{k}":"{v}"' for k, v in sorted(mapping.items())) + "}"


def _go_selector(selector: JSON | None) -> GoValue:
    if selector is None:
        return GoValue("(*v1.LabelSelector)(nil)")
    expressions = selector.get("matchExpressions")
    exprs = "[]v1.LabelSelectorRequirement(nil)" if not expressions else "[]v1.LabelSelectorRequirement{...}"
    return GoValue(f"v1.LabelSelector{{MatchLabels:{_go_map(selector.get('matchLabels'))}, MatchExpressions:{exprs}}}")


def _spec(obj: JSON) -> JSON:
    return obj.get("spec") or {}


def _selector_causes(old: JSON, new: JSON) -> list[Cause]:
    if _spec(old).get("selector") != _spec(new).get("selector"):
        return [Cause("spec.selector", Cause.INVALID, "field is immutable", _go_selector(_spec(new).get("selector")))]
    return []


def _statefulset_causes(old: JSON, new: JSON) -> list[Cause]:
    before = {k: v for k, v in _spec(old).items() if k not in STATEFULSET_MUTABLE}
    after = {k: v for k, v in _spec(new).items() if k not in STATEFULSET_MUTABLE}
    if before != after:
        return [
            Cause(
                "spec",
                Cause.FORBIDDEN,
                "updates to statefulset spec for fields other than 'replicas', "
                "'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and "
                "'minReadySeconds' are forbidden",
            )
        ]
    return []


def _job_causes(old: JSON, new: JSON) -> list[Cause]:
    causes = _selector_causes(old, new)
    if _spec(old).get("template") != _spec(new).get("template"):
        causes.append(Cause("spec.template", Cause.INVALID, "field is immutable", GoValue("core.PodTemplateSpec{...}")))
    return causes


def _role_ref_causes(old: JSON, new: JSON) -> list[Cause]:
    before, after = old.get("roleRef") or {}, new.get("roleRef") or {}
    if before != after:
        value = GoValue(
            f'rbac.RoleRef{{APIGroup:"{after.get("apiGroup", "")}", Kind:"{after.get("kind", "")}", '
            f'Name:"{after.get("name", "")}"}}'
        )
        return [Cause("roleRef", Cause.INVALID, "cannot change roleRef", value)]
    return []


def _immutable_data_causes(old: JSON, new: JSON) -> list[Cause]:
    if not old.get("immutable"):
        return []
    message = "field is immutable when `immutable` is set"
    causes = [
        Cause(field, Cause.FORBIDDEN, message)
        for field in ("data", "binaryData", "stringData")
        if field in ("data", "binaryData") and old.get(field) != new.get(field)
    ]
    if new.get("immutable") is not True:
        causes.append(Cause("immutable", Cause.FORBIDDEN, message))
    return causes


def _pvc_causes(old: JSON, new: JSON) -> list[Cause]:
    def comparable(obj: JSON) -> JSON:
        spec = dict(_spec(obj))
        spec.pop("volumeAttributesClassName", None)
        if not _spec(old).get("volumeName"):
            spec.pop("volumeName", None)  # binding may set volumeName once
        resources = dict(spec.pop("resources", None) or {})
        resources.pop("requests", None)
        return {**spec, "resources": resources}

    if comparable(old) != comparable(new):
        return [
            Cause(
                "spec",
                Cause.FORBIDDEN,
                "spec is immutable after creation except resources.requests and "
                "volumeAttributesClassName for bound claims",
            )
        ]
    return []


_CHECKS = {
    "deployments.apps": _selector_causes,
    "replicasets.apps": _selector_causes,
    "daemonsets.apps": _selector_causes,
    "statefulsets.apps": lambda o, n: _selector_causes(o, n) or _statefulset_causes(o, n),
    "jobs.batch": _job_causes,
    "rolebindings.rbac.authorization.k8s.io": _role_ref_causes,
    "clusterrolebindings.rbac.authorization.k8s.io": _role_ref_causes,
    "configmaps": _immutable_data_causes,
    "secrets": _immutable_data_causes,
    "persistentvolumeclaims": _pvc_causes,
}


def validate_update(rt: ResourceType, old: JSON, new: JSON) -> None:
    check = _CHECKS.get(rt.group_resource)
    causes = check(old, new) if check else []
    if causes:
        raise errors.invalid(rt.kind, rt.group, new["metadata"]["name"], causes)
