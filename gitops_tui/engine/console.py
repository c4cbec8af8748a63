"""The console's production wiring: a Reconciler with sync execution, durable history and leases plugged in.

The TUI and the CLI's write commands build their reconciler here, so both run the same executor
(`SyncRunner` holding each app's Lease while it writes), keep history in the clusters (`HistoryStore`),
and in read-only mode hand the clusters a client that refuses writes too: the reconciler refuses every
write path first, the client is a second lock on the same door.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from gitops_tui.cluster.clusters import Clusters
from gitops_tui.cluster.kubeconfig import KubeConfig
from gitops_tui.engine.history import HistoryStore
from gitops_tui.engine.lease import LeaseManager
from gitops_tui.engine.reconciler import Reconciler, ReconcilerSettings
from gitops_tui.engine.sync import SyncRunner
from gitops_tui.model import AppSpec
from gitops_tui.source.git import MirrorPool


def console_settings(read_only: bool = False, settings: ReconcilerSettings | None = None) -> ReconcilerSettings:
    """`settings` with read-only switched on when asked (either flag makes the console read-only)."""
    settings = settings or ReconcilerSettings()
    if read_only and not settings.read_only:
        settings = dataclasses.replace(settings, read_only=True)
    if settings.read_only and not settings.client.read_only:
        settings = dataclasses.replace(settings, client=dataclasses.replace(settings.client, read_only=True))
    return settings


def open_clusters(kubeconfig: KubeConfig, settings: ReconcilerSettings) -> Clusters:
    return Clusters(kubeconfig, client_settings=settings.client, cache_settings=settings.cache)


def build_reconciler(apps: Sequence[AppSpec], kubeconfig: KubeConfig, *, read_only: bool = False,
                     settings: ReconcilerSettings | None = None, pool: MirrorPool | None = None) -> Reconciler:
    """A reconciler that syncs, keeps history and takes leases; `stop()` gives the leases back."""
    settings = console_settings(read_only, settings)
    clusters = open_clusters(kubeconfig, settings)
    return Reconciler(apps, clusters=clusters, pool=pool, settings=settings,
                      executor=SyncRunner(leases=LeaseManager()), history=HistoryStore.for_clusters(clusters))
