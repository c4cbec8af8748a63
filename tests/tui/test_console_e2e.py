"""The console on the real reconciler: a real Git repository, the sandbox cluster, keys through Pilot.

The app starts the reconciler, shows the compared state, syncs it through the real executor on `s` `y`
and shows the result arrive through `subscribe()`; nothing here is a stand-in.
"""

from __future__ import annotations

from gitops_tui.cluster.clusters import Clusters
from gitops_tui.engine.history import HistoryStore
from gitops_tui.engine.lease import LeaseManager
from gitops_tui.engine.reconciler import Reconciler
from gitops_tui.engine.sync import SyncRunner, SyncSettings
from gitops_tui.model import OperationPhase, SyncStatus
from gitops_tui.source.git import MirrorPool
from gitops_tui.tui.app import GitOpsApp
from gitops_tui.tui.screens.sync_modal import SyncModal
from gitops_tui.tui.widgets.diff_view import DiffView
from gitops_tui.tui.widgets.event_log import EventLogView
from tests.engine.test_reconciler import FAST_CACHE, FAST_CLIENT, QUIET
from tests.engine.test_sync_execute_support import FAST_WAIT, SyncWorld, cluster, configmap, world
from tests.tui import wait_for

__all__ = ["cluster", "world"]  # fixtures, re-exported for pytest


def console_reconciler(world: SyncWorld) -> Reconciler:
    clusters = Clusters(world.kubeconfig, client_settings=FAST_CLIENT, cache_settings=FAST_CACHE)
    runner = SyncRunner(leases=LeaseManager(identity="console-test"), settings=SyncSettings(wait=FAST_WAIT))
    return Reconciler(
        [world.app("shop")],
        clusters=clusters,
        pool=MirrorPool(world.tmp_path / "console-mirrors"),
        settings=QUIET,
        executor=runner,
        history=HistoryStore.for_clusters(clusters),
    )


async def test_console_shows_drift_and_syncs_it_on_the_sandbox(world: SyncWorld) -> None:
    world.commit({"shop/settings.yaml": configmap("settings", LEVEL="info")}, "shop settings")
    reconciler = console_reconciler(world)
    app = GitOpsApp(reconciler)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(
            pilot, lambda: "shop" in app.tree.states and app.tree.states["shop"].compared_at is not None, attempts=500
        )
        assert app.tree.states["shop"].sync is SyncStatus.OUT_OF_SYNC  # nothing deployed yet
        assert app.selection == ("shop", None)
        diff = app.query_one(DiffView)
        await wait_for(pilot, lambda: app.diff_shown_for == ("shop", None) and diff.sections, attempts=500)
        assert "ConfigMap" in diff.sections[0].title.plain and "not in the cluster" in diff.sections[0].heading

        await pilot.press("s")
        assert isinstance(app.screen, SyncModal)
        await pilot.press("y")
        await wait_for(pilot, lambda: app.tree.states["shop"].sync is SyncStatus.SYNCED, attempts=1000)
        operation = reconciler.activity("shop").operation
        assert operation is not None and operation.phase is OperationPhase.SUCCEEDED
        log = app.query_one(EventLogView)
        await wait_for(pilot, lambda: any(e.app == "shop" for e in log.events), attempts=500)
        await pilot.press("q")
    assert app.return_code == 0
