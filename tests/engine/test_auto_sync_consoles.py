"""Two consoles (two bastion hosts) on the same apps and cluster: only the claim holder auto-syncs and heals.

Each console is a real Reconciler with its own clients, mirrors and identity, on one sandbox and one Git
remote; they meet only through the cluster (Leases, history ConfigMaps), as two hosts would. Claims use a
4 s lease so that takeovers happen within the test's patience (2 s lapsed now and then on a loaded machine:
a heartbeat late by a second, and the other console took over when it should only have watched).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from gitops_tui.cluster.clusters import Clusters
from gitops_tui.cluster.errors import ForbiddenError, Target
from gitops_tui.engine.auto_sync import AutoSyncPolicy
from gitops_tui.engine.history import HistoryStore
from gitops_tui.engine.lease import LeaseManager
from gitops_tui.engine.operations import SyncRequest
from gitops_tui.engine.reconciler import Reconciler
from gitops_tui.engine.sync import SyncRunner, SyncSettings
from gitops_tui.model import AppSpec, HistoryEntry, OperationPhase, ResourceKey, SyncStatus
from gitops_tui.sandbox import ForbidRule
from gitops_tui.source.git import MirrorPool
from tests.engine.test_reconciler import FAST_CACHE, FAST_CLIENT, QUIET, app
from tests.engine.test_sync_execute_support import FAST_WAIT, SyncWorld, cluster, configmap, deployment, world
from tests.waiting import eventually

__all__ = ["cluster", "world"]  # fixtures, re-exported for pytest

CLAIM_SECONDS = 4
SETTINGS = dataclasses.replace(QUIET, auto_sync=AutoSyncPolicy(heal_backoff=0.2, claim_seconds=CLAIM_SECONDS))


class Consoles:
    """Consoles made in one test, each stopped at the end (a stop is idempotent)."""

    def __init__(self, world: SyncWorld) -> None:
        self.world = world
        self.made: list[Reconciler] = []

    def open(self, apps: list[AppSpec], identity: str, *, read_only: bool = False) -> Reconciler:
        settings = dataclasses.replace(SETTINGS, read_only=read_only)
        client = dataclasses.replace(FAST_CLIENT, read_only=read_only)
        clusters = Clusters(self.world.kubeconfig, client_settings=client, cache_settings=FAST_CACHE)
        runner = SyncRunner(leases=LeaseManager(identity=identity), settings=SyncSettings(wait=FAST_WAIT))
        console = Reconciler(
            apps,
            clusters=clusters,
            pool=MirrorPool(self.world.tmp_path / f"mirrors-{identity}"),
            settings=settings,
            executor=runner,
            history=HistoryStore.for_clusters(clusters),
        )
        self.made.append(console)
        return console


@pytest.fixture
async def consoles(world: SyncWorld) -> AsyncIterator[Consoles]:
    made = Consoles(world)
    yield made
    for console in made.made:
        await console.stop()


def _automated(world: SyncWorld, **policy: Any) -> list[AppSpec]:
    return [app("shop", world.remote, "shop", automated=True, **policy)]


def _level(world: SyncWorld) -> Any:
    found = world.get("ConfigMap", "settings")
    return found["data"]["LEVEL"] if found else None


async def _history(console: Reconciler, count: int) -> list[HistoryEntry]:
    found: list[HistoryEntry] = []

    async def enough() -> bool:
        found[:] = await console.history("shop")
        return len(found) >= count

    deadline = asyncio.get_running_loop().time() + 20
    while not await enough():
        assert asyncio.get_running_loop().time() < deadline, f"history has {len(found)} entries, wanted {count}"
        await asyncio.sleep(0.05)
    return found


def _synced_at(console: Reconciler, sha: str) -> Callable[[], bool]:
    def check() -> bool:
        state = console.snapshot()["shop"]
        return state.sync is SyncStatus.SYNCED and state.revision is not None and state.revision.sha == sha

    return check


def _automated_syncs(console: Reconciler) -> list[str]:
    return [e.message for e in console.events(app="shop") if "automated sync to" in e.message]


def _edit_settings(world: SyncWorld, **data: str) -> None:
    """Another client (kubectl edit) changes the ConfigMap: drift."""
    live = world.get("ConfigMap", "settings")
    assert live is not None
    live["data"] = data
    live["metadata"].pop("managedFields", None)
    world.client.request_json(
        "PUT",
        "/api/v1/namespaces/shop/configmaps/settings",
        Target("update", "configmaps", "settings", "shop"),
        body=live,
        content_type="application/json",
        query=[("fieldManager", "kubectl-edit")],
    )


async def _a_holds_and_b_watches(
    world: SyncWorld, consoles: Consoles, apps: list[AppSpec]
) -> tuple[Reconciler, Reconciler]:
    """Console A starts first and syncs the first revision; B starts after and sees A as the holder."""
    console_a = consoles.open(apps, "bastion-a")
    await console_a.start()
    await _history(console_a, 1)
    console_b = consoles.open(apps, "bastion-b")
    await console_b.start()
    await eventually(lambda: console_b.activity("shop").auto_sync_by == "bastion-a", 20, "B seeing A's claim")
    await eventually(_operation_lease_free(world), 20, "A's sync giving its operation Lease back")
    return console_a, console_b


def _operation_lease_free(world: SyncWorld) -> Callable[[], bool]:
    """A sync gives the app's operation Lease back a moment after its history is recorded; until then a
    manual sync in another console is refused (naming the holder), as it should be."""

    def check() -> bool:
        try:
            lease = world.get("Lease", "shop", "coordination.k8s.io", "gitops-tui")
        except ForbiddenError:
            return True  # no Leases here: local locks, given back with the operation
        return lease is None or not lease["spec"].get("holderIdentity")

    return check


async def test_only_the_claim_holder_auto_syncs_a_new_commit_and_heals_drift(
    world: SyncWorld, consoles: Consoles
) -> None:
    first = world.commit({"shop/settings.yaml": configmap("settings", LEVEL="info")}, "info")
    console_a, console_b = await _a_holds_and_b_watches(world, consoles, _automated(world, self_heal=True))
    activity = console_b.activity("shop")
    assert activity.auto_sync  # configured and on: B would, but A does
    assert activity.auto_sync_note.startswith("auto-sync by bastion-a: this console only watches")
    assert console_a.activity("shop").auto_sync_by == ""
    await eventually(  # said after B's claims round, which may end a moment after the note is set
        lambda: any(
            "this console (bastion-b) runs the automated syncs of 0 of 1 automated apps; other consoles run "
            "the rest: bastion-a" in e.message
            for e in console_b.events()
        ),
        10,
        "B saying which console runs the automated syncs",
    )
    assert (
        world.get("Lease", "shop.auto-sync", "coordination.k8s.io", "gitops-tui")["spec"][  # type: ignore[index]
            "holderIdentity"
        ]
        == "bastion-a"
    )  # what `kubectl get lease -n gitops-tui` shows

    second = world.commit({"shop/settings.yaml": configmap("settings", LEVEL="debug")}, "debug")
    await asyncio.gather(console_a.refresh("shop"), console_b.refresh("shop"))
    await eventually(_synced_at(console_a, second), 20, "A syncing the new commit")
    await eventually(_synced_at(console_b, second), 20, "B seeing it synced")
    entries = await _history(console_b, 2)
    assert [(e.revision, e.initiated_by) for e in entries] == [(first, "automated"), (second, "automated")]
    assert _level(world) == "debug"

    _edit_settings(world, LEVEL="edited-by-hand")  # drift: both consoles see it
    await eventually(lambda: _level(world) == "debug", 20, "the drift healed")
    await eventually(_synced_at(console_b, second), 20, "B seeing it healed")
    heal = await eventually(  # written before the operation ends: its last steps may still run
        lambda: (op := console_a.activity("shop").operation) is not None and op.phase.completed and op,
        20,
        "A's heal finished",
    )
    assert heal.phase is OperationPhase.SUCCEEDED and heal.initiated_by == "automated"
    assert len(await _history(console_b, 3)) == 3  # healed once: one more sync, by A
    assert console_b.activity("shop").operation is None  # B started nothing: no sync, no failed attempt
    assert _automated_syncs(console_b) == []
    assert len(_automated_syncs(console_a)) == 3


async def test_when_the_holder_stops_the_other_console_takes_over_and_heals(
    world: SyncWorld, consoles: Consoles
) -> None:
    first = world.commit({"shop/settings.yaml": configmap("settings", LEVEL="info")}, "info")
    console_a, console_b = await _a_holds_and_b_watches(world, consoles, _automated(world, self_heal=True))
    await console_a.stop()  # deletes its console Lease: every claim of A's lapses at once
    assert world.get("Lease", "console.bastion-a", "coordination.k8s.io", "gitops-tui") is None
    taken = await eventually(
        lambda: [e for e in console_b.events(app="shop") if "runs its automated syncs now" in e.message],
        20,
        "B taking over",
    )
    assert "the console that did (bastion-a) stopped renewing its lease" in taken[0].message
    assert console_b.activity("shop").auto_sync_by == ""
    assert console_b.activity("shop").auto_sync_note == ""

    _edit_settings(world, LEVEL="edited-by-hand")
    await eventually(lambda: _level(world) == "info", 20, "B healing the drift")
    heal = await eventually(lambda: console_b.activity("shop").operation, 20, "B's heal")
    assert heal.initiated_by == "automated"
    await eventually(
        lambda: console_b.activity("shop").operation.phase.completed,
        20,  # type: ignore[union-attr]
        "the heal finished",
    )
    entries = await _history(console_b, 2)
    assert [e.revision for e in entries] == [first, first]


async def test_forbidden_leases_fall_back_to_a_local_lock_and_say_so(world: SyncWorld, consoles: Consoles) -> None:
    world.sandbox.forbid(ForbidRule(resource="leases"))
    world.commit({"shop/settings.yaml": configmap("settings", LEVEL="info")}, "info")
    console_a, console_b = await _a_holds_and_b_watches(world, consoles, _automated(world))
    for console in (console_a, console_b):
        said = [e for e in console.events() if "Leases cannot be written in namespace gitops-tui" in e.message]
        assert len(said) == 1 and "coordinated by a local lock" in said[0].message  # said once
    assert "consoles on other hosts are not kept out" in console_a.activity("shop").auto_sync_note
    assert console_b.activity("shop").auto_sync_note.startswith("auto-sync by bastion-a")

    second = world.commit({"shop/settings.yaml": configmap("settings", LEVEL="debug")}, "debug")
    await asyncio.gather(console_a.refresh("shop"), console_b.refresh("shop"))
    await eventually(_synced_at(console_b, second), 20, "the new commit synced, seen by B")
    assert len(await _history(console_b, 2)) == 2
    assert _automated_syncs(console_b) == []

    await console_a.stop()  # its file lock goes with it: B, on the same host, takes over
    await eventually(
        lambda: (
            console_b.activity("shop").auto_sync_by == "" and "local lock" in console_b.activity("shop").auto_sync_note
        ),
        20,
        "B taking the local lock",
    )


async def test_a_manual_sync_in_the_watching_console_runs_and_the_holder_waits_for_it(
    world: SyncWorld, consoles: Consoles
) -> None:
    world.commit({"shop/settings.yaml": configmap("settings", LEVEL="info")}, "info")
    console_a, console_b = await _a_holds_and_b_watches(world, consoles, _automated(world))
    slow = deployment("web", "shop/web:crashloop").replace(
        "progressDeadlineSeconds: 20", "progressDeadlineSeconds: 100000"
    )
    third = world.commit({"shop/settings.yaml": configmap("settings", LEVEL="warn"), "shop/web.yaml": slow}, "slow")
    await console_b.refresh("shop")
    # B's user syncs the Deployment alone, by hand: B holds the operation Lease, A the claim. The ConfigMap
    # stays behind Git, so A wants to sync the app while B's sync runs.
    await console_b.sync("shop", SyncRequest(resources=frozenset({ResourceKey("apps", "Deployment", "shop", "web")})))
    await eventually(
        lambda: (
            "waiting for"
            in (
                console_b.activity("shop").operation.message  # type: ignore[union-attr]
                or ""
            )
        ),
        20,
        "B's sync waiting for the Deployment",
    )
    await console_a.refresh("shop")
    await eventually(
        lambda: any(
            "auto-sync waiting: another console's operation: bastion-b holds" in e.message
            for e in console_a.events(app="shop")
        ),
        20,
        "A waiting for B",
    )
    # The details say so too while it lasts, naming the holder; the wait ends on its own (below).
    assert console_a.activity("shop").auto_sync_note.startswith(
        "auto-sync waiting: another console's operation: bastion-b holds Lease gitops-tui/shop"
    )
    assert console_a.activity("shop").operation.revision != third  # type: ignore[union-attr]
    console_b.terminate("shop")
    stopped = await eventually(
        lambda: (
            console_b.activity("shop").operation.phase.completed  # type: ignore[union-attr]
            and console_b.activity("shop").operation
        ),
        20,
        "B's sync terminated",
    )
    assert stopped.phase is OperationPhase.FAILED and stopped.initiated_by == "user"
    # The revision A could not sync while B wrote was not an attempt: A syncs it now that the Lease is free.
    done = await eventually(
        lambda: (
            (op := console_a.activity("shop").operation) is not None
            and op.revision == third
            and op.initiated_by == "automated"
            and op
        ),
        30,
        "A's automated sync of the revision",
    )
    assert done.revision == third


async def test_a_rollback_in_the_watching_console_is_not_undone_by_the_holder(
    world: SyncWorld, consoles: Consoles
) -> None:
    first = world.commit({"shop/settings.yaml": configmap("settings", LEVEL="info")}, "info")
    console_a, console_b = await _a_holds_and_b_watches(world, consoles, _automated(world))
    second = world.commit({"shop/settings.yaml": configmap("settings", LEVEL="debug")}, "debug")
    await asyncio.gather(console_a.refresh("shop"), console_b.refresh("shop"))
    await eventually(_synced_at(console_b, second), 20, "the second revision synced")
    entries = await _history(console_b, 2)
    await eventually(_operation_lease_free(world), 20, "A's sync giving its operation Lease back")
    await console_b.rollback("shop", entries[0].id)  # paused in the cluster, beside the history
    await eventually(lambda: _level(world) == "info", 20, "the rollback")
    third = world.commit({"shop/settings.yaml": configmap("settings", LEVEL="trace")}, "trace")
    await console_a.refresh("shop")
    await eventually(
        lambda: "paused in another console" in " ".join(e.message for e in console_a.events(app="shop")),
        20,
        "A reading the pause before syncing",
    )
    assert not console_a.activity("shop").auto_sync and _level(world) == "info"
    assert [e.revision for e in await console_b.history("shop")] == [first, second, first]
    assert console_a.activity("shop").operation.revision == second  # type: ignore[union-attr]
    assert third not in {e.revision for e in await console_a.history("shop")}


async def test_a_read_only_console_shows_the_holder_and_writes_no_lease(world: SyncWorld, consoles: Consoles) -> None:
    world.commit({"shop/settings.yaml": configmap("settings", LEVEL="info")}, "info")
    holder = consoles.open(_automated(world), "bastion-a")
    await holder.start()
    await _history(holder, 1)
    viewer = consoles.open(_automated(world), "viewer", read_only=True)
    await viewer.start()
    await eventually(lambda: viewer.activity("shop").auto_sync_by == "bastion-a", 20, "the viewer reading the claim")
    leases = world.client.request_json(
        "GET", "/apis/coordination.k8s.io/v1/namespaces/gitops-tui/leases", Target("list")
    )
    names = sorted(item["metadata"]["name"] for item in leases["items"])
    assert names == ["console.bastion-a", "shop", "shop.auto-sync"]  # nothing of the viewer's
