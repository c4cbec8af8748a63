"""The console's production wiring: a Reconciler with sync execution, durable history and leases plugged in.

The TUI and the CLI's write commands build their reconciler here, so both run the same executor
(`SyncRunner` holding each app's Lease while it writes), keep history in the clusters (`HistoryStore`),
and in read-only mode hand the clusters a client that refuses writes too: the reconciler refuses every
write path first, the client is a second lock on the same door.

A console (the TUI, or headless `watch`) also answers the CLI's read-only `diff` and `status` from its
watch cache while it runs (query_server.py): `build_reconciler(..., answer_queries_as=watched)`.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from typing import Any

from gitops_tui.cluster.clusters import Clusters
from gitops_tui.cluster.kubeconfig import KubeConfig
from gitops_tui.engine.history import HistoryStore
from gitops_tui.engine.lease import LeaseManager
from gitops_tui.engine.query_server import QueryServer, WatchedApps
from gitops_tui.engine.reconciler import Reconciler, ReconcilerSettings
from gitops_tui.engine.sync import SyncRunner
from gitops_tui.model import AppSpec
from gitops_tui.source.git import MirrorPool

log = logging.getLogger(__name__)


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


class ServingReconciler(Reconciler):
    """A reconciler that, while it runs, answers the CLI's `diff` and `status` on a Unix socket."""

    def __init__(self, apps: Sequence[AppSpec], *, watched: WatchedApps, clusters: Clusters, **kwargs: Any) -> None:
        super().__init__(apps, clusters=clusters, **kwargs)
        self.query_server = QueryServer(self, watched, clusters.context_for)
        self.query_problem = ""
        """Why CLI queries are not answered ("" when they are, or before start)."""
        self._query_tried = False

    async def start(self) -> None:
        await super().start()
        if not self._query_tried:
            self._query_tried = True
            self.query_problem = await self.query_server.start()
            if self.query_problem:
                log.warning("%s", self.query_problem)

    async def stop(self) -> None:
        await self.query_server.stop()  # first: no question may reach a console that is going away
        await super().stop()


def build_reconciler(
    apps: Sequence[AppSpec],
    kubeconfig: KubeConfig,
    *,
    read_only: bool = False,
    settings: ReconcilerSettings | None = None,
    pool: MirrorPool | None = None,
    answer_queries_as: WatchedApps | None = None,
) -> Reconciler:
    """A reconciler that syncs, keeps history and takes leases; `stop()` gives the leases back.

    With `answer_queries_as` (what the console watches: apps source, kubeconfig/context, health checks, as
    cli/console_definitions.py reads them) it also answers `gitops-tui diff` / `status` run against the same,
    while it runs.
    """
    settings = console_settings(read_only, settings)
    clusters = open_clusters(kubeconfig, settings)
    parts: dict[str, Any] = {
        "pool": pool,
        "settings": settings,
        "executor": SyncRunner(leases=LeaseManager()),
        "history": HistoryStore.for_clusters(clusters),
    }
    if answer_queries_as is None:
        return Reconciler(apps, clusters=clusters, **parts)
    return ServingReconciler(apps, watched=answer_queries_as, clusters=clusters, **parts)
