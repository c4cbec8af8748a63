"""What a sync costs the API server, with the real reconciler: the compare after it reuses what the applies
returned instead of asking for a dry-run of each object again (benchmarks/bench_sync.py measures the rest)."""

from __future__ import annotations

from gitops_tui.cluster.clusters import Clusters
from gitops_tui.engine.reconciler import Reconciler
from gitops_tui.engine.sync import SyncRunner, SyncSettings
from gitops_tui.model import OperationPhase, SyncStatus
from gitops_tui.source.git import MirrorPool
from tests.engine.test_reconciler import FAST_CACHE, FAST_CLIENT, QUIET, app
from tests.engine.test_sync_execute_support import FAST_WAIT, SyncWorld, cluster, configmap, world
from tests.waiting import eventually

__all__ = ["cluster", "world"]  # fixtures, re-exported for pytest

CONFIGMAPS = 10


async def test_the_compare_after_a_sync_makes_no_dry_run_of_what_the_sync_applied(world: SyncWorld) -> None:
    world.commit({f"shop/cm{n}.yaml": configmap(f"cm{n}", N=str(n)) for n in range(CONFIGMAPS)}, "five")
    clusters = Clusters(world.kubeconfig, client_settings=FAST_CLIENT, cache_settings=FAST_CACHE)
    console = Reconciler(
        [app("shop", world.remote, "shop")],
        clusters=clusters,
        pool=MirrorPool(world.tmp_path / "mirrors"),
        settings=QUIET,
        executor=SyncRunner(settings=SyncSettings(wait=FAST_WAIT)),
    )
    await console.start()
    try:
        await eventually(lambda: console.snapshot()["shop"].sync is SyncStatus.OUT_OF_SYNC, 20, "first compare")
        before = world.sandbox.request_counts().get("patch", 0)
        await console.sync("shop")
        done = await eventually(
            lambda: (op := console.activity("shop").operation) and op.phase.completed and op, 20, "the sync"
        )
        assert done.phase is OperationPhase.SUCCEEDED, done.message
        await eventually(lambda: console.snapshot()["shop"].sync is SyncStatus.SYNCED, 20, "Synced after the sync")
        # The ten applies, and (nearly) no dry-run patch for the compare that found the app Synced: without the
        # reuse there would be one per object. A compare that a watch event starts in the instant between the
        # server's answer and its reading may still ask for one (a few on a loaded machine), hence the
        # allowance: half the objects, well below the ten more that no reuse would cost.
        patches = world.sandbox.request_counts().get("patch", 0) - before
        assert CONFIGMAPS <= patches <= CONFIGMAPS + CONFIGMAPS // 2, patches
    finally:
        await console.stop()
