"""No automated app is ever left behind silently (the 1,000-app benchmark found ~40 that never synced).

The cause: a console runs an app's automated syncs only while it owns the app's claim, and owning needs a
heartbeat fresh enough that no other console may have judged it gone (auto_sync_claims.py). When the
heartbeat came late (its round queued behind a thousand first-compare dry-runs), every app decided on
meanwhile was dropped without a word, and nothing decided on it again: its state did not change any more.
Here the heartbeat is made late on purpose (the sandbox answers Lease updates after longer than the claim
lasts), with the per-cluster operation bounds at 1 so that the syncs queue as they did there.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from gitops_tui.cluster.clusters import Clusters
from gitops_tui.cluster.errors import Target
from gitops_tui.engine.auto_sync import AutoSyncPolicy
from gitops_tui.engine.history import HistoryStore
from gitops_tui.engine.lease import LeaseManager, parse_time
from gitops_tui.engine.operations import SyncRequest
from gitops_tui.engine.reconciler import Reconciler
from gitops_tui.engine.sync import SyncRunner, SyncSettings
from gitops_tui.model import AppSpec, SyncStatus
from gitops_tui.source.git import MirrorPool
from tests.engine.test_reconciler import FAST_CACHE, FAST_CLIENT, QUIET, app
from tests.engine.test_sync_execute_support import FAST_WAIT, SyncWorld, cluster, configmap, world
from tests.waiting import eventually

__all__ = ["cluster", "world"]  # fixtures, re-exported for pytest

CLAIM_SECONDS = 2
LATE = 3.0
"""Seconds the sandbox takes to answer a Lease update while the heartbeat is made late (> CLAIM_SECONDS)."""
APPS = ("alpha", "bravo", "charlie")
IDENTITY = "bastion-a"
HEAL_BACKOFF = 10.0
"""Seconds self-heal waits after an automated sync before healing drift (long enough to see it wait)."""


def _console(world: SyncWorld, policy: AutoSyncPolicy, **sync_policy: Any) -> Reconciler:
    settings = dataclasses.replace(QUIET, auto_sync=policy)
    patient = dataclasses.replace(FAST_CLIENT, read_timeout=30.0)  # the faults below answer late, not never
    clusters = Clusters(world.kubeconfig, client_settings=patient, cache_settings=FAST_CACHE)
    one_at_a_time = SyncSettings(wait=FAST_WAIT, operations_per_cluster=1, operations_in_flight_per_cluster=1)
    return Reconciler(
        _apps(world, **sync_policy),
        clusters=clusters,
        pool=MirrorPool(world.tmp_path / "mirrors"),
        settings=settings,
        executor=SyncRunner(leases=LeaseManager(identity=IDENTITY), settings=one_at_a_time),
        history=HistoryStore.for_clusters(clusters),
    )


@pytest.fixture
async def console(world: SyncWorld) -> AsyncIterator[Reconciler]:
    made = _console(world, AutoSyncPolicy(claim_seconds=CLAIM_SECONDS))
    yield made
    world.sandbox.clear_faults()
    await made.stop()


@pytest.fixture
async def healing_console(world: SyncWorld) -> AsyncIterator[Reconciler]:
    made = _console(world, AutoSyncPolicy(heal_backoff=HEAL_BACKOFF), self_heal=True)
    yield made
    await made.stop()


def _apps(world: SyncWorld, **sync_policy: Any) -> list[AppSpec]:
    return [app(name, world.remote, name, automated=True, **sync_policy) for name in APPS]


def _commit_all(world: SyncWorld, level: str) -> str:
    return world.commit({f"{name}/settings.yaml": configmap(f"{name}-settings", LEVEL=level) for name in APPS}, level)


def _all_synced_at(console: Reconciler, sha: str) -> Callable[[], bool]:
    def check() -> bool:
        states = console.snapshot()
        return all(
            states[name].sync is SyncStatus.SYNCED
            and states[name].revision is not None
            and states[name].revision.sha == sha  # type: ignore[union-attr]
            for name in APPS
        )

    return check


def _heartbeat_late(world: SyncWorld) -> Callable[[], bool]:
    """The console's heartbeat Lease, as the cluster holds it, is older than its claims last: from then on
    (while updates stay slow) every renewal lands too late for this console to own its claims."""

    def check() -> bool:
        lease = world.get("Lease", f"console.{IDENTITY}", "coordination.k8s.io", "gitops-tui")
        renewed = parse_time(((lease or {}).get("spec") or {}).get("renewTime"))
        return renewed is not None and (datetime.now(UTC) - renewed).total_seconds() > CLAIM_SECONDS + 0.5

    return check


async def test_apps_held_back_while_the_heartbeat_is_late_say_so_and_sync_once_it_is_renewed(
    world: SyncWorld, console: Reconciler
) -> None:
    first = _commit_all(world, "info")
    await console.start()
    await eventually(_all_synced_at(console, first), 60, "the first automated syncs (queued one at a time)")

    world.sandbox.set_latency(LATE, verbs={"update"}, resource="leases")
    await eventually(_heartbeat_late(world), 20, "the heartbeat to come late")
    second = _commit_all(world, "debug")
    for name in APPS:
        await console.refresh(name)
    for name in APPS:
        assert console.snapshot()[name].sync is SyncStatus.OUT_OF_SYNC
        # Not silent: the details say why nothing happens, in words, and the events say it once.
        note = console.activity(name).auto_sync_note
        assert note.startswith("auto-sync waiting: this console's heartbeat Lease gitops-tui/console.* on context")
        assert "automated syncs resume once it is renewed" in note
        assert console.activity(name).operation.revision == first  # type: ignore[union-attr]
    lapses = [e.message for e in console.events() if "heartbeat Lease was last renewed" in e.message]
    assert len(lapses) == 1, lapses

    world.sandbox.clear_faults()
    # The wait ends on its own: nothing else changes for these apps, yet each is synced to the new commit.
    await eventually(_all_synced_at(console, second), 60, "the held-back automated syncs after the renewal")
    assert any("heartbeat Lease is renewed again" in e.message for e in console.events())
    for name in APPS:
        assert console.activity(name).auto_sync_note == ""
        operation = console.activity(name).operation
        assert operation is not None and operation.revision == second and operation.initiated_by == "automated"


async def test_an_automated_sync_that_finds_an_operation_running_says_so_and_runs_when_it_ends(
    world: SyncWorld, console: Reconciler
) -> None:
    first = _commit_all(world, "info")
    await console.start()
    await eventually(_all_synced_at(console, first), 60, "the first automated syncs")

    # The automated sync takes the app's operation Lease first (slow to read now); meanwhile the user starts
    # a dry run (slow to answer), which the automated sync then finds running.
    world.sandbox.set_latency(1.5, verbs={"get"}, resource="leases")
    world.sandbox.set_latency(3.0, verbs={"patch"}, resource="configmaps")
    second = world.commit({"alpha/settings.yaml": configmap("alpha-settings", LEVEL="debug")}, "debug")
    await console.refresh("alpha")
    dry_run = await console.sync("alpha", SyncRequest(dry_run=True))
    waiting = await eventually(
        lambda: [e.message for e in console.events(app="alpha") if "auto-sync waiting" in e.message],
        20,
        "the automated sync to find the dry run running",
    )
    note = console.activity("alpha").auto_sync_note
    assert note.startswith(f"auto-sync waiting: operation sync #{dry_run.id} to {second[:7]} (user, started ")
    assert note.endswith("still running; decided again when it ends")
    assert waiting == [note]

    world.sandbox.clear_faults()
    # The wait ends on its own when the dry run does: the new commit is synced automatically.
    await eventually(
        lambda: (
            (op := console.activity("alpha").operation) is not None
            and op.initiated_by == "automated"
            and op.revision == second
            and op.phase.completed
        ),
        30,
        "the automated sync after the dry run",
    )
    await eventually(lambda: console.snapshot()["alpha"].sync is SyncStatus.SYNCED, 20, "alpha Synced")
    assert console.activity("alpha").auto_sync_note == ""


async def test_self_heal_waiting_out_its_backoff_says_until_when_and_heals_when_due(
    world: SyncWorld, healing_console: Reconciler
) -> None:
    console = healing_console
    first = _commit_all(world, "info")
    await console.start()
    await eventually(_all_synced_at(console, first), 60, "the first automated syncs")
    live = world.get("ConfigMap", "alpha-settings")
    assert live is not None
    live["data"] = {"LEVEL": "edited-by-hand"}
    live["metadata"].pop("managedFields", None)
    world.client.request_json(
        "PUT",
        "/api/v1/namespaces/shop/configmaps/alpha-settings",
        Target("update", "configmaps", "alpha-settings", "shop"),
        body=live,
        content_type="application/json",
        query=[("fieldManager", "kubectl-edit")],
    )
    note = await eventually(
        lambda: console.activity("alpha").auto_sync_note, HEAL_BACKOFF, "the heal's backoff to be shown"
    )
    assert note.startswith("auto-sync waiting: self-heal backs off until ")
    assert note.endswith(" UTC (0 heal attempts so far for this revision)")
    assert console.snapshot()["alpha"].sync is SyncStatus.OUT_OF_SYNC
    # The wait ends on its own: healed once due, and the note goes.
    await eventually(
        lambda: (world.get("ConfigMap", "alpha-settings") or {}).get("data") == {"LEVEL": "info"},
        HEAL_BACKOFF + 20,
        "the drift healed",
    )
    await eventually(lambda: console.activity("alpha").auto_sync_note == "", 20, "the note gone")
