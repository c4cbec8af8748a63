"""``metadata.managedFields`` entries: decoding, encoding, identity, ordering and the update cap."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from gitops_tui.sandbox.fieldsets import Path, decode_fields_v1, encode_fields_v1

# Fields every manager is denied: identity and what the server itself maintains.
_STRIPPED: frozenset[Path] = frozenset(
    {("f:apiVersion",), ("f:kind",), ("f:metadata",)}
    | {
        ("f:metadata", "f:" + name)
        for name in (
            "name",
            "namespace",
            "creationTimestamp",
            "selfLink",
            "uid",
            "clusterName",
            "generation",
            "managedFields",
            "resourceVersion",
        )
    }
)
_STATUS = "f:status"

# The real server folds the oldest Update entries into per-version "ancient-changes" buckets past this.
MAX_UPDATE_MANAGERS = 10
ANCIENT_CHANGES = "ancient-changes"


def trackable(paths: Iterable[Path], subresource: str) -> set[Path]:
    """Drop stripped fields and those the request cannot change (status via the main resource, and
    everything but status via the status subresource; the real server resets them)."""
    out = set()
    for path in paths:
        if path in _STRIPPED or not path:
            continue
        in_status = path[0] == _STATUS
        if in_status != (subresource == "status"):
            continue
        out.add(path)
    return out


@dataclass(frozen=True)
class ManagedEntry:
    manager: str
    operation: str
    api_version: str
    time: str | None
    subresource: str
    fields: frozenset[Path]

    @property
    def identity(self) -> str:
        """The real server's manager identifier: JSON of the entry without time and fields, and without
        the apiVersion for appliers (so one applier keeps one entry across versions)."""
        data = {"manager": self.manager, "operation": self.operation}
        if self.operation != "Apply":
            data["apiVersion"] = self.api_version
        if self.subresource:
            data["subresource"] = self.subresource
        return json.dumps(data, separators=(",", ":"))

    def describe(self) -> str:
        """How conflict messages name this manager (``printManager`` in the real server)."""
        text = json.dumps(self.manager)
        if self.subresource:
            text += f" with subresource {json.dumps(self.subresource)}"
        if self.operation == "Update":
            text += f" using {self.api_version}"
        return text

    def with_fields(self, fields: Iterable[Path]) -> ManagedEntry:
        return replace(self, fields=frozenset(fields))


def decode_entries(raw: object) -> list[ManagedEntry]:
    """Entries of a managedFields list; malformed ones are skipped (the server would reset them)."""
    if not isinstance(raw, list):
        return []
    out = []
    for item in raw:
        if not isinstance(item, Mapping) or (not item.get("manager") and not item.get("fieldsV1")):
            continue
        fields = item.get("fieldsV1")
        out.append(
            ManagedEntry(
                manager=str(item.get("manager", "")),
                operation=str(item.get("operation", "Update")),
                api_version=str(item.get("apiVersion", "")),
                time=item.get("time"),
                subresource=str(item.get("subresource", "") or ""),
                fields=frozenset(decode_fields_v1(fields) if isinstance(fields, Mapping) else ()),
            )
        )
    return out


def _sort_key(entry: ManagedEntry) -> tuple:
    return (entry.operation, entry.time or "", entry.manager, entry.api_version, entry.subresource)


def encode_entries(entries: Iterable[ManagedEntry]) -> list[dict]:
    """The managedFields list as the real server writes it: empty entries dropped, Apply before Update,
    then oldest first; keys in ManagedFieldsEntry field order."""
    out = []
    for entry in sorted((e for e in entries if e.fields), key=_sort_key):
        item: dict = {"manager": entry.manager, "operation": entry.operation, "apiVersion": entry.api_version}
        if entry.time:
            item["time"] = entry.time
        item["fieldsType"] = "FieldsV1"
        item["fieldsV1"] = encode_fields_v1(entry.fields)
        if entry.subresource:
            item["subresource"] = entry.subresource
        out.append(item)
    return out


def cap_update_managers(entries: list[ManagedEntry], limit: int = MAX_UPDATE_MANAGERS) -> list[ManagedEntry]:
    """Merge the oldest Update entries into per-version ``ancient-changes`` buckets until at most
    ``limit`` remain; the first (oldest) entry of a version seeds its bucket."""
    updaters = sorted((e for e in entries if e.operation != "Apply"), key=lambda e: (e.time or "", e.identity))
    if len(updaters) <= limit:
        return entries
    kept = list(entries)
    buckets = {
        e.api_version: e for e in kept if e.manager == ANCIENT_CHANGES and e.operation == "Update" and not e.subresource
    }
    first_of_version: dict[str, ManagedEntry] = {}
    count = len(updaters)
    for entry in updaters:
        if count <= limit:
            break
        first = first_of_version.setdefault(entry.api_version, entry)
        if first is entry:
            continue
        bucket = buckets.get(entry.api_version)
        if bucket is None:
            kept.remove(first)
            bucket = replace(first, manager=ANCIENT_CHANGES, subresource="")
        else:
            kept.remove(bucket)
        bucket = replace(bucket, fields=bucket.fields | entry.fields, time=entry.time)
        buckets[entry.api_version] = bucket
        kept.remove(entry)
        kept.append(bucket)
        count -= 1
    return kept
