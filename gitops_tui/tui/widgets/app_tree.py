"""The application tree: apps with sync, health, revision, auto-sync and drift counts; resources by kind.

A Line-API view (`ScrollView.render_line`): rows are values (`tree_rows.build_rows`), drawn only when
visible, so 1,000 apps cost a list, not 1,000 widgets. Updates replace states in place: the cursor stays
on the same app or resource and the rows above it do not make it jump.
"""

from __future__ import annotations

from collections.abc import Mapping
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

from gitops_tui.model import AppState, ResourceKey
from gitops_tui.tui import glyphs
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
        self._selected: tuple[str, str, ResourceKey | None] | None = None

    # ---- data in ----------------------------------------------------------------------------------

    def update_states(self, states: Mapping[str, AppState], auto_sync: Mapping[str, glyphs.Glyph],
                      removed: frozenset[str] = frozenset()) -> None:
        """Replace the states of some apps (and their auto-sync glyphs); redraw without losing the cursor."""
        self.states.update(states)
        self.auto_sync.update(auto_sync)
        for name in removed:
            self.states.pop(name, None)
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
        self.rows = build_rows(self.states, self.order, self.row_filter, self.expanded, self.collapsed_groups)
        index = next((i for i, row in enumerate(self.rows) if row.identity == old_identity), None)
        if index is None and old_identity is not None:  # its resource went away: stay on its app
            index = next((i for i, r in enumerate(self.rows) if r.kind is RowKind.APP and r.app == old_identity[0]),
                         None)
        self.cursor = min(index if index is not None else self.cursor, max(0, len(self.rows) - 1))
        self._columns_width = 0  # names may have changed: fit the columns again when drawn
        self.virtual_size = Size(self.scrollable_content_region.width, len(self.rows) + 1)
        # Keep the cursor where it was on screen, so rows appearing above it do not make the view jump.
        self.scroll_to(y=max(0, self.cursor - old_screen_row), animate=False, immediate=True)
        self._ensure_cursor_visible()
        self.refresh()
        self._announce()

    def _announce(self) -> None:
        row = self.selected
        identity = row.identity if row else None
        if identity != self._selected:
            self._selected = identity
            if row is not None:
                self.post_message(self.SelectionChanged(row.app, identity[2] if identity else None, row.group))

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
        if row.kind is RowKind.APP and row.app not in self.expanded:
            self.expanded.add(row.app)
        elif row.kind is RowKind.GROUP and (row.app, row.group) in self.collapsed_groups:
            self.collapsed_groups.discard((row.app, row.group))
        else:
            self._move_to(self.cursor + 1)  # already open: step into it
            return
        self._rebuild()

    def action_collapse(self) -> None:
        row = self.selected
        if row is None:
            return
        if row.kind is RowKind.APP:
            self.expanded.discard(row.app)
        elif row.kind is RowKind.GROUP and (row.app, row.group) not in self.collapsed_groups:
            self.collapsed_groups.add((row.app, row.group))
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
            self._columns = Columns.fit(width, max((len(name) for name in self.states), default=10))
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
        return row.kind is RowKind.GROUP and (row.app, row.group) not in self.collapsed_groups

    def _row_text(self, row: TreeRow) -> Text:
        cols = self._columns
        state = self.states[row.app]
        indent = "  " * row.depth
        marker = "" if row.kind is RowKind.RESOURCE else ("▾ " if self._is_open(row) else "▸ ")
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
        text.append(label[:room].ljust(room))
        text.append(" ")
        text.append_text(sync.text(width=SYNC_WIDTH) if sync else Text(" " * SYNC_WIDTH))
        text.append(" ")
        text.append_text(health.text(width=HEALTH_WIDTH) if health else Text(" " * HEALTH_WIDTH))
        if cols.counts:
            text.append(" ")
            text.append_text(_counts_text(resources) if row.kind is not RowKind.RESOURCE else _flags_text(row))
        if row.kind is RowKind.APP:
            if cols.auto:
                auto = self.auto_sync.get(row.app) or glyphs.AUTO_SYNC_MANUAL
                text.append(" ")
                text.append_text(auto.text(width=AUTO_WIDTH))
            if cols.revision:
                sha = state.revision.short_sha if state.revision else "?"
                text.append(" " + sha.ljust(REVISION_WIDTH), style="dim" if state.revision else glyphs.CAUTION.style)
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
