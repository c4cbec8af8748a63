"""A read-only console on the real reconciler and the sandbox: `s` opens locked to a dry run, `y` has the
cluster check the sync (server-side dry run), the result shows, and nothing is written."""

from __future__ import annotations

from gitops_tui.cluster.client import ClientSettings
from gitops_tui.cluster.clusters import Clusters
from gitops_tui.engine.history import HistoryStore
from gitops_tui.engine.lease import LeaseManager
from gitops_tui.engine.reconciler import Reconciler, ReconcilerSettings
from gitops_tui.engine.sync import SyncRunner, SyncSettings
from gitops_tui.model import OperationPhase, SyncStatus
from gitops_tui.source.git import MirrorPool
from gitops_tui.tui.app import GitOpsApp
from gitops_tui.tui.screens.sync_modal import SyncModal
from tests.engine.test_reconciler import FAST_CACHE, FAST_CLIENT, QUIET
from tests.engine.test_sync_execute_support import FAST_WAIT, SyncWorld, cluster, configmap, world
from tests.tui import wait_for

__all__ = ["cluster", "world"]  # fixtures, re-exported for pytest


def read_only_reconciler(world: SyncWorld) -> Reconciler:
    client = ClientSettings(**{**FAST_CLIENT.__dict__, "read_only": True})  # as `--read-only` builds it
    clusters = Clusters(world.kubeconfig, client_settings=client, cache_settings=FAST_CACHE)
    runner = SyncRunner(leases=LeaseManager(identity="read-only-console"), settings=SyncSettings(wait=FAST_WAIT))
    settings = ReconcilerSettings(**{**QUIET.__dict__, "read_only": True})
    return Reconciler(
        [world.app("shop")],
        clusters=clusters,
        pool=MirrorPool(world.tmp_path / "console-mirrors"),
        settings=settings,
        executor=runner,
        history=HistoryStore.for_clusters(clusters),
    )


async def test_a_read_only_console_dry_runs_a_sync_on_the_sandbox(world: SyncWorld) -> None:
    world.commit({"shop/settings.yaml": configmap("settings", LEVEL="info")}, "shop settings")
    reconciler = read_only_reconciler(world)
    app = GitOpsApp(reconciler)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(
            pilot, lambda: "shop" in app.tree.states and app.tree.states["shop"].compared_at is not None, attempts=500
        )
        assert app.read_only and app.tree.states["shop"].sync is SyncStatus.OUT_OF_SYNC
        await pilot.press("s")
        modal = app.screen
        assert isinstance(modal, SyncModal) and modal.dry_run and modal.dry_run_only
        await pilot.press("y")

        def finished() -> object:
            operation = reconciler.activity("shop").operation
            return operation is not None and operation.phase.completed and operation

        await wait_for(pilot, finished, attempts=1000)
        operation = reconciler.activity("shop").operation
        assert operation is not None and operation.dry_run
        assert operation.phase is OperationPhase.SUCCEEDED, operation.message
        assert world.get("ConfigMap", "settings") is None  # checked by the server, not written
        assert app.tree.states["shop"].sync is SyncStatus.OUT_OF_SYNC
        assert not any("Error" in type(screen).__name__ for screen in app.screen_stack)
        await pilot.press("q")
    assert app.return_code == 0
