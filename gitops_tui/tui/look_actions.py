"""The console's keys that only look (help, filter, sort, diff, zoom, back) and its command palette.

A mixin of `GitOpsApp`; the keys that write live in screens/flows.py. Nothing here changes the cluster.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.app import SystemCommand
from textual.screen import Screen
from textual.widgets import Input

from gitops_tui.tui import glyphs
from gitops_tui.tui.screens.help import HelpScreen, KeyHelp, collect_keys
from gitops_tui.tui.widgets.app_tree import AppTree
from gitops_tui.tui.widgets.diff_view import DiffView
from gitops_tui.tui.widgets.event_log import EventLogView
from gitops_tui.tui.widgets.tree_rows import RowFilter, SortOrder

if TYPE_CHECKING:
    from gitops_tui.tui.app import GitOpsApp

    _Base = GitOpsApp
else:
    _Base = object


class LookActionsMixin(_Base):
    # Handlers decorated with @on must live on the App class itself (Textual collects them per class),
    # so the filter box's Changed/Submitted handlers are in app.py.

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.key_help(), self.keymap.get("help", "").split(",")))

    def key_help(self) -> KeyHelp:
        """The keys as they are bound now on the main screen (the config file's remapping applied)."""
        nodes = [self, self.screen, *self.query(AppTree), *self.query(DiffView), *self.query(EventLogView)]
        return collect_keys(nodes, self.keymap, self.get_key_display, self.config_file)

    def action_filter(self) -> None:
        box = self.query_one("#filter-input", Input)
        box.add_class("shown")
        box.focus()

    def apply_filter(self, text: str) -> None:
        row_filter = RowFilter.parse(text)
        self.tree.set_filter(row_filter)
        self._update_tree_title()
        if row_filter.error:
            self.notify(row_filter.error, severity="warning", timeout=3)

    def action_sort(self, order: str | None = None) -> None:
        orders = list(SortOrder)
        tree = self.tree
        tree.set_order(SortOrder(order) if order else orders[(orders.index(tree.order) + 1) % len(orders)])
        self._update_tree_title()

    def action_diff(self) -> None:
        """The diff full-screen (side by side needs the width); esc or z returns to the panes."""
        view = self.query_one(DiffView)
        view.focus()
        if self.screen.maximized is None:
            self.screen.maximize(view, container=False)
        self.load_diff()

    def action_events_scope(self) -> None:
        events = self.query_one(EventLogView)
        events.filter_to(None if events.only_app is not None or self.selection is None else self.selection[0])

    def action_zoom(self) -> None:
        screen = self.screen
        if screen.maximized is not None:
            screen.minimize()
        elif self.focused is not None:
            screen.maximize(self.focused, container=False)

    def action_back(self) -> None:
        box = self.query_one("#filter-input", Input)
        if self.screen.maximized is not None:
            self.screen.minimize()
        elif box.has_class("shown") or self.tree.row_filter.active:
            box.value = ""
            box.remove_class("shown")
            self.apply_filter("")
            self.tree.focus()
        elif self.focused is not self.tree:
            self.tree.focus()

    def get_system_commands(self, screen: Screen[Any]) -> Any:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Sync", "Sync the selected app (plan first)", lambda: self.action_sync(False))
        yield SystemCommand(
            "Sync with prune", "Sync and delete what is no longer in Git", lambda: self.action_sync(True)
        )
        yield SystemCommand("Refresh", "Poll Git and compare the selected app now", self.action_refresh)
        yield SystemCommand("Rollback", "Roll the selected app back to a previous sync", self.action_rollback)
        yield SystemCommand(
            "Auto-sync on/off", "Switch automated sync of the selected app in every console", self.action_auto_sync
        )
        yield SystemCommand(
            "Terminate",
            "Stop the selected app's running sync after its current step (asks first)",
            self.action_terminate,
        )
        yield SystemCommand("Sort", "Sort by name, health or sync", self.action_sort)
        yield SystemCommand(
            "High contrast",
            "Switch to the high-contrast theme",
            lambda: setattr(self, "theme", glyphs.HIGH_CONTRAST.name),
        )
