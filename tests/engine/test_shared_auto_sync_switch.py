"""`set_auto_sync` (the console's `a`) writes the shared pause every console honours, and clearing it anywhere
resumes every console: the switch means the same everywhere and across restarts, as in Argo CD."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from gitops_tui.cluster.clusters import Clusters
from gitops_tui.engine.history import HistoryStore
from gitops_tui.engine.lease import LeaseManager
from gitops_tui.engine.reconciler import Reconciler
from gitops_tui.engine.sync import SyncRunner, SyncSettings
from gitops_tui.model import AppSpec, SyncStatus
from gitops_tui.source.git import MirrorPool
from tests.engine.test_reconciler import FAST_CACHE, FAST_CLIENT, QUIET, app
from tests.engine.test_sync_execute_support import FAST_WAIT, SyncWorld, cluster, configmap, world
from tests.waiting import eventually

__all__ = ["cluster", "world"]  # fixtures, re-exported for pytest

RECHECKING = replace(QUIET, pause_recheck=0.2)


def _console(world: SyncWorld, apps: list[AppSpec], identity: str) -> Reconciler:
    clusters = Clusters(world.kubeconfig, client_settings=FAST_CLIENT, cache_settings=FAST_CACHE)
    runner = SyncRunner(leases=LeaseManager(identity=identity), settings=SyncSettings(wait=FAST_WAIT))
    return Reconciler(
        apps,
        clusters=clusters,
        pool=MirrorPool(world.tmp_path / f"mirrors-{identity}"),
        settings=RECHECKING,
        executor=runner,
        history=HistoryStore.for_clusters(clusters),
    )


def _level(world: SyncWorld) -> Any:
    found = world.get("ConfigMap", "settings")
    return found["data"]["LEVEL"] if found else None


async def test_a_switched_off_in_one_console_is_off_in_every_console_until_resumed_anywhere(world: SyncWorld) -> None:
    world.commit({"shop/settings.yaml": configmap("settings", LEVEL="info")}, "info")
    apps = [app("shop", world.remote, "shop", automated=True)]
    first = _console(world, apps, "console-1")
    await first.start()
    second: Reconciler | None = None
    try:
        await eventually(lambda: _level(world) == "info", 20, "the first automated sync")
        first.set_auto_sync("shop", False)
        store = HistoryStore(lambda _: world.client)
        pause = await eventually_async(lambda: store.auto_sync_pause(apps[0]), 10, "the shared pause written")
        assert pause.reason.startswith("automated sync switched off in the console by ")
        assert not first.activity("shop").auto_sync

        world.commit({"shop/settings.yaml": configmap("settings", LEVEL="debug")}, "debug")
        second = _console(world, apps, "console-2")  # another console (or this one restarted) starts
        await second.start()
        await eventually(
            lambda: "switched off in the console by" in second.activity("shop").auto_sync_note,
            10,
            "the other console shows the pause",
        )
        assert not second.activity("shop").auto_sync
        await first.refresh("shop")
        await second.refresh("shop")
        await eventually(lambda: first.snapshot()["shop"].sync is SyncStatus.OUT_OF_SYNC, 20, "the new revision seen")
        assert _level(world) == "info"  # paused everywhere: nobody syncs Git's newer revision

        second.set_auto_sync("shop", True)  # resumed in the other console: this one resumes too
        await eventually(lambda: first.activity("shop").auto_sync, 10, "the first console resumed")
        await eventually(lambda: _level(world) == "debug", 20, "the resumed automated sync")
        assert await store.auto_sync_pause(apps[0]) is None
        assert any("cleared elsewhere" in e.message for e in first.events(app="shop"))
    finally:
        await first.stop()
        if second is not None:
            await second.stop()


async def eventually_async(fetch: Any, timeout: float, what: str) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await fetch()
        if value is not None:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)
