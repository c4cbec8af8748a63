"""Kubernetes objects from manifest bytes: multi-document YAML, JSON, `List` kinds.

YAML goes through libyaml (`yaml.CSafeLoader`) when PyYAML was built with it, the pure-Python
`SafeLoader` otherwise. Timestamps are left as strings, as Kubernetes' own YAML decoding does,
so an unquoted date in an annotation never becomes a `datetime` the API cannot take.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class ManifestLoader(_BaseLoader):  # type: ignore[valid-type,misc]
    """The fastest safe loader available, without implicit timestamps."""


ManifestLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}


class ManifestError(ValueError):
    """A file that is not a valid manifest; `line` is 1-based when the parser knows it."""

    def __init__(self, file: str, problem: str, line: int | None = None) -> None:
        self.file = file
        self.problem = problem
        self.line = line
        super().__init__(f"{file}{f' line {line}' if line else ''}: {problem}")


@dataclass(frozen=True)
class SourcedObject:
    """An object and where it came from (`document` counts from 1 within the file)."""

    obj: dict[str, Any]
    file: str
    document: int


def _yaml_documents(data: bytes | str, file: str) -> Iterator[Any]:
    try:
        yield from yaml.load_all(data, Loader=ManifestLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        raise ManifestError(file, problem, mark.line + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise ManifestError(file, f"invalid YAML: {exc}") from None


def _json_documents(data: bytes | str, file: str) -> Iterator[Any]:
    try:
        document = json.loads(data)
    except json.JSONDecodeError as exc:
        raise ManifestError(file, exc.msg, exc.lineno) from None
    except UnicodeDecodeError as exc:
        raise ManifestError(file, f"not UTF-8 text: {exc.reason}") from None
    # A top-level array is taken as several documents, like a YAML stream.
    yield from document if isinstance(document, list) else [document]


def _describe(value: Any) -> str:
    return {list: "a list", str: "a string", int: "a number", float: "a number", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )


def _check_object(obj: Any, file: str, where: str) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise ManifestError(file, f"{where} is {_describe(obj)}, not a Kubernetes object")
    missing = [field for field in ("apiVersion", "kind") if not obj.get(field)]
    if missing:
        raise ManifestError(file, f"{where} has no {' and no '.join(missing)}")
    if not isinstance(obj["apiVersion"], str) or not isinstance(obj["kind"], str):
        raise ManifestError(file, f"{where}: apiVersion and kind must be strings")
    return obj


def parse_manifests(data: bytes | str, file: str, *, json_file: bool | None = None) -> list[SourcedObject]:
    """Every object in one file, in document order, `List` kinds expanded into their items.

    Empty documents (nothing, only comments, `{}`) are skipped. `json_file` defaults to
    "the name ends in .json". Raises ManifestError naming the file and, where known, the line
    or the document.
    """
    is_json = file.lower().endswith(".json") if json_file is None else json_file
    documents = _json_documents(data, file) if is_json else _yaml_documents(data, file)
    objects: list[SourcedObject] = []
    for index, document in enumerate(documents, start=1):
        if document is None or document == {}:
            continue
        where = f"document {index}"
        obj = _check_object(document, file, where)
        items = obj.get("items")
        if obj["kind"].endswith("List") and isinstance(items, list):
            for item_index, item in enumerate(items, start=1):
                if item is None or item == {}:
                    continue
                objects.append(SourcedObject(_check_object(item, file, f"{where} item {item_index}"), file, index))
        else:
            objects.append(SourcedObject(obj, file, index))
    return objects
