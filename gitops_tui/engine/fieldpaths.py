"""Field paths from `managedFields` (FieldsV1), and reading and writing objects along them.

FieldsV1 names a field `f:name`, a keyed list item `k:{"name":"web"}`, a set item `v:"x"` and a
list position `i:0`; a path is a tuple of (kind, value) steps.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from typing import Any

PathStep = tuple[str, Any]  # ("f", field) | ("k", {key fields}) | ("v", value) | ("i", index)


def leaf_paths(fields: Mapping[str, Any], prefix: tuple[PathStep, ...] = ()) -> Iterable[tuple[PathStep, ...]]:
    children = [(k, v) for k, v in fields.items() if k != "."]
    if not children:
        yield prefix
        return
    for raw, sub in children:
        kind, _, text = raw.partition(":")
        value: Any = json.loads(text) if kind in ("k", "v") else (int(text) if kind == "i" else text)
        yield from leaf_paths(sub or {}, (*prefix, (kind, value)))


def _resolve(node: Any, step: PathStep, partial_keys: bool = False) -> tuple[Any, Any]:
    """(container, index-or-key) for one step, or (None, None) when absent.

    With `partial_keys`, a keyed item matches on the key fields it sets: Git often leaves out a key
    field the server defaults (a port's `protocol: TCP`).
    """
    kind, value = step
    if kind == "f" and isinstance(node, dict):
        return (node, value) if value in node else (None, None)
    if isinstance(node, list):
        for i, item in enumerate(node):
            if kind == "k" and isinstance(item, dict) and _keys_match(item, value, partial_keys):
                return node, i
            if kind == "v" and item == value:
                return node, i
        if kind == "i" and value < len(node):
            return node, value
    return None, None


def _keys_match(item: Mapping[str, Any], keys: Mapping[str, Any], partial: bool) -> bool:
    return all(item.get(k) == v or (partial and k not in item) for k, v in keys.items())


def lookup(node: Any, path: tuple[PathStep, ...], partial_keys: bool = False) -> tuple[bool, Any]:
    for step in path:
        container, where = _resolve(node, step, partial_keys)
        if container is None:
            return False, None
        node = container[where]
    return True, node


def copy_path(source: Mapping[str, Any], target: dict[str, Any], path: tuple[PathStep, ...]) -> None:
    found, value = lookup(source, path)
    if not path:
        return
    parent_found, parent = lookup(target, path[:-1])
    if not parent_found:
        return
    container, where = _resolve(parent, path[-1])
    if found and container is not None:
        container[where] = copy.deepcopy(value)
    elif found and path[-1][0] == "f" and isinstance(parent, dict):
        parent[path[-1][1]] = copy.deepcopy(value)
    elif not found and container is not None:
        del container[where]


def owned_paths(live: Mapping[str, Any], manager: str, operation: str = "Apply") -> list[tuple[PathStep, ...]]:
    """The leaf fields `manager` owns in `live` through `operation` (main resource only)."""
    paths: list[tuple[PathStep, ...]] = []
    for entry in (live.get("metadata") or {}).get("managedFields") or ():
        if entry.get("manager") == manager and entry.get("operation") == operation and not entry.get("subresource"):
            paths.extend(leaf_paths(entry.get("fieldsV1") or {}))
    return paths
