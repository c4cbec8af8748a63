"""Object-metadata validation, with the real API server's field paths and messages."""

from __future__ import annotations

import re
from typing import Any

from .errors import Cause, invalid
from .resources import ResourceType

_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS1035 = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
_QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")

SUBDOMAIN_MESSAGE = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and "
    "must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
LABEL_MESSAGE = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start "
    "and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
DNS1035_MESSAGE = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
    "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for "
    "validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
)

# Kinds whose names must be DNS labels rather than subdomains (they end up in DNS names or hostnames).
_LABEL_NAMED = {"namespaces"}
_DNS1035_NAMED = {"services"}
# RBAC objects accept path-segment names (e.g. `system:controller:foo`).
_PATH_SEGMENT_NAMED = {"roles", "rolebindings", "clusterroles", "clusterrolebindings"}


def name_causes(rt: ResourceType, name: str) -> list[Cause]:
    if rt.plural in _PATH_SEGMENT_NAMED:
        if name in (".", "..") or "/" in name or "%" in name:
            return [Cause("metadata.name", Cause.INVALID, "may not contain '/' or '%'", name)]
        return []
    if rt.plural in _LABEL_NAMED:
        if len(name) > 63:
            return [Cause("metadata.name", Cause.INVALID, "must be no more than 63 characters", name)]
        if not _LABEL.fullmatch(name):
            return [Cause("metadata.name", Cause.INVALID, LABEL_MESSAGE, name)]
        return []
    if rt.plural in _DNS1035_NAMED:
        if len(name) > 63:
            return [Cause("metadata.name", Cause.INVALID, "must be no more than 63 characters", name)]
        if not _DNS1035.fullmatch(name):
            return [Cause("metadata.name", Cause.INVALID, DNS1035_MESSAGE, name)]
        return []
    if len(name) > 253:
        return [Cause("metadata.name", Cause.INVALID, "must be no more than 253 characters", name)]
    if not _SUBDOMAIN.fullmatch(name):
        return [Cause("metadata.name", Cause.INVALID, SUBDOMAIN_MESSAGE, name)]
    return []


def _label_causes(labels: Any) -> list[Cause]:
    if labels is None:
        return []
    if not isinstance(labels, dict):
        return [Cause("metadata.labels", Cause.INVALID, "must be a map of strings", None)]
    causes: list[Cause] = []
    for key, value in labels.items():
        prefix, _, base = key.rpartition("/")
        if (
            not base
            or len(base) > 63
            or not _QUALIFIED_NAME.fullmatch(base)
            or (prefix and not _SUBDOMAIN.fullmatch(prefix))
        ):
            causes.append(
                Cause(
                    "metadata.labels",
                    Cause.INVALID,
                    "name part must consist of alphanumeric characters, '-', '_' or '.', and must "
                    "start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  "
                    "or '123-abc', regex used for validation is "
                    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
                    key,
                )
            )
        if not isinstance(value, str) or len(value) > 63 or not _LABEL_VALUE.fullmatch(value):
            causes.append(
                Cause(
                    "metadata.labels",
                    Cause.INVALID,
                    "a valid label must be an empty string or consist of alphanumeric characters, "
                    "'-', '_' or '.', and must start and end with an alphanumeric character (e.g. "
                    "'MyValue',  or 'my_value',  or '12345', regex used for validation is "
                    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
                    value,
                )
            )
    return causes


def validate_object(rt: ResourceType, obj: dict[str, Any]) -> None:
    """Raise 422 Invalid with causes when metadata is malformed."""
    meta = obj.get("metadata") or {}
    name = meta.get("name") or ""
    causes: list[Cause] = []
    if not name:
        causes.append(Cause("metadata.name", Cause.REQUIRED, "name or generateName is required"))
    else:
        causes.extend(name_causes(rt, name))
    causes.extend(_label_causes(meta.get("labels")))
    annotations = meta.get("annotations")
    if annotations is not None and (
        not isinstance(annotations, dict) or not all(isinstance(v, str) for v in annotations.values())
    ):
        causes.append(Cause("metadata.annotations", Cause.INVALID, "must be a map of strings", None))
    if causes:
        raise invalid(rt.kind, rt.group, name, causes)
