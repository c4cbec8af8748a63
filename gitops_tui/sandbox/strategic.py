"""Kubernetes strategic merge patch (SMP), the patch kubectl sends for client-side apply, edit,
label, scale... on built-in types.

Beyond JSON merge patch: lists with a ``patchMergeKey`` merge item by item, primitive lists with
``patchStrategy=merge`` (finalizers) merge as sets, and the patch may carry directives:

- ``$patch: replace | delete | merge`` on an object or as an item of a list,
- ``$retainKeys: [...]`` (fields of the original to keep; the rest are cleared),
- ``$deleteFromPrimitiveList/<field>: [...]``,
- ``$setElementOrder/<field>: [...]`` (the order kubectl wants the merged list in).

The server runs SMP with "ignore unmatched nulls": nulls inside values the original lacks are dropped.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

from gitops_tui.sandbox.fieldsets import json_equal
from gitops_tui.sandbox.schema import Node

_PATCH = "$patch"
_RETAIN_KEYS = "$retainKeys"
_DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList/"
_SET_ELEMENT_ORDER = "$setElementOrder/"


class StrategicPatchError(Exception):
    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def apply_strategic(obj: Mapping, patch: Mapping, root: Node) -> dict:
    return _merge_map(copy.deepcopy(dict(obj)), patch, root)


def _merge_map(original: dict, patch: Mapping, node: Node) -> dict:
    patch = dict(patch)
    if _PATCH in patch:
        # Only replace and delete exist for objects; even "merge" is refused (500, as the real server).
        directive = patch.pop(_PATCH)
        if directive == "replace":
            return _clean(patch, node)
        if directive == "delete":
            return {}
        raise StrategicPatchError(
            f"unknown patch type: {directive} in map: {_go_format({**patch, _PATCH: directive})}", 500
        )

    if _RETAIN_KEYS in patch:
        retain = patch.pop(_RETAIN_KEYS)
        if not isinstance(retain, list):
            raise StrategicPatchError("invalid patch format of retainKeys", 400)
        stray = [k for k, v in patch.items() if v is not None and not k.startswith("$") and k not in retain]
        if stray:
            raise StrategicPatchError("invalid patch format of retainKeys", 400)
        original = {k: v for k, v in original.items() if k in retain}

    for key in [k for k in patch if k.startswith(_DELETE_FROM_PRIMITIVE_LIST)]:
        field_name, doomed = key[len(_DELETE_FROM_PRIMITIVE_LIST) :], patch.pop(key)
        if not isinstance(doomed, list):
            raise StrategicPatchError("invalid patch format of primitive list", 400)
        current = original.get(field_name)
        if isinstance(current, list):
            original[field_name] = [v for v in current if not any(json_equal(v, d) for d in doomed)]

    for key in [k for k in patch if k.startswith(_SET_ELEMENT_ORDER)]:
        field_name, order = key[len(_SET_ELEMENT_ORDER) :], patch.pop(key)
        if not isinstance(order, list):
            raise StrategicPatchError("invalid patch format of setElementOrder list", 400)
        _merge_ordered_list(original, patch, field_name, order, node.child(field_name))

    for key, value in patch.items():
        if key.startswith("$"):
            raise StrategicPatchError(f"unknown directive {key}", 400)
        child = node.child(key)
        current = original.get(key)
        if value is None:
            original.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(current, dict):
            original[key] = _merge_map(current, value, child)
        elif isinstance(value, list) and isinstance(current, list):
            original[key] = _merge_list(current, value, child)
        else:
            cleaned = _clean(value, child)
            if isinstance(value, Mapping) and value.get(_PATCH) == "delete":
                original.pop(key, None)
            else:
                original[key] = cleaned
    return original


def _merge_list(original: list, patch: list, node: Node) -> list:
    """Merge one list field; the result has the patch's items in the patch's order, with items only
    the server has kept in their places relative to them."""
    spec = node.list_spec
    if not spec.patch_merge:
        return _clean(patch, node)
    if not original and not patch:
        return original
    if any(isinstance(item, list) for item in (*original, *patch)):
        raise StrategicPatchError("lists of lists are not supported", 422)
    if not any(isinstance(item, Mapping) for item in (*original, *patch)):
        # A primitive list merged as a set: duplicates dropped, first occurrence kept.
        merged: list = []
        for value in (*original, *patch):
            if not any(json_equal(value, seen) for seen in merged):
                merged.append(copy.deepcopy(value))
        return _normalize_order(merged, patch, original, None)
    merge_key = spec.patch_merge_key
    if merge_key is None:
        raise StrategicPatchError("cannot merge lists without merge key", 500)

    server, additions = _apply_list_directives(original, patch, merge_key)
    merged = list(server)
    for item in additions:
        if merge_key not in item:
            # The real server lets this error through unconverted: a 500 with an empty reason.
            raise StrategicPatchError(
                f"map: {_go_format(dict(item))} does not contain declared merge key: {merge_key}", 500
            )
        position = _find(merged, merge_key, item[merge_key])
        if position is None:
            merged.append(_clean(item, node.item()))
        else:
            merged[position] = _merge_map(dict(merged[position]), item, node.item())
    return _normalize_order(merged, additions, server, merge_key)


def _apply_list_directives(original: list, patch: list, merge_key: str) -> tuple[list, list[Mapping]]:
    """Handle ``$patch`` items: deletions are applied to the original, a ``replace`` item makes the
    rest of the patch the whole list. Returns the original to merge into and the remaining items."""
    remaining: list[Mapping] = []
    replace = False
    for item in patch:
        if not isinstance(item, Mapping):
            raise StrategicPatchError(f"expected a map, but received a {type(item).__name__}", 500)
        if _PATCH not in item:
            remaining.append(item)
        elif item[_PATCH] == "delete":
            if merge_key not in item:
                raise StrategicPatchError(
                    f"map: {_go_format(dict(item))} does not contain declared merge key: {merge_key}", 500
                )
            original = [o for o in original if _find([o], merge_key, item[merge_key]) is None]
        elif item[_PATCH] == "replace":
            replace = True
        elif item[_PATCH] == "merge":
            raise StrategicPatchError("merging lists cannot yet be specified in the patch", 500)
        else:
            raise StrategicPatchError(f"unknown patch type: {item[_PATCH]} in map: {_go_format(dict(item))}", 500)
    if replace:
        return [{k: v for k, v in item.items() if not k.startswith("$")} for item in remaining], []
    return original, remaining


def _normalize_order(merged: list, order: list, server_order: list, merge_key: str | None) -> list:
    """Items named in ``order`` take that order; the others keep their order from ``server_order`` and
    are interleaved before the first ordered item that follows them there (new items go first)."""

    def identity(item: object) -> object:
        return item.get(merge_key) if merge_key and isinstance(item, Mapping) else item

    def position(items: list, item: object) -> int:
        wanted = identity(item)
        return next((i for i, candidate in enumerate(items) if json_equal(identity(candidate), wanted)), -1)

    in_order = sorted((item for item in merged if position(order, item) >= 0), key=lambda item: position(order, item))
    server_only = sorted(
        (item for item in merged if position(order, item) < 0), key=lambda item: position(server_order, item)
    )
    result = []
    left, right = 0, 0
    while left < len(server_only) or right < len(in_order):
        if right >= len(in_order):
            result.append(server_only[left])
            left += 1
        elif left >= len(server_only):
            result.append(in_order[right])
            right += 1
        else:
            server_at, ordered_at = position(server_order, server_only[left]), position(server_order, in_order[right])
            if server_at >= 0 and ordered_at >= 0 and server_at < ordered_at:
                result.append(server_only[left])
                left += 1
            else:
                result.append(in_order[right])
                right += 1
    return result


def _go_format(value: object) -> str:
    """A decoded JSON value as Go's ``%v`` prints it (``map[image:x ports:[80]]``)."""
    if isinstance(value, Mapping):
        return "map[" + " ".join(f"{k}:{_go_format(value[k])}" for k in sorted(value)) + "]"
    if isinstance(value, list):
        return "[" + " ".join(_go_format(v) for v in value) + "]"
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _find(items: list, merge_key: str, value: object) -> int | None:
    for index, item in enumerate(items):
        if isinstance(item, Mapping) and json_equal(item.get(merge_key), value):
            return index
    return None


def _is_directive_item(item: object) -> bool:
    return isinstance(item, Mapping) and _PATCH in item and all(k == _PATCH or k.startswith("$") for k in item)


def _merge_ordered_list(original: dict, patch: dict, field_name: str, order: list, node: Node) -> None:
    """Merge one list field and put it in the order kubectl asked for.

    Precedence: ``$setElementOrder`` > order in the patch > order in the live list."""
    server_list = original.get(field_name)
    patch_list = patch.pop(field_name, None)
    if isinstance(server_list, list) and isinstance(patch_list, list):
        merged = _merge_list(server_list, patch_list, node)
    elif isinstance(server_list, list):
        merged = server_list
    elif isinstance(patch_list, list):
        merged = _clean(patch_list, node)
    else:
        return
    server_order = server_list if isinstance(server_list, list) else []
    original[field_name] = _normalize_order(merged, order, server_order, node.list_spec.patch_merge_key)


def _clean(value: object, node: Node) -> object:
    """A patch value taken as is: directives and nulls removed, ``$patch: delete`` items dropped."""
    if isinstance(value, Mapping):
        return {k: _clean(v, node.child(k)) for k, v in value.items() if not k.startswith("$") and v is not None}
    if isinstance(value, list):
        return [
            _clean(item, node.item())
            for item in value
            if not (isinstance(item, Mapping) and item.get(_PATCH) == "delete") and not _is_directive_item(item)
        ]
    return copy.deepcopy(value)
