"""Authorization rules: which requests answer 403 Forbidden, to test read-only and namespace-scoped users.

Everything is allowed unless a `ForbidRule` matches. Rules can change while the server runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from . import errors
from .resources import ResourceType
from .routing import Target

READ_VERBS = frozenset({"get", "list", "watch"})
WRITE_VERBS = frozenset({"create", "update", "patch", "delete", "deletecollection"})


@dataclass(frozen=True)
class ForbidRule:
    """Refuse `verbs` (None: every verb) on `resource` in `namespace`.

    resource: "*", a plural ("deployments"), a group-resource ("deployments.apps") or with a
    subresource ("deployments/scale"). namespace: "*" for everywhere, "" for cluster-scoped
    requests (including lists across all namespaces) only, or a namespace name.
    """

    verbs: frozenset[str] | None = None
    resource: str = "*"
    namespace: str = "*"
    group: str = "*"
    except_namespaces: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.verbs is not None and not isinstance(self.verbs, frozenset):
            object.__setattr__(self, "verbs", frozenset(self.verbs))
        if not isinstance(self.except_namespaces, frozenset):
            object.__setattr__(self, "except_namespaces", frozenset(self.except_namespaces))

    def matches(self, target: Target) -> bool:
        rt = target.rt
        if self.verbs is not None and target.verb not in self.verbs:
            return False
        if self.group != "*" and self.group != rt.group:
            return False
        if self.namespace != "*" and self.namespace != target.namespace:
            return False
        if target.namespace in self.except_namespaces:
            return False
        if self.resource == "*":
            return True
        resource, _, sub = self.resource.partition("/")
        if sub and sub != target.subresource:
            return False
        return resource in (rt.plural, rt.group_resource)


class AccessPolicy:
    def __init__(self, rules: Iterable[ForbidRule] = ()) -> None:
        self.rules: list[ForbidRule] = list(rules)

    def check(self, target: Target) -> None:
        for rule in self.rules:
            if rule.matches(target):
                rt = target.rt
                raise errors.forbidden(
                    target.verb, rt.plural, rt.group, target.name or None, target.namespace or None, target.subresource
                )


def read_only() -> list[ForbidRule]:
    """Rules for a user who may read everything and write nothing."""
    return [ForbidRule(verbs=WRITE_VERBS)]


def only_namespaces(*namespaces: str) -> list[ForbidRule]:
    """Rules for a user confined to some namespaces (cluster-wide lists and other namespaces refused)."""
    return [ForbidRule(except_namespaces=frozenset(namespaces))]


def review_access(policy: AccessPolicy, registry: Any, review: dict[str, Any]) -> dict[str, Any]:
    """Answer a SelfSubjectAccessReview (what `kubectl auth can-i` asks) from the forbid rules."""
    attributes = (review.get("spec") or {}).get("resourceAttributes") or {}
    group, resource = attributes.get("group", ""), attributes.get("resource", "")
    rt = next((t for t in registry.all_types() if t.group == group and t.plural == resource), None)
    if rt is None:
        rt = ResourceType(group, attributes.get("version", "v1"), resource, resource, "", True)
    target = Target(
        rt,
        attributes.get("verb", ""),
        attributes.get("namespace", ""),
        attributes.get("name", ""),
        attributes.get("subresource", ""),
    )
    try:
        policy.check(target)
        status = {"allowed": True}
    except errors.ApiError:
        status = {"allowed": False, "reason": "forbidden by a sandbox ForbidRule"}
    return {
        "kind": "SelfSubjectAccessReview",
        "apiVersion": "authorization.k8s.io/v1",
        "metadata": {"creationTimestamp": None},
        "spec": review.get("spec") or {},
        "status": status,
    }
