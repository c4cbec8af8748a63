"""Auto-sync claims on the sandbox: one console Lease per console keeps all its claims alive, at O(1) cost."""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gitops_tui.engine.auto_sync_claims import AutoSyncClaims
from gitops_tui.engine.lease import LeaseManager
from gitops_tui.sandbox import ForbidRule
from tests.engine.test_sync_execute_support import SyncWorld, cluster, world

__all__ = ["cluster", "world"]  # fixtures, re-exported for pytest

LEASES = "/apis/coordination.k8s.io/v1/namespaces/gitops-tui/leases"


def _claims(
    world: SyncWorld,
    identity: str,
    apps: list[str],
    *,
    clock: list[datetime] | None = None,
    read_only: bool = False,
    seconds: int = 30,
) -> AutoSyncClaims:
    now = (lambda: clock[0]) if clock is not None else (lambda: datetime.now(UTC))
    return AutoSyncClaims(
        world.client,
        apps,
        identity=identity,
        namespace="gitops-tui",
        duration_seconds=seconds,
        locks_dir=Path(world.tmp_path / "locks"),
        read_only=read_only,
        now=now,
    )


def _holder(world: SyncWorld, name: str) -> str | None:
    lease = world.get("Lease", name, "coordination.k8s.io", "gitops-tui")
    return lease["spec"].get("holderIdentity") if lease is not None else None


async def test_a_console_that_stops_renewing_is_taken_over_after_its_lease_expires(world: SyncWorld) -> None:
    clock = [datetime.now(UTC) - timedelta(minutes=5)]
    crashed = _claims(world, "crashed-console", ["shop", "tools"], clock=clock)
    news = crashed.round()  # renews once, five minutes ago, and never again
    assert sorted(news.gained) == [("shop", ""), ("tools", "")] and crashed.owns("shop")
    clock[0] += timedelta(seconds=31)
    assert not crashed.owns("shop")  # by its own clock it has not renewed for a lease duration: it stops

    alive = _claims(world, "new-console", ["shop"])
    taken = alive.round()
    assert taken.gained == [("shop", "crashed-console")] and alive.owns("shop")
    lease = world.get("Lease", "shop.auto-sync", "coordination.k8s.io", "gitops-tui")
    assert lease is not None and lease["spec"]["holderIdentity"] == "new-console"
    assert lease["spec"]["leaseTransitions"] == 1
    assert lease["metadata"]["annotations"]["gitops-tui.dev/app"] == "shop"
    assert _holder(world, "tools.auto-sync") == "crashed-console"  # only what the new console watches is taken


async def test_a_live_holder_keeps_its_claims_and_a_clean_stop_hands_them_over(world: SyncWorld) -> None:
    first = _claims(world, "bastion-a", ["shop"])
    second = _claims(world, "bastion-b", ["shop"])
    first.round()
    assert second.round().gained == [] and not second.owns("shop") and second.holder("shop") == "bastion-a"
    first.release()  # deletes its console Lease: its claims lapse at once, no waiting for an expiry
    assert _holder(world, "console.bastion-a") is None
    assert second.round().gained == [("shop", "bastion-a")] and second.owns("shop")
    assert first.round().gained == []  # released for good: a late round brings nothing back


async def test_renewal_costs_two_requests_a_round_whatever_the_number_of_apps(world: SyncWorld) -> None:
    apps = [f"app-{index:03d}" for index in range(200)]
    claims = _claims(world, "bastion-a", apps)
    claims.round()
    first = claims.requests
    assert first >= 200  # the first round writes every claim once
    for _ in range(5):
        news = claims.round()
        assert news.gained == news.lost == []
    assert claims.requests - first == 5 * 2  # per round: one console Lease PUT, one LIST
    assert all(claims.owns(app) for app in apps)


async def test_claims_of_apps_no_longer_auto_synced_are_given_back(world: SyncWorld) -> None:
    _claims(world, "bastion-a", ["shop", "tools"]).round()
    _claims(world, "bastion-a", ["shop"]).round()  # restarted with the same id, tools no longer automated
    assert _holder(world, "shop.auto-sync") == "bastion-a"
    assert _holder(world, "tools.auto-sync") is None
    other = _claims(world, "bastion-b", ["tools"])
    assert other.round().gained == [("tools", "")]


async def test_read_only_claims_only_read(world: SyncWorld) -> None:
    _claims(world, "bastion-a", ["shop"]).round()
    viewer = _claims(world, "viewer", ["shop", "tools"], read_only=True)
    news = viewer.round()
    assert news.gained == [] and viewer.holder("shop") == "bastion-a" and viewer.holder("tools") == ""
    assert not viewer.owns("shop") and not viewer.owns("tools")
    assert _holder(world, "console.viewer") is None and _holder(world, "tools.auto-sync") is None


async def test_forbidden_leases_fall_back_to_file_locks_on_this_host(world: SyncWorld) -> None:
    world.sandbox.forbid(ForbidRule(resource="leases"))
    first = _claims(world, "bastion-a", ["shop"])
    news = first.round()
    assert news.gained == [("shop", "")] and first.owns("shop")
    assert "Leases cannot be written in namespace gitops-tui" in news.fallback
    assert "consoles on other hosts are not kept out" in first.local_note
    second = _claims(world, "bastion-b", ["shop"])
    second.round()
    assert not second.owns("shop") and second.holder("shop") == "bastion-a"
    assert first.round().fallback == ""  # said once
    first.release()
    assert second.round().gained == [("shop", "bastion-a")] and second.owns("shop")
    second.release()


def test_a_console_id_is_chosen_with_an_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITOPS_TUI_CONSOLE_ID", "bastion-a")
    assert LeaseManager().identity == "bastion-a"
    monkeypatch.delenv("GITOPS_TUI_CONSOLE_ID")
    first, second = LeaseManager().identity, LeaseManager().identity
    assert first.startswith(f"{socket.gethostname()}-{os.getpid()}-") and first != second


async def test_two_running_consoles_with_one_id_are_found_out_and_auto_sync_nothing(world: SyncWorld) -> None:
    first = _claims(world, "bastion", ["shop"])
    second = _claims(world, "bastion", ["shop"])  # the same $GITOPS_TUI_CONSOLE_ID on another host
    first.round()
    second.round()  # takes the existing console Lease up as its own, as a restart with the same id would
    news = first.round()  # ...and so the first finds its Lease renewed by someone else
    assert "another running console uses this console's id bastion" in news.duplicate
    assert "give each console its own $GITOPS_TUI_CONSOLE_ID" in first.duplicate
    assert not first.owns("shop")
    assert first.round().duplicate == ""  # said once


async def test_a_first_round_longer_than_the_claim_renews_the_heartbeat_on_the_way(world: SyncWorld) -> None:
    """A thousand claims written one by one on a busy API server took longer than a claim lasts: the console
    owned none of them at the end of its first round (the 1,000-app benchmark's apps that never synced)."""
    clock = [datetime.now(UTC)]
    step = [timedelta(seconds=1)]

    def ticking() -> datetime:  # every look at the clock is a second later: 40 claims take "40 s" here
        clock[0] += step[0]
        return clock[0]

    apps = [f"app-{index:02d}" for index in range(40)]
    claims = AutoSyncClaims(
        world.client,
        apps,
        identity="bastion-a",
        namespace="gitops-tui",
        duration_seconds=30,
        locks_dir=Path(world.tmp_path / "locks"),
        now=ticking,
    )
    assert len(claims.round().gained) == 40
    step[0] = timedelta(0)
    assert all(claims.owns(app) for app in apps)
    assert claims.lapsed(apps[0]) is None
    step[0] = timedelta(seconds=31)
    assert claims.lapsed(apps[0]) is not None and not claims.owns(apps[0])  # no renewal for a whole claim
