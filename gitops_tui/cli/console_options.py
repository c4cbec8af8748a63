"""What `console` and `demo` share: the config file's console settings and the --mouse switch."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from gitops_tui.cli.common import CommandError
from gitops_tui.config import Settings, SettingsError, load_settings
from gitops_tui.model import AppSpec


def add_mouse_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--mouse",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="capture the mouse (click, wheel) or leave it to the terminal for text selection "
        "(default: 'mouse:' in the config file, else off over ssh, on otherwise)",
    )


def console_config(strict: bool = True, warn: bool = True) -> Settings:
    """The config file, or a CommandError that names it: a broken file could hide a read-only context.

    Not `strict` (the demo, whose sandbox is in no context of the file): the defaults, with a warning.
    Lesser problems (a bad key name) are printed here (unless not `warn`) and shown again inside the console.
    """
    try:
        settings = load_settings()
    except SettingsError as exc:
        if strict:
            raise CommandError(
                f"{exc} (fix the config file; the console does not start without its read-only contexts)"
            ) from None
        print(f"warning: {exc}; the default settings are used", file=sys.stderr)
        return Settings()
    for warning in settings.warnings if warn else ():
        print(f"warning: {warning}", file=sys.stderr)
    return settings


def read_only_contexts() -> dict[str, str]:
    """For the one-shot write commands: the contexts the config file makes read-only, and why."""
    return console_config(warn=False).read_only_contexts()


def refuse_read_only_context(kubeconfig: Any, spec: AppSpec, what: str) -> None:
    """The reconciler's refusal for commands that write without one (autosync marks the history directly)."""
    from gitops_tui.cluster.errors import ClusterError

    try:
        context = kubeconfig.context_for_destination(spec.destination.server, spec.destination.name)
    except ClusterError:
        return  # no cluster to write to: the command says so itself
    why = read_only_contexts().get(context)
    if why:
        raise CommandError(f"read-only: {why}: refusing to {what}")
