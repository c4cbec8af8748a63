"""Decoding `application/vnd.kubernetes.protobuf` request bodies into JSON-shaped dicts.

kubectl's typed clients (`kubectl create configmap|deployment|secret|...`, `kubectl run`) send built-in
objects as protobuf, and a real API server accepts that. Responses stay JSON, which kubectl also
accepts. The field numbers come from `schema.json` (see generate_schema.py).

A body is the 4-byte magic `k8s\\0` and a `runtime.Unknown` {typeMeta{apiVersion, kind}, raw}; `raw`
is the object's message. Go writes non-pointer fields even when empty, so zero values are dropped
again (what `omitempty` does in the JSON encoding), except for pointer fields where zero means something.
"""

from __future__ import annotations

import base64
import json
import struct
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

MAGIC = b"k8s\x00"
CONTENT_TYPE = "application/vnd.kubernetes.protobuf"
_META = "k8s.io.apimachinery.pkg.apis.meta.v1."
GROUP_PACKAGES = {
    "": "core",
    "apps": "apps",
    "batch": "batch",
    "networking.k8s.io": "networking",
    "rbac.authorization.k8s.io": "rbac",
    "policy": "policy",
    "coordination.k8s.io": "coordination",
    "autoscaling": "autoscaling",
    "authorization.k8s.io": "authorization",
}
# Pointer fields in Go: an explicit zero or false is meaningful and must survive.
_KEEP_ZERO = frozenset(
    {
        "replicas",
        "minReplicas",
        "parallelism",
        "completions",
        "backoffLimit",
        "activeDeadlineSeconds",
        "successfulJobsHistoryLimit",
        "failedJobsHistoryLimit",
        "terminationGracePeriodSeconds",
        "suspend",
        "immutable",
        "automountServiceAccountToken",
        "revisionHistoryLimit",
        "progressDeadlineSeconds",
        "startingDeadlineSeconds",
        "ttlSecondsAfterFinished",
        "readOnly",
        "runAsUser",
        "runAsGroup",
        "fsGroup",
        "runAsNonRoot",
        "privileged",
        "allowPrivilegeEscalation",
        "optional",
        "defaultMode",
        "weight",
        "minAvailable",
        "maxUnavailable",
        "maxSurge",
    }
)
# Embedded Go structs: a field on the wire, inlined into the parent in JSON. Unknown-field pruning
# (fieldvalidation.py) reads this too, so a missing name here silently drops the embedded fields
# from every write: `localObjectReference` carries the `name` of configMapRef/secretRef/
# configMapKeyRef/secretKeyRef and of configMap/secret projections and volumes.
INLINE_FIELDS = frozenset(
    {
        "volumeSource",
        "persistentVolumeSource",
        "handler",
        "ingressRuleValue",
        "ephemeralContainerCommon",
        "localObjectReference",
    }
)


class ProtobufError(ValueError):
    pass


@cache
def schema() -> dict[str, dict[str, list[Any]]]:
    return json.loads(Path(__file__).with_name("schema.json").read_text())


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data):
            raise ProtobufError("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _fields(data: bytes) -> list[tuple[int, int, Any]]:
    """(field number, wire type, raw value) for every field on the wire."""
    out = []
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 1:
            value, pos = data[pos : pos + 8], pos + 8
        elif wire == 2:
            length, pos = _varint(data, pos)
            value, pos = data[pos : pos + length], pos + length
        elif wire == 5:
            value, pos = data[pos : pos + 4], pos + 4
        else:
            raise ProtobufError(f"unsupported wire type {wire}")
        out.append((number, wire, value))
    return out


def _signed(value: int) -> int:
    """Varints carry negative int32/int64 values sign-extended to 64 bits."""
    return value - (1 << 64) if value >= 1 << 63 else value


def _scalar(type_: str, wire: int, value: Any) -> Any:
    if type_ == "string":
        return value.decode("utf-8")
    if type_ == "bytes":
        return base64.b64encode(value).decode()
    if type_ == "bool":
        return bool(value)
    if type_ in ("int32", "int64"):
        return _signed(value)
    if type_ in ("uint32", "uint64"):
        return value
    if type_ == "double":
        return struct.unpack("<d", value)[0]
    if type_ == "float":
        return struct.unpack("<f", value)[0]
    raise ProtobufError(f"unsupported scalar {type_}")


def _special(name: str, data: bytes) -> tuple[bool, Any]:
    """Messages whose JSON form is not an object: times, int-or-string, quantities, raw JSON."""
    short = name.rsplit(".", 1)[-1]
    if name in (_META + "Time", _META + "MicroTime"):
        parts = {n: v for n, _w, v in _fields(data)}
        seconds = _signed(parts.get(1, 0))
        if not seconds and not parts.get(2):
            return True, None
        moment = datetime.fromtimestamp(seconds, UTC)
        if name.endswith("MicroTime"):
            return True, moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{parts.get(2, 0) // 1000:06d}Z"
        return True, moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    if short == "IntOrString":
        parts = {n: v for n, _w, v in _fields(data)}
        return True, parts.get(3, b"").decode() if parts.get(1) == 1 else _signed(parts.get(2, 0))
    if short == "Quantity":
        return True, next((v.decode() for n, _w, v in _fields(data) if n == 1), "0")
    if short in ("FieldsV1", "RawExtension"):
        raw = next((v for n, _w, v in _fields(data) if n == 1), b"")
        return True, json.loads(raw) if raw else None
    if short == "Duration":
        seconds = _signed(next((v for n, _w, v in _fields(data) if n == 1), 0)) / 1e9
        return True, f"{seconds:g}s"
    return False, None


def decode_message(data: bytes, name: str) -> Any:
    handled, value = _special(name, data)
    if handled:
        return value
    fields = schema().get(name)
    if fields is None:
        raise ProtobufError(f"no schema for {name}")
    out: dict[str, Any] = {}
    for number, wire, raw in _fields(data):
        spec = fields.get(str(number))
        if spec is None:
            continue  # a field newer than our schema: dropped, as an old server would
        field, type_, repeated = spec
        if type_.startswith("map:"):
            _key_type, value_type = type_[4:].split(":", 1)
            entry = {n: (w, v) for n, w, v in _fields(raw)}
            key = entry.get(1, (2, b""))[1].decode()
            w, v = entry.get(2, (2, b""))
            out.setdefault(field, {})[key] = _value(value_type, w, v)
            continue
        if repeated and wire == 2 and type_ in ("int32", "int64", "bool", "uint32", "uint64"):
            packed, pos = [], 0
            while pos < len(raw):
                item, pos = _varint(raw, pos)
                packed.append(_scalar(type_, 0, item))
            out.setdefault(field, []).extend(packed)
            continue
        value = _value(type_, wire, raw)
        if field in INLINE_FIELDS and isinstance(value, dict):
            out.update(value)
            continue
        if repeated:
            out.setdefault(field, []).append(value)
        else:
            out[field] = value
    return _prune(out)


def _value(type_: str, wire: int, raw: Any) -> Any:
    if type_.startswith("m:"):
        return decode_message(raw, type_[2:])
    return _scalar(type_, wire, raw)


def _is_empty(key: str, value: Any) -> bool:
    if value is None or value == "" or value == []:
        return True
    if isinstance(value, bool) or (isinstance(value, int | float) and not isinstance(value, bool)):
        return not value and key not in _KEEP_ZERO
    return False


def _prune(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if not _is_empty(k, v)}


def decode_object(body: bytes) -> dict[str, Any]:
    """A Kubernetes protobuf envelope to a JSON-shaped object with apiVersion and kind."""
    if not body.startswith(MAGIC):
        raise ProtobufError("missing the k8s protobuf magic prefix")
    envelope = {n: v for n, _w, v in _fields(body[len(MAGIC) :])}
    type_meta = {n: v.decode() for n, _w, v in _fields(envelope.get(1, b""))}
    api_version, kind = type_meta.get(1, ""), type_meta.get(2, "")
    group, _, version = api_version.rpartition("/")
    package = GROUP_PACKAGES.get(group)
    name = f"k8s.io.api.{package}.{version}.{kind}" if package else ""
    if kind == "DeleteOptions":
        name = _META + "DeleteOptions"
    if name not in schema():
        raise ProtobufError(f"protobuf is not supported for {api_version or '?'} {kind or '?'}; send JSON")
    obj = decode_message(envelope.get(2, b""), name)
    return {"apiVersion": api_version, "kind": kind, **obj}
