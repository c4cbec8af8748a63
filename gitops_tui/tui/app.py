"""The console: `GitOpsApp(reconciler)` shows the reconciler's snapshots and sends it commands.

The reconciler owns all state (DESIGN.md); this app reads immutable snapshots when the reconciler says
something changed (`subscribe`, at most ~10 a second) and updates its panes in place. Commands that wait
(sync, rollback, history, diffs) run in async workers on the same loop; every worker failure arrives in
`on_worker_state_changed` (errors.py) and becomes an error dialog, never a traceback.

The app is split by job: this module composes the panes and applies the reconciler's news; bindings.py
holds the keys, look_actions.py the keys that only look, screens/flows.py the ones that write.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Input

from gitops_tui.config.settings import Settings
from gitops_tui.engine.diff import ResourceDiff
from gitops_tui.engine.reconciler import ReconcilerError
from gitops_tui.model import AppActivity, AppState, Changes, ResourceKey, SyncStatus
from gitops_tui.tui import glyphs
from gitops_tui.tui.bindings import CONSOLE_BINDINGS, remappable_bindings
from gitops_tui.tui.console_source import ConsoleSource, DiffLoaded, ReconcilerChanged
from gitops_tui.tui.errors import ErrorsMixin
from gitops_tui.tui.keymap import check_keymap
from gitops_tui.tui.look_actions import LookActionsMixin
from gitops_tui.tui.mouse import capture_mouse
from gitops_tui.tui.screens.flows import CommandsMixin
from gitops_tui.tui.widgets.app_tree import AppTree
from gitops_tui.tui.widgets.details import DetailsPane
from gitops_tui.tui.widgets.diff_view import DiffView
from gitops_tui.tui.widgets.event_log import EventLogView
from gitops_tui.tui.widgets.footer import ConsoleFooter
from gitops_tui.tui.widgets.header import ConsoleHeader, header_text
from gitops_tui.tui.widgets.tree_rows import RowKind

DIFF_RESOURCE_LIMIT = 50
"""An app's diff shows at most this many OutOfSync resources (the tree lists them all)."""
NEWS_INTERVAL = 0.25
"""Seconds at least between two applications of the reconciler's news (it sends up to ten a second).

Under churn each application repaints the tree's changed rows, its counts and a scrolling event log, and
Textual composes each such frame from every pane it touches: four a second cost less than half of ten,
and a state on screen is still at most a quarter of a second old. Keys are answered at once, as ever."""
BUSY_NEWS_INTERVAL = 0.5
BUSY_APPS = 10
"""While the news keeps naming BUSY_APPS apps or more a time (a fleet churning, a cluster coming back), it
is applied at most every BUSY_NEWS_INTERVAL: each frame then carries twice the changes for the cost of one
(k9s redraws every 2 s). A quieter stream (a sync moving one app along) is applied every NEWS_INTERVAL."""
DIFF_DELAY = 0.15
"""Seconds the cursor rests on a row before its diff is computed: moving through the tree stays fast."""


class GitOpsApp(CommandsMixin, LookActionsMixin, ErrorsMixin, App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "gitops-tui"
    VERTICAL_BREAKPOINTS: ClassVar[list[tuple[int, str]] | None] = [(0, "-short"), (32, "-tall")]
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]] | None] = [(0, "-narrow"), (110, "-wide")]
    BINDINGS: ClassVar[list[BindingType]] = CONSOLE_BINDINGS  # bindings.py: the keys, each with an id

    def __init__(
        self,
        reconciler: ConsoleSource,
        *,
        read_only: bool | None = None,
        high_contrast: bool = False,
        clock: Callable[[], datetime] | None = None,
        manage_lifecycle: bool = True,
        keys: Mapping[str, str] | None = None,
        config_file: str = "",
        notices: Sequence[str] = (),
    ) -> None:
        """`clock` (aware datetimes) fixes "now" for tests and screenshots; its zone is the displayed zone.

        With `manage_lifecycle`, the app starts the reconciler on mount and stops it on exit. `keys` are the
        config file's remapped keys (binding id -> keys), `config_file` names that file in messages, and
        `notices` are its problems that did not stop the console (shown once it is up).
        """
        super().__init__()
        self.source = reconciler
        settings = getattr(reconciler, "settings", None)
        self.read_only = bool(getattr(settings, "read_only", False)) if read_only is None else read_only
        self.read_only_contexts: Mapping[str, str] = dict(getattr(settings, "read_only_contexts", None) or {})
        """Context -> why it takes no writes (config file `contexts: {prod: {readOnly: true}}`)."""
        self.config_file = config_file or "the config file"
        checked = check_keymap(keys or {}, remappable_bindings(), self.config_file)
        self.keymap = checked.keymap
        self.notices = [*notices, *checked.problems]
        if self.keymap:
            self.set_keymap(self.keymap)
        self.clock = clock or (lambda: datetime.now().astimezone())
        self.manage_lifecycle = manage_lifecycle
        glyphs.display.monochrome = self.no_color
        self.register_theme(glyphs.HIGH_CONTRAST)
        if high_contrast:
            self.theme = glyphs.HIGH_CONTRAST.name
        self.selection: tuple[str, ResourceKey | None] | None = None
        self._last_event_seq = 0
        self._subscription: Any = None
        self._news: Changes | None = None
        """The reconciler's news not applied yet (NEWS_INTERVAL)."""
        self._news_timer: Any = None
        self._news_applied_at = float("-inf")
        self._news_interval = NEWS_INTERVAL
        self._diff_timer: Any = None
        self._diff_shown: tuple[tuple[str, ResourceKey | None], list[ResourceDiff], str] | None = None
        """What the diff pane shows: (selection, diffs, note)."""

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
        yield ConsoleFooter(compact=True)  # ? help and q quit first, whatever has focus

    def get_default_screen(self) -> Screen[Any]:
        screen: Screen[Any] = super().get_default_screen()
        # The tree, not Textual's first focusable widget (the hidden filter box took keys typed at start);
        # on the main screen only, so dialogs still focus their own inputs.
        screen.AUTO_FOCUS = "#tree"
        return screen

    @property
    def tree(self) -> AppTree:
        return self.query_one(AppTree)

    async def on_mount(self) -> None:
        self.query_one("#details").border_title = "Details"
        if self.manage_lifecycle:
            await self.source.start()
        self._subscription = self.source.subscribe(lambda changes: self.post_message(ReconcilerChanged(changes)))
        self.tree.connect(getattr(self.source, "resource_tree", None), self._activity)
        snapshot = self.source.snapshot()
        self.tree.update_states(snapshot, {name: self._auto_glyph(state) for name, state in snapshot.items()})
        self._take_events()
        self._update_tree_title()
        self._update_header()
        self.set_interval(1.0, self._update_header)
        for notice in self.notices:  # the config file's problems, once the screen can show them
            self.notify(notice, severity="warning", title="config file", timeout=12)
        self.tree.focus()

    async def on_unmount(self) -> None:
        if self._subscription is not None:
            self._subscription.close()
        if self.manage_lifecycle:
            await self.source.stop()

    # ---- news from the reconciler ------------------------------------------------------------------

    def on_reconciler_changed(self, message: ReconcilerChanged) -> None:
        """Apply the news now, or merged with what follows once NEWS_INTERVAL has passed since the last time."""
        pending = self._news
        changes = message.changes
        self._news = (
            changes
            if pending is None
            else Changes(
                pending.apps | changes.apps, pending.events or changes.events, pending.clusters or changes.clusters
            )
        )
        if self._news_timer is not None:
            return  # due soon: it takes these too
        wait = self._news_applied_at + self._news_interval - time.monotonic()
        if wait > 0:
            self._news_timer = self.set_timer(wait, self._apply_news)
        else:
            self._apply_news()

    def _apply_news(self) -> None:
        self._news_timer = None
        changes, self._news = self._news, None
        self._news_applied_at = time.monotonic()
        if changes is None or not self.is_running:
            return
        self._news_interval = BUSY_NEWS_INTERVAL if len(changes.apps) >= BUSY_APPS else NEWS_INTERVAL
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
        # The header shows the clusters and the selected app's Git work: other apps' news does not change it
        # (its countdown has its own timer).
        if changes.clusters or (self.selection is not None and self.selection[0] in changes.apps):
            self._update_header()

    def _take_events(self) -> None:
        fresh = self.source.events(self._last_event_seq)
        if fresh:
            self._last_event_seq = fresh[-1].seq
            self.query_one(EventLogView).add(fresh)

    def _auto_glyph(self, state: AppState) -> glyphs.Glyph:
        policy = state.spec.sync_policy
        try:
            activity = self.source.activity(state.name)
            enabled, by = activity.auto_sync, activity.auto_sync_by
        except ReconcilerError:
            enabled, by = policy.automated, ""
        return glyphs.auto_sync_glyph(policy.automated, policy.self_heal, enabled, by, width=glyphs.AUTO_SYNC_COLUMN)

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
        text = header_text(
            self.source.freshness(),
            read_only=self.read_only,
            read_only_contexts=self.read_only_contexts,
            progress=activity.progress if activity else "",
            app=app,
            next_poll=activity.next_poll_at if activity else None,
            now=self.clock(),
            polling=activity is not None,
        )
        headers.first().update(text)

    def _update_tree_title(self) -> None:
        tree = self.tree
        counts = tree.counts  # kept per change by the tree: no count over every app per batch
        title = f"Applications {len(tree.states)} · ≠ {counts.out_of_sync} OutOfSync · {counts.unhealthy} not healthy"
        subtitle = f"sort {tree.order.value} (o)"
        if tree.row_filter.active:
            shown = sum(r.kind is RowKind.APP for r in tree.rows)
            negate = "!" if tree.row_filter.negate else ""
            subtitle = f"filter {negate}{tree.row_filter.text!r}: {shown} shown · " + subtitle
        tree.set_titles(title, subtitle)  # only when they change: each set repaints the tree

    # ---- the filter box (its keys are in look_actions.py) --------------------------------------

    @on(Input.Changed, "#filter-input")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.apply_filter(event.value)

    @on(Input.Submitted, "#filter-input")
    def _filter_done(self, event: Input.Submitted) -> None:
        if not event.value:
            event.input.remove_class("shown")
        self.tree.focus()

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
        self.query_one(DetailsPane).show_selection(self)  # an app, a resource or a child; live while syncing

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
        elif not any(r.key == key for r in state.resources):  # a ReplicaSet or Pod in the resource tree
            keys, note = [], f"{key.kind} {key.name} is made by a controller, not kept in Git: nothing to diff."
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
        views = self.query(DiffView)
        if not views:
            return  # the console is closing: its panes are already gone
        shown = (message.selection, message.diffs, message.note)
        if message.keep_scroll and shown == self._diff_shown:
            return  # compared again with the same outcome (its status moved on): nothing to redraw
        self._diff_shown = shown
        views.first().show(message.diffs, empty_message=message.note, keep_scroll=message.keep_scroll)

    @property
    def diff_shown_for(self) -> tuple[str, ResourceKey | None] | None:
        """The selection whose diff is on screen (None before the first; tests wait for it)."""
        return self._diff_shown[0] if self._diff_shown is not None else None


def console_app(
    reconciler: ConsoleSource,
    settings: Settings | None = None,
    *,
    read_only: bool | None = None,
    high_contrast: bool = False,
    notices: Sequence[str] = (),
) -> GitOpsApp:
    """The console with the config file's keys (and its problems shown as notices once it is up)."""
    settings = settings or Settings()
    return GitOpsApp(
        reconciler,
        read_only=read_only,
        high_contrast=high_contrast,
        keys=settings.keys,
        config_file=settings.shown_path,
        notices=[*notices, *settings.warnings],
    )


def run_console(
    reconciler: ConsoleSource,
    *,
    read_only: bool | None = None,
    high_contrast: bool = False,
    settings: Settings | None = None,
    mouse: bool | None = None,
) -> int:
    """Run the console in this terminal until the user quits; returns the exit code.

    The console starts the reconciler on its own event loop and stops it on exit, so the caller hands
    over a reconciler that has not been started. `read_only` defaults to the reconciler's own setting
    (which is what enforces it); the console shows the badge and explains disabled keys. `mouse` is
    --mouse/--no-mouse (None: the config file's `mouse:`, else off over ssh; see mouse.py).
    """
    settings = settings or Settings()
    app = console_app(reconciler, settings, read_only=read_only, high_contrast=high_contrast)
    code = app.run(mouse=capture_mouse(mouse, settings.mouse, os.environ))
    return app.return_code if app.return_code is not None else (code or 0)
