"""Read-only per context: apps deploying to a context the config file marks `readOnly` take no writes.

The console-wide read-only mode (`ReconcilerSettings.read_only`) refuses everything; this refuses the
writes of the apps whose destination maps to one of `ReconcilerSettings.read_only_contexts`, with the
reason the settings give ("context prod is read-only in ~/.config/gitops-tui/config.yaml"). The
reconciler asks here on every write path (sync, rollback, auto-sync on/off, automated sync).
"""

from __future__ import annotations

from collections.abc import Mapping

from gitops_tui.cluster.errors import ClusterError
from gitops_tui.engine.app_worker import AppWorker
from gitops_tui.engine.clusters_runtime import ClusterRuntimes
from gitops_tui.engine.operations import ReadOnlyModeError


def context_read_only(contexts: Mapping[str, str], runtimes: ClusterRuntimes, worker: AppWorker) -> str:
    """Why `worker`'s context takes no writes, "" when it does (or the app has no cluster to write to)."""
    if not contexts:
        return ""
    if worker.runtime is not None:
        context = worker.runtime.context
    else:  # before start, or a destination no kubeconfig context matches
        try:
            context = runtimes.context_for(worker.spec.destination)
        except ClusterError:
            return ""
    return contexts.get(context, "")


def refuse_context_writes(contexts: Mapping[str, str], runtimes: ClusterRuntimes, worker: AppWorker, what: str) -> None:
    """Raise ReadOnlyModeError ("read-only: context prod is read-only in …: refusing to sync web")."""
    why = context_read_only(contexts, runtimes, worker)
    if why:
        raise ReadOnlyModeError(f"read-only: {why}: refusing to {what} (a dry-run sync is allowed)")
