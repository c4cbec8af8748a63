"""Turning a request path and method into what it asks for (like the apiserver's RequestInfo)."""

from __future__ import annotations

from dataclasses import dataclass

from . import errors
from .resources import Registry, ResourceType

_NAMESPACE_SUBRESOURCES = ("status", "finalize")


@dataclass(frozen=True)
class Target:
    """A resource request: `verb` is the RBAC verb (get, list, watch, create, update, patch, delete,
    deletecollection); `name`/`subresource` are empty for collections."""

    rt: ResourceType
    verb: str
    namespace: str
    name: str
    subresource: str


def parse_api_path(path: str) -> tuple[str, str, list[str]] | None:
    """(group, version, rest-of-segments) for `/api/v1/...` and `/apis/g/v/...`; None otherwise."""
    parts = [p for p in path.split("/") if p]
    if len(parts) >= 2 and parts[0] == "api":
        return "", parts[1], parts[2:]
    if len(parts) >= 3 and parts[0] == "apis":
        return parts[1], parts[2], parts[3:]
    return None


def resolve_target(
    registry: Registry, group: str, version: str, rest: list[str], method: str, watch_param: bool
) -> Target:
    if not rest:
        raise errors.unknown_resource()
    legacy_watch = rest[0] == "watch"
    if legacy_watch:
        rest = rest[1:]
    namespace = ""
    if len(rest) >= 3 and rest[0] == "namespaces" and not (len(rest) == 3 and rest[2] in _NAMESPACE_SUBRESOURCES):
        namespace, rest = rest[1], rest[2:]
    if not rest or len(rest) > 3:
        raise errors.unknown_resource()
    rt = registry.get(group, version, rest[0])
    if rt is None:
        raise errors.unknown_resource()
    name = rest[1] if len(rest) > 1 else ""
    subresource = rest[2] if len(rest) > 2 else ""
    if namespace and not rt.namespaced:
        raise errors.unknown_resource()
    if rt.namespaced and name and not namespace:
        raise errors.unknown_resource()
    if subresource and not _has_subresource(rt, subresource):
        raise errors.unknown_resource()
    return Target(rt, _verb(method, name, legacy_watch or watch_param), namespace, name, subresource)


def _has_subresource(rt: ResourceType, subresource: str) -> bool:
    if subresource == "status":
        return rt.has_status
    if subresource == "scale":
        return rt.has_scale
    return rt.group_resource == "namespaces" and subresource == "finalize"


def _verb(method: str, name: str, watch: bool) -> str:
    if method in ("GET", "HEAD"):
        if watch:
            return "watch"
        return "get" if name else "list"
    if method == "POST":
        if name:
            raise errors.method_not_allowed()
        return "create"
    if method == "PUT":
        if not name:
            raise errors.method_not_allowed()
        return "update"
    if method == "PATCH":
        if not name:
            raise errors.method_not_allowed()
        return "patch"
    if method == "DELETE":
        return "delete" if name else "deletecollection"
    raise errors.method_not_allowed()
