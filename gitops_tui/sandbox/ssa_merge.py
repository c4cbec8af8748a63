"""The value side of server-side apply: merging an applied configuration into the live object, and
removing the fields an applier stopped applying.

List order follows structured-merge-diff: items only the live object has keep their place, items
the configuration names appear in the configuration's order.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

from gitops_tui.sandbox.fieldsets import FieldSetError, Path, field_element, item_element, path_string, prefixes
from gitops_tui.sandbox.schema import Node


def merge_applied(live: Mapping, applied: Mapping, root: Node) -> dict:
    """``applied`` merged into ``live``: granular objects field by field, keyed and set lists item by
    item, atomic values replaced. A null in ``applied`` removes the field."""
    return copy.deepcopy(_merge(live, applied, root, ()))


def _merge(live: object, applied: object, node: Node, path: Path) -> object:
    if isinstance(applied, Mapping) and node.kind != "atomic":
        out = dict(live) if isinstance(live, Mapping) else {}
        for name, value in applied.items():
            if value is None:
                out.pop(name, None)
            else:
                out[name] = _merge(out.get(name), value, node.child(name), (*path, field_element(name)))
        return out
    if isinstance(applied, list) and node.kind == "list" and node.list_spec.kind != "atomic":
        return _merge_list(live if isinstance(live, list) else [], applied, node, path)
    return applied


def _merge_list(live: list, applied: list, node: Node, path: Path) -> list:
    spec = node.list_spec
    live_elements = [item_element(spec, item, i, path) for i, item in enumerate(live)]
    applied_elements = [item_element(spec, item, i, path) for i, item in enumerate(applied)]
    if len(set(applied_elements)) != len(applied_elements):
        duplicate = next(e for i, e in enumerate(applied_elements) if e in applied_elements[:i])
        raise FieldSetError(f"{path_string(path)}: duplicate entries for key {path_string((duplicate,))}")
    live_items = dict(zip(reversed(live_elements), reversed(live), strict=True))  # first occurrence wins
    applied_items = dict(zip(applied_elements, applied, strict=True))
    # Items both sides have, in the configuration's order: the order the configuration asks for.
    shared = [e for e in applied_elements if e in live_items]
    shared_at = 0

    def merged_item(element: str) -> object:
        return _merge(live_items.get(element), applied_items[element], node.item(), (*path, element))

    out: list = []
    taken: set[str] = set()
    li = ai = 0
    while li < len(live_elements) or ai < len(applied_elements):
        if li < len(live_elements) and ai < len(applied_elements):
            element = live_elements[li]
            if element == applied_elements[ai]:
                taken.add(element)
                out.append(merged_item(element))
                li, ai = li + 1, ai + 1
                shared_at += 1
                continue
            if element in applied_items and shared_at < len(shared) and shared[shared_at] != element:
                li += 1  # a shared item, but not the next one in the configuration's order
                continue
        if li < len(live_elements):
            element = live_elements[li]
            if element not in applied_items:
                out.append(live[li])
                li += 1
                continue
            if element in taken:
                li += 1
                continue
        if ai < len(applied_elements):
            element = applied_elements[ai]
            taken.add(element)
            out.append(merged_item(element))
            ai += 1
            if shared_at < len(shared) and shared[shared_at] == element:
                shared_at += 1
    return out


def prune(value: dict, removable: set[Path], owned: set[Path], root: Node) -> dict:
    """Remove the fields in ``removable`` (what the applier applied last time) that nobody owns now.

    Both sets are expected to include their struct-field ancestors, so a struct nobody owns anything
    in goes as a whole, while a list item or map key goes only when it was owned itself."""
    targets = {path for path in removable if path not in owned}
    if not targets:
        return value
    result = _prune(value, (), root, targets, prefixes(targets))
    assert isinstance(result, dict)
    return result


def _prune(value: object, path: Path, node: Node, targets: set[Path], interior: set[Path]) -> object:
    if isinstance(value, Mapping):
        out = {}
        for name, child in value.items():
            child_path = (*path, field_element(name))
            if child_path in targets:
                continue
            if child_path in interior:
                child = _prune(child, child_path, node.child(name), targets, interior)
            out[name] = child
        return out
    if isinstance(value, list) and node.kind == "list" and node.list_spec.kind != "atomic":
        items = []
        for index, item in enumerate(value):
            item_path = (*path, item_element(node.list_spec, item, index, path))
            if item_path in targets:
                continue
            items.append(_prune(item, item_path, node.item(), targets, interior) if item_path in interior else item)
        return items
    return value
