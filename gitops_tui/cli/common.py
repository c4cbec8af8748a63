"""What every command shares: loading apps and reporting their problems; output.py's printing, re-exported."""

from __future__ import annotations

from collections.abc import Sequence

from gitops_tui.cli.output import (
    DIFF_COLOURS,
    EXIT_DRIFT,
    EXIT_ERROR,
    EXIT_OK,
    CommandError,
    dump,
    paint,
    print_problems,
    print_table,
    status_colour,
    use_colour,
)
from gitops_tui.config import LoadResult, load_applications, resolve_app_paths
from gitops_tui.model import AppSpec


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
    print_problems(result.warnings, result.errors)


__all__ = [
    "DIFF_COLOURS",
    "EXIT_DRIFT",
    "EXIT_ERROR",
    "EXIT_OK",
    "CommandError",
    "dump",
    "find_app",
    "load_apps",
    "paint",
    "print_table",
    "report_problems",
    "status_colour",
    "use_colour",
]
