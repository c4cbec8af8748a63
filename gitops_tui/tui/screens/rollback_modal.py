"""`R`: pick a previous sync to roll back to; rolling back pauses auto-sync, and the dialog says so.

The newest entry is the last full sync, so what the history says is deployed now; an entry at the
revision Git targets now says so too (rolling back to it changes no manifest, it only pauses auto-sync).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option

from gitops_tui.model import HistoryEntry
from gitops_tui.tui import glyphs
from gitops_tui.tui.widgets.timefmt import date_time


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


class RollbackModal(ModalScreen[int | None]):
    CSS_PATH = "dialogs.tcss"
    BINDINGS = [Binding("escape,q", "cancel", "Cancel")]

    def __init__(
        self,
        app_name: str,
        entries: Sequence[HistoryEntry],
        *,
        zone: tzinfo | None,
        current_revision: str = "",
        auto_sync: bool = False,
    ) -> None:
        """`current_revision`: the commit Git's target resolves to now (what a sync would deploy)."""
        super().__init__()
        self.app_name = app_name
        self.entries = sorted(entries, key=lambda e: e.id, reverse=True)
        self.zone = zone
        self.current_revision = current_revision
        self.auto_sync = auto_sync

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="rollback-box") as box:
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
                note = "Rolling back applies the chosen revision's manifests; nothing is pruned."
                if self.auto_sync:
                    note += " Auto-sync is paused for this app until you resume it (a)."
                yield Static(Text(note, style=glyphs.CAUTION.style), id="rollback-note")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel (esc)", id="rollback-no", compact=True)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(int(event.option.id or 0))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
