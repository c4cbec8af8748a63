"""`s` / `S`: the sync plan first (per wave: create, configure, prune, hooks), the options (dry run, prune,
force, only OutOfSync) that change it, and for a prune the app's name typed; then `enter`.

In read-only mode (the console's, or the app's context's) the dialog still opens, locked to a dry run: the
SRE sees what a sync would do and can have the cluster check it (a server-side dry run writes nothing; the
reconciler lets dry runs through and refuses everything else).

Also the yes/no question asked before quitting (or terminating) while an operation runs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from gitops_tui.engine.reconciler import ReconcilerError, SyncRequest
from gitops_tui.engine.sync_plan_model import SyncPlan
from gitops_tui.model import AppState
from gitops_tui.tui import glyphs
from gitops_tui.tui.screens.sync_plan_view import plan_renderable, state_plan_text

SyncPlanner = Callable[[str, SyncRequest], Awaitable[SyncPlan]]
"""`Reconciler.plan`: what a sync with these options would do, without writing."""


class Toggle(Static, can_focus=False):
    """An option of the dialog, switched by its letter (or a click): enter stays "confirm" everywhere.

    Its state is a glyph and a word (`[x] prune` / `[ ] prune`), never colour alone.
    """

    class Changed(Message):
        def __init__(self, toggle: Toggle) -> None:
            super().__init__()
            self.toggle = toggle

    def __init__(self, key: str, label: str, value: bool = False, *, id: str, locked: str = "") -> None:
        """`locked`: why the option cannot be switched (read-only: dry run only); "" when it can."""
        super().__init__(id=id)
        self.letter = key
        self.words = label
        self.value = value
        self.locked = locked

    def on_mount(self) -> None:
        self._draw()

    def _draw(self) -> None:
        mark = Text("[x]" if self.value else "[ ]", style="bold reverse" if self.value else "")
        if self.locked:  # no letter: pressing it does nothing but say why
            self.update(Text.assemble(mark, f" {self.words} ", ("(read-only)", "bold")))
        else:
            self.update(Text.assemble(mark, " ", (self.letter, "bold underline"), f" {self.words}"))
        self.set_class(self.value, "-on")

    def toggle(self) -> None:
        if self.locked:
            self.notify(self.locked, severity="warning", title=f"{glyphs.READ_ONLY.symbol} READ-ONLY", timeout=4)
            return
        self.value = not self.value
        self._draw()
        self.post_message(self.Changed(self))

    def on_click(self) -> None:
        self.toggle()


class SyncModal(ModalScreen[SyncRequest | None]):
    """`s` / `S`: the plan per wave, the options, and for a prune the app's name typed; enter confirms."""

    CSS_PATH = "sync_modal.tcss"
    BINDINGS = [
        Binding("enter,y", "confirm", "Sync", id="sync-dialog.confirm"),
        Binding("escape,n,q", "cancel", "Cancel", id="sync-dialog.cancel"),
        Binding("p", "toggle('prune')", "Prune", id="sync-dialog.prune"),
        Binding("d", "toggle('dry-run')", "Dry run", id="sync-dialog.dry-run"),
        Binding("f", "toggle('force')", "Force", id="sync-dialog.force"),
        Binding("o", "toggle('out-of-sync-only')", "Only OutOfSync", id="sync-dialog.out-of-sync-only"),
    ]

    def __init__(
        self, state: AppState, *, prune: bool, planner: SyncPlanner | None = None, dry_run_only: str = ""
    ) -> None:
        """`dry_run_only`: why only a dry run is allowed ("context prod is read-only in …"); "" otherwise."""
        super().__init__()
        self.state = state
        self.prune = prune
        self.dry_run_only = dry_run_only
        self.dry_run = bool(dry_run_only)
        self.force = False
        self.out_of_sync_only = False
        self.planner = planner
        self.plan: SyncPlan | None = None
        """The plan on show for the current options (None until it arrives, or when none can be made)."""
        self.plan_error = ""
        self._needed_name: bool | None = None

    # ---- what the dialog asks for --------------------------------------------------------------------

    @property
    def request(self) -> SyncRequest:
        return SyncRequest(
            prune=self.prune, dry_run=self.dry_run, force=self.force, apply_out_of_sync_only=self.out_of_sync_only
        )

    @property
    def prune_count(self) -> int:
        """How many resources this sync would delete (from the plan, else from the compared state)."""
        if not self.prune:
            return 0
        if self.plan is not None:
            return len(self.plan.prunes)
        return sum(r.requires_pruning for r in self.state.resources)

    @property
    def needs_name(self) -> bool:
        """Deleting anything for real asks for the app's name, typed (k9s asks for less; a prune is forever)."""
        return self.prune_count > 0 and not self.dry_run

    @property
    def confirmed_name(self) -> bool:
        if not self.needs_name:
            return True
        return self.query_one("#sync-name", Input).value.strip() == self.state.name

    # ---- layout --------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="sync-box") as box:
            box.border_title = f"Sync {self.state.name}"
            if self.dry_run_only:
                yield Static(self._read_only_line(), id="sync-read-only")
            with Horizontal(id="sync-options"):
                yield Toggle("p", "prune", self.prune, id="prune")
                locked = f"read-only: {self.dry_run_only}; only a dry run is allowed" if self.dry_run_only else ""
                yield Toggle("d", "dry run", self.dry_run, id="dry-run", locked=locked)
                yield Toggle("f", "force", id="force")
                yield Toggle("o", "only OutOfSync", id="out-of-sync-only")
            with VerticalScroll(id="sync-plan"):
                yield Static(state_plan_text(self.state, self.prune, "working out the plan…"), id="sync-plan-body")
            yield Static(id="sync-name-why")
            name_box = Input(placeholder=f"type {self.state.name} to confirm", id="sync-name", compact=True)
            name_box.cursor_blink = False  # a steady cursor: no redraws over ssh, the same picture every time
            yield name_box
            with Horizontal(classes="dialog-buttons", id="sync-buttons"):  # one line each: room for the plan
                yield Button("Sync (enter)", id="sync-yes", variant="primary", compact=True)
                yield Button("Cancel (esc)", id="sync-no", compact=True)

    def _read_only_line(self) -> Text:
        return Text.assemble(
            (f"{glyphs.READ_ONLY.symbol} read-only: {self.dry_run_only}; dry run only", glyphs.CAUTION.style),
            (": enter has the cluster check each change (server-side dry run), nothing is written.", "dim"),
        )

    def on_mount(self) -> None:
        self._refresh_controls()
        self._load_plan()

    def _refresh_controls(self) -> None:
        """Title, the name box and the button follow the options and the plan."""
        box = self.query_one("#sync-box")
        modes = [
            m
            for m, on in (
                ("prune", self.prune),
                ("dry run", self.dry_run),
                ("force", self.force),
                ("only OutOfSync", self.out_of_sync_only),
            )
            if on
        ]
        box.border_title = f"Sync {self.state.name}" + (f" · {', '.join(modes)}" if modes else "")
        name_box = self.query_one("#sync-name", Input)
        why = self.query_one("#sync-name-why", Static)
        needs = self.needs_name
        name_box.display = why.display = needs
        if needs:
            n = self.prune_count
            why.update(
                Text.assemble(
                    ("✂ prune: ", glyphs.ALARM.style),
                    (
                        f"{n} resource{'s' if n != 1 else ''} will be deleted from the cluster. "
                        f"Type {self.state.name} to confirm.",
                        "bold",
                    ),
                    ("  (tab leaves the box: then p d f o switch the options)", "dim"),
                )
            )
        button = self.query_one("#sync-yes", Button)
        button.label = "Dry run (enter)" if self.dry_run else ("Sync and prune (enter)" if needs else "Sync (enter)")
        button.variant = "warning" if needs or self.force else "primary"
        button.disabled = not self.confirmed_name
        if needs != self._needed_name or self.focused is None:  # enter confirms: keep focus where it does
            (name_box if needs else button).focus()
        self._needed_name = needs

    # ---- the plan, worked out off the keys -----------------------------------------------------------

    def _load_plan(self) -> None:
        if self.planner is None:
            self._show_plan(None, "")
            return
        self.run_worker(self._plan_worker(self.request), exclusive=True, group="sync-plan", exit_on_error=False)

    async def _plan_worker(self, request: SyncRequest) -> None:
        assert self.planner is not None
        try:
            plan = await self.planner(self.state.name, request)
        except ReconcilerError as exc:
            self._show_plan(None, f"no plan: {exc.message}")
            return
        except Exception as exc:  # a plan is a courtesy: the dialog still works from the compared state
            self._show_plan(None, f"no plan: {exc}")
            return
        if request == self.request:  # the options did not change meanwhile
            self._show_plan(plan, "")

    def _show_plan(self, plan: SyncPlan | None, error: str) -> None:
        self.plan, self.plan_error = plan, error
        body = self.query_one("#sync-plan-body", Static)
        if plan is not None:
            body.update(plan_renderable(self.state, plan))
        else:
            body.update(state_plan_text(self.state, self.prune, error))
        self._refresh_controls()

    # ---- keys ----------------------------------------------------------------------------------------

    def action_toggle(self, option: str) -> None:
        self.query_one(f"#{option}", Toggle).toggle()

    def on_toggle_changed(self, event: Toggle.Changed) -> None:
        option = (event.toggle.id or "").replace("-", "_")
        if option in ("prune", "dry_run", "force", "out_of_sync_only"):
            setattr(self, option, event.toggle.value)
        self.plan = None
        self._refresh_controls()
        self._load_plan()

    @on(Input.Changed, "#sync-name")
    def _name_typed(self) -> None:
        self.query_one("#sync-yes", Button).disabled = not self.confirmed_name

    @on(Input.Submitted, "#sync-name")
    def _name_submitted(self) -> None:
        self.action_confirm()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "sync-yes":
            self.action_confirm()
        else:
            self.action_cancel()

    def action_confirm(self) -> None:
        if not self.confirmed_name:
            self.notify(
                f"Type {self.state.name} in the box to confirm the prune (or tab, then p, to sync without pruning).",
                severity="warning",
                timeout=4,
            )
            return
        self.dismiss(self.request)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmModal(ModalScreen[bool]):
    CSS_PATH = "dialogs.tcss"
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
                yield Button("Yes (y)", id="confirm-yes", variant="warning", compact=True)
                yield Button("No (n)", id="confirm-no", variant="primary", compact=True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
