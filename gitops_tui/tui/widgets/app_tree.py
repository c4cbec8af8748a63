"""The application tree: apps with sync, health, revision, auto-sync and drift counts; resources by kind.

A Line-API view (`ScrollView.render_line`): rows are values (`tree_rows.build_rows`), drawn only when
visible, so 1,000 apps cost a list, not 1,000 widgets. Updates replace states in place: the cursor stays
on the same app or resource and the rows above it do not make it jump.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

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
from gitops_tui.tui.widgets.border_titles import retitle
from gitops_tui.tui.widgets.tree_children import ChildrenReader, ChildrenView, has_children
from gitops_tui.tui.widgets.tree_paint import Columns, RowTexts, row_strip
from gitops_tui.tui.widgets.tree_rows import RowFilter, RowKind, SortOrder, TreeRow, build_rows
from gitops_tui.tui.widgets.tree_spans import AppSpans, DriftCounts

CHILDREN_POLL = 1.0
"""Seconds between reads of open resources' children: Pods coming and going do not change an app's state."""


class AppTree(RowTexts, ScrollView, can_focus=True):
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
        self.spans = AppSpans()
        """Where each app's rows are, to patch a batch of changes in place (tree_spans.py)."""
        self.counts = DriftCounts()
        """Apps OutOfSync and not healthy, for the title (kept per change: no count over 1,000 apps per batch)."""
        self.operations: dict[str, Operation] = {}
        """The running operation per app (their resources are marked as the results arrive)."""
        self._lines: dict[tuple[tuple[str, str, ResourceKey | None, str], bool], Strip] = {}
        """Drawn rows by row identity and whether the cursor is on it: an update redraws only the rows of the apps it
        changed, not every visible row (a tenth of a second of a core per update at 1,000 apps)."""
        self._lines_style: Style | None = None
        self.rows_drawn = 0
        self._titles: tuple[str, str] | None = None
        """How many rows were drawn rather than taken from `_lines` (tests count redraws with it)."""

    def connect(self, children: ChildrenReader | None, activity: Callable[[str], AppActivity] | None) -> None:
        """Where the tree reads resources' children and apps' operations (the reconciler's public API)."""
        self.children_reader = children
        self.activity_reader = activity

    def on_mount(self) -> None:
        self.set_interval(CHILDREN_POLL, self.refresh_children)

    # ---- data in ----------------------------------------------------------------------------------

    def update_states(
        self,
        states: Mapping[str, AppState],
        auto_sync: Mapping[str, glyphs.Glyph],
        removed: frozenset[str] = frozenset(),
    ) -> None:
        """Replace the states of some apps (and their auto-sync glyphs); redraw without losing the cursor."""
        before = {name: self.states.get(name) for name in states}
        for name, state in states.items():
            self.counts.replace(before[name], state)
        for name in removed:
            self.counts.replace(self.states.get(name), None)
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
        changed = set(states) | set(removed)
        for key in [key for key in self._lines if key[0][0] in changed]:
            del self._lines[key]
        if not removed and self.spans.patch(
            self.rows,
            states,
            before,
            self.order,
            self.row_filter,
            self.expanded,
            self.collapsed_groups,
            self.child_view,
        ):
            self._refresh_apps(changed)  # every row kept its place: repaint the changed apps' lines only
            return
        self._rebuild(changed)

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
            self._forget_lines()
            self._rebuild()

    def set_order(self, order: SortOrder) -> None:
        self.order = order
        self._forget_lines()
        self._rebuild()

    def set_filter(self, row_filter: RowFilter) -> None:
        self.row_filter = row_filter
        self._forget_lines()
        self._rebuild()

    def set_titles(self, title: str, subtitle: str) -> None:
        """The border's title and subtitle, set only when they change (border_titles.py says why)."""
        if (title, subtitle) != self._titles:
            before, self._titles = self._titles, (title, subtitle)
            retitle(self, before, title, subtitle)

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

    def _forget_lines(self) -> None:
        self._lines.clear()

    def _rebuild(self, changed_apps: set[str] | None = None) -> None:
        """Rows again from the states; `changed_apps`: only those apps changed (else: redraw everything)."""
        old_identity = self.selected.identity if self.selected else None
        old_screen_row = self.cursor - round(self.scroll_y)
        old_row = self.selected
        old_rows = [row.identity for row in self.rows]
        old_view = (self.cursor, round(self.scroll_y), self._columns, self._child_facts)
        self.rows = build_rows(
            self.states, self.order, self.row_filter, self.expanded, self.collapsed_groups, self.child_view
        )
        self.spans.index(self.rows)
        if changed_apps is None:
            self.counts.recount(self.states)
        index = next((i for i, row in enumerate(self.rows) if row.identity == old_identity), None)
        if index is None and old_row is not None:  # it went away (a Pod replaced): stay near it
            index = self._nearest(old_row)
        self.cursor = min(index if index is not None else self.cursor, max(0, len(self.rows) - 1))
        self._columns_width = 0  # names may have changed: fit the columns again when drawn
        facts = self._facts_width()
        if facts != self._child_facts:
            self._child_facts = facts
            self._forget_lines()
        self.virtual_size = Size(self.scrollable_content_region.width, len(self.rows) + 1)
        # Keep the cursor where it was on screen, so rows appearing above it do not make the view jump.
        self.scroll_to(y=max(0, self.cursor - old_screen_row), animate=False, immediate=True)
        self._ensure_cursor_visible()
        same_rows = changed_apps is not None and [row.identity for row in self.rows] == old_rows
        if same_rows and old_view == (self.cursor, round(self.scroll_y), self._columns, self._child_facts):
            assert changed_apps is not None
            self._refresh_apps(changed_apps)
        else:
            self.refresh()
        self._announce()

    def _refresh_apps(self, apps: set[str]) -> None:
        """Repaint only the visible lines of these apps' rows (the rest are unchanged on screen)."""
        top = round(self.scroll_y)
        for index in range(top, min(len(self.rows), top + self.scrollable_content_region.height)):
            if self.rows[index].app in apps:
                self.refresh_line(index + 1)  # + the column header line

    def _nearest(self, gone: TreeRow) -> int | None:
        """Where the cursor goes when its row disappears: the parent object, its resource, else its app."""
        wanted = [
            key
            for key in (gone.child.parent if gone.child else None, gone.resource.key if gone.resource else None)
            if key is not None
        ]
        for key in wanted:
            found = next(
                (i for i, r in enumerate(self.rows) if r.app == gone.app and r.key == key and r.identity[3] == ""), None
            )
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
        old_cursor, old_top = self.cursor, round(self.scroll_y)
        self.cursor = max(0, min(index, len(self.rows) - 1))
        self._ensure_cursor_visible()
        if round(self.scroll_y) == old_top:  # only the old and the new cursor rows look different
            self.refresh_line(old_cursor + 1)
            self.refresh_line(self.cursor + 1)
        else:
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
        self._forget_lines()  # ▸ became ▾, and the columns may fit again
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
        self._forget_lines()
        self._rebuild()

    def on_resize(self, event: events.Resize) -> None:
        self._forget_lines()
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
            columns = Columns.fit(width, self._longest_label())
            if columns != self._columns:
                self._columns = columns
                self._forget_lines()
        style = self.rich_style + self.get_component_rich_style("app-tree--cursor")
        if style != self._lines_style:  # a theme or focus change: the rows (or the cursor's) look different
            self._lines_style = style
            self._forget_lines()
        if y == 0:
            return self._strip(self._header_text(), width, self.get_component_rich_style("app-tree--header"))
        index = round(self.scroll_y) + y - 1
        if index >= len(self.rows):
            return Strip.blank(width, self.rich_style)
        row = self.rows[index]
        key = (row.identity, index == self.cursor)
        line = self._lines.get(key)
        if line is None or line.cell_length != width:
            self.rows_drawn += 1
            line = self._lines[key] = self._draw_row(row, index == self.cursor, width)
        return line

    def _draw_row(self, row: TreeRow, on_cursor: bool, width: int) -> Strip:
        text = self._row_text(row)
        if not on_cursor:
            return self._strip(text, width, None)
        # A glyph marks the cursor too: without colour (NO_COLOR, monochrome) the highlight alone is lost.
        text = Text("▶", style="bold") + text[1:]
        return self._strip(text, width, self.get_component_rich_style("app-tree--cursor"))

    def _strip(self, text: Text, width: int, style: Style | None) -> Strip:
        return row_strip(text, width, style, self.rich_style, self.app.console)
