"""What every command shares: loading apps, errors the user can act on, tables, colour."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from typing import Any, TextIO

import yaml

from gitops_tui.config import LoadResult, load_applications, resolve_app_paths
from gitops_tui.model import AppSpec, HealthStatus, SyncStatus

EXIT_OK, EXIT_DRIFT, EXIT_ERROR = 0, 1, 2


class CommandError(Exception):
    """An error the user can act on; printed as it is, exit 2."""


def load_apps(cli_paths: Sequence[str]) -> LoadResult:
    paths = resolve_app_paths(cli_paths)
    if not paths:
        raise CommandError(
            "no Application definitions: pass --apps PATH, set $GITOPS_TUI_APPS, create ./apps, "
            "or set 'apps:' in the config file"
        )
    return load_applications(paths)


def find_app(result: LoadResult, name: str) -> AppSpec:
    app = result.app(name)
    if app is None:
        report_problems(result)
        known = ", ".join(a.name for a in result.apps) or "none"
        raise CommandError(f"no app named '{name}' (apps: {known})")
    return app


def report_problems(result: LoadResult) -> None:
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for error in result.errors:
        print(f"error: {error}", file=sys.stderr)


def print_table(headers: list[str], rows: list[list[str]], colour: Any = None) -> None:
    """Columns padded to fit; `colour(column, text)` may wrap a cell in escape codes after padding."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    for row in rows:
        cells = [cell.ljust(w) for cell, w in zip(row, widths, strict=True)]
        if colour:
            cells = [colour(headers[i], cell) for i, cell in enumerate(cells)]
        print("  ".join(cells).rstrip())


def dump(data: Any, output: str) -> None:
    if output == "json":
        json.dump(data, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(yaml.safe_dump(data, sort_keys=False))


# -- colour: only on a terminal, never with NO_COLOR; words always carry the meaning -------

_GREEN, _YELLOW, _RED, _GREY, _RESET = "\033[32m", "\033[33m", "\033[31m", "\033[90m", "\033[0m"
_STATUS_COLOURS = {
    SyncStatus.SYNCED.value: _GREEN,
    SyncStatus.OUT_OF_SYNC.value: _YELLOW,
    HealthStatus.HEALTHY.value: _GREEN,
    HealthStatus.PROGRESSING.value: _YELLOW,
    HealthStatus.SUSPENDED.value: _GREY,
    HealthStatus.MISSING.value: _YELLOW,
    HealthStatus.DEGRADED.value: _RED,
    HealthStatus.UNKNOWN.value: _GREY,
}


def use_colour(stream: TextIO = sys.stdout) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def paint(text: str, code: str, enabled: bool) -> str:
    return f"{code}{text}{_RESET}" if enabled and code else text


def status_colour(text: str) -> str:
    return _STATUS_COLOURS.get(text.strip(), "")


DIFF_COLOURS = {"+": _GREEN, "-": _RED, "@": "\033[36m"}
