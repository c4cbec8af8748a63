"""`gitops-tui diff APP` / `status [APP...]` answered by a running console before the CLI is even loaded.

Asking a console costs a few milliseconds; importing argparse, the config loader, YAML and the model costs
more than that many times over. So `main()` first reads the command line here, with a parser that knows only
the plain spellings of these two commands' options, and if a console answers, prints the answer through the
same printer as the one-shot path (answers.py) and is done. Anything else (another command, `--help`, an
abbreviated or unknown option, `--revision`, `--no-console`, no console, a refusal) returns None and the
full CLI parses the command line as it always does: this path may only ever be faster, never different.
"""

from __future__ import annotations

from gitops_tui.cli import console_client

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs an import the fast path does without
    from collections.abc import Callable
    from typing import Any

_VALUED = {"--apps", "--kubeconfig", "--context", "--argocd-cm", "-o", "--output"}
_FLAGS = {"--read-only", "--side-by-side"}
_OUTPUTS = ("table", "json", "yaml")


class ServedOptions:
    """What argparse would hold for a plainly spelled `diff` / `status` (the attributes ask_console reads)."""

    def __init__(self, command: str) -> None:
        self.command = command
        self.apps: list[str] = []
        self.kubeconfig: str | None = None
        self.context: str | None = None
        self.argocd_cm: str | None = None
        self.output = "table"
        self.side_by_side = False
        self.names: list[str] = []


def answer_from_console(argv: list[str]) -> int | None:
    """The exit code of the command if a running console answered it (and it was printed), else None."""
    console_client.forget_refusals()
    try:
        printer = _answer(argv)
    except KeyboardInterrupt:
        return 130
    except Exception:  # a fault here must never cost the command its answer: the full CLI works it out
        console_client.answered_by = ""
        return None
    if printer is None:
        return None
    console_client.answered_by = "console"
    return _print(printer)


def _answer(argv: list[str]) -> Callable[[], int] | None:
    """What prints the console's answer, or None when no console answers this command line."""
    options = parse(argv)
    if options is None:
        return None
    if options.command == "diff":
        answer = console_client.ask_console(options, "diff", options.names)
        return None if answer is None else lambda: _print_diff(answer, options.side_by_side)
    answer = console_client.ask_console(options, "status", options.names)
    entries = _in_order(answer, options.names) if answer is not None else None
    if answer is None or entries is None:
        return None
    return lambda: _print_status(entries, options.output, answer)


def parse(argv: list[str]) -> ServedOptions | None:
    """The options of `diff APP` / `status [APP...]` if spelled the plain way, else None (argparse decides)."""
    if not argv or argv[0] not in ("diff", "status"):
        return None
    options = ServedOptions(argv[0])
    positionals: list[int] = []
    i = 1
    while i < len(argv):
        word = argv[i]
        name, equals, value = word.partition("=")
        if word in _FLAGS:
            if word == "--side-by-side" and options.command != "diff":
                return None
            options.side_by_side = options.side_by_side or word == "--side-by-side"
        elif name in _VALUED and name.startswith("--") and equals:
            if not _take(options, name, value):
                return None
        elif word in _VALUED:
            if i + 1 >= len(argv) or argv[i + 1].startswith("-") or not _take(options, word, argv[i + 1]):
                return None
            i += 1
        elif word.startswith("-") or word == "":
            return None  # --help, --no-console, --revision, -- and anything unusual: the full parser's
        else:
            positionals.append(i)
            options.names.append(word)
        i += 1
    if positionals and positionals[-1] - positionals[0] != len(positionals) - 1:
        return None  # argparse reads APP... as one run of words; interleaved ones are its to refuse
    if options.command == "diff" and len(options.names) != 1:
        return None
    return options


def _take(options: ServedOptions, name: str, value: str) -> bool:
    if not value:
        return False
    if name == "--apps":
        options.apps.append(value)
    elif name == "--kubeconfig":
        options.kubeconfig = value
    elif name == "--context":
        options.context = value
    elif name == "--argocd-cm":
        options.argocd_cm = value
    elif options.command == "status" and value in _OUTPUTS:  # -o / --output
        options.output = value
    else:
        return False
    return True


def _in_order(answer: dict[str, Any], names: list[str]) -> list[dict[str, Any]] | None:
    """The console answers once per app; `status a b a` shows the apps in the order asked, repeats too."""
    entries = answer.get("apps")
    if not isinstance(entries, list):
        return None
    if not names:
        return entries
    by_name = {entry["document"]["name"]: entry for entry in entries}
    return [by_name[name] for name in names] if all(name in by_name for name in names) else None


def _print_diff(answer: dict[str, Any], side_by_side: bool) -> int:
    from gitops_tui.cli.answers import print_diff

    return print_diff(answer, side_by_side)


def _print_status(entries: list[dict[str, Any]], output: str, answer: dict[str, Any]) -> int:
    from gitops_tui.cli.answers import finish_status

    return finish_status(entries, output, answer.get("warnings") or [], answer.get("errors") or [])


def _print(body: Callable[[], int]) -> int:
    from gitops_tui.cli.output import run_guarded

    return run_guarded(body)
