"""`--argocd-cm FILE`: Argo CD's custom Lua health checks for every command that judges health.

Where the file comes from: `--argocd-cm`, else `$GITOPS_TUI_ARGOCD_CM`, else `argocdCM:` in the config
file. The checks are installed once, before the command runs, so `status`, `diff`, `sync`, the console
and `gitops-tui health` all judge with them.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from gitops_tui.cli.common import CommandError

ARGOCD_CM_ENV = "GITOPS_TUI_ARGOCD_CM"


def add_argocd_cm_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--argocd-cm",
        metavar="FILE",
        type=Path,
        help="Argo CD's argocd-cm ConfigMap (YAML) whose resource.customizations.health.* Lua checks to use "
        f"(default: ${ARGOCD_CM_ENV}, or 'argocdCM:' in the config file)",
    )


def argocd_cm_path(args: argparse.Namespace) -> Path | None:
    if getattr(args, "argocd_cm", None):
        return Path(args.argocd_cm).expanduser()
    from_env = os.environ.get(ARGOCD_CM_ENV, "").strip()
    if from_env:
        return Path(from_env).expanduser()
    from gitops_tui.config import load_settings

    return getattr(load_settings(), "argocd_cm", None)


@contextmanager
def custom_health(args: argparse.Namespace) -> Iterator[None]:
    """The command runs with the custom health checks it should use, if any (and without them after, so a
    process that runs several commands keeps none by accident); a bad file stops the command (exit 2)."""
    path = argocd_cm_path(args) if hasattr(args, "argocd_cm") else None  # no option: the command judges no health
    if path is None:
        yield
        return
    from gitops_tui.engine.health import custom_checks_installed
    from gitops_tui.engine.health_lua import LuaHealthChecks
    from gitops_tui.engine.health_lua_config import HealthConfigError, load_health_scripts

    try:
        scripts = load_health_scripts(path)
    except HealthConfigError as exc:
        raise CommandError(str(exc)) from None
    try:
        import lupa.lua54  # noqa: F401  (the checks need it: say so once, not on every resource)
    except ImportError:
        raise CommandError(f"{path}: custom health checks need the 'lupa' package: pip install lupa") from None
    with custom_checks_installed(LuaHealthChecks(scripts)):
        yield
