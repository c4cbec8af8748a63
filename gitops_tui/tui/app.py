"""The console: `GitOpsApp(reconciler)` shows the reconciler's snapshots and sends it commands.

The reconciler owns all state (DESIGN.md); this app reads immutable snapshots when the reconciler says
something changed (`subscribe`, at most ~10 a second) and updates its panes in place. Commands that wait
(sync, rollback, history, diffs) run in async workers on the same loop; every worker failure arrives in
`on_worker_state_changed` and becomes an error dialog, never a traceback.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, Protocol

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Input
from textual.worker import Worker, WorkerState

from gitops_tui.config import state_home
from gitops_tui.engine.diff import ResourceDiff
from gitops_tui.engine.reconciler import ReadOnlyModeError, ReconcilerError, SyncRequest
from gitops_tui.model import (
    AppActivity,
    AppState,
    Changes,
    ClusterFreshness,
    Event,
    HistoryEntry,
    Operation,
    ResourceKey,
    SyncStatus,
)
from gitops_tui.tui import glyphs
from gitops_tui.tui.screens.error_modal import ErrorModal
from gitops_tui.tui.screens.flows import CommandsMixin
from gitops_tui.tui.screens.help import HelpScreen
from gitops_tui.tui.widgets.app_tree import AppTree
from gitops_tui.tui.widgets.details import DetailsPane, app_details, resource_details
from gitops_tui.tui.widgets.diff_view import DiffView
from gitops_tui.tui.widgets.event_log import EventLogView
from gitops_tui.tui.widgets.header import ConsoleHeader, header_text
from gitops_tui.tui.widgets.tree_rows import RowFilter, RowKind, SortOrder

log = logging.getLogger(__name__)

DIFF_RESOURCE_LIMIT = 50
"""An app's diff shows at most this many OutOfSync resources (the tree lists them all)."""
DIFF_DELAY = 0.15
"""Seconds the cursor rests on a row before its diff is computed: moving through the tree stays fast."""


class ConsoleSource(Protocol):
    """What the console needs of the reconciler (its public API, DESIGN.md)."""

    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    def snapshot(self) -> Mapping[str, AppState]: ...
    def subscribe(self, callback: Callable[[Changes], None] | None = None) -> Any: ...
    def events(self, since: int = 0, app: str | None = None) -> list[Event]: ...
    def freshness(self) -> list[ClusterFreshness]: ...
    def activity(self, app: str) -> AppActivity: ...
    async def diff(self, app: str, key: ResourceKey) -> ResourceDiff | None: ...
    async def history(self, app: str) -> Sequence[HistoryEntry]: ...
    def refresh(self, app: str, hard: bool = False) -> Awaitable[AppState]: ...
    async def sync(self, app: str, request: SyncRequest | None = None) -> Operation: ...
    async def rollback(self, app: str, history_id: int) -> Operation: ...
    def set_auto_sync(self, app: str, enabled: bool) -> None: ...


class ReconcilerChanged(Message):
    def __init__(self, changes: Changes) -> None:
        super().__init__()
        self.changes = changes


class DiffLoaded(Message):
    def __init__(self, selection: tuple[str, ResourceKey | None], diffs: list[ResourceDiff], note: str,
                 keep_scroll: bool = False) -> None:
        super().__init__()
        self.keep_scroll = keep_scroll
        self.selection = selection
        self.diffs = diffs
        self.note = note


def crash_log_path() -> Path:
    return state_home() / "console.log"


def write_crash_log(what: str, error: BaseException) -> Path:
    """Append the traceback to the console's log file; the screen only ever says where it is."""
    path = crash_log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as f:
            f.write(f"--- {datetime.now().astimezone().isoformat()} {what}\n")
            f.write("".join(traceback.format_exception(error)))
    except OSError:
        log.exception("could not write %s", path)
    return path


class GitOpsApp(CommandsMixin, App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "gitops-tui"
    VERTICAL_BREAKPOINTS: ClassVar[list[tuple[int, str]] | None] = [(0, "-short"), (32, "-tall")]
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]] | None] = [(0, "-narrow"), (110, "-wide")]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help"),
        Binding("s", "sync(False)", "Sync"),
        Binding("S", "sync(True)", "Sync+prune"),
        Binding("d", "diff", "Diff"),
        Binding("r", "refresh", "Refresh"),
        Binding("R", "rollback", "Rollback"),
        Binding("a", "auto_sync", "Auto-sync"),
        Binding("slash", "filter", "Filter"),
        Binding("colon", "command_line", "Cmd", key_display=":"),
        Binding("o", "sort", "Sort"),
        Binding("e", "events_scope", "Events", show=False),
        Binding("z", "zoom", "Zoom", show=False),
        Binding("q", "quit_console", "Quit"),
        Binding("escape", "back", "Back", show=False),
    ]

    def __init__(self, reconciler: ConsoleSource, *, read_only: bool | None = None, high_contrast: bool = False,
                 clock: Callable[[], datetime] | None = None, manage_lifecycle: bool = True) -> None:
        """`clock` (aware datetimes) fixes "now" for tests and screenshots; its zone is the displayed zone.

        With `manage_lifecycle`, the app starts the reconciler on mount and stops it on exit.
        """
        super().__init__()
        self.source = reconciler
        settings = getattr(reconciler, "settings", None)
        self.read_only = bool(getattr(settings, "read_only", False)) if read_only is None else read_only
        self.clock = clock or (lambda: datetime.now().astimezone())
        self.manage_lifecycle = manage_lifecycle
        glyphs.display.monochrome = self.no_color
        self.register_theme(glyphs.HIGH_CONTRAST)
        if high_contrast:
            self.theme = glyphs.HIGH_CONTRAST.name
        self.selection: tuple[str, ResourceKey | None] | None = None
        self._last_event_seq = 0
        self._subscription: Any = None
        self._diff_timer: Any = None
        self.diff_shown_for: tuple[str, ResourceKey | None] | None = None
        """The selection whose diff is on screen (tests wait for it)."""

    # ---- layout ------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield ConsoleHeader(id="header")
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield Input(placeholder="filter: text or regex; !text negates; esc clears", id="filter-input")
                yield AppTree(id="tree")
            with Vertical(id="right"):
                yield DetailsPane(id="details")
                yield DiffView(id="diff")
        yield EventLogView(zone=self.clock().tzinfo, id="events")
        yield Footer(compact=True)

    @property
    def tree(self) -> AppTree:
        return self.query_one(AppTree)

    async def on_mount(self) -> None:
        self.query_one("#details").border_title = "Details"
        if self.manage_lifecycle:
            await self.source.start()
        self._subscription = self.source.subscribe(lambda changes: self.post_message(ReconcilerChanged(changes)))
        snapshot = self.source.snapshot()
        self.tree.update_states(snapshot, {name: self._auto_glyph(state) for name, state in snapshot.items()})
        self._take_events()
        self._update_tree_title()
        self._update_header()
        self.set_interval(1.0, self._update_header)
        self.tree.focus()

    async def on_unmount(self) -> None:
        if self._subscription is not None:
            self._subscription.close()
        if self.manage_lifecycle:
            await self.source.stop()

    # ---- news from the reconciler ------------------------------------------------------------------

    def on_reconciler_changed(self, message: ReconcilerChanged) -> None:
        changes = message.changes
        if changes.apps:
            snapshot = self.source.snapshot()
            present = {n: snapshot[n] for n in changes.apps if n in snapshot}
            gone = frozenset(n for n in changes.apps if n not in snapshot)
            self.tree.update_states(present, {n: self._auto_glyph(s) for n, s in present.items()}, gone)
            self._update_tree_title()
            if self.selection is not None and self.selection[0] in changes.apps:
                self._show_details()
                self._schedule_diff(keep_scroll=True)
        if changes.events:
            self._take_events()
        if changes.clusters or changes.apps:
            self._update_header()

    def _take_events(self) -> None:
        fresh = self.source.events(self._last_event_seq)
        if fresh:
            self._last_event_seq = fresh[-1].seq
            self.query_one(EventLogView).add(fresh)

    def _auto_glyph(self, state: AppState) -> glyphs.Glyph:
        policy = state.spec.sync_policy
        try:
            enabled = self.source.activity(state.name).auto_sync
        except ReconcilerError:
            enabled = policy.automated
        return glyphs.auto_sync_glyph(policy.automated, policy.self_heal, enabled)

    def _activity(self, app: str) -> AppActivity | None:
        try:
            return self.source.activity(app)
        except ReconcilerError:
            return None

    def _update_header(self) -> None:
        headers = self.query(ConsoleHeader)
        if not headers:  # the timer may fire once more while the app shuts down
            return
        app = self.selection[0] if self.selection else None
        activity = self._activity(app) if app else None
        text = header_text(self.source.freshness(), read_only=self.read_only, app=app,
                           next_poll=activity.next_poll_at if activity else None, now=self.clock(),
                           polling=activity is not None)
        headers.first().update(text)

    def _update_tree_title(self) -> None:
        tree = self.tree
        states = tree.states.values()
        out_of_sync = sum(s.sync is SyncStatus.OUT_OF_SYNC for s in states)
        unhealthy = sum(s.health.status.severity > 0 for s in states)
        title = f"Applications {len(tree.states)} · ≠ {out_of_sync} OutOfSync · {unhealthy} not healthy"
        tree.border_title = title
        shown = sum(r.kind is RowKind.APP for r in tree.rows)
        subtitle = f"sort {tree.order.value} (o)"
        if tree.row_filter.active:
            negate = "!" if tree.row_filter.negate else ""
            subtitle = f"filter {negate}{tree.row_filter.text!r}: {shown} shown · " + subtitle
        tree.border_subtitle = subtitle

    # ---- selection: details and diff --------------------------------------------------------------

    @on(AppTree.SelectionChanged)
    def _selection_changed(self, message: AppTree.SelectionChanged) -> None:
        previous_app = self.selection[0] if self.selection else None
        self.selection = (message.app_name, message.key)
        self._show_details()
        if previous_app != message.app_name:
            self._update_header()
            events = self.query_one(EventLogView)
            if events.only_app is not None:
                events.filter_to(message.app_name)
        self._schedule_diff()

    def _show_details(self) -> None:
        if self.selection is None:
            return
        app, key = self.selection
        state = self.tree.states.get(app)
        if state is None:
            return
        details = self.query_one(DetailsPane)
        if key is None:
            details.show(app_details(state, self._activity(app), self.clock()))
        else:
            details.show(resource_details(state, key))

    def _schedule_diff(self, keep_scroll: bool = False) -> None:
        if self._diff_timer is not None:
            self._diff_timer.stop()
        self._diff_timer = self.set_timer(DIFF_DELAY, lambda: self.load_diff(keep_scroll))

    @work(exclusive=True, group="diff", exit_on_error=False)
    async def load_diff(self, keep_scroll: bool = False) -> None:
        if self.selection is None:
            return
        selection = app, key = self.selection
        state = self.tree.states.get(app)
        if state is None:
            return
        if key is None:
            keys = [r.key for r in state.resources if r.sync is not SyncStatus.SYNCED][:DIFF_RESOURCE_LIMIT]
            note = f"{app} is in sync with Git: nothing differs." if not keys else ""
        else:
            keys, note = [key], ""
        if state.error and not keys:
            note = f"No diff: {state.error}"
        diffs = [d for d in [await self.source.diff(app, k) for k in keys] if d is not None]
        if keys and not diffs:
            note = "The diff is not available yet (the app has not been compared)."
        self.post_message(DiffLoaded(selection, diffs, note, keep_scroll))

    def on_diff_loaded(self, message: DiffLoaded) -> None:
        if message.selection != self.selection:
            return  # the cursor moved on meanwhile
        view = self.query_one(DiffView)
        view.show(message.diffs, empty_message=message.note, keep_scroll=message.keep_scroll)
        self.diff_shown_for = message.selection

    # ---- errors: one place -------------------------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            self.report_error(event.worker.name or "a background task", event.worker.error)

    def report_error(self, what: str, error: BaseException) -> None:
        if isinstance(error, ReadOnlyModeError):
            self.push_screen(ErrorModal(error.message, "Restart the console without --read-only to make changes."))
        elif isinstance(error, ReconcilerError):
            self.push_screen(ErrorModal(error.message, "Nothing was changed. Check the app in the details pane."))
        elif isinstance(error, NotImplementedError):
            self.push_screen(ErrorModal(f"{what}: {error}", "This build cannot do that yet; nothing was changed."))
        else:
            path = write_crash_log(what, error)
            self.push_screen(ErrorModal(f"{what} failed: {error}",
                                        "This is a bug in gitops-tui; nothing else was affected. "
                                        "Please report it with the log file.", str(path)))

    def _handle_exception(self, error: Exception) -> None:
        # Textual would print a traceback over the terminal on exit; the SRE gets one line and a log file.
        path = write_crash_log("unhandled error", error)
        self._return_code = 1
        if self._exception is None:
            self._exception = error
            self._exception_event.set()
        self._exit_renderables.append(Text(f"gitops-tui stopped after an internal error: {error!r}\n"
                                           f"The details are in {path}"))
        self._close_messages_no_wait()

    # ---- keys that only look ----------------------------------------------------------------------

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_filter(self) -> None:
        box = self.query_one("#filter-input", Input)
        box.add_class("shown")
        box.focus()

    @on(Input.Changed, "#filter-input")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.apply_filter(event.value)

    @on(Input.Submitted, "#filter-input")
    def _filter_done(self, event: Input.Submitted) -> None:
        if not event.value:
            event.input.remove_class("shown")
        self.tree.focus()

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
        yield SystemCommand("Sync with prune", "Sync and delete what is no longer in Git",
                            lambda: self.action_sync(True))
        yield SystemCommand("Refresh", "Poll Git and compare the selected app now", self.action_refresh)
        yield SystemCommand("Rollback", "Roll the selected app back to a previous sync", self.action_rollback)
        yield SystemCommand("Auto-sync on/off", "Toggle automated sync for the selected app", self.action_auto_sync)
        yield SystemCommand("Sort", "Sort by name, health or sync", self.action_sort)
        yield SystemCommand("High contrast", "Switch to the high-contrast theme",
                            lambda: setattr(self, "theme", glyphs.HIGH_CONTRAST.name))


def run_console(reconciler: ConsoleSource, *, read_only: bool | None = None, high_contrast: bool = False) -> int:
    """Run the console in this terminal until the user quits; returns the exit code.

    The console starts the reconciler on its own event loop and stops it on exit, so the caller hands
    over a reconciler that has not been started. `read_only` defaults to the reconciler's own setting
    (which is what enforces it); the console shows the badge and explains disabled keys.
    """
    app = GitOpsApp(reconciler, read_only=read_only, high_contrast=high_contrast)
    code = app.run()
    return app.return_code if app.return_code is not None else (code or 0)
