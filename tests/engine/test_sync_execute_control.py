"""Controlling a running sync: one per app, terminate, interrupt (console stop), 403s, read-only mode."""

from __future__ import annotations

import asyncio

import pytest

from gitops_tui.engine.lease import LeaseManager
from gitops_tui.engine.operations import OperationInProgressError, SyncRequest
from gitops_tui.engine.sync import SyncRunner, SyncSettings
from gitops_tui.model import OperationPhase, ResourceAction
from gitops_tui.sandbox import ForbidRule
from tests.engine.test_sync_execute_support import (
    FAST_WAIT,
    SyncWorld,
    cluster,
    configmap,
    deployment,
    result_for,
    world,
)
from tests.waiting import eventually

__all__ = ["cluster", "world"]  # fixtures, re-exported for pytest


def _slow_app_files() -> dict[str, str]:
    # crashloop with a long progress deadline: wave 0 stays Progressing until someone stops the sync
    return {
        "shop/web.yaml": deployment("web", "shop/web:crashloop").replace(
            "progressDeadlineSeconds: 20", "progressDeadlineSeconds: 100000"
        ),
        "shop/later.yaml": configmap("later", wave=1),
    }


async def _start_waiting(world: SyncWorld, runner: SyncRunner) -> tuple[asyncio.Task, object]:
    job, recorder = world.job(world.app())
    task = asyncio.create_task(runner.run(job))
    await eventually(lambda: any("waiting for" in u.message for u in recorder.updates), what="the wave wait")
    return task, recorder


async def test_a_second_operation_on_the_app_is_refused_naming_the_running_one(world: SyncWorld) -> None:
    world.commit(_slow_app_files(), "slow")
    task, _ = await _start_waiting(world, world.runner)
    second, _ = world.job(world.app())
    with pytest.raises(OperationInProgressError) as refused:
        await world.runner.run(second)
    assert "sync #1" in refused.value.message and "is running" in refused.value.message
    assert world.runner.running("shop") is not None
    world.runner.terminate("shop")
    await task


async def test_terminate_stops_between_steps_and_ends_failed(world: SyncWorld) -> None:
    world.commit(_slow_app_files(), "slow")
    task, recorder = await _start_waiting(world, world.runner)
    terminating = world.runner.terminate("shop")
    assert terminating is not None and terminating.phase is OperationPhase.TERMINATING
    done = await asyncio.wait_for(task, 10)
    assert done.phase is OperationPhase.FAILED and done.message == "terminated by user"
    assert "Terminating" in recorder.phases  # type: ignore[attr-defined]
    assert world.get("ConfigMap", "later") is None  # the next wave never started
    assert world.runner.running("shop") is None


async def test_stopping_the_console_mid_sync_records_it_interrupted_and_frees_the_lease(world: SyncWorld) -> None:
    world.commit(_slow_app_files(), "slow")
    leases = LeaseManager(identity="console-a", duration_seconds=30)
    runner = SyncRunner(leases=leases, settings=SyncSettings(wait=FAST_WAIT))
    task, recorder = await _start_waiting(world, runner)
    assert leases.held(world.client, "shop") is not None
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    last = recorder.updates[-1]  # type: ignore[attr-defined]
    assert last.phase is OperationPhase.INTERRUPTED and "interrupted" in last.message
    assert all(u.phase is not OperationPhase.SUCCEEDED for u in recorder.updates)  # type: ignore[attr-defined]
    assert leases.held(world.client, "shop") is None
    holder = await leases.holder(world.client, "shop")
    assert holder is not None and holder.identity == ""  # released: another console may take it at once


async def test_forbidden_namespace_fails_only_that_apps_sync(world: SyncWorld) -> None:
    world.client.ensure_namespace("locked")
    world.commit(
        {"shop/a.yaml": configmap("a"), "locked/b.yaml": configmap("b"), "locked/c.yaml": configmap("c")}, "two apps"
    )
    world.sandbox.forbid(ForbidRule(verbs=frozenset({"patch", "create", "update"}), namespace="locked"))
    locked, _ = await world.sync(world.app("locked", path="locked", namespace="locked"))
    shop, _ = await world.sync(world.app())
    assert shop.phase is OperationPhase.SUCCEEDED, shop.message
    assert locked.phase is OperationPhase.FAILED
    assert "forbidden: cannot patch configmaps 'b' in namespace 'locked'" in locked.message
    assert "'c'" in locked.message  # every resource of the wave was tried and reported
    assert result_for(locked, "ConfigMap", "b").action is ResourceAction.FAILED
    assert world.get("ConfigMap", "a") is not None


async def test_read_only_refuses_to_sync_but_allows_a_dry_run(world: SyncWorld) -> None:
    world.commit({"shop/a.yaml": configmap("a")}, "one")
    read_only = world.new_client(read_only=True)
    runner = SyncRunner(leases=LeaseManager(identity="ro"), settings=SyncSettings(wait=FAST_WAIT))
    refused, recorder = await world.sync(world.app(), client=read_only, runner=runner)
    assert refused.phase is OperationPhase.ERROR
    assert refused.message.startswith("read-only mode: refusing to sync shop")
    assert refused.results == () and len(recorder.updates) == 1  # refused before anything, reported once
    dry, _ = await world.sync(world.app(), SyncRequest(dry_run=True), client=read_only, runner=runner)
    assert dry.phase is OperationPhase.SUCCEEDED, dry.message
    assert world.get("ConfigMap", "a") is None
    assert world.get("Lease", "shop", "coordination.k8s.io", namespace="gitops-tui") is None
    read_only.close()
