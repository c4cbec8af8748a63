"""How the application tree draws its rows: which columns fit, and each row's text (app, kind group,
resource, child object). A mixin of `AppTree`, apart from its cursor, keys and cache (app_tree.py)."""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from gitops_tui.model import AppState, Operation
from gitops_tui.tui import glyphs
from gitops_tui.tui.widgets.operation_view import result_flag
from gitops_tui.tui.widgets.tree_children import ChildrenView, can_have_children, child_label, fit_name, has_children
from gitops_tui.tui.widgets.tree_rows import RowKind, TreeRow, group_by_kind, resource_counts

SYNC_WIDTH = 11  # "≠ OutOfSync"
HEALTH_WIDTH = 13  # "◐ Progressing"
COUNTS_WIDTH = 7  # "≠12 ✗3"
REVISION_WIDTH = 7
AUTO_WIDTH = 11  # "⟳ auto+heal"
FACTS_MAX = 30
"""Cells kept at most for a child's facts; its name is cut in the middle instead (the details show it whole)."""


@dataclass(frozen=True)
class Columns:
    """Which columns fit at this width: name, sync and health always; the rest as room allows."""

    name: int
    counts: bool
    auto: bool
    revision: bool

    @classmethod
    def fit(cls, width: int, longest_name: int) -> Columns:
        fixed = 2 + 1 + SYNC_WIDTH + 1 + HEALTH_WIDTH
        name = max(10, min(longest_name + 2, 26))  # + the ▸ marker
        room = width - fixed - name
        flags = []
        for extra in (COUNTS_WIDTH, AUTO_WIDTH, REVISION_WIDTH):  # by how much an SRE needs them
            fits = room >= extra + 1
            room -= (extra + 1) if fits else 0
            flags.append(fits)
        name = max(10, min(longest_name + 4, name + max(0, room)))
        return cls(name, *flags)


class RowTexts:
    """The rows' texts, from the tree's states, operations, open/closed sets and fitted columns."""

    states: dict[str, AppState]
    auto_sync: dict[str, glyphs.Glyph]
    operations: dict[str, Operation]
    expanded: set[str]
    collapsed_groups: set[tuple[str, str]]
    child_view: ChildrenView
    _columns: Columns
    _columns_width: int
    _child_facts: int
    rows: list[TreeRow]

    def _longest_label(self) -> int:
        """The widest name the name column should hold: apps, and the resources shown (with their indent)."""
        longest = max((len(name) for name in self.states), default=10)
        for row in self.rows:
            if row.kind is RowKind.RESOURCE and row.resource is not None:
                longest = max(longest, len(row.resource.key.name) + 2 * row.depth - 2)
        return longest

    def _facts_width(self) -> int:
        """Cells the child rows' facts need ("CrashLoopBackOff · 7 restarts · 0/1 ready"), at most FACTS_MAX."""
        facts = [len(r.child.node.facts) for r in self.rows if r.child is not None and r.child.node is not None]
        return min(FACTS_MAX, max(facts, default=0))

    def _header_text(self) -> Text:
        cols = self._columns
        parts = ["  " + "APP".ljust(cols.name), "SYNC".ljust(SYNC_WIDTH), "HEALTH".ljust(HEALTH_WIDTH)]
        if cols.counts:
            parts.append("DRIFT".ljust(COUNTS_WIDTH))
        if cols.auto:
            parts.append("AUTO-SYNC".ljust(AUTO_WIDTH))
        if cols.revision:
            parts.append("REV")
        return Text(" ".join(parts))

    def _is_open(self, row: TreeRow) -> bool:
        if row.kind is RowKind.APP:
            return row.app in self.expanded
        if row.kind is RowKind.RESOURCE:
            return (row.app, row.key) in self.child_view.opened
        if row.child is not None:
            return row.child.node is not None and (row.app, row.child.key) not in self.child_view.closed
        return row.kind is RowKind.GROUP and (row.app, row.group) not in self.collapsed_groups

    def _can_open(self, row: TreeRow) -> bool:
        """Whether the row shows a ▸/▾ marker: it has (or, for a workload, may have) rows below it."""
        if row.kind in (RowKind.APP, RowKind.GROUP):
            return True
        if row.kind is RowKind.RESOURCE:
            return row.resource is not None and row.resource.in_cluster and can_have_children(row.resource.key)
        return row.child is not None and has_children(row.app, row.child, self.child_view)

    def _row_text(self, row: TreeRow) -> Text:
        cols = self._columns
        state = self.states[row.app]
        indent = "  " * row.depth
        marker = "" if row.kind is RowKind.RESOURCE else ("▾ " if self._is_open(row) else "▸ ")
        if row.kind in (RowKind.RESOURCE, RowKind.CHILD):  # the marker takes the indent's last cells: names align
            marker = ("▾ " if self._is_open(row) else "▸ ") if self._can_open(row) else ""
            indent = indent[:-2] if marker else indent
        if row.kind is RowKind.CHILD:
            return self._child_text(row, indent, marker)
        if row.kind is RowKind.APP:
            label, resources = state.name, state.resources
            sync, health = glyphs.SYNC[state.sync], glyphs.HEALTH[state.health.status]
            if state.error:  # "Unknown" alone hides that the app could not be compared at all
                health = glyphs.COMPARE_ERROR
        elif row.kind is RowKind.GROUP:
            resources = tuple(group_by_kind(state.resources).get(row.group, ()))
            label = f"{row.group} ({len(resources)})"
            sync = health = None
        else:
            assert row.resource is not None
            resource, resources = row.resource, (row.resource,)
            # The namespace only when it is not the app's own: most resources live in the app's namespace.
            namespace = resource.key.namespace
            own = namespace in ("", state.spec.destination.namespace)
            label = resource.key.name if own else f"{namespace}/{resource.key.name}"
            sync = glyphs.SYNC[resource.sync]
            health = glyphs.health_glyph(resource.health.status if resource.health else None)
        text = Text("  " + indent + marker)
        room = cols.name - len(indent) - len(marker)
        if row.kind is RowKind.GROUP:  # a kind heading has no status of its own: it may use those columns
            room += 2 + SYNC_WIDTH + HEALTH_WIDTH
            sync = health = None
            text.append(label[:room].ljust(room), style="bold")
            if cols.counts:
                text.append(" ")
                text.append_text(_counts_text(resources))
            return text
        if row.kind is RowKind.APP and row.app in self.operations:  # an operation runs: say so beside the name
            label = label[: max(1, room - 2)] + " ⟳"
        text.append(label[:room].ljust(room))
        text.append(" ")
        text.append_text(sync.text(width=SYNC_WIDTH) if sync else Text(" " * SYNC_WIDTH))
        text.append(" ")
        text.append_text(health.text(width=HEALTH_WIDTH) if health else Text(" " * HEALTH_WIDTH))
        if cols.counts:
            text.append(" ")
            text.append_text(_counts_text(resources) if row.kind is not RowKind.RESOURCE else self._resource_flag(row))
        if row.kind is RowKind.APP:
            if cols.auto:
                auto = self.auto_sync.get(row.app) or glyphs.AUTO_SYNC_MANUAL
                operation = self.operations.get(row.app)
                if operation is not None:
                    auto = glyphs.OPERATION[operation.phase]
                text.append(" ")
                text.append_text(auto.text(width=AUTO_WIDTH))
            if cols.revision:
                sha = state.revision.short_sha if state.revision else "?"
                text.append(" " + sha.ljust(REVISION_WIDTH), style="dim" if state.revision else glyphs.CAUTION.style)
        return text

    def _resource_flag(self, row: TreeRow) -> Text:
        """While a sync runs, what it did to this resource so far; otherwise prune / absent / hook."""
        operation = self.operations.get(row.app)
        if operation is not None and row.key is not None:
            flag = result_flag(operation, row.key)
            if flag is not None:
                return flag.text(width=COUNTS_WIDTH)
        return _flags_text(row)

    def _child_text(self, row: TreeRow, indent: str, marker: str) -> Text:
        """A ReplicaSet, Pod or Job: no sync status of its own (controllers made it), so the name takes
        the sync column; its facts ("rev 4 · 2/2 ready", "CrashLoopBackOff · 5 restarts") take the rest."""
        child = row.child
        assert child is not None
        cols = self._columns
        node = child.node
        dim = node is None or node.retired
        text = Text("  " + indent + marker)
        room = cols.name - len(indent) - len(marker) + 1 + SYNC_WIDTH
        if cols.counts and node is not None:  # its facts ("CrashLoopBackOff · 7 restarts") matter more than
            # a Pod's full name (the details show it whole)
            facts = self._child_facts
            room = max(12, self._columns_width - (2 + len(indent) + len(marker)) - 1 - HEALTH_WIDTH - 1 - facts - 1)
        text.append(fit_name(child_label(child), room).ljust(room), style="dim" if dim else "")
        text.append(" ")
        if node is None:  # the fold of old ReplicaSets
            text.append("— scaled to 0".ljust(HEALTH_WIDTH), style="dim")
            if cols.counts:
                text.append(" enter shows them", style="dim")
            return text
        health = glyphs.health_glyph(node.health.status if node.health else None)
        text.append_text(
            health.text(width=HEALTH_WIDTH) if not dim else Text(health.text(width=HEALTH_WIDTH).plain, style="dim")
        )
        if cols.counts and node.facts:
            text.append(" " + node.facts, style="dim")
        return text


def _counts_text(resources: tuple[object, ...] | list[object]) -> Text:
    out_of_sync, degraded = resource_counts(resources)  # type: ignore[arg-type]
    text = Text()
    if out_of_sync:
        text.append(f"≠{out_of_sync}", style=glyphs.CAUTION.style)
    if degraded:
        text.append((" " if out_of_sync else "") + f"✗{degraded}", style=glyphs.ALARM.style)
    text.pad_right(COUNTS_WIDTH - len(text))
    return text


def _flags_text(row: TreeRow) -> Text:
    resource = row.resource
    assert resource is not None
    flag = ""
    if resource.requires_pruning:
        flag = "✂ prune"
    elif not resource.in_cluster:
        flag = "○ absent"
    elif resource.hook:
        flag = "⚓ hook"
    return Text(flag.ljust(COUNTS_WIDTH), style=glyphs.CAUTION.style if flag else "")


def row_strip(text: Text, width: int, style: Style | None, base: Style, console: Console) -> Strip:
    """One row as drawn: cut to `width` with "…", `style` (the cursor's, the header's) over the pane's `base`."""
    text.truncate(width, overflow="ellipsis", pad=True)
    segments = list(text.render(console))
    if style is not None:
        segments = list(Segment.apply_style(segments, post_style=style))
    return Strip(segments).crop_extend(0, width, base).apply_style(base)
