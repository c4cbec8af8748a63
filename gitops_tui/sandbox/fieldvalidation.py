"""Unknown fields in built-in objects: dropped, warned about, or refused (`fieldValidation`).

A real server decodes into Go structs, so a field the type does not have (a typo such as
`spec.replcas`) never reaches storage. With `fieldValidation=Strict` (what kubectl sends) the request
fails with 400; with `Warn` (the default since 1.23) it succeeds with a `Warning` header per field;
with `Ignore` the field silently disappears. Which fields exist comes from the protobuf schema
(wire/schema.json); kinds without a schema there (custom resources, CRDs) are left alone.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from . import errors
from .resources import ResourceType
from .wire.protobuf import GROUP_PACKAGES, INLINE_FIELDS, schema

# Messages whose JSON form is a scalar or free-form: nothing inside to check.
_OPAQUE = {"Time", "MicroTime", "IntOrString", "Quantity", "FieldsV1", "RawExtension", "Duration"}
_DIRECTIVES = ("Strict", "Warn", "Ignore")


@cache
def _fields_by_name(message: str) -> dict[str, tuple[str, int]]:
    fields: dict[str, tuple[str, int]] = {}
    for name, type_, repeated in schema().get(message, {}).values():
        if name in INLINE_FIELDS and type_.startswith("m:"):
            fields.update(_fields_by_name(type_[2:]))
        else:
            fields[name] = (type_, repeated)
    return fields


def _message_for(rt: ResourceType) -> str | None:
    package = GROUP_PACKAGES.get(rt.group)
    name = f"k8s.io.api.{package}.{rt.version}.{rt.kind}" if package else None
    return name if name in schema() else None


def _opaque(message: str) -> bool:
    return message.rsplit(".", 1)[-1] in _OPAQUE


def _prune(obj: dict[str, Any], message: str, path: str, unknown: list[str]) -> None:
    fields = _fields_by_name(message)
    for key in list(obj):
        spec = fields.get(key)
        if spec is None:
            unknown.append(f"{path}{key}")
            del obj[key]
            continue
        type_, repeated = spec
        value = obj[key]
        target = type_.rsplit(":", 1)[-1] if type_.startswith("map:") else type_
        if not target.startswith("m:") or _opaque(target[2:]):
            continue
        inner = target[2:]
        if type_.startswith("map:") and isinstance(value, dict):
            for map_key, item in value.items():
                if isinstance(item, dict):
                    _prune(item, inner, f"{path}{key}[{map_key}].", unknown)
        elif repeated and isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, dict):
                    _prune(item, inner, f"{path}{key}[{index}].", unknown)
        elif isinstance(value, dict):
            _prune(value, inner, f"{path}{key}.", unknown)


def drop_unknown_fields(rt: ResourceType, obj: dict[str, Any], directive: str | None) -> list[str]:
    """Remove unknown fields from `obj` in place; return the warnings to send (Strict raises 400)."""
    directive = directive or "Warn"
    if directive not in _DIRECTIVES:
        raise errors.bad_request(
            f'fieldValidation: Unsupported value: "{directive}": supported values: "Ignore", "Strict", "Warn"'
        )
    message = _message_for(rt)
    if message is None:
        return []
    unknown: list[str] = []
    body = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}
    _prune(body, message, "", unknown)
    for key in [k for k in obj if k not in ("apiVersion", "kind") and k not in body]:
        del obj[key]
    if not unknown or directive == "Ignore":
        return []
    if directive == "Strict":
        raise errors.bad_request("strict decoding error: " + ", ".join(f'unknown field "{f}"' for f in unknown))
    return [f'unknown field "{f}"' for f in unknown]


def warning_header(warnings: list[str]) -> list[tuple[str, str]]:
    """RFC 7234 Warning headers, as the apiserver writes them (code 299, agent "-")."""
    return [("Warning", '299 - "' + w.replace("\\", "\\\\").replace('"', '\\"') + '"') for w in warnings]
