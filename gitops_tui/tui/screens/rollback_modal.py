"""`R`: pick a previous sync to roll back to; rolling back pauses auto-sync, and the dialog says so."""

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


def entry_label(entry: HistoryEntry, zone: tzinfo | None, current: str) -> Text:
    text = Text(f"#{entry.id:<3} ", style="bold")
    text.append(entry.revision[:7], style="bold cyan")
    text.append(f"  {date_time(entry.deployed_at, zone)}  by {entry.initiated_by}")
    if entry.subject:
        text.append(f"  {entry.subject}")
    if entry.author:
        text.append(f" ({entry.author})", style="dim")
    if entry.revision == current:
        text.append("  ◀ deployed now", style="green")
    return text


class RollbackModal(ModalScreen[int | None]):
    BINDINGS = [Binding("escape,q", "cancel", "Cancel")]

    def __init__(self, app_name: str, entries: Sequence[HistoryEntry], *, zone: tzinfo | None,
                 current_revision: str = "", auto_sync: bool = False) -> None:
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
                yield OptionList(*[Option(entry_label(e, self.zone, self.current_revision), id=str(e.id))
                                   for e in self.entries], id="rollback-list")
                note = "Rolling back syncs the chosen revision."
                if self.auto_sync:
                    note += " Auto-sync is paused for this app until you resume it (a)."
                yield Static(Text(note, style=glyphs.CAUTION.style), id="rollback-note")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel (esc)", id="rollback-no")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(int(event.option.id or 0))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
