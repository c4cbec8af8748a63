"""Operations per cluster are bounded: the next one queues, says so, runs when a slot frees, can be terminated."""

from __future__ import annotations

import asyncio

from gitops_tui.engine.sync import SyncRunner, SyncSettings
from gitops_tui.engine.sync_waits import WaitSettings
from gitops_tui.model import OperationPhase
from tests.engine.test_sync_execute_support import SyncWorld, cluster, configmap, deployment, world
from tests.waiting import eventually

__all__ = ["cluster", "world"]  # fixtures, re-exported for pytest


def _slow() -> str:
    # crashloop with a long progress deadline: the sync waits until someone stops it
    return deployment("web", "shop/web:crashloop").replace(
        "progressDeadlineSeconds: 20", "progressDeadlineSeconds: 100000"
    )


async def test_a_second_apps_sync_queues_until_the_first_frees_its_slot(world: SyncWorld) -> None:
    world.commit({"slow/web.yaml": _slow(), "quick/settings.yaml": configmap("settings")}, "two apps")
    runner = SyncRunner(
        settings=SyncSettings(wait=WaitSettings(timeout=60, poll_interval=0.05), operations_per_cluster=1)
    )
    slow_job, slow_updates = world.job(world.app("slow", path="slow"))
    quick_job, quick_updates = world.job(world.app("quick", path="quick"))
    slow = asyncio.create_task(runner.run(slow_job))
    await eventually(lambda: any("waiting for" in u.message for u in slow_updates.updates), what="slow waits")
    quick = asyncio.create_task(runner.run(quick_job))
    await eventually(
        lambda: any(u.message.startswith("queued: 1 operations") for u in quick_updates.updates), what="quick queued"
    )
    assert world.get("ConfigMap", "settings") is None  # nothing written while it queues

    runner.terminate("slow")
    assert (await asyncio.wait_for(slow, 10)).phase is OperationPhase.FAILED
    done = await asyncio.wait_for(quick, 10)
    assert done.phase is OperationPhase.SUCCEEDED, done.message
    assert world.get("ConfigMap", "settings") is not None


async def test_a_queued_operation_can_be_terminated_before_it_writes(world: SyncWorld) -> None:
    world.commit({"slow/web.yaml": _slow(), "quick/settings.yaml": configmap("settings")}, "two apps")
    runner = SyncRunner(
        settings=SyncSettings(
            wait=WaitSettings(timeout=60, poll_interval=0.05, idle_check=60), operations_per_cluster=1
        )
    )
    slow_job, slow_updates = world.job(world.app("slow", path="slow"))
    quick_job, quick_updates = world.job(world.app("quick", path="quick"))
    slow = asyncio.create_task(runner.run(slow_job))
    await eventually(lambda: any("waiting for" in u.message for u in slow_updates.updates), what="slow waits")
    quick = asyncio.create_task(runner.run(quick_job))
    await eventually(lambda: any(u.message.startswith("queued") for u in quick_updates.updates), what="queued")

    runner.terminate("quick")  # wakes the queued operation at once (idle_check is a minute)
    done = await asyncio.wait_for(quick, 5)
    assert done.phase is OperationPhase.FAILED and done.message == "terminated by user"
    assert world.get("ConfigMap", "settings") is None
    runner.terminate("slow")
    await asyncio.wait_for(slow, 10)
