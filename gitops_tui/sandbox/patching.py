"""The three PATCH flavours of the API server: JSON patch, JSON merge patch and strategic merge patch.

Error codes follow the real server: a patch that cannot be decoded is 400 Bad Request, a patch that
decodes but cannot be applied to this object (missing path, failed test) is 422 Unprocessable Entity.
"""

from __future__ import annotations

import copy
import re
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
# RFC 6902 JSON patch, with the quirks of the library the real server uses (evanphx/json-patch v4):
# negative array indices count from the end, "replace" of a missing object member adds it, and a
# "test" of a missing member against null passes. Messages are that library's.

_MISSING = ": missing value"
_BAD_INDEX = ": invalid index referenced"
_INDEX = re.compile(r"[+-]?[0-9]+")


class _OperationFailed(Exception):
    """A failure inside a container operation, to be wrapped in the operation's own wording."""


def json_patch(obj: dict, operations: list) -> dict:
    """RFC 6902 operations applied in order to a copy of ``obj``; all or nothing."""
    if not isinstance(operations, list) or not all(isinstance(op, Mapping) for op in operations):
        raise PatchError("json: cannot unmarshal object into Go value of type jsonpatch.Patch", 400)
    holder = {"": copy.deepcopy(obj)}  # the document sits in a parent so "" paths can replace it
    for operation in operations:
        _apply_operation(holder, operation)
    if not isinstance(holder[""], dict):
        raise PatchError("the patched document is not a JSON object", 422)
    return holder[""]


def _apply_operation(holder: dict, operation: Mapping) -> None:
    kind = operation.get("op")
    path = str(operation.get("path", ""))
    value = copy.deepcopy(operation.get("value"))
    try:
        if kind == "add":
            _container_op(
                holder,
                path,
                "add",
                'add operation does not apply: doc is missing path: "{}"',
                "error in add for path: '{}'",
                value,
            )
        elif kind == "remove":
            _container_op(
                holder,
                path,
                "remove",
                'remove operation does not apply: doc is missing path: "{}"',
                "error in remove for path: '{}'",
            )
        elif kind == "replace":
            _replace(holder, path, value)
        elif kind == "move":
            source = str(operation.get("from", ""))
            moved = _container_op(
                holder,
                source,
                "get",
                "move operation does not apply: doc is missing from path: {}",
                "error in move for path: '{}'",
            )
            _container_op(holder, source, "remove", "", "error in move for path: '{}'")
            _container_op(
                holder,
                path,
                "add",
                "move operation does not apply: doc is missing destination path: {}",
                "error in move for path: '{}'",
                moved,
            )
        elif kind == "copy":
            source = str(operation.get("from", ""))
            copied = _container_op(
                holder,
                source,
                "get",
                "copy operation does not apply: doc is missing from path: {}",
                "error in copy for from: '{}'",
            )
            _container_op(
                holder,
                path,
                "add",
                "copy operation does not apply: doc is missing destination path: {}",
                "error while adding value during copy",
                copy.deepcopy(copied),
            )
        elif kind == "test":
            _test(holder, path, value)
        else:
            raise PatchError(f"Unexpected kind: {kind}", 422)
    except _OperationFailed as failure:
        raise PatchError(str(failure), 422) from failure


def _locate(holder: dict, path: str) -> tuple[dict | list, str] | None:
    """The container holding the last token of ``path`` and that token, or None when a parent is missing."""
    tokens = path.split("/")
    if len(tokens) < 2:
        return None
    node: object = holder[""]
    for token in tokens[1:-1]:
        try:
            node = _get(node, _unescape(token))
        except _OperationFailed:
            return None
        if not isinstance(node, dict | list):
            return None
    assert isinstance(node, dict | list)
    return node, _unescape(tokens[-1])


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _index(container: list, key: str, *, extra: int = 0) -> int:
    if not _INDEX.fullmatch(key):
        raise _OperationFailed(f'strconv.Atoi: parsing "{key}": invalid syntax')
    index = int(key)
    size = len(container) + extra
    if index >= size or index < -size:
        raise _OperationFailed(f"Unable to access invalid index: {index}{_BAD_INDEX}")
    return index + size if index < 0 else index


def _get(node: object, key: str) -> object:
    if isinstance(node, list):
        return node[_index(node, key)]
    if isinstance(node, dict):
        return node.get(key)  # a missing member reads as null, as in the library
    raise _OperationFailed(f"unknown object type{_MISSING}")


def _container_op(holder: dict, path: str, action: str, missing: str, failed: str, value: object = None) -> object:
    found = _locate(holder, path)
    if found is None:
        raise _OperationFailed(missing.format(path) + _MISSING)
    container, key = found
    try:
        if action == "get":
            return _get(container, key)
        if action == "add":
            if isinstance(container, dict):
                container[key] = value
            elif key == "-":
                container.append(value)
            else:
                container.insert(_index(container, key, extra=1), value)
        elif isinstance(container, dict):
            if key not in container:
                raise _OperationFailed(f"Unable to remove nonexistent key: {key}{_MISSING}")
            del container[key]
        else:
            del container[_index(container, key)]
    except _OperationFailed as failure:
        where = key if failed.startswith("error in move") and action != "add" else path
        raise _OperationFailed(failed.format(where) + f": {failure}") from failure
    return None


def _replace(holder: dict, path: str, value: object) -> None:
    if path == "":
        if not isinstance(value, dict | list):
            raise _OperationFailed("replace operation value must be object or array: <nil>")
        holder[""] = value
        return
    found = _locate(holder, path)
    if found is None:
        raise _OperationFailed(f"replace operation does not apply: doc is missing path: {path}{_MISSING}")
    container, key = found
    if isinstance(container, dict):
        container[key] = value  # the library adds a missing member rather than failing
        return
    try:
        container[_index(container, key)] = value
    except _OperationFailed as failure:
        raise _OperationFailed(f"replace operation does not apply: doc is missing key: {path}{_MISSING}") from failure


def _test(holder: dict, path: str, expected: object) -> None:
    if path == "":
        actual = holder[""]
    else:
        found = _locate(holder, path)
        if found is None:
            raise _OperationFailed(f"test operation does not apply: is missing path: {path}{_MISSING}")
        try:
            actual = _get(*found)
        except _OperationFailed as failure:
            raise _OperationFailed(f"error in test for path: '{path}': {failure}") from failure
    if (actual is None and expected is None) or (actual is not None and json_equal(actual, expected)):
        return
    raise _OperationFailed(f"testing value {path} failed: test failed")
