"""What failed and what to do about it: the console's only way of showing an error (never a traceback)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ErrorModal(ModalScreen[None]):
    CSS_PATH = "dialogs.tcss"
    BINDINGS = [Binding("escape,enter,q", "dismiss", "Close")]

    def __init__(self, what_failed: str, what_to_do: str = "", log_path: str = "", *, title: str = "Error") -> None:
        """`title`: which action failed, in two or three words ("sync refused"); the box's border says it."""
        super().__init__()
        self.title_text = title
        self.what_failed = what_failed
        self.what_to_do = what_to_do
        self.log_path = log_path

    def compose(self) -> ComposeResult:
        with Vertical(id="error-box", classes="dialog") as box:
            box.border_title = f"✗ {self.title_text}"
            yield Static(Text(self.what_failed, style="bold"), id="error-what")
            if self.what_to_do:
                yield Static(Text(self.what_to_do), id="error-todo")
            if self.log_path:
                yield Static(Text(f"Details: {self.log_path}", style="dim"), id="error-log")
            with Horizontal(classes="dialog-buttons"):
                yield Button("OK (enter)", id="error-ok", variant="primary", compact=True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss()
