"""`R`: pick a previous sync to roll back to; rolling back pauses auto-sync, and the dialog says so.

The newest entry is the last full sync, so what the history says is deployed now; an entry at the
revision Git targets now says so too (rolling back to it changes no manifest, it only pauses auto-sync).
Below the history, the diff area shows what rolling back to the highlighted entry would change in the
cluster (the reconciler's `revision_diff`: live now against that revision), in the main diff pane's view.
The cursor may be held down: an entry is asked for only once the cursor rests on it (DEBOUNCE), and
each answer is kept while the dialog is open, so coming back to an entry is instant.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import tzinfo

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option

from gitops_tui.engine.diff import ResourceDiff
from gitops_tui.engine.reconciler import ReconcilerError
from gitops_tui.model import HistoryEntry
from gitops_tui.tui import glyphs
from gitops_tui.tui.widgets.diff_view import DiffView
from gitops_tui.tui.widgets.timefmt import date_time

log = logging.getLogger(__name__)

DEBOUNCE = 0.15
"""Seconds the cursor rests on an entry before its diff is asked for (holding j/k renders nothing between)."""

RevisionDiffLoader = Callable[[str], Awaitable[list[ResourceDiff]]]


def entry_label(entry: HistoryEntry, zone: tzinfo | None, git_target: str, latest: bool = False) -> Text:
    """`#4  1a2b3c4  2026-11-26 14:00  by automated  web: release 2.3.1 (Sam Dev)  ◀ deployed now`."""
    text = Text(f"#{entry.id:<3} ", style="bold")
    text.append(entry.revision[:7], style="bold cyan")
    text.append(f"  {date_time(entry.deployed_at, zone)}  by {entry.initiated_by}")
    if entry.subject:
        text.append(f"  {entry.subject}")
    if entry.author:
        text.append(f" ({entry.author})", style="dim")
    if latest:
        text.append("  ◀ deployed now (last sync)", style="green")
    if git_target and entry.revision == git_target:
        text.append("  = Git's target now", style="cyan")
    return text


class RevisionDiffView(DiffView):
    """The main diff pane's view, titled for a rollback: live now on the left, the chosen revision on the right."""

    revision_title = "the chosen revision"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        # Wrapped from the start: the dialog's halves are narrow at 80 columns, and the changed value (a new
        # image tag at the end of a long line) is the one thing the SRE must read before rolling back.
        self.wrap = True

    def _update_title(self) -> None:
        super()._update_title()
        self.border_title = f"Changes · live now ◀ │ ▶ {self.revision_title}"


class RollbackModal(ModalScreen[int | None]):
    CSS_PATH = ["dialogs.tcss", "rollback_modal.tcss"]
    BINDINGS = [
        Binding("escape,q", "cancel", "Cancel"),
        Binding("j", "move(1)", "Down", show=False),
        Binding("k", "move(-1)", "Up", show=False),
        Binding("n", "hunk(1)", "Next change", show=False),
        Binding("N", "hunk(-1)", "Previous change", show=False),
    ]

    def __init__(
        self,
        app_name: str,
        entries: Sequence[HistoryEntry],
        *,
        zone: tzinfo | None,
        current_revision: str = "",
        auto_sync: bool = False,
        load_diff: RevisionDiffLoader | None = None,
    ) -> None:
        """`current_revision`: the commit Git's target resolves to now (what a sync would deploy);
        `load_diff(revision)`: what rolling back to it changes (the reconciler's `revision_diff` for this app)."""
        super().__init__()
        self.app_name = app_name
        self.entries = sorted(entries, key=lambda e: e.id, reverse=True)
        self.zone = zone
        self.current_revision = current_revision
        self.auto_sync = auto_sync
        self.load_diff = load_diff
        self.shown: dict[str, list[ResourceDiff] | str] = {}
        """Answers by revision while the dialog is open: the diffs, or why they cannot be shown."""
        self.showing = ""
        """The revision whose answer (or loading note) the diff area shows now."""
        self._pending: Timer | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog" if self.entries else "dialog no-history", id="rollback-box") as box:
            box.border_title = f"Roll {self.app_name} back"
            if not self.entries:
                yield Static("No sync history yet: there is nothing to roll back to.")
            else:
                yield Static("Choose the sync to return to (enter), esc cancels:")
                latest = self.entries[0].id
                yield OptionList(
                    *[
                        Option(entry_label(e, self.zone, self.current_revision, e.id == latest), id=str(e.id))
                        for e in self.entries
                    ],
                    id="rollback-list",
                )
                yield RevisionDiffView(id="rollback-diff")
                note = "Rolling back applies the chosen revision's manifests; nothing is pruned."
                if self.auto_sync:
                    note += " Auto-sync is paused for this app until you resume it (a)."
                yield Static(Text(note, style=glyphs.CAUTION.style), id="rollback-note")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel (esc)", id="rollback-no", compact=True)

    # ---- the highlighted entry's diff -------------------------------------------------------------

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        entry = self._entry(event.option.id)
        if entry is None:
            return
        view = self.query_one(RevisionDiffView)
        view.revision_title = f"#{entry.id} {entry.revision[:7]}"
        self.showing = entry.revision
        if self._pending is not None:
            self._pending.stop()
            self._pending = None
        if entry.revision in self.shown:
            self._show(entry)
            return
        view.show_message(f"loading… what rolling back to #{entry.id} ({entry.revision[:7]}) would change")
        self._pending = self.set_timer(DEBOUNCE, lambda: self._ask(entry))

    def _ask(self, entry: HistoryEntry) -> None:
        self._pending = None
        if self.showing == entry.revision:
            self.run_worker(self._load(entry), group="revision-diff", exit_on_error=False)

    async def _load(self, entry: HistoryEntry) -> None:
        if self.load_diff is None:
            answer: list[ResourceDiff] | str = "This console cannot show the changes of an older revision."
        else:
            try:
                answer = await self.load_diff(entry.revision)
            except ReconcilerError as exc:
                answer = f"{glyphs.CAUTION.symbol} Cannot show what rolling back to #{entry.id} changes: {exc.message}"
            except Exception as exc:  # never a traceback on screen; the log file keeps it
                log.exception("revision diff of %s at %s failed", self.app_name, entry.revision)
                answer = f"{glyphs.CAUTION.symbol} Cannot show what rolling back to #{entry.id} changes: {exc}"
        self.shown[entry.revision] = answer
        if self.showing == entry.revision and self.is_attached:
            self._show(entry)

    def _show(self, entry: HistoryEntry) -> None:
        view = self.query_one(RevisionDiffView)
        answer = self.shown[entry.revision]
        if isinstance(answer, str):
            view.show_message(answer)
        elif not answer:
            view.show_message(f"Rolling back to #{entry.id} changes nothing in the cluster (live matches it).")
        else:
            view.show(answer)
            if view.hunks:  # the first change in view at once (the area is small at 80x24), once laid out
                view.call_after_refresh(view.action_hunk, 1)

    def _entry(self, option_id: str | None) -> HistoryEntry | None:
        return next((e for e in self.entries if str(e.id) == option_id), None)

    def action_move(self, step: int) -> None:
        found = self.query(OptionList)
        if found:
            (found.first().action_cursor_down if step > 0 else found.first().action_cursor_up)()

    def action_hunk(self, step: int) -> None:
        found = self.query(RevisionDiffView)
        if found:
            found.first().action_hunk(step)

    # ---- answers -----------------------------------------------------------------------------------

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(int(event.option.id or 0))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
