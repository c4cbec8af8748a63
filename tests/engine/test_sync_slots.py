"""Writers per cluster are bounded: the next operation queues, says so, runs when a slot frees (a waiting
operation gives its slot back), and can be terminated while it queues."""

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


async def _slow_writer_holding_the_slot(world: SyncWorld, runner: SyncRunner) -> asyncio.Task:
    """The slow app writes its Deployment for two seconds (a sandbox latency fault), holding the only slot."""
    world.sandbox.set_latency(2.0, verbs=["patch"], resource="deployments.apps")
    job, updates = world.job(world.app("slow", path="slow"))
    task = asyncio.create_task(runner.run(job))
    await eventually(
        lambda: any("create Deployment shop/web" in u.message for u in updates.updates), what="slow writes"
    )
    return task


def _runner(**wait: float) -> SyncRunner:
    settings = WaitSettings(timeout=60, poll_interval=0.05, **wait)
    return SyncRunner(settings=SyncSettings(wait=settings, operations_per_cluster=1))


async def test_a_second_apps_sync_queues_while_the_first_writes_and_runs_while_it_waits(world: SyncWorld) -> None:
    world.commit({"slow/web.yaml": _slow(), "quick/settings.yaml": configmap("settings")}, "two apps")
    runner = _runner()
    slow = await _slow_writer_holding_the_slot(world, runner)
    quick_job, quick_updates = world.job(world.app("quick", path="quick"))
    quick = asyncio.create_task(runner.run(quick_job))
    await eventually(
        lambda: any(
            u.message.startswith("queued: waiting for a writer slot on context")
            and ", 0 ahead (1 operations write at once" in u.message
            for u in quick_updates.updates
        ),
        what="quick queued",
    )
    assert world.get("ConfigMap", "settings") is None  # nothing written while it queues

    # The slow app's Deployment never becomes healthy; while it waits for it, it writes nothing, so the
    # quick app gets the slot and finishes.
    done = await asyncio.wait_for(quick, 10)
    assert done.phase is OperationPhase.SUCCEEDED, done.message
    assert world.get("ConfigMap", "settings") is not None
    assert not slow.done()
    runner.terminate("slow")
    assert (await asyncio.wait_for(slow, 10)).phase is OperationPhase.FAILED


async def test_a_queued_operation_can_be_terminated_before_it_writes(world: SyncWorld) -> None:
    world.commit({"slow/web.yaml": _slow(), "quick/settings.yaml": configmap("settings")}, "two apps")
    runner = _runner(idle_check=60)
    slow = await _slow_writer_holding_the_slot(world, runner)
    quick_job, quick_updates = world.job(world.app("quick", path="quick"))
    quick = asyncio.create_task(runner.run(quick_job))
    await eventually(lambda: any(u.message.startswith("queued") for u in quick_updates.updates), what="queued")

    runner.terminate("quick")  # wakes the queued operation at once (idle_check is a minute)
    done = await asyncio.wait_for(quick, 10)  # not after idle_check: the terminate wakes it
    assert done.phase is OperationPhase.FAILED and done.message == "terminated by user"
    assert world.get("ConfigMap", "settings") is None
    runner.terminate("slow")
    await asyncio.wait_for(slow, 10)


async def test_operations_under_way_are_bounded_even_while_they_only_wait(world: SyncWorld) -> None:
    world.commit({"slow/web.yaml": _slow(), "quick/settings.yaml": configmap("settings")}, "two apps")
    settings = WaitSettings(timeout=60, poll_interval=0.05)
    runner = SyncRunner(
        settings=SyncSettings(wait=settings, operations_per_cluster=1, operations_in_flight_per_cluster=1)
    )
    slow_job, slow_updates = world.job(world.app("slow", path="slow"))
    slow = asyncio.create_task(runner.run(slow_job))
    await eventually(lambda: any("waiting for" in u.message for u in slow_updates.updates), what="slow waits")
    quick_job, quick_updates = world.job(world.app("quick", path="quick"))
    quick = asyncio.create_task(runner.run(quick_job))
    await eventually(lambda: any(u.message.startswith("queued") for u in quick_updates.updates), what="queued")
    assert world.get("ConfigMap", "settings") is None  # the slow app only waits, yet no second one is let in

    runner.terminate("slow")
    await asyncio.wait_for(slow, 10)
    done = await asyncio.wait_for(quick, 10)
    assert done.phase is OperationPhase.SUCCEEDED, done.message


async def test_queued_operations_say_how_many_are_ahead_of_them(world: SyncWorld) -> None:
    world.commit({"slow/web.yaml": _slow(), "one/a.yaml": configmap("a"), "two/b.yaml": configmap("b")}, "three")
    runner = _runner()
    slow = await _slow_writer_holding_the_slot(world, runner)
    tasks, said = [], []
    for name in ("one", "two"):
        job, updates = world.job(world.app(name, path=name))
        tasks.append(asyncio.create_task(runner.run(job)))
        said.append(updates)
        await eventually(lambda u=updates: any(x.message.startswith("queued") for x in u.updates), what="queued")
    first, second = (next(x.message for x in u.updates if x.message.startswith("queued")) for u in said)
    assert ", 0 ahead " in first and ", 1 ahead " in second, (first, second)
    for task in tasks:
        assert (await asyncio.wait_for(task, 10)).phase is OperationPhase.SUCCEEDED
    runner.terminate("slow")
    await asyncio.wait_for(slow, 10)
