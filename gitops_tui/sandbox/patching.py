"""The three PATCH flavours of the API server: JSON patch, JSON merge patch and strategic merge patch.

Error codes follow the real server: a patch that cannot be decoded is 400 Bad Request, a patch that
decodes but cannot be applied to this object (missing path, failed test) is 422 Unprocessable Entity.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

from gitops_tui.sandbox.fieldsets import json_equal
from gitops_tui.sandbox.schema import schema_of
from gitops_tui.sandbox.strategic import StrategicPatchError, apply_strategic


class PatchError(Exception):
    """A patch the server refuses; ``code`` is the HTTP status to answer with."""

    def __init__(self, message: str, code: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


# ---------------------------------------------------------------------------------------------------------
# RFC 7386 JSON merge patch


def merge_patch(obj: dict, patch: dict) -> dict:
    """RFC 7386: objects merge recursively, null deletes, anything else (lists included) replaces."""
    if not isinstance(patch, Mapping):
        raise PatchError("merge patch must be a JSON object", 400)
    result = _merge(obj, patch)
    assert isinstance(result, dict)
    return result


def _merge(target: object, patch: object) -> object:
    if not isinstance(patch, Mapping):
        return copy.deepcopy(patch)
    result = copy.deepcopy(dict(target)) if isinstance(target, Mapping) else {}
    for name, value in patch.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = _merge(result.get(name), value)
    return result


# ---------------------------------------------------------------------------------------------------------
# Strategic merge patch


def strategic_merge_patch(obj: dict, patch: dict) -> dict:
    """Kubernetes strategic merge patch, with list semantics taken from the object's kind.

    Types we have no schema for (custom resources) merge like a JSON merge patch plus directives;
    the real server refuses SMP for custom resources outright (415), which the caller decides.
    """
    if not isinstance(patch, Mapping):
        raise PatchError("strategic merge patch must be a JSON object", 400)
    try:
        return apply_strategic(obj, patch, schema_of(obj))
    except StrategicPatchError as error:
        raise PatchError(error.message, error.code) from error


# ---------------------------------------------------------------------------------------------------------
# RFC 6902 JSON patch


def json_patch(obj: dict, operations: list) -> dict:
    """RFC 6902 operations applied in order to a copy of ``obj``; all or nothing."""
    if not isinstance(operations, list) or not all(isinstance(op, Mapping) for op in operations):
        raise PatchError("json: cannot unmarshal object into Go value of type jsonpatch.Patch", 400)
    doc: object = copy.deepcopy(obj)
    for operation in operations:
        doc = _apply_operation(doc, operation)
    if not isinstance(doc, dict):
        raise PatchError("the patched document is not a JSON object", 422)
    return doc


def _apply_operation(doc: object, operation: Mapping) -> object:
    kind = operation.get("op")
    path = _pointer(operation, "path", kind)
    if kind == "add":
        return _add(doc, path, _value(operation, kind), kind)
    if kind == "remove":
        _remove(doc, path, kind)
        return doc if path else None
    if kind == "replace":
        if not path:
            return copy.deepcopy(_value(operation, kind))
        parent, token = _parent(doc, path, kind)
        _existing_slot(parent, token, path, kind)
        _set(parent, token, copy.deepcopy(_value(operation, kind)), kind, path, insert=False)
        return doc
    if kind in ("move", "copy"):
        source = _pointer(operation, "from", kind)
        if kind == "move" and path[: len(source)] == source and len(path) > len(source):
            raise PatchError(f'move operation does not apply: cannot move "{_join(source)}" into its own child', 422)
        value = _get(doc, source, kind, "from path")
        if kind == "move":
            if source == path:
                return doc
            _remove(doc, source, kind)
        return _add(doc, path, copy.deepcopy(value), kind)
    if kind == "test":
        expected = _value(operation, kind)
        try:
            actual = _get(doc, path, kind, "path")
        except PatchError:
            actual = _ABSENT
        if actual is _ABSENT or not json_equal(actual, expected):
            raise PatchError(f"testing value {_join(path)} failed: test failed", 422)
        return doc
    raise PatchError(f"Unexpected kind: {kind}", 422)


_ABSENT = object()


def _value(operation: Mapping, kind: object) -> object:
    if "value" not in operation:
        raise PatchError(f"{kind} operation does not apply: missing value", 422)
    return operation["value"]


def _pointer(operation: Mapping, key: str, kind: object) -> list[str]:
    raw = operation.get(key)
    if not isinstance(raw, str):
        raise PatchError(f"{kind} operation failed to decode {key}", 422)
    if raw == "":
        return []
    if not raw.startswith("/"):
        raise PatchError(f'{kind} operation does not apply: invalid JSON pointer "{raw}"', 422)
    return [token.replace("~1", "/").replace("~0", "~") for token in raw[1:].split("/")]


def _join(path: list[str]) -> str:
    return "".join("/" + token.replace("~", "~0").replace("/", "~1") for token in path)


def _index(container: list, token: str, path: list[str], kind: object, *, insert: bool) -> int:
    limit = len(container) if insert else len(container) - 1
    if token == "-" and insert:
        return len(container)
    if not token.isdigit() or (len(token) > 1 and token.startswith("0")) or int(token) > limit:
        raise PatchError(f'{kind} operation does not apply: doc is missing path: "{_join(path)}": missing value', 422)
    return int(token)


def _get(doc: object, path: list[str], kind: object, what: str) -> object:
    node = doc
    for depth, token in enumerate(path):
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list):
            node = node[_index(node, token, path[: depth + 1], kind, insert=False)]
        else:
            raise PatchError(f'{kind} operation does not apply: doc is missing {what}: "{_join(path)}": missing value',
                             422)
    return node


def _parent(doc: object, path: list[str], kind: object) -> tuple[object, str]:
    parent = _get(doc, path[:-1], kind, "path")
    if not isinstance(parent, dict | list):
        raise PatchError(f'{kind} operation does not apply: doc is missing path: "{_join(path)}": missing value', 422)
    return parent, path[-1]


def _existing_slot(parent: object, token: str, path: list[str], kind: object) -> None:
    if isinstance(parent, dict) and token not in parent:
        raise PatchError(f'{kind} operation does not apply: doc is missing key: "{_join(path)}": missing value', 422)
    if isinstance(parent, list):
        _index(parent, token, path, kind, insert=False)


def _set(parent: object, token: str, value: object, kind: object, path: list[str], *, insert: bool) -> None:
    if isinstance(parent, dict):
        parent[token] = value
    elif isinstance(parent, list):
        index = _index(parent, token, path, kind, insert=insert)
        if insert:
            parent.insert(index, value)
        else:
            parent[index] = value


def _add(doc: object, path: list[str], value: object, kind: object) -> object:
    if not path:
        return copy.deepcopy(value)
    parent, token = _parent(doc, path, kind)
    _set(parent, token, copy.deepcopy(value), kind, path, insert=True)
    return doc


def _remove(doc: object, path: list[str], kind: object) -> None:
    if not path:
        return
    parent, token = _parent(doc, path, kind)
    _existing_slot(parent, token, path, kind)
    if isinstance(parent, dict):
        del parent[token]
    elif isinstance(parent, list):
        del parent[_index(parent, token, path, kind, insert=False)]
