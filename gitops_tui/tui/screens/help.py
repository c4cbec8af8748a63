"""`?`: every key, grouped by what it is for, in one screen (k9s-style).

The keys are read from the bindings in force when `?` is pressed (the config file's `keys:` applied),
so the help never disagrees with the footer; this module only knows what each action is for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from rich.table import Table
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingsMap
from textual.containers import VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen
from textual.widgets import Static

SECTIONS = ("Move", "Find", "Act", "Look", "Leave")

HELP: dict[str, tuple[str, str]] = {
    # keyed by binding id, else by action; the order here is the order on screen
    "cursor(1)": ("Move", "move down"),
    "cursor(-1)": ("Move", "move up"),
    "expand": ("Move", "expand an app, kind or workload (its ReplicaSets, Pods); open"),
    "collapse": ("Move", "collapse; go to the parent"),
    "jump(0)": ("Move", "first"),
    "jump(-1)": ("Move", "last"),
    "page(1)": ("Move", "page down"),
    "page(-1)": ("Move", "page up"),
    "app.focus_next": ("Move", "next pane"),
    "app.focus_previous": ("Move", "previous pane"),
    "filter": ("Find", "filter: text or regex over name, kind, namespace, status; !text negates"),
    "sort": ("Find", "sort by name → health → sync"),
    "command-line": ("Find", "command line  (:sync web  :sync web --prune  :rollback web 3  :refresh web  :q)"),
    "command_palette": ("Find", "command palette"),
    "sync": ("Act", "sync the selected app (shows the plan first)"),
    "sync-prune": ("Act", "sync with prune (deletes what is no longer in Git)"),
    "rollback": ("Act", "roll back to a previous sync (pauses auto-sync)"),
    "terminate": ("Act", "terminate the running sync (asks first; stops after its current step)"),
    "auto-sync": ("Act", "auto-sync on / off in every console (a shared pause; ↔: another console runs it)"),
    "refresh": ("Act", "refresh: poll Git and compare now"),
    "diff": ("Look", "diff of the selection (an app: all its OutOfSync resources)"),
    "hunk(1)": ("Look", "next changed hunk (in the diff)"),
    "hunk(-1)": ("Look", "previous changed hunk (in the diff)"),
    "toggle_full": ("Look", "full document / changed hunks only (in the diff)"),
    "toggle_wrap": ("Look", "wrap long lines (in the diff)"),
    "zoom": ("Look", "zoom the focused pane; again to restore"),
    "events-scope": ("Look", "events of the selected app only / of all apps"),
    "follow-events": ("Look", "follow new events on / off (in the event log)"),
    "back": ("Leave", "back (closes a dialog, clears a filter)"),
    "quit": ("Leave", "quit (asks first while a sync runs)"),
    "help": ("Leave", "this help"),
}
WRITES = ("sync", "sync-prune", "rollback", "terminate", "auto-sync")
"""Binding ids of the keys that change a cluster (they ask first; read-only mode disables them)."""


@dataclass
class KeyHelp:
    """The help's content: per HELP entry, the keys bound to it now."""

    keys: dict[str, list[str]] = field(default_factory=dict)
    other: list[tuple[str, str]] = field(default_factory=list)
    """Shown bindings the table does not describe (a key another part added): (keys, description)."""
    remapped_in: str = ""
    """The config file whose `keys:` changed some keys ("" when none did)."""

    def shown(self, entry: str) -> str:
        # Letters first, as k9s users read them ("j / ↓"); otherwise in the order they were bound.
        keys = sorted(self.keys.get(entry, []), key=lambda k: not (len(k) == 1 and k.isascii()))
        return " / ".join(keys) or "—"


def collect_keys(
    nodes: Iterable[DOMNode], keymap: Mapping[str, str], display: Callable[[Binding], str], remapped_in: str = ""
) -> KeyHelp:
    """The keys of `nodes` (app, screen, panes) as they are bound now, `keymap` applied as Textual applies it."""
    result = KeyHelp(remapped_in=remapped_in if keymap else "")
    others: dict[str, list[str]] = {}
    for node in nodes:
        bindings: BindingsMap = node._bindings.copy()
        if keymap:
            bindings.apply_keymap(dict(keymap))
        for key, key_bindings in bindings.key_to_bindings.items():
            for binding in key_bindings:
                shown = display(binding.with_key(key, binding.key_display if binding.key == key else None))
                entry = next((e for e in (binding.id, binding.action) if e and e in HELP), None)
                if entry is not None:
                    _add(result.keys.setdefault(entry, []), shown)
                elif binding.show and not binding.system and binding.description:
                    _add(others.setdefault(binding.description, []), shown)
    result.other = [(" / ".join(keys), description) for description, keys in others.items()]
    return result


def _add(keys: list[str], key: str) -> None:
    if key not in keys:
        keys.append(key)


def help_table(keys: KeyHelp) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold cyan", no_wrap=True, min_width=16)
    table.add_column()
    if keys.remapped_in:
        table.add_row("", Text(f"Keys remapped by {keys.remapped_in} (keys:)", style="italic"))
        table.add_row("", "")
    for section in SECTIONS:
        table.add_row(Text(section, style="bold underline"), "")
        if section == "Act":
            asks = ", ".join(keys.shown(e) for e in ("sync", "sync-prune", "rollback"))
            syncs = " / ".join(keys.shown(e) for e in ("sync", "sync-prune"))
            disabled = ", ".join(keys.shown(e) for e in ("rollback", "auto-sync", "terminate"))
            table.add_row("", f"{asks} ask first. Read-only: {syncs} only dry-run, {disabled} are disabled")
        for entry, (where, what) in HELP.items():
            if where == section and entry in keys.keys:
                table.add_row(keys.shown(entry), what)
        table.add_row("", "")
    if keys.other:
        table.add_row(Text("Other", style="bold underline"), "")
        for shown, what in keys.other:
            table.add_row(shown, what)
        table.add_row("", "")
    table.add_row(Text("Glyphs", style="bold underline"), "")
    table.add_row("✓ ≠ ?", "Synced, OutOfSync, Unknown")
    table.add_row("● ◐ ‖ ○ ✗ ?", "Healthy, Progressing, Suspended, Missing, Degraded, Unknown")
    table.add_row("⟳ ‖ ◇ ↔", "auto-sync on, paused, manual, run by another console")
    table.add_row("⊘", "read-only (the console, or the app's context)")
    table.add_row("- + ~", "diff: live only, Git only, changed")
    return table


class HelpScreen(ModalScreen[None]):
    CSS_PATH = "dialogs.tcss"
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def __init__(self, keys: KeyHelp, close_keys: Iterable[str] = ()) -> None:
        """`close_keys`: the help key as remapped (`f1`), which closes the help as `?` does."""
        super().__init__()
        self.keys = keys
        self.close_keys = frozenset(close_keys)

    def on_key(self, event: events.Key) -> None:
        if event.key in self.close_keys:
            event.stop()
            self.dismiss()

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box") as box:
            box.border_title = "Keys — esc to close"
            yield Static(help_table(self.keys))
