"""`ignoreDifferences`, as Argo CD reads it: JSON pointers, jq path expressions, field managers.

A rule removes what it names from both sides before they are compared, so it silences exactly
what it names and nothing else. Field-manager rules instead give the predicted object the live
value of every field those managers own (an HPA's replicas, a mutating webhook's sidecar).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from gitops_tui.engine.fieldpaths import copy_path, leaf_paths
from gitops_tui.model import IgnoreDifference, ResourceKey


class IgnoreRuleError(Exception):
    """A rule that cannot be applied (a jq expression that does not compile)."""


def matching_rules(rules: Iterable[IgnoreDifference], key: ResourceKey) -> list[IgnoreDifference]:
    return [
        rule
        for rule in rules
        if rule.kind in ("*", key.kind)
        and rule.group in ("*", key.group)
        and rule.name in ("", key.name)
        and rule.namespace in ("", key.namespace)
    ]


def apply_rules(rules: Sequence[IgnoreDifference], obj: dict[str, Any]) -> dict[str, Any]:
    """`obj` with every ignored path removed; use it on both sides of a comparison."""
    for rule in rules:
        for pointer in rule.json_pointers:
            remove_pointer(obj, pointer)
        for expression in rule.jq_path_expressions:
            obj = _jq_delete(expression, obj)
    return obj


def adopt_managed_fields(predicted: dict[str, Any], live: Mapping[str, Any], managers: Iterable[str]) -> dict[str, Any]:
    """Copy into `predicted` the live value of every field that one of `managers` owns."""
    wanted = set(managers)
    if not wanted:
        return predicted
    result = copy.deepcopy(predicted)
    for entry in (live.get("metadata") or {}).get("managedFields") or ():
        if entry.get("manager") in wanted and entry.get("fieldsV1"):
            for path in leaf_paths(entry["fieldsV1"]):
                copy_path(live, result, path)
    return result


def remove_pointer(obj: Any, pointer: str) -> None:
    """Delete the RFC 6901 `pointer` from `obj` in place; a path that is not there is fine."""
    if not pointer or pointer == "/":
        return
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.lstrip("/").split("/")]
    node = obj
    for part in parts[:-1]:
        node = _step(node, part)
        if node is None:
            return
    last = parts[-1]
    if isinstance(node, dict):
        node.pop(last, None)
    elif isinstance(node, list) and last.isdigit() and int(last) < len(node):
        node.pop(int(last))


def _step(node: Any, part: str) -> Any:
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, list) and part.isdigit() and int(part) < len(node):
        return node[int(part)]
    return None


@lru_cache(maxsize=256)
def _compile_jq(expression: str) -> Any:
    import jq  # imported lazily: only apps that use jq expressions pay for it

    try:
        return jq.compile(f"del({expression})")
    except ValueError as exc:
        raise IgnoreRuleError(f"jqPathExpression {expression!r} does not compile: {exc}") from None


def _jq_delete(expression: str, obj: dict[str, Any]) -> dict[str, Any]:
    program = _compile_jq(expression)
    try:
        return program.input_value(obj).first()
    except ValueError as exc:
        raise IgnoreRuleError(f"jqPathExpression {expression!r} failed: {exc}") from None
