"""The executor, history store and leases plugged into the real Reconciler: auto-sync, rollback, restart, stop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from gitops_tui.cluster.clusters import Clusters
from gitops_tui.engine.history import HistoryStore
from gitops_tui.engine.lease import LeaseManager
from gitops_tui.engine.reconciler import Reconciler
from gitops_tui.engine.sync import SyncRunner, SyncSettings
from gitops_tui.engine.sync_waits import WaitSettings
from gitops_tui.model import AppSpec, Operation, OperationPhase
from gitops_tui.source.git import MirrorPool
from tests.engine.test_reconciler import FAST_CACHE, FAST_CLIENT, QUIET, app
from tests.engine.test_sync_execute_support import (
    FAST_WAIT,
    SyncWorld,
    cluster,
    configmap,
    deployment,
    world,
)
from tests.waiting import eventually

__all__ = ["cluster", "world"]  # fixtures, re-exported for pytest


def _console(world: SyncWorld, apps: list[AppSpec], identity: str, wait: WaitSettings = FAST_WAIT) -> Reconciler:
    clusters = Clusters(world.kubeconfig, client_settings=FAST_CLIENT, cache_settings=FAST_CACHE)
    history = HistoryStore.for_clusters(clusters)
    runner = SyncRunner(leases=LeaseManager(identity=identity), settings=SyncSettings(wait=wait))
    return Reconciler(
        apps,
        clusters=clusters,
        pool=MirrorPool(world.tmp_path / f"mirrors-{identity}"),
        settings=QUIET,
        executor=runner,
        history=history,
    )


def _finished(reconciler: Reconciler, name: str, after: int = 0) -> Callable[[], Operation | None]:
    def check() -> Operation | None:
        operation = reconciler.activity(name).operation
        return operation if operation is not None and operation.id > after and operation.phase.completed else None

    return check


def _level(world: SyncWorld) -> Any:
    found = world.get("ConfigMap", "settings")
    return found["data"]["LEVEL"] if found else None


async def test_auto_sync_history_and_a_rollback_that_stays_paused_across_a_restart(world: SyncWorld) -> None:
    world.commit({"shop/settings.yaml": configmap("settings", LEVEL="info")}, "info")
    apps = [app("shop", world.remote, "shop", automated=True)]
    console = _console(world, apps, "console-1")
    await console.start()
    first = await eventually(_finished(console, "shop"), 20, "the automated sync of the first revision")
    assert first.phase is OperationPhase.SUCCEEDED and first.initiated_by == "automated", first.message
    assert first.results and _level(world) == "info"

    world.commit({"shop/settings.yaml": configmap("settings", LEVEL="debug")}, "debug")
    await console.refresh("shop")
    second = await eventually(_finished(console, "shop", first.id), 20, "the automated sync of the second")
    assert second.phase is OperationPhase.SUCCEEDED, second.message
    assert _level(world) == "debug"
    history = await _eventually_async(lambda: console.history("shop"), lambda e: len(e) == 2)
    assert [e.initiated_by for e in history] == ["automated", "automated"]

    await console.rollback("shop", history[0].id)
    rolled = await eventually(_finished(console, "shop", second.id), 20, "the rollback")
    assert rolled.phase is OperationPhase.SUCCEEDED and rolled.kind == "rollback", rolled.message
    assert _level(world) == "info"
    activity = console.activity("shop")
    assert not activity.auto_sync and "paused after rollback" in activity.auto_sync_note
    await console.refresh("shop")
    await asyncio.sleep(0)  # let a (wrong) automated sync start, if one would
    assert console.activity("shop").operation.id == rolled.id  # type: ignore[union-attr]
    assert _level(world) == "info"  # paused: Git's newer revision is not synced back
    await console.stop()

    restarted = _console(world, apps, "console-2")
    await restarted.start()
    await eventually(
        lambda: "paused after rollback" in restarted.activity("shop").auto_sync_note,
        10,
        "the persisted pause read back",
    )
    assert not restarted.activity("shop").auto_sync
    history = await restarted.history("shop")
    assert [e.revision for e in history][-1] == history[0].revision  # the rollback is history too
    restarted.set_auto_sync("shop", True)  # resuming is one call: Git's newest revision comes back
    await eventually(lambda: _level(world) == "debug", 20, "the resumed auto-sync")
    await restarted.stop()


async def test_stopping_the_console_mid_sync_records_the_operation_interrupted(world: SyncWorld) -> None:
    slow = configmap("later", wave=1) + "---\n" + configmap("settings", LEVEL="info")
    world.commit(
        {
            "shop/web.yaml": deployment("web", "shop/web:crashloop").replace(
                "progressDeadlineSeconds: 20", "progressDeadlineSeconds: 100000"
            ),
            "shop/rest.yaml": slow,
        },
        "slow",
    )
    # The wave never gets healthy (crashloop): the wait must outlast the test however slow the machine, or on
    # a loaded one the sync ends Failed ("not done after 20 s") before the console is stopped.
    patient = WaitSettings(timeout=600.0, poll_interval=FAST_WAIT.poll_interval)
    console = _console(world, [app("shop", world.remote, "shop")], "console-1", wait=patient)
    await console.start()
    await eventually(lambda: console.snapshot()["shop"].compared_at is not None, 20, "the first compare")
    await console.sync("shop")
    await eventually(lambda: "waiting for" in _message(console), 20, "the wave wait")
    await console.stop()
    operation = console.activity("shop").operation
    assert operation is not None and operation.phase is OperationPhase.INTERRUPTED, operation and (
        operation.phase,
        operation.message,
        operation.results,
    )
    assert await console.history_store.entries(console._workers["shop"].spec) == ()


async def _eventually_async(fetch: Callable[[], Any], good: Callable[[Any], bool], timeout: float = 10.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await fetch()
        if good(value):
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out; last value {value!r}")
        await asyncio.sleep(0.05)


def _message(reconciler: Reconciler) -> str:
    operation = reconciler.activity("shop").operation
    return operation.message if operation is not None else ""
