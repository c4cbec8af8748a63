"""What every command prints with: exit codes, errors the user can act on, tables, colour, JSON/YAML.

Standard library only (YAML is imported when asked for): a `status` / `diff` answered by a running console
prints through here before anything heavy is imported.
"""

from __future__ import annotations

import json
import os
import sys

EXIT_OK, EXIT_DRIFT, EXIT_ERROR = 0, 1, 2

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs an import the fast path does without
    from collections.abc import Callable, Sequence
    from typing import Any, TextIO


class CommandError(Exception):
    """An error the user can act on; printed as it is, exit 2."""


def run_guarded(body: Callable[[], int]) -> int:
    """Run a command: an error the user can act on is one line and exit 2, and a user never sees a traceback
    (unexpected errors print one line and the path of the log that holds it)."""
    try:
        return body()
    except CommandError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `gitops-tui ... | head`: the reader left. Say nothing more, like other Unix tools.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as exc:  # the last line of defence: one line on screen, the rest in the log
        from gitops_tui.config import SettingsError  # imported only now: the fast path never loads it

        if isinstance(exc, SettingsError):
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_ERROR
        where = _write_crash_log(exc)
        print(f"error: {type(exc).__name__}: {exc} (details in {where})", file=sys.stderr)
        return EXIT_ERROR


def _write_crash_log(exc: BaseException) -> str:
    import traceback

    from gitops_tui.config import state_home

    path = state_home() / "gitops-tui.log"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as f:
            f.write("".join(traceback.format_exception(exc)))
    except OSError:
        pass
    return str(path)


def print_table(headers: list[str], rows: list[list[str]], colour: Callable[[str, str], str] | None = None) -> None:
    """Columns padded to fit; `colour(column, text)` may wrap a cell in escape codes after padding."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    for row in rows:
        cells = [cell.ljust(w) for cell, w in zip(row, widths, strict=True)]
        if colour:
            cells = [colour(headers[i], cell) for i, cell in enumerate(cells)]
        print("  ".join(cells).rstrip())


def print_problems(warnings: Sequence[str], errors: Sequence[str]) -> None:
    """The app definitions' warnings and errors, on stderr, after what the command printed."""
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for error in errors:
        print(f"error: {error}", file=sys.stderr)


def dump(data: Any, output: str) -> None:
    if output == "json":
        json.dump(data, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        import yaml

        sys.stdout.write(yaml.safe_dump(data, sort_keys=False))


# -- colour: only on a terminal, never with NO_COLOR; words always carry the meaning -------

_GREEN, _YELLOW, _RED, _GREY, _RESET = "\033[32m", "\033[33m", "\033[31m", "\033[90m", "\033[0m"
STATUS_COLOURS = {
    # model.SyncStatus and model.HealthStatus values (Argo CD's words), spelled out: the model is not loaded here
    "Synced": _GREEN,
    "OutOfSync": _YELLOW,
    "Healthy": _GREEN,
    "Progressing": _YELLOW,
    "Suspended": _GREY,
    "Missing": _YELLOW,
    "Degraded": _RED,
    "Unknown": _GREY,
}


def use_colour(stream: TextIO | None = None) -> bool:
    stream = sys.stdout if stream is None else stream
    return stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def paint(text: str, code: str, enabled: bool) -> str:
    return f"{code}{text}{_RESET}" if enabled and code else text


def status_colour(text: str) -> str:
    return STATUS_COLOURS.get(text.strip(), "")


DIFF_COLOURS = {"+": _GREEN, "-": _RED, "@": "\033[36m"}
