"""An app's desired objects at one revision, ready to compare: placed in namespaces and fingerprinted.

Built off the loop (it may ask the cluster's discovery which kinds are namespaced). Each object carries a
digest of its canonical JSON, so the compare can tell an unchanged object from a changed one by one
integer, and server predictions can be cached by (digest, live resourceVersion).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gitops_tui.cluster.discovery import RESTMapper
from gitops_tui.cluster.errors import ClusterError, UnknownKindError
from gitops_tui.cluster.kinds import GroupKind
from gitops_tui.engine.app_compare import DesiredObject, place_in_namespace
from gitops_tui.engine.health import is_hook
from gitops_tui.model import AppSpec, CommitInfo, ResourceKey


@dataclass(frozen=True, slots=True)
class DesiredItem:
    key: ResourceKey
    raw: bytes
    """The object as canonical JSON. Kept as bytes: a thousand apps' parsed objects would be millions of
    small Python objects for the garbage collector to walk, for data read only when a resource changes."""
    digest: int
    error: str = ""
    """Why the resource cannot be compared (its kind unknown to the cluster); it is Unknown then."""
    hook: bool = False

    @property
    def obj(self) -> dict[str, Any]:
        """A fresh parse (the caller's own copy)."""
        return json.loads(self.raw)

    def as_desired_object(self) -> DesiredObject:
        return DesiredObject(self.key, self.obj)


@dataclass(frozen=True)
class DesiredSet:
    revision: CommitInfo
    items: tuple[DesiredItem, ...]
    warnings: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Read by every compare pass: computed once per render, not once per pass.
        object.__setattr__(self, "keys", frozenset(item.key for item in self.items))

    keys: frozenset[ResourceKey] = field(init=False, repr=False, compare=False)

    @property
    def kinds(self) -> frozenset[GroupKind]:
        return frozenset(GroupKind(item.key.group, item.key.kind) for item in self.items)

    def by_key(self) -> dict[ResourceKey, DesiredItem]:
        return {item.key: item for item in self.items}


def build_desired(
    app: AppSpec,
    revision: CommitInfo,
    objects: Sequence[Mapping[str, Any]],
    mapper: RESTMapper | None,
    warnings: Sequence[str] = (),
) -> DesiredSet:
    """Blocking (discovery may be read): run it off the loop."""
    scopes: dict[tuple[str, str], bool | None] = {}
    unknown: dict[tuple[str, str], str] = {}
    for obj in objects:
        api_version, kind = str(obj.get("apiVersion") or ""), str(obj.get("kind") or "")
        group = api_version.rpartition("/")[0]
        if (group, kind) in scopes or mapper is None:
            continue
        try:
            scopes[(group, kind)] = mapper.resource_for(api_version, kind).namespaced
        except UnknownKindError as exc:
            scopes[(group, kind)] = None
            unknown[(group, kind)] = exc.message
        except ClusterError:
            scopes[(group, kind)] = None  # discovery unreachable: the usual scopes serve until it answers
    placed = place_in_namespace(objects, app, lambda group, kind: scopes.get((group, kind)))
    items = []
    for item in placed:
        error = unknown.get((item.key.group, item.key.kind), "")
        canonical = json.dumps(item.obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
        items.append(DesiredItem(item.key, canonical.encode(), hash((canonical, error)), error, is_hook(item.obj)))
    return DesiredSet(revision, tuple(items), tuple(warnings))
