"""The `/scale` subresource: an autoscaling/v1 Scale view onto an object's replica fields."""

from __future__ import annotations

import json
from typing import Any

from . import errors
from .resources import ResourceType


def _get_path(obj: dict[str, Any], path: str) -> Any:
    node: Any = obj
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def _set_path(obj: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    node = obj
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def _selector_string(selector: Any) -> str:
    if isinstance(selector, str):
        return selector
    if not isinstance(selector, dict):
        return ""
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or []:
        op, key, values = expr.get("operator"), expr.get("key"), ",".join(expr.get("values") or [])
        parts.append(
            {
                "In": f"{key} in ({values})",
                "NotIn": f"{key} notin ({values})",
                "Exists": key,
                "DoesNotExist": f"!{key}",
            }.get(op, "")
        )
    return ",".join(p for p in parts if p)


def scale_of(rt: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj["metadata"]
    selector_path = rt.scale_selector_path or "spec.selector"
    status: dict[str, Any] = {"replicas": _get_path(obj, rt.scale_status_path) or 0}
    selector = _selector_string(_get_path(obj, selector_path))
    if selector:
        status["selector"] = selector
    scale_meta = {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp") if k in meta}
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": scale_meta,
        "spec": {"replicas": _get_path(obj, rt.scale_spec_path) or 0},
        "status": status,
    }


def apply_scale(rt: ResourceType, obj: dict[str, Any], scale: Any) -> dict[str, Any]:
    """The object with `scale.spec.replicas` written into it; a stale RV in the Scale conflicts."""
    if not isinstance(scale, dict):
        raise errors.bad_request("the body of the request must be a Scale object")
    replicas = (scale.get("spec") or {}).get("replicas")
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
        raise errors.invalid(
            "Scale",
            "autoscaling",
            obj["metadata"]["name"],
            [errors.Cause("spec.replicas", errors.Cause.INVALID, "must be greater than or equal to 0", replicas)],
        )
    updated = json.loads(json.dumps(obj))
    wanted_rv = (scale.get("metadata") or {}).get("resourceVersion")
    if wanted_rv:
        updated["metadata"]["resourceVersion"] = wanted_rv
    _set_path(updated, rt.scale_spec_path, replicas)
    return updated
