"""`:` command line (k9s-style): `:sync web`, `:sync web --prune`, `:rollback web 3`, `:refresh web`, `:q`."""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Input, Static

VERBS = {
    "sync": "sync APP [--prune]",
    "rollback": "rollback APP HISTORY-ID",
    "refresh": "refresh APP [--hard]",
    "diff": "diff APP",
    "sort": "sort name|health|sync",
    "filter": "filter TEXT",
    "help": "help",
    "quit": "q | quit",
}
ALIASES = {"q": "quit", "q!": "quit", "quit": "quit", "exit": "quit", "h": "help", "?": "help"}


@dataclass(frozen=True)
class Command:
    verb: str
    app: str = ""
    args: tuple[str, ...] = ()
    flags: frozenset[str] = frozenset()


class CommandError(ValueError):
    pass


def parse_command(line: str, known_apps: set[str] | None = None) -> Command:
    """`sync web --prune` → Command("sync", "web", (), {"prune"}); raises CommandError with usage."""
    try:
        words = shlex.split(line.strip().lstrip(":"))
    except ValueError as exc:
        raise CommandError(f"cannot read {line!r}: {exc}") from None
    if not words:
        raise CommandError("empty command; try :help")
    verb = ALIASES.get(words[0], words[0])
    if verb not in VERBS:
        raise CommandError(f"unknown command {words[0]!r}; commands: " + ", ".join(VERBS.values()))
    flags = frozenset(w.lstrip("-") for w in words[1:] if w.startswith("--"))
    rest = [w for w in words[1:] if not w.startswith("--")]
    if verb in ("quit", "help"):
        return Command(verb)
    if verb in ("sort", "filter"):
        return Command(verb, args=tuple(rest))
    if not rest:
        raise CommandError(f"which app? usage: :{VERBS[verb]}")
    app, args = rest[0], tuple(rest[1:])
    if known_apps is not None and app not in known_apps:
        raise CommandError(f"no app named {app!r}")
    if verb == "rollback" and (len(args) != 1 or not args[0].isdigit()):
        raise CommandError("usage: :rollback APP HISTORY-ID (R on an app lists its history)")
    return Command(verb, app, args, flags)


class CommandLine(ModalScreen[str | None]):
    """A one-line prompt at the top; enter runs, esc cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, apps: list[str]) -> None:
        super().__init__()
        verbs = ("sync", "refresh", "rollback", "diff")
        self.suggestions = [f"{verb} {app}" for verb in verbs for app in apps] + [
            "sort health",
            "sort sync",
            "sort name",
            "quit",
            "help",
        ]

    def compose(self) -> ComposeResult:
        yield Input(
            placeholder="sync APP [--prune] · rollback APP ID · refresh APP · sort health · q",
            suggester=SuggestFromList(self.suggestions, case_sensitive=False),
            id="command-input",
        )
        yield Static("enter runs · esc cancels · → completes", id="command-hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
