"""A sync's waits read the reconciler's watch cache: a wave waits for health without polling the API server.

The sandbox counts the requests it serves by verb; a wave that waits for a Deployment to roll out must not
add GETs while it waits (the cache's own list+watch are not GETs of objects). Kinds the cache does not
watch are still waited for, with GETs.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator

import pytest

from gitops_tui.cluster.cache import CacheSettings, LiveCache
from gitops_tui.cluster.watch import WatchOptions
from gitops_tui.engine.operations import SyncJob
from gitops_tui.engine.sync import SyncRunner, SyncSettings
from gitops_tui.engine.sync_waits import WaitSettings
from gitops_tui.model import OperationPhase
from tests.engine.test_sync_execute_support import SyncWorld, cluster, configmap, deployment, result_for, world
from tests.waiting import eventually

__all__ = ["cluster", "world"]  # fixtures, re-exported for pytest

# Polling every 50 ms would show dozens of GETs during a rollout: any GET counted is a poll.
POLLING_WAIT = WaitSettings(timeout=20.0, poll_interval=0.05)
CACHE = CacheSettings(watch=WatchOptions(backoff_initial=0.05, backoff_max=0.5, idle_read_timeout=5.0))


@pytest.fixture
async def cache(world: SyncWorld) -> AsyncIterator[LiveCache]:
    live = LiveCache(world.new_client(), CACHE)
    await live.register("reconciler", [("apps", "Deployment"), ("", "ConfigMap")])
    await live.start()
    assert await live.wait_synced(10)
    yield live
    await live.aclose()
    live.client.close()


def _files() -> dict[str, str]:
    # A generous progress deadline: at the sandbox's 40x speed the usual 20 s are half a second, which a busy
    # machine can miss, and this rollout is meant to succeed.
    db = deployment("db", "shop/db:1.0").replace("progressDeadlineSeconds: 20", "progressDeadlineSeconds: 2000")
    return {"shop/db.yaml": db, "shop/after.yaml": configmap("after", wave=1)}


def _with_cache(job: SyncJob, cache: LiveCache) -> SyncJob:
    return dataclasses.replace(job, cache=cache)


async def test_a_wave_waits_for_a_deployment_from_the_watch_cache_without_gets(
    world: SyncWorld, cache: LiveCache
) -> None:
    world.commit(_files(), "db then config")
    runner = SyncRunner(settings=SyncSettings(wait=POLLING_WAIT))
    job, recorder = world.job(world.app())
    before = world.sandbox.request_counts()

    done = await runner.run(_with_cache(job, cache))

    assert done.phase is OperationPhase.SUCCEEDED, done.message
    assert "Healthy" in result_for(done, "Deployment", "db").message
    assert any("waiting for Deployment shop/db" in u.message for u in recorder.updates)  # it did wait
    after = world.sandbox.request_counts()
    assert after.get("get", 0) - before.get("get", 0) == 0
    assert after.get("patch", 0) - before.get("patch", 0) == 2  # the two applies, nothing else written


async def test_kinds_the_cache_does_not_watch_are_waited_for_with_gets(world: SyncWorld) -> None:
    world.commit(_files(), "db then config")
    narrow = LiveCache(world.new_client(), CACHE)
    await narrow.register("reconciler", [("", "ConfigMap")], include_children=False)
    await narrow.start()
    try:
        assert await narrow.wait_synced(10)
        runner = SyncRunner(settings=SyncSettings(wait=POLLING_WAIT))
        job, _ = world.job(world.app())
        before = world.sandbox.request_counts().get("get", 0)
        done = await runner.run(_with_cache(job, narrow))
        assert done.phase is OperationPhase.SUCCEEDED, done.message
        assert "Healthy" in result_for(done, "Deployment", "db").message
        assert world.sandbox.request_counts().get("get", 0) > before  # the Deployment was polled
    finally:
        await narrow.aclose()
        narrow.client.close()


async def test_a_degraded_deployment_seen_in_the_cache_fails_the_sync(world: SyncWorld, cache: LiveCache) -> None:
    world.commit(
        {"shop/db.yaml": deployment("db", "shop/db:crashloop"), "shop/after.yaml": configmap("after", wave=1)},
        "crashloop",
    )
    runner = SyncRunner(settings=SyncSettings(wait=POLLING_WAIT))
    job, _ = world.job(world.app())
    done = await runner.run(_with_cache(job, cache))
    assert done.phase is OperationPhase.FAILED
    assert "Degraded" in done.message and "Deployment shop/db" in done.message
    assert world.get("ConfigMap", "after") is None  # the next wave never ran


async def test_terminate_wakes_a_wait_on_the_cache_at_once(world: SyncWorld, cache: LiveCache) -> None:
    slow = deployment("db", "shop/db:crashloop").replace(
        "progressDeadlineSeconds: 20", "progressDeadlineSeconds: 100000"
    )
    world.commit({"shop/db.yaml": slow, "shop/after.yaml": configmap("after", wave=1)}, "slow")
    # Nothing would wake this wait for a minute but the terminate itself.
    runner = SyncRunner(settings=SyncSettings(wait=WaitSettings(timeout=120, idle_check=60)))
    job, recorder = world.job(world.app())
    task = asyncio.create_task(runner.run(_with_cache(job, cache)))
    await eventually(lambda: any("waiting for" in u.message for u in recorder.updates), what="the wave wait")
    runner.terminate("shop")
    done = await asyncio.wait_for(task, 5)
    assert done.phase is OperationPhase.FAILED and done.message == "terminated by user"
