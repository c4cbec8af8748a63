"""`--argocd-cm FILE`: Argo CD's custom Lua health checks for every command that judges health.

Where the checks come from: `--argocd-cm`, else `$GITOPS_TUI_ARGOCD_CM`, else `argocdCM:` in the config
file. Each names an argocd-cm file, or `cluster:[NAMESPACE/NAME]` for the ConfigMap itself in the current
kubeconfig context (default `argocd/argocd-cm`), for commands that talk to a cluster. The checks are
installed once, before the command runs, so `status`, `diff`, `sync`, the console and `gitops-tui health`
all judge with them.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from gitops_tui.cli.common import CommandError

ARGOCD_CM_ENV = "GITOPS_TUI_ARGOCD_CM"
CLUSTER_PREFIX = "cluster:"
DEFAULT_CONFIGMAP = "argocd/argocd-cm"


def add_argocd_cm_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--argocd-cm",
        metavar="FILE",
        help="Argo CD's argocd-cm ConfigMap whose resource.customizations.health.* Lua checks to use: a YAML "
        "file, or cluster:[NAMESPACE/NAME] for the one in the current context (commands that talk to a cluster) "
        f"(default: ${ARGOCD_CM_ENV}, or 'argocdCM:' in the config file)",
    )


def argocd_cm_source(args: argparse.Namespace) -> str | None:
    if getattr(args, "argocd_cm", None):
        return str(args.argocd_cm)
    from_env = os.environ.get(ARGOCD_CM_ENV, "").strip()
    if from_env:
        return from_env
    from gitops_tui.config import load_settings

    configured = load_settings().argocd_cm
    return str(configured) if configured else None


@contextmanager
def custom_health(args: argparse.Namespace) -> Iterator[None]:
    """The command runs with the custom health checks it should use, if any (and without them after, so a
    process that runs several commands keeps none by accident); a bad source stops the command (exit 2)."""
    source = argocd_cm_source(args) if hasattr(args, "argocd_cm") else None  # no option: no health judged
    if source is None:
        yield
        return
    from gitops_tui.engine.health import custom_checks_installed
    from gitops_tui.engine.health_lua import LuaHealthChecks
    from gitops_tui.engine.health_lua_config import HealthConfigError, load_health_scripts

    try:
        if source.startswith(CLUSTER_PREFIX):
            scripts = _scripts_in_cluster(source[len(CLUSTER_PREFIX) :] or DEFAULT_CONFIGMAP, args)
        else:
            scripts = load_health_scripts(Path(source).expanduser())
    except HealthConfigError as exc:
        raise CommandError(str(exc)) from None
    try:
        import lupa.lua54  # noqa: F401  (the checks need it: say so once, not on every resource)
    except ImportError:
        raise CommandError(f"{source}: custom health checks need the 'lupa' package: pip install lupa") from None
    with custom_checks_installed(LuaHealthChecks(scripts)):
        yield


def _scripts_in_cluster(where: str, args: argparse.Namespace) -> Any:
    from gitops_tui.cluster.client import ClientSettings, ClusterClient
    from gitops_tui.cluster.errors import ClusterError, KubeconfigError
    from gitops_tui.cluster.kubeconfig import load_kubeconfig
    from gitops_tui.engine.health_lua_config import parse_health_scripts
    from gitops_tui.model import ResourceKey

    if not hasattr(args, "kubeconfig"):
        raise CommandError(f"--argocd-cm {CLUSTER_PREFIX}{where}: this command reads no cluster; give a file")
    namespace, _, name = where.rpartition("/")
    namespace = namespace or DEFAULT_CONFIGMAP.split("/")[0]
    try:
        kubeconfig = load_kubeconfig(args.kubeconfig, context=args.context)
        client = ClusterClient.from_kubeconfig(kubeconfig, settings=ClientSettings(read_only=True))
    except KubeconfigError as exc:
        raise CommandError(exc.message) from None
    described = f"ConfigMap {namespace}/{name} (context {client.context})"
    try:
        configmap = client.get(ResourceKey("", "ConfigMap", namespace, name))
    except ClusterError as exc:
        raise CommandError(f"cannot read the custom health checks: {exc.message}") from None
    finally:
        client.close()
    if configmap is None:
        raise CommandError(f"no {described}: give --argocd-cm a file, or the ConfigMap's NAMESPACE/NAME")
    return parse_health_scripts(configmap.get("data") or {}, described)
