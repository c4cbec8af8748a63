"""`?`: every key, grouped by what it is for, in one screen (k9s-style)."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS: list[tuple[str, list[tuple[str, str]]]] = [
    ("Move", [
        ("j / k / ↓ ↑", "move down / up"),
        ("enter / l / →", "expand an app or kind; open"),
        ("h / ←", "collapse; go to the parent"),
        ("g / G", "first / last"),
        ("tab / shift+tab", "next / previous pane"),
    ]),
    ("Find", [
        ("/", "filter: text or regex over name, kind, namespace, status; !text negates"),
        ("o", "sort by name → health → sync"),
        (":", "command line  (:sync web  :sync web --prune  :rollback web 3  :refresh web  :q)"),
        ("ctrl+p", "command palette"),
    ]),
    ("Act", [
        ("", "s, S and R ask first; all but r are disabled in read-only mode"),
        ("s", "sync the selected app (shows the plan first)"),
        ("S", "sync with prune (deletes what is no longer in Git)"),
        ("R", "roll back to a previous sync (pauses auto-sync)"),
        ("a", "auto-sync on / off for this session"),
        ("r", "refresh: poll Git and compare now"),
    ]),
    ("Look", [
        ("d", "diff of the selection (an app: all its OutOfSync resources)"),
        ("n / N", "next / previous changed hunk (in the diff)"),
        ("f", "full document / changed hunks only (in the diff)"),
        ("w", "wrap long lines (in the diff)"),
        ("z", "zoom the focused pane; again to restore"),
        ("e", "events of the selected app only / of all apps"),
        ("F", "follow new events on / off (in the event log)"),
    ]),
    ("Leave", [
        ("esc", "back (closes a dialog, clears a filter)"),
        ("q", "quit (asks first while a sync runs)"),
        ("?", "this help"),
    ]),
]


def help_table() -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold cyan", no_wrap=True, min_width=16)
    table.add_column()
    for group, keys in KEYS:
        table.add_row(Text(group, style="bold underline"), "")
        for key, what in keys:
            table.add_row(key, what)
        table.add_row("", "")
    table.add_row(Text("Glyphs", style="bold underline"), "")
    table.add_row("✓ ≠ ?", "Synced, OutOfSync, Unknown")
    table.add_row("● ◐ ‖ ○ ✗ ?", "Healthy, Progressing, Suspended, Missing, Degraded, Unknown")
    table.add_row("⟳ ‖ ◇", "auto-sync on, paused, manual")
    table.add_row("- + ~", "diff: live only, Git only, changed")
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box") as box:
            box.border_title = "Keys — esc to close"
            yield Static(help_table())
