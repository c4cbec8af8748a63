"""What a pane shows, as plain text, for assertions on words (not on layout)."""

from __future__ import annotations

import io

from rich.console import Console
from textual.app import App

from gitops_tui.tui.widgets.details import DetailsPane


def details_text(app: App[object]) -> str:
    """The details pane's content, rendered wide (no wrapping) and without colour."""
    console = Console(width=400, record=True, no_color=True, file=io.StringIO())
    console.print(app.query_one(DetailsPane).content)
    return console.export_text()
