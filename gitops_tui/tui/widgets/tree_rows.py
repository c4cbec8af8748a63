"""The tree's rows as plain values: which apps and resources show, in what order, under which filter.

Kept apart from the widget so that sorting, grouping by kind and the `/` filter are pure functions over
AppStates: the widget only draws the rows and moves a cursor over them.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from gitops_tui.model import AppState, HealthStatus, ResourceKey, ResourceState, SyncStatus
from gitops_tui.tui.widgets.tree_children import ChildLine, ChildrenView, child_lines


class RowKind(enum.Enum):
    APP = "app"
    GROUP = "group"
    RESOURCE = "resource"
    CHILD = "child"
    """Made by a controller for a resource (a ReplicaSet, a Pod), or the fold of old ReplicaSets."""


@dataclass(frozen=True)
class TreeRow:
    kind: RowKind
    app: str
    group: str = ""
    """The resource kind this row groups (GROUP) or belongs to (RESOURCE)."""
    resource: ResourceState | None = None
    child: ChildLine | None = None

    @property
    def key(self) -> ResourceKey | None:
        """The object this row stands for (the fold of old ReplicaSets stands for their Deployment)."""
        if self.child is not None:
            return self.child.key
        return self.resource.key if self.resource else None

    @property
    def identity(self) -> tuple[str, str, ResourceKey | None, str]:
        """What stays the same across updates, so the cursor stays on it."""
        tag = "fold" if self.child is not None and self.child.node is None else ""
        return (self.app, self.group, self.key, tag)

    @property
    def depth(self) -> int:
        if self.child is not None:
            return 2 + self.child.depth
        return {RowKind.APP: 0, RowKind.GROUP: 1, RowKind.RESOURCE: 2}[self.kind]


class SortOrder(enum.StrEnum):
    NAME = "name"
    HEALTH = "health"
    SYNC = "sync"


_SYNC_RANK = {SyncStatus.OUT_OF_SYNC: 0, SyncStatus.UNKNOWN: 1, SyncStatus.SYNCED: 2}


def _health_rank(state: AppState) -> int:
    return -state.health.status.severity


SORT_KEYS: dict[SortOrder, Callable[[AppState], tuple[object, ...]]] = {
    SortOrder.NAME: lambda s: (s.name,),
    # Worst first: the app that needs the SRE is at the top.
    SortOrder.HEALTH: lambda s: (_health_rank(s), _SYNC_RANK[s.sync], s.name),
    SortOrder.SYNC: lambda s: (_SYNC_RANK[s.sync], _health_rank(s), s.name),
}


@dataclass(frozen=True)
class RowFilter:
    """`/` filter: a substring, or a regex when it has regex characters; `!` in front negates it.

    Matched, case-insensitively, against names, kinds, namespaces and status words.
    """

    text: str = ""
    negate: bool = False
    pattern: re.Pattern[str] | None = field(default=None, compare=False)
    error: str = ""
    """Why the text is not a valid regex (it is then used as a plain substring)."""

    @classmethod
    def parse(cls, text: str) -> RowFilter:
        text = text.strip()
        negate = text.startswith("!")
        body = text[1:].strip() if negate else text
        if not body:
            return cls()
        error = ""
        try:
            pattern = re.compile(body, re.IGNORECASE) if re.search(r"[\\^$.|?*+()\[\]{}]", body) else None
        except re.error as exc:
            pattern, error = None, f"not a valid regex ({exc}); matching it as plain text"
        return cls(body, negate, pattern, error)

    @property
    def active(self) -> bool:
        return bool(self.text)

    def _hit(self, haystack: str) -> bool:
        if self.pattern is not None:
            return self.pattern.search(haystack) is not None
        return self.text.lower() in haystack.lower()

    def matches(self, haystack: str) -> bool:
        return self._hit(haystack) != self.negate


def app_haystack(state: AppState) -> str:
    dest = state.spec.destination
    return " ".join(
        (
            state.name,
            dest.namespace,
            dest.name or dest.server,
            state.sync.value,
            state.health.status.value,
            state.spec.project,
        )
    )


def resource_haystack(resource: ResourceState) -> str:
    key = resource.key
    health = resource.health.status.value if resource.health else ""
    return " ".join((key.kind, key.group, key.namespace, key.name, resource.sync.value, health))


def group_by_kind(resources: Iterable[ResourceState]) -> dict[str, list[ResourceState]]:
    groups: dict[str, list[ResourceState]] = {}
    for resource in sorted(resources, key=lambda r: (r.key.kind, r.key.namespace, r.key.name)):
        groups.setdefault(resource.key.kind, []).append(resource)
    return groups


def resource_counts(resources: Iterable[ResourceState]) -> tuple[int, int]:
    """(OutOfSync, Degraded) among the resources."""
    out_of_sync = degraded = 0
    for resource in resources:
        out_of_sync += resource.sync is SyncStatus.OUT_OF_SYNC
        degraded += resource.health is not None and resource.health.status is HealthStatus.DEGRADED
    return out_of_sync, degraded


def build_rows(
    states: Mapping[str, AppState],
    order: SortOrder,
    row_filter: RowFilter,
    expanded: set[str],
    collapsed_groups: set[tuple[str, str]],
    children: ChildrenView | None = None,
) -> list[TreeRow]:
    """The visible rows: apps in `order`; an expanded app's resources grouped by kind beneath it, and
    under an opened resource what controllers made for it (`children`).

    With a filter, an app shows when it or one of its resources matches; under it, only the matching
    resources (all of them when the app itself matched). A negated filter (`!text`) hides the apps that
    match and, under the others, the resources that match.
    """
    rows: list[TreeRow] = []
    for state in sorted(states.values(), key=SORT_KEYS[order]):
        resources: Iterable[ResourceState] = state.resources
        if row_filter.active:
            app_matches = row_filter.matches(app_haystack(state))
            if row_filter.negate and not app_matches:
                continue  # `!Healthy` hides healthy apps, whatever their resources
            if row_filter.negate or not app_matches:
                resources = [r for r in state.resources if row_filter.matches(resource_haystack(r))]
            if not app_matches and not resources:
                continue
        rows.append(TreeRow(RowKind.APP, state.name))
        if state.name not in expanded:
            continue
        for kind, members in group_by_kind(resources).items():
            rows.append(TreeRow(RowKind.GROUP, state.name, kind))
            if (state.name, kind) in collapsed_groups:
                continue
            for member in members:
                rows.append(TreeRow(RowKind.RESOURCE, state.name, kind, member))
                if children is not None and (state.name, member.key) in children.opened:
                    rows.extend(
                        TreeRow(RowKind.CHILD, state.name, kind, member, line)
                        for line in child_lines(state.name, member.key, children)
                    )
    return rows
