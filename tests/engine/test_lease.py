"""Sync leases between consoles: a held Lease blocks, an expired one is taken over, 403 falls back to a file lock."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from gitops_tui.cluster.errors import Target
from gitops_tui.engine.lease import LeaseHeldError, LeaseManager
from gitops_tui.engine.operations import ReadOnlyModeError
from gitops_tui.engine.sync import SyncRunner, SyncSettings
from gitops_tui.model import OperationPhase
from gitops_tui.sandbox import ForbidRule
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


async def test_a_second_consoles_lease_blocks_a_concurrent_sync(world: SyncWorld) -> None:
    # A's Deployment never becomes healthy: A holds the Lease in its wave's wait for as long as the test needs.
    slow = deployment("web", "shop/web:crashloop").replace(
        "progressDeadlineSeconds: 20", "progressDeadlineSeconds: 100000"
    )
    world.commit({"shop/web.yaml": slow, "shop/a.yaml": configmap("a")}, "shop")
    console_a = SyncRunner(leases=LeaseManager(identity="bastion-a-1-aaa"), settings=SyncSettings(wait=FAST_WAIT))
    console_b = SyncRunner(leases=LeaseManager(identity="bastion-b-2-bbb"), settings=SyncSettings(wait=FAST_WAIT))
    job_a, recorder_a = world.job(world.app())
    running = asyncio.create_task(console_a.run(job_a))
    await eventually(lambda: any("waiting for" in u.message for u in recorder_a.updates), what="console A waiting")
    blocked, _ = await world.sync(world.app(), runner=console_b)
    assert blocked.phase is OperationPhase.ERROR
    assert "another console is syncing it: bastion-a-1-aaa holds Lease gitops-tui/shop" in blocked.message
    assert "until 20" in blocked.message and "UTC" in blocked.message  # says when it expires
    assert blocked.results == ()
    assert not running.done()  # B's refusal did not disturb A
    console_a.terminate("shop")
    done = await asyncio.wait_for(running, 10)
    assert done.phase is OperationPhase.FAILED and done.message == "terminated by user"
    world.commit({"shop/web.yaml": None}, "without the Deployment")
    after, _ = await world.sync(world.app(), runner=console_b)  # released: B may sync now
    assert after.phase is OperationPhase.SUCCEEDED, after.message


async def test_lease_is_created_in_the_console_namespace_renewed_and_released(world: SyncWorld) -> None:
    manager = LeaseManager(identity="console-x", duration_seconds=1)
    grant = await manager.acquire(world.client, "shop")
    lease = world.get("Lease", "shop", "coordination.k8s.io", namespace="gitops-tui")
    assert lease is not None and lease["spec"]["holderIdentity"] == "console-x"
    first_renew = lease["spec"]["renewTime"]
    await eventually(
        lambda: world.get("Lease", "shop", "coordination.k8s.io", "gitops-tui")["spec"]["renewTime"] != first_renew,
        what="a renewal",
    )  # type: ignore[index]
    again = await manager.try_acquire(world.client, "shop")  # counted: auto-sync and its sync share one lease
    assert again.grant is grant and grant.count == 2
    await manager.release(world.client, "shop")
    assert manager.held(world.client, "shop") is grant
    await manager.release(world.client, "shop")
    assert manager.held(world.client, "shop") is None
    holder = await manager.holder(world.client, "shop")
    assert holder is not None and holder.identity == ""


async def test_an_expired_lease_is_taken_over(world: SyncWorld) -> None:
    past = datetime.now(UTC) - timedelta(minutes=5)
    dead = LeaseManager(identity="crashed-console", duration_seconds=30, now=lambda: past)
    await dead.try_acquire(world.client, "shop")  # written as renewed five minutes ago, and never again
    for task in asyncio.all_tasks():
        if task.get_name() == "lease-renewals":
            task.cancel()  # the console "died": nobody renews
    alive = LeaseManager(identity="new-console")
    attempt = await alive.try_acquire(world.client, "shop")
    assert attempt.grant is not None
    lease = world.get("Lease", "shop", "coordination.k8s.io", namespace="gitops-tui")
    assert lease is not None and lease["spec"]["holderIdentity"] == "new-console"
    assert lease["spec"]["leaseTransitions"] == 1
    assert not await dead.renew(world.client, "shop")  # the dead console learns it lost the lease
    assert "lost the sync lease: new-console holds" in dead.held(world.client, "shop").lost  # type: ignore[union-attr]
    await alive.release(world.client, "shop")


async def test_a_live_holder_blocks_try_acquire_with_its_expiry(world: SyncWorld) -> None:
    first = LeaseManager(identity="one")
    second = LeaseManager(identity="two")
    await first.acquire(world.client, "shop")
    attempt = await second.try_acquire(world.client, "shop")
    assert attempt.grant is None and attempt.holder is not None and attempt.holder.identity == "one"
    assert attempt.holder.expires_at is not None and attempt.holder.expires_at > datetime.now(UTC)
    with pytest.raises(LeaseHeldError, match="one holds Lease gitops-tui/shop on context"):
        await second.acquire(world.client, "shop")
    await first.release(world.client, "shop")


async def test_forbidden_leases_fall_back_to_a_local_lock_and_say_so(world: SyncWorld) -> None:
    world.sandbox.forbid(ForbidRule(resource="leases"))
    first = LeaseManager(identity="one")
    second = LeaseManager(identity="two")
    grant = await first.acquire(world.client, "shop")
    assert grant.local and grant.where.startswith("local lock ")
    assert "Leases cannot be written in namespace gitops-tui" in grant.note and "local lock" in grant.note
    blocked = await second.try_acquire(world.client, "shop")  # another console on this host: kept out
    assert blocked.grant is None and blocked.holder is not None and blocked.holder.identity == "one"
    await first.release(world.client, "shop")
    taken = await second.try_acquire(world.client, "shop")
    assert taken.grant is not None
    await second.release(world.client, "shop")


async def test_a_sync_says_when_it_uses_a_local_lock(world: SyncWorld) -> None:
    world.commit({"shop/a.yaml": configmap("a")}, "one")
    world.sandbox.forbid(ForbidRule(resource="leases"))
    runner = SyncRunner(leases=LeaseManager(identity="one"), settings=SyncSettings(wait=FAST_WAIT))
    done, recorder = await world.sync(world.app(), runner=runner)
    assert done.phase is OperationPhase.SUCCEEDED, done.message
    assert any("using a local lock" in u.message for u in recorder.updates)


async def test_read_only_refuses_to_take_a_lease(world: SyncWorld) -> None:
    read_only = world.new_client(read_only=True)
    with pytest.raises(ReadOnlyModeError, match="read-only mode: refusing to take the sync lease of shop"):
        await LeaseManager(identity="ro").try_acquire(read_only, "shop")
    assert world.get("Lease", "shop", "coordination.k8s.io", namespace="gitops-tui") is None
    read_only.close()


async def test_no_console_namespace_and_no_right_to_create_it_falls_back_to_a_local_lock(world: SyncWorld) -> None:
    world.sandbox.forbid(ForbidRule(verbs=frozenset({"create"}), resource="namespaces"))
    grant = await LeaseManager(identity="one").acquire(world.client, "shop")
    assert grant.local and "Leases cannot be written in namespace gitops-tui" in grant.note


async def test_a_sync_whose_lease_is_taken_stops_between_steps(world: SyncWorld) -> None:
    slow = deployment("web", "shop/web:crashloop").replace(
        "progressDeadlineSeconds: 20", "progressDeadlineSeconds: 100000"
    )
    world.commit({"shop/web.yaml": slow, "shop/later.yaml": configmap("later", wave=1)}, "slow")
    runner = SyncRunner(
        leases=LeaseManager(identity="slow-console", duration_seconds=1), settings=SyncSettings(wait=FAST_WAIT)
    )
    job, recorder = world.job(world.app())
    task = asyncio.create_task(runner.run(job))
    await eventually(lambda: any("waiting for" in u.message for u in recorder.updates), what="the wave wait")
    path = "/apis/coordination.k8s.io/v1/namespaces/gitops-tui/leases/shop"
    lease = world.client.request_json("GET", path, Target("get"))
    lease["spec"]["holderIdentity"] = "intruder"  # an operator (or a console with a skewed clock) takes it
    world.client.request_json("PUT", path, Target("update"), body=lease, content_type="application/json")
    done = await asyncio.wait_for(task, 10)
    assert done.phase is OperationPhase.FAILED
    assert done.message.startswith("lost the sync lease: intruder holds Lease gitops-tui/shop")
    assert world.get("ConfigMap", "later") is None
    still = world.get("Lease", "shop", "coordination.k8s.io", namespace="gitops-tui")
    assert still is not None and still["spec"]["holderIdentity"] == "intruder"  # never released from under them


def _lease_requests(world: SyncWorld) -> Counter[str]:
    counts = world.client.request_json("GET", "/_sandbox/requests", Target("counts"), query=[("by", "resource")])
    return Counter({what: n for what, n in counts.items() if what.endswith(" leases.coordination.k8s.io")})


async def test_a_held_lease_is_written_long_a_writing_one_short_and_each_renewal_is_one_put(world: SyncWorld) -> None:
    manager = LeaseManager(identity="console-x", duration_seconds=1, hold_seconds=3)
    held = await manager.try_acquire(world.client, "shop")  # an automated sync waiting for a writer slot
    assert held.grant is not None and held.grant.written_seconds == 3
    lease = world.get("Lease", "shop", "coordination.k8s.io", namespace="gitops-tui")
    assert lease is not None and lease["spec"]["leaseDurationSeconds"] == 3
    before = _lease_requests(world)
    grant = await manager.acquire(world.client, "shop", writing=True)  # its sync starts writing
    assert grant is held.grant
    await eventually(lambda: grant.written_seconds == 1, what="renewed with the writing duration")
    first = grant.written_at
    await eventually(lambda: grant.written_at > first, what="a second renewal")
    spent = _lease_requests(world) - before
    assert spent["get leases.coordination.k8s.io"] == 0, spent  # renewals do not read the Lease first
    assert spent["update leases.coordination.k8s.io"] >= 2, spent
    lease = world.get("Lease", "shop", "coordination.k8s.io", namespace="gitops-tui")
    assert lease is not None and lease["spec"]["leaseDurationSeconds"] == 1
    assert lease["spec"]["holderIdentity"] == "console-x"
    await manager.release(world.client, "shop", writing=True)
    await manager.release(world.client, "shop")
    holder = await manager.holder(world.client, "shop")
    assert holder is not None and holder.identity == ""
    again = await manager.try_acquire(world.client, "shop")  # taken again from what the release returned
    assert again.grant is not None
    await manager.release(world.client, "shop")


async def test_a_sync_only_holds_its_lease_while_it_waits_for_health(world: SyncWorld) -> None:
    slow = deployment("web", "shop/web:crashloop").replace(
        "progressDeadlineSeconds: 20", "progressDeadlineSeconds: 100000"
    )
    world.commit({"shop/web.yaml": slow}, "slow")
    manager = LeaseManager(identity="waiting-console", duration_seconds=1, hold_seconds=3)
    runner = SyncRunner(leases=manager, settings=SyncSettings(wait=FAST_WAIT))
    job, recorder = world.job(world.app())
    task = asyncio.create_task(runner.run(job))
    await eventually(lambda: any("waiting for" in u.message for u in recorder.updates), what="the wave wait")

    def duration() -> object:
        lease = world.get("Lease", "shop", "coordination.k8s.io", namespace="gitops-tui")
        return lease is not None and lease["spec"]["leaseDurationSeconds"] == 3 and lease["spec"]["holderIdentity"]

    assert await eventually(duration, what="renewed as held (3 s), not as writing (1 s)") == "waiting-console"
    runner.terminate("shop")
    assert (await asyncio.wait_for(task, 10)).phase is OperationPhase.FAILED
