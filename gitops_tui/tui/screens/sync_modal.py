"""`s` / `S`: the sync plan first (what will be applied, what pruned), then an explicit yes.

Also the yes/no question asked before quitting while an operation runs.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from gitops_tui.model import AppState, SyncStatus
from gitops_tui.tui import glyphs

PLAN_LIMIT = 200


def sync_plan_text(state: AppState, prune: bool) -> Table:
    """What a sync of `state` would do, from its compared resources."""
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")
    apply = [r for r in state.resources if r.sync is not SyncStatus.SYNCED and not r.requires_pruning]
    prunes = [r for r in state.resources if r.requires_pruning]
    target = state.revision.short_sha if state.revision else state.spec.source.target_revision
    subject = f"  {state.revision.subject}" if state.revision else ""
    table.add_row(Text("Revision", style="bold"), Text.assemble((target, "bold"), subject))
    dest = state.spec.destination
    table.add_row(Text("Into", style="bold"), f"{dest.name or dest.server} namespace {dest.namespace or '—'}")
    table.add_row("", "")
    if not apply and not (prune and prunes):
        table.add_row(glyphs.SYNC[SyncStatus.SYNCED].text(), "nothing differs: the sync re-applies and runs hooks")
    for resource in apply[:PLAN_LIMIT]:
        verb = "create" if not resource.in_cluster else "apply"
        mark = Text(f"{glyphs.SYNC[resource.sync].symbol} {verb}", style=glyphs.CAUTION.style)
        table.add_row(mark, str(resource.key))
    if prune and prunes:
        table.add_row("", "")
        table.add_row(Text("! prune", style=glyphs.ALARM.style),
                      Text(f"{len(prunes)} resource(s) below are deleted from the cluster; they are not in Git.",
                           style="bold"))
    if len(apply) > PLAN_LIMIT:
        table.add_row("", Text(f"… and {len(apply) - PLAN_LIMIT} more", style="dim"))
    for resource in prunes[:PLAN_LIMIT]:
        if prune:
            table.add_row(Text("✂ delete", style=glyphs.ALARM.style), str(resource.key))
        else:
            table.add_row(Text("✂ keep", style="dim"), Text(f"{resource.key} (not in Git; S prunes it)", style="dim"))
    return table


class SyncModal(ModalScreen[bool]):
    BINDINGS = [
        Binding("y", "confirm", "Sync"),
        Binding("escape,n,q", "cancel", "Cancel"),
    ]

    def __init__(self, state: AppState, *, prune: bool) -> None:
        super().__init__()
        self.state = state
        self.prune = prune

    def compose(self) -> ComposeResult:
        title = f"Sync {self.state.name}" + (" with prune" if self.prune else "")
        with Vertical(classes="dialog", id="sync-box") as box:
            box.border_title = title
            with VerticalScroll(id="sync-plan"):
                yield Static(sync_plan_text(self.state, self.prune))
            with Horizontal(classes="dialog-buttons"):
                yield Button("Sync (y)", id="sync-yes", variant="warning" if self.prune else "primary")
                yield Button("Cancel (esc)", id="sync-no")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "sync-yes")

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


class ConfirmModal(ModalScreen[bool]):
    """A yes/no question; `y` answers yes, `n`/esc no."""

    BINDINGS = [Binding("y", "answer(True)", "Yes"), Binding("escape,n", "answer(False)", "No")]

    def __init__(self, title: str, question: str) -> None:
        super().__init__()
        self.title_text = title
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="confirm-box") as box:
            box.border_title = self.title_text
            yield Static(self.question)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Yes (y)", id="confirm-yes", variant="warning")
                yield Button("No (n)", id="confirm-no", variant="primary")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
