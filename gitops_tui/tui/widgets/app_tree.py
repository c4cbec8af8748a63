"""The application tree: apps with sync, health, revision, auto-sync and drift counts; resources by kind.

A Line-API view (`ScrollView.render_line`): rows are values (`tree_rows.build_rows`), drawn only when
visible, so 1,000 apps cost a list, not 1,000 widgets. Updates replace states in place: the cursor stays
on the same app or resource and the rows above it do not make it jump.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from gitops_tui.model import AppActivity, AppState, Operation, ResourceKey
from gitops_tui.tui import glyphs
from gitops_tui.tui.widgets.operation_view import result_flag
from gitops_tui.tui.widgets.tree_children import (
    ChildrenReader,
    ChildrenView,
    can_have_children,
    child_label,
    fit_name,
    has_children,
)
from gitops_tui.tui.widgets.tree_rows import (
    RowFilter,
    RowKind,
    SortOrder,
    TreeRow,
    build_rows,
    group_by_kind,
    resource_counts,
)

SYNC_WIDTH = 11  # "≠ OutOfSync"
HEALTH_WIDTH = 13  # "◐ Progressing"
COUNTS_WIDTH = 7  # "≠12 ✗3"
REVISION_WIDTH = 7
AUTO_WIDTH = 11  # "⟳ auto+heal"
FACTS_MAX = 30
"""Cells kept at most for a child's facts; its name is cut in the middle instead (the details show it whole)."""
CHILDREN_POLL = 1.0
"""Seconds between reads of open resources' children: Pods coming and going do not change an app's state."""


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


class AppTree(ScrollView, can_focus=True):
    """Apps and their resources; posts `SelectionChanged` when the cursor moves to another row."""

    BINDINGS = [
        Binding("j,down", "cursor(1)", "Down", show=False),
        Binding("k,up", "cursor(-1)", "Up", show=False),
        Binding("pagedown,ctrl+f", "page(1)", "Page down", show=False),
        Binding("pageup,ctrl+b", "page(-1)", "Page up", show=False),
        Binding("g,home", "jump(0)", "First", show=False),
        Binding("G,end", "jump(-1)", "Last", show=False),
        Binding("enter,l,right", "expand", "Expand", show=False),
        Binding("h,left", "collapse", "Collapse", show=False),
    ]
    COMPONENT_CLASSES = {"app-tree--cursor", "app-tree--header", "app-tree--dim"}
    DEFAULT_CSS = """
    AppTree { background: $surface; }
    AppTree > .app-tree--cursor { background: $accent 40%; text-style: bold; }
    AppTree:focus > .app-tree--cursor { background: $accent; color: $text; }
    AppTree > .app-tree--header { text-style: bold underline; color: $text-muted; }
    AppTree > .app-tree--dim { color: $text-muted; }
    """

    class SelectionChanged(Message):
        def __init__(self, app_name: str, key: ResourceKey | None, kind: str) -> None:
            super().__init__()
            self.app_name = app_name
            self.key = key
            self.kind = kind
            """The kind group under the cursor ("" on an app row)."""

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.states: dict[str, AppState] = {}
        self.auto_sync: dict[str, glyphs.Glyph] = {}
        self.rows: list[TreeRow] = []
        self.cursor = 0
        self.order = SortOrder.NAME
        self.row_filter = RowFilter()
        self.expanded: set[str] = set()
        self.collapsed_groups: set[tuple[str, str]] = set()
        self._columns = Columns.fit(80, 10)
        self._columns_width = 0
        self._child_facts = 0
        self._selected: tuple[str, str, ResourceKey | None, str] | None = None
        self.child_view = ChildrenView()
        self.children_reader: ChildrenReader | None = None
        self.activity_reader: Callable[[str], AppActivity] | None = None
        self.operations: dict[str, Operation] = {}
        """The running operation per app (their resources are marked as the results arrive)."""

    def connect(self, children: ChildrenReader | None, activity: Callable[[str], AppActivity] | None) -> None:
        """Where the tree reads resources' children and apps' operations (the reconciler's public API)."""
        self.children_reader = children
        self.activity_reader = activity

    def on_mount(self) -> None:
        self.set_interval(CHILDREN_POLL, self.refresh_children)

    # ---- data in ----------------------------------------------------------------------------------

    def update_states(self, states: Mapping[str, AppState], auto_sync: Mapping[str, glyphs.Glyph],
                      removed: frozenset[str] = frozenset()) -> None:
        """Replace the states of some apps (and their auto-sync glyphs); redraw without losing the cursor."""
        self.states.update(states)
        self.auto_sync.update(auto_sync)
        for name in removed:
            self.states.pop(name, None)
            self.operations.pop(name, None)
            self.child_view.forget_app(name)
        for name in states:
            self._read_operation(name)
        for ref in [r for r in self.child_view.opened if r[0] in states]:
            self.child_view.read(self.children_reader, ref)
        self._rebuild()

    def _read_operation(self, app: str) -> None:
        try:
            activity = self.activity_reader(app) if self.activity_reader is not None else None
        except Exception:  # an app the reconciler no longer knows: no operation to mark
            activity = None
        operation = activity.operation if activity is not None else None
        if operation is not None and not operation.phase.completed:
            self.operations[app] = operation
        else:
            self.operations.pop(app, None)

    def refresh_children(self) -> None:
        """Read the open resources' children again (of expanded apps only); redraw only when they changed."""
        changed = False
        for ref in list(self.child_view.opened):
            if ref[0] in self.expanded:
                changed = self.child_view.read(self.children_reader, ref) or changed
        if changed:
            self._rebuild()

    def set_order(self, order: SortOrder) -> None:
        self.order = order
        self._rebuild()

    def set_filter(self, row_filter: RowFilter) -> None:
        self.row_filter = row_filter
        self._rebuild()

    @property
    def selected(self) -> TreeRow | None:
        return self.rows[self.cursor] if 0 <= self.cursor < len(self.rows) else None

    def select_app(self, name: str) -> bool:
        for index, row in enumerate(self.rows):
            if row.kind is RowKind.APP and row.app == name:
                self._move_to(index)
                return True
        return False

    # ---- rows and cursor -----------------------------------------------------------------------------

    def _rebuild(self) -> None:
        old_identity = self.selected.identity if self.selected else None
        old_screen_row = self.cursor - round(self.scroll_y)
        old_row = self.selected
        self.rows = build_rows(self.states, self.order, self.row_filter, self.expanded, self.collapsed_groups,
                               self.child_view)
        index = next((i for i, row in enumerate(self.rows) if row.identity == old_identity), None)
        if index is None and old_row is not None:  # it went away (a Pod replaced): stay near it
            index = self._nearest(old_row)
        self.cursor = min(index if index is not None else self.cursor, max(0, len(self.rows) - 1))
        self._columns_width = 0  # names may have changed: fit the columns again when drawn
        self._child_facts = self._facts_width()
        self.virtual_size = Size(self.scrollable_content_region.width, len(self.rows) + 1)
        # Keep the cursor where it was on screen, so rows appearing above it do not make the view jump.
        self.scroll_to(y=max(0, self.cursor - old_screen_row), animate=False, immediate=True)
        self._ensure_cursor_visible()
        self.refresh()
        self._announce()

    def _nearest(self, gone: TreeRow) -> int | None:
        """Where the cursor goes when its row disappears: the parent object, its resource, else its app."""
        wanted = [key for key in (gone.child.parent if gone.child else None,
                                  gone.resource.key if gone.resource else None) if key is not None]
        for key in wanted:
            found = next((i for i, r in enumerate(self.rows)
                          if r.app == gone.app and r.key == key and r.identity[3] == ""), None)
            if found is not None:
                return found
        return next((i for i, r in enumerate(self.rows) if r.kind is RowKind.APP and r.app == gone.app), None)

    def _announce(self) -> None:
        row = self.selected
        identity = row.identity if row else None
        if identity != self._selected:
            self._selected = identity
            if row is not None:
                self.post_message(self.SelectionChanged(row.app, row.key, row.group))

    def _move_to(self, index: int) -> None:
        if not self.rows:
            return
        self.cursor = max(0, min(index, len(self.rows) - 1))
        self._ensure_cursor_visible()
        self.refresh()
        self._announce()

    def _ensure_cursor_visible(self) -> None:
        visible = max(1, self.scrollable_content_region.height - 1)  # the first line is the column header
        top = round(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + visible:
            self.scroll_to(y=self.cursor - visible + 1, animate=False, immediate=True)

    def action_cursor(self, delta: int) -> None:
        self._move_to(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        self._move_to(self.cursor + direction * max(1, self.scrollable_content_region.height - 2))

    def action_jump(self, where: int) -> None:
        self._move_to(0 if where == 0 else len(self.rows) - 1)

    def action_expand(self) -> None:
        row = self.selected
        if row is None:
            return
        ref = (row.app, row.key) if row.key is not None else None
        if row.kind is RowKind.APP and row.app not in self.expanded:
            self.expanded.add(row.app)
        elif row.kind is RowKind.GROUP and (row.app, row.group) in self.collapsed_groups:
            self.collapsed_groups.discard((row.app, row.group))
        elif row.kind is RowKind.RESOURCE and ref and self._can_open(row) and ref not in self.child_view.opened:
            self.child_view.opened.add(ref)
            self.child_view.read(self.children_reader, ref)
        elif row.child is not None and row.child.node is None:  # the fold: show the old ReplicaSets
            self.child_view.show_retired.add((row.app, row.child.root))
        elif row.child is not None and ref in self.child_view.closed:
            self.child_view.closed.discard(ref)
        else:
            self._move_to(self.cursor + 1)  # already open: step into it
            return
        self._rebuild()

    def action_collapse(self) -> None:
        row = self.selected
        if row is None:
            return
        ref = (row.app, row.key) if row.key is not None else None
        if row.kind is RowKind.APP:
            self.expanded.discard(row.app)
        elif row.kind is RowKind.GROUP and (row.app, row.group) not in self.collapsed_groups:
            self.collapsed_groups.add((row.app, row.group))
        elif row.kind is RowKind.RESOURCE and ref in self.child_view.opened:
            self.child_view.opened.discard(ref)
            self.child_view.nodes.pop(ref, None)  # type: ignore[arg-type]
        elif row.child is not None and row.child.node is not None and row.child.node.retired:
            self.child_view.show_retired.discard((row.app, row.child.root))  # fold the history away again
        elif row.child is not None and self._is_open(row) and has_children(row.app, row.child, self.child_view):
            self.child_view.closed.add((row.app, row.child.key))
        elif row.child is not None:  # up to the object it belongs to
            parent = next((i for i in range(self.cursor - 1, -1, -1) if self.rows[i].key == row.child.parent), None)
            if parent is not None:
                self._move_to(parent)
            return
        else:  # a resource or a closed group: up to its app (kind rows are only headings)
            for index in range(self.cursor - 1, -1, -1):
                if self.rows[index].kind is RowKind.APP:
                    self._move_to(index)
                    return
        self._rebuild()

    def on_resize(self, event: events.Resize) -> None:
        self._rebuild()

    def on_click(self, event: events.Click) -> None:
        if event.y == 0:
            return
        index = round(self.scroll_y) + event.y - 1
        if 0 <= index < len(self.rows):
            self._move_to(index)
            if event.x < 2 + 2 * self.rows[index].depth + 2:  # on the ▸/▾ marker: open or close
                self.action_collapse() if self._is_open(self.rows[index]) else self.action_expand()

    # ---- drawing -----------------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if width != self._columns_width:  # the columns follow the pane's width as it is drawn
            self._columns_width = width
            self._columns = Columns.fit(width, self._longest_label())
        if y == 0:
            return self._strip(self._header_text(), width, self.get_component_rich_style("app-tree--header"))
        index = round(self.scroll_y) + y - 1
        if index >= len(self.rows):
            return Strip.blank(width, self.rich_style)
        row = self.rows[index]
        text = self._row_text(row)
        if index != self.cursor:
            return self._strip(text, width, None)
        # A glyph marks the cursor too: without colour (NO_COLOR, monochrome) the highlight alone is lost.
        text = Text("▶", style="bold") + text[1:]
        return self._strip(text, width, self.get_component_rich_style("app-tree--cursor"))

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

    def _strip(self, text: Text, width: int, style: Style | None) -> Strip:
        text.truncate(width, overflow="ellipsis", pad=True)
        segments = list(text.render(self.app.console))
        if style is not None:
            segments = list(Segment.apply_style(segments, post_style=style))
        return Strip(segments).crop_extend(0, width, self.rich_style).apply_style(self.rich_style)

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
            text.append_text(_counts_text(resources) if row.kind is not RowKind.RESOURCE
                             else self._resource_flag(row))
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
        text.append_text(health.text(width=HEALTH_WIDTH) if not dim else Text(health.text(width=HEALTH_WIDTH).plain,
                                                                                style="dim"))
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
