"""Field sets: which fields of an object a manager owns, in the API server's FieldsV1 vocabulary.

A path is a tuple of encoded path elements, exactly the keys FieldsV1 uses, so encoding and decoding
are a tree walk and the set algebra is plain Python sets:

- ``f:<name>``   a field of an object (or a key of a map)
- ``k:<json>``   an item of a ``+listType=map`` list, by its key fields (sorted, compact JSON)
- ``v:<json>``   an item of a ``+listType=set`` list, by value
- ``i:<n>``      an item by index (only where nothing better identifies it)

In FieldsV1 a node is a member of the set when it is a leaf (``{}``) or carries a ``"."`` entry.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from gitops_tui.sandbox.schema import ListSpec, Node

Path = tuple[str, ...]
FieldSet = frozenset[Path]

_MISSING = object()


class FieldSetError(ValueError):
    """A value that cannot be described as a field set (e.g. a keyed list item without its key)."""


def _compact_json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def field_element(name: str) -> str:
    return "f:" + name


def item_element(spec: ListSpec, item: object, index: int, where: Path) -> str:
    """The path element naming ``item`` of a list with semantics ``spec``."""
    if spec.kind == "set":
        return "v:" + _compact_json(item)
    if spec.kind == "map":
        if not isinstance(item, Mapping):
            raise FieldSetError(
                f"{path_string(where)}: element {index}: associative list with keys has an element that is not a map"
            )
        key: dict[str, object] = {}
        defaults = dict(spec.key_defaults)
        for name in spec.keys:
            if name in item and item[name] is not None:
                key[name] = item[name]
            elif name in defaults:
                key[name] = defaults[name]
            else:
                raise FieldSetError(
                    f"{path_string(where)}: element {index}: associative list with keys has an element that omits "
                    f'key field "{name}" (and doesn\'t have default value)'
                )
        # The real server sorts key fields by name before encoding them.
        return "k:" + _compact_json(dict(sorted(key.items())))
    return "i:" + str(index)


def json_equal(left: object, right: object) -> bool:
    """Deep equality of JSON values; unlike ``==``, ``True`` is not ``1``."""
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, Mapping) and isinstance(right, Mapping):
        return left.keys() == right.keys() and all(json_equal(left[k], right[k]) for k in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(json_equal(a, b) for a, b in zip(left, right, strict=True))
    if isinstance(left, int | float) and isinstance(right, int | float):
        return left == right
    return type(left) is type(right) and left == right


# ---------------------------------------------------------------------------------------------------------
# Values -> field sets


def to_field_set(value: Mapping, root: Node) -> set[Path]:
    """The fields a value sets: leaves, list items, and empty or null objects (what ``ToFieldSet`` gives)."""
    out: set[Path] = set()
    _collect(value, root, (), out)
    return out


def _collect(value: object, node: Node, path: Path, out: set[Path]) -> None:
    if isinstance(value, Mapping):
        if node.kind == "atomic" and path:
            out.add(path)
            return
        for name, child in value.items():
            child_path = (*path, field_element(name))
            _collect(child, node.child(name), child_path, out)
            # Keys of a map (as opposed to struct fields) are owned in their own right, as are empty objects.
            if child is None or (isinstance(child, Mapping) and not child) or not node.has_named_fields:
                out.add(child_path)
    elif isinstance(value, list):
        spec = node.list_spec
        if spec.kind == "atomic" or node.kind == "atomic":
            out.add(path)
            return
        for index, item in enumerate(value):
            item_path = (*path, item_element(spec, item, index, path))
            _collect(item, node.item(), item_path, out)
            out.add(item_path)
    else:
        out.add(path)


def list_items_by_element(spec: ListSpec, items: list, where: Path) -> dict[str, object]:
    """Items of a granular list keyed by their path element; the first of duplicates wins."""
    out: dict[str, object] = {}
    for index, item in enumerate(items):
        out.setdefault(item_element(spec, item, index, where), item)
    return out


# ---------------------------------------------------------------------------------------------------------
# Comparing two values


@dataclass
class Comparison:
    added: set[Path] = field(default_factory=set)
    modified: set[Path] = field(default_factory=set)
    removed: set[Path] = field(default_factory=set)

    @property
    def changed(self) -> set[Path]:
        return self.added | self.modified


def compare(old: Mapping, new: Mapping, root: Node) -> Comparison:
    """Which fields ``new`` adds, modifies and removes relative to ``old``.

    Newly created objects and list items are themselves "added" (that is where the ``.`` entries of
    Update managers come from); both-empty objects and lists are compared as leaves.
    """
    result = Comparison()
    _compare(old, new, root, (), result)
    return result


def _is_empty_or_missing(value: object, kind: type) -> bool:
    return value is _MISSING or (isinstance(value, kind) and not value)


def _compare(old: object, new: object, node: Node, path: Path, result: Comparison) -> None:
    if old is _MISSING and new is _MISSING:
        return
    granular = node.kind != "atomic"
    # A present null next to an object or list is an empty one of the same shape (Go decodes both to
    # nil): the node is neither added nor removed, only its contents are.
    if granular and old is None and isinstance(new, Mapping | list):
        old = type(new)()
    elif granular and new is None and isinstance(old, Mapping | list):
        new = type(old)()
    shapes = {type(v) for v in (old, new) if v is not _MISSING}
    if granular and all(issubclass(s, Mapping) for s in shapes):
        if _is_empty_or_missing(old, Mapping) and _is_empty_or_missing(new, Mapping):
            _compare_leaf(old, new, path, result)
            return
        _note_node_presence(old, new, path, result)
        old_map = old if isinstance(old, Mapping) else {}
        new_map = new if isinstance(new, Mapping) else {}
        for name in dict.fromkeys([*old_map, *new_map]):
            _compare(
                old_map.get(name, _MISSING),
                new_map.get(name, _MISSING),
                node.child(name),
                (*path, field_element(name)),
                result,
            )
        return
    spec = node.list_spec
    if granular and spec.kind != "atomic" and shapes <= {list}:
        if _is_empty_or_missing(old, list) and _is_empty_or_missing(new, list):
            _compare_leaf(old, new, path, result)
            return
        _note_node_presence(old, new, path, result)
        old_items = list_items_by_element(spec, old, path) if isinstance(old, list) else {}
        new_items = list_items_by_element(spec, new, path) if isinstance(new, list) else {}
        for element in dict.fromkeys([*old_items, *new_items]):
            _compare(
                old_items.get(element, _MISSING),
                new_items.get(element, _MISSING),
                node.item(),
                (*path, element),
                result,
            )
        return
    _compare_leaf(old, new, path, result)


def _note_node_presence(old: object, new: object, path: Path, result: Comparison) -> None:
    if not path:
        return
    if old is _MISSING:
        result.added.add(path)
    elif new is _MISSING:
        result.removed.add(path)


def _compare_leaf(old: object, new: object, path: Path, result: Comparison) -> None:
    if old is _MISSING:
        result.added.add(path)
    elif new is _MISSING:
        result.removed.add(path)
    elif not json_equal(old, new):
        result.modified.add(path)


# ---------------------------------------------------------------------------------------------------------
# Set helpers


def node_for_path(root: Node, path: Path) -> Node:
    node = root
    for element in path:
        node = node.child(element[2:]) if element.startswith("f:") else node.item()
    return node


def with_named_ancestors(paths: Iterable[Path], root: Node) -> set[Path]:
    """Add every struct field on the way to a member (``EnsureNamedFieldsAreMembers``).

    Pruning removes such a field as a whole once nobody owns anything below it, whereas list items and
    map keys are only removed when they were owned themselves.
    """
    out = set(paths)
    for path in list(out):
        node = root
        for depth, element in enumerate(path[:-1], start=1):
            if element.startswith("f:"):
                if node.has_named_fields:
                    out.add(path[:depth])
                node = node.child(element[2:])
            else:
                node = node.item()
    return out


def prefixes(paths: Iterable[Path]) -> set[Path]:
    """All proper prefixes of the given paths (the interior nodes of the set's tree)."""
    out: set[Path] = set()
    for path in paths:
        out.update(path[:depth] for depth in range(len(path)))
    return out


# ---------------------------------------------------------------------------------------------------------
# FieldsV1 encoding and path printing


def _element_sort_key(element: str) -> tuple:
    kind, payload = element[0], element[2:]
    rank = "fkvi".index(kind) if kind in "fkvi" else 4
    if kind == "f":
        return (rank, payload)
    if kind == "i":
        return (rank, int(payload))
    decoded = json.loads(payload)
    if kind == "k":
        return (rank, tuple((name, _value_sort_key(value)) for name, value in decoded.items()))
    return (rank, _value_sort_key(decoded))


def _value_sort_key(value: object) -> tuple:
    # The order Go's value.Compare gives: numbers, strings, booleans, lists, maps, null.
    if isinstance(value, bool):
        return (2, value)
    if isinstance(value, int | float):
        return (0, value)
    if isinstance(value, str):
        return (1, value)
    if isinstance(value, list):
        return (3, _compact_json(value))
    if isinstance(value, Mapping):
        return (4, _compact_json(value))
    return (5, 0)


def _tree(paths: Iterable[Path]) -> dict:
    """Nested dicts of path elements; the key ``"."`` marks a member."""
    tree: dict = {}
    for path in paths:
        node = tree
        for element in path:
            node = node.setdefault(element, {})
        node["."] = {}
    return tree


def encode_fields_v1(paths: Iterable[Path]) -> dict:
    """FieldsV1 JSON for a field set, in the real server's order (``.`` then fields, keys, values, indices)."""
    return _emit(_tree(paths))


def _emit(node: dict) -> dict:
    children = sorted((e for e in node if e != "."), key=_element_sort_key)
    out: dict = {".": {}} if "." in node and children else {}
    for element in children:
        out[element] = _emit(node[element])
    return out


def decode_fields_v1(fields: Mapping) -> set[Path]:
    out: set[Path] = set()
    _decode(fields, (), out)
    return out


def _decode(node: Mapping, path: Path, out: set[Path]) -> None:
    if not node and path:
        out.add(path)
    for element, child in node.items():
        if element == ".":
            out.add(path)
        elif isinstance(child, Mapping):
            _decode(child, (*path, element), out)


def iterate_in_server_order(paths: Iterable[Path]) -> Iterator[Path]:
    """Paths in the order the real server lists them: at each level members first, then subtrees."""
    yield from _iterate(_tree(paths), ())


def _iterate(node: dict, path: Path) -> Iterator[Path]:
    children = sorted((e for e in node if e != "."), key=_element_sort_key)
    for element in children:
        if "." in node[element]:
            yield (*path, element)
    for element in children:
        yield from _iterate(node[element], (*path, element))


def _go_value_string(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ",".join(_go_value_string(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ";".join(f"{k}={_go_value_string(v)}" for k, v in value.items()) + "}"
    return str(value)


def element_string(element: str) -> str:
    kind, payload = element[0], element[2:]
    if kind == "f":
        return "." + payload
    if kind == "i":
        return f"[{payload}]"
    decoded = json.loads(payload)
    if kind == "k":
        return "[" + ",".join(f"{name}={_go_value_string(v)}" for name, v in decoded.items()) + "]"
    return "[=" + _go_value_string(decoded) + "]"


def path_string(path: Path) -> str:
    """A path as the real server prints it in conflicts: ``.spec.containers[name="nginx"].image``."""
    return "".join(element_string(element) for element in path)
