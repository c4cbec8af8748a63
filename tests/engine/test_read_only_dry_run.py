"""Read-only consoles still dry-run: the real reconciler, executor, history and leases on the sandbox.

The console's sync dialog opens locked to a dry run in read-only mode (tests/tui/test_read_only_dry_run.py);
this is the engine's half: a dry run goes through the whole write path (server-side `dryRun=All` applies)
and changes nothing, takes no Lease, records no history; a real sync, a rollback and the auto-sync
switch are still refused, with the reason.
"""

from __future__ import annotations

import pytest

from gitops_tui.cluster.clusters import Clusters
from gitops_tui.engine.history import HistoryStore
from gitops_tui.engine.lease import LeaseManager
from gitops_tui.engine.operations import ReadOnlyModeError, SyncRequest
from gitops_tui.engine.reconciler import Reconciler, ReconcilerSettings
from gitops_tui.engine.sync import SyncRunner, SyncSettings
from gitops_tui.model import OperationPhase, SyncStatus
from gitops_tui.source.git import MirrorPool
from tests.engine.test_reconciler import FAST_CACHE, FAST_CLIENT, QUIET, compared
from tests.engine.test_sync_execute_support import FAST_WAIT, SyncWorld, cluster, configmap, world
from tests.waiting import eventually

__all__ = ["cluster", "world"]  # fixtures, re-exported for pytest


def read_only_console(world: SyncWorld, settings: ReconcilerSettings) -> Reconciler:
    client_settings = FAST_CLIENT
    if settings.read_only:  # as the CLI builds it: the clients refuse writes too
        client_settings = type(FAST_CLIENT)(**{**FAST_CLIENT.__dict__, "read_only": True})
    clusters = Clusters(world.kubeconfig, client_settings=client_settings, cache_settings=FAST_CACHE)
    runner = SyncRunner(leases=LeaseManager(identity="read-only"), settings=SyncSettings(wait=FAST_WAIT))
    return Reconciler(
        [world.app()],
        clusters=clusters,
        pool=MirrorPool(world.tmp_path / "mirrors"),
        settings=settings,
        executor=runner,
        history=HistoryStore.for_clusters(clusters),
    )


def current_context(world: SyncWorld) -> str:
    return world.kubeconfig.current_context  # type: ignore[no-any-return]


@pytest.mark.parametrize("mode", ["console", "context"])
async def test_a_read_only_console_dry_runs_a_sync_and_changes_nothing(world: SyncWorld, mode: str) -> None:
    world.commit({"shop/settings.yaml": configmap("settings", LEVEL="info")}, "info")
    if mode == "console":
        settings = ReconcilerSettings(**{**QUIET.__dict__, "read_only": True})
    else:
        why = f"context {current_context(world)} is read-only in ~/.config/gitops-tui/config.yaml"
        settings = ReconcilerSettings(**{**QUIET.__dict__, "read_only_contexts": {current_context(world): why}})
    console = read_only_console(world, settings)
    try:
        await console.start()
        await eventually(compared(console, "shop", SyncStatus.OUT_OF_SYNC), 20, "shop compared")
        with pytest.raises(ReadOnlyModeError, match="refusing to sync shop"):
            await console.sync("shop", SyncRequest(prune=True))
        with pytest.raises(ReadOnlyModeError, match="refusing to roll shop back"):
            await console.rollback("shop", 1)
        with pytest.raises(ReadOnlyModeError, match="refusing to switch auto-sync off for shop"):
            console.set_auto_sync("shop", False)

        started = await console.sync("shop", SyncRequest(dry_run=True, prune=True))
        assert started.dry_run
        done = await eventually(
            lambda: (op := console.activity("shop").operation) is not None and op.phase.completed and op,
            20,
            "the dry run finished",
        )
        assert done.phase is OperationPhase.SUCCEEDED, done.message
        assert [(r.key.kind, r.key.name) for r in done.results] == [("ConfigMap", "settings")]
        assert world.get("ConfigMap", "settings") is None  # the server checked it; nothing was written
        assert world.get("Lease", "shop", "coordination.k8s.io", namespace="gitops-tui") is None
        assert list(await console.history("shop")) == []
        assert console.snapshot()["shop"].sync is SyncStatus.OUT_OF_SYNC
    finally:
        await console.stop()
