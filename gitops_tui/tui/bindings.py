"""The console's own keys, one place: every binding has an id so the config file can remap it.

`keys:` in the config file maps these ids to Textual key strings (`sync: "ctrl+s"`); see keymap.py.
Keys of the panes (tree, diff, event log) live with their widgets.
"""

from __future__ import annotations

from textual.binding import Binding, BindingType

from gitops_tui.tui.keymap import binding_ids
from gitops_tui.tui.widgets.event_log import EventLogView

CONSOLE_BINDINGS: list[BindingType] = [
    Binding("question_mark", "help", "Help", id="help"),
    Binding("s", "sync(False)", "Sync", id="sync"),
    Binding("S", "sync(True)", "Sync+prune", id="sync-prune"),
    Binding("d", "diff", "Diff", id="diff"),
    Binding("r", "refresh", "Refresh", id="refresh"),
    Binding("R", "rollback", "Rollback", id="rollback"),
    Binding("ctrl+k", "terminate", "Terminate", id="terminate"),  # k9s's kill key
    Binding("a", "auto_sync", "Auto-sync", id="auto-sync"),
    Binding("slash", "filter", "Filter", id="filter"),
    Binding("colon", "command_line", "Cmd", key_display=":", id="command-line"),
    Binding("o", "sort", "Sort", id="sort"),
    Binding("e", "events_scope", "Events", show=False, id="events-scope"),
    Binding("z", "zoom", "Zoom", show=False, id="zoom"),
    Binding("q", "quit_console", "Quit", id="quit"),
    Binding("escape", "back", "Back", show=False, id="back"),
]


def remappable_bindings() -> dict[str, Binding]:
    """Binding id -> binding, for every key the config file may remap (the console's and the event log's)."""
    return binding_ids([*CONSOLE_BINDINGS, *EventLogView.BINDINGS])
