"""Tolerant readers for the fields health checks look at.

Live objects are plain dicts as the API server returns them. Controllers omit zero-valued
status fields (`updatedReplicas: 0` is simply absent), so absent means zero or empty here,
exactly as it does after Go's typed conversion in Argo CD. Values of the wrong shape raise
(TypeError/ValueError), which `assess_health` turns into Unknown, as Argo CD does when an
object cannot be converted to its typed form.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from gitops_tui.model import Health, HealthStatus

EMPTY: Mapping[str, Any] = {}


def section(obj: Mapping[str, Any], *path: str) -> Mapping[str, Any]:
    """The mapping at `path` (`section(obj, "status", "loadBalancer")`), or an empty one if absent."""
    node: Any = obj
    for key in path:
        if node is None:
            return EMPTY
        if not isinstance(node, Mapping):
            raise TypeError(f"expected an object at {'.'.join(path)}, got {type(node).__name__}")
        node = node.get(key)
    if node is None:
        return EMPTY
    if not isinstance(node, Mapping):
        raise TypeError(f"expected an object at {'.'.join(path)}, got {type(node).__name__}")
    return node


def items(value: Any) -> Sequence[Any]:
    """A list field (`conditions`, `containerStatuses`); absent means empty."""
    if value is None:
        return ()
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    return value


def count(value: Any, default: int = 0) -> int:
    """An integer field; absent means `default` (0 for status counters)."""
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise TypeError(f"expected an integer, got {type(value).__name__}")
    return int(value)


def text(value: Any) -> str:
    """A string field; absent means empty."""
    return "" if value is None else str(value)


def generation(obj: Mapping[str, Any]) -> int:
    return count(section(obj, "metadata").get("generation"))


def observed_generation(obj: Mapping[str, Any]) -> int:
    return count(section(obj, "status").get("observedGeneration"))


def find_condition(conditions: Any, condition_type: str) -> Mapping[str, Any] | None:
    """The first condition of `condition_type` (controllers keep at most one of each)."""
    for condition in items(conditions):
        if isinstance(condition, Mapping) and condition.get("type") == condition_type:
            return condition
    return None


def timestamp(value: Any) -> datetime | None:
    """An RFC 3339 timestamp (`2024-05-01T10:00:00Z`); None if absent."""
    if value is None:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def healthy(message: str = "") -> Health:
    return Health(HealthStatus.HEALTHY, message)


def progressing(message: str = "") -> Health:
    return Health(HealthStatus.PROGRESSING, message)


def degraded(message: str = "") -> Health:
    return Health(HealthStatus.DEGRADED, message)


def suspended(message: str = "") -> Health:
    return Health(HealthStatus.SUSPENDED, message)


def unknown(message: str = "") -> Health:
    return Health(HealthStatus.UNKNOWN, message)
