"""The reconciler's public API around the loop: subscriptions, read-only mode, operations, auto-sync, stop().

A stand-in executor (server-side apply of the desired objects, nothing more) plays engine/sync.py, so the
operation bookkeeping, history and automated sync are tested through the same plug point it will use.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gitops_tui.engine.operations import (
    OperationInProgressError,
    ReadOnlyModeError,
    SyncJob,
    SyncRequest,
    UnknownAppError,
)
from gitops_tui.engine.operations_runner import with_phase
from gitops_tui.engine.reconciler import Reconciler
from gitops_tui.model import AppSpec, Changes, Operation, OperationPhase, SyncStatus
from gitops_tui.sandbox import testing as sandbox_testing
from gitops_tui.sandbox.runtime import Sandbox
from tests.engine.test_reconciler import SERVICE, World, app, compared, configmap, eventually

sandbox = sandbox_testing.sandbox


class ApplyingExecutor:
    """Applies every desired object with server-side apply; enough to exercise the plug point."""

    def __init__(self, hold: asyncio.Event | None = None) -> None:
        self.jobs: list[SyncJob] = []
        self.hold = hold

    async def run(self, job: SyncJob) -> Operation:
        self.jobs.append(job)
        if self.hold is not None:
            await self.hold.wait()
        for item in job.desired:
            await asyncio.to_thread(job.client.apply, item.obj, app=job.app.name, dry_run=job.request.dry_run)
        return with_phase(job.operation, OperationPhase.SUCCEEDED, f"applied {len(job.desired)} objects")


@pytest.fixture
async def world(tmp_path: Path, sandbox: Sandbox) -> AsyncIterator[World]:
    made = World(tmp_path, sandbox)
    yield made
    for reconciler in made.reconcilers:
        await reconciler.stop()
    made.client.close()


def with_executor(world: World, executor: ApplyingExecutor, apps: list[AppSpec] | None = None) -> Reconciler:
    return world.reconciler(apps or world.apps(), executor=executor)


async def test_subscribe_delivers_coalesced_changes(world: World) -> None:
    await world.deploy("shop", configmap("settings", LEVEL="info") + "---\n" + SERVICE)
    reconciler = world.reconciler(world.apps())
    called: list[tuple[float, Changes]] = []
    reconciler.subscribe(lambda changes: called.append((time.monotonic(), changes)))
    subscription = reconciler.subscribe()
    iterated: list[Changes] = []

    async def read() -> None:
        async for changes in subscription:
            iterated.append(changes)

    reader = asyncio.create_task(read())
    await reconciler.start()
    await eventually(compared(reconciler, "shop", SyncStatus.SYNCED), what="shop Synced")
    await eventually(lambda: any("shop" in c.apps for _, c in called), what="a delivery naming shop")
    for level in range(30):  # a burst of live changes: far fewer deliveries than changes
        await world.edit_configmap("settings", LEVEL=f"level-{level}")
    await eventually(lambda: reconciler.snapshot()["shop"].sync is SyncStatus.OUT_OF_SYNC, what="OutOfSync")
    await eventually(lambda: any(c.events for _, c in called[-3:]), what="the transition's event delivered")
    times = [at for at, _ in called]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 0.09, gaps  # at most ~10 deliveries a second
    assert len(called) < 30
    assert any("shop" in c.apps for c in iterated)
    subscription.close()
    await asyncio.wait_for(reader, 2)


async def test_read_only_mode_refuses_every_write_path(world: World) -> None:
    reconciler = world.reconciler(world.apps(), read_only=True)
    await reconciler.start()
    with pytest.raises(ReadOnlyModeError, match="read-only mode: refusing to sync shop"):
        await reconciler.sync("shop", SyncRequest())
    with pytest.raises(ReadOnlyModeError, match="read-only mode: refusing to roll shop back"):
        await reconciler.rollback("shop", 1)
    with pytest.raises(ReadOnlyModeError, match="refusing to switch auto-sync on for shop"):
        reconciler.set_auto_sync("shop", True)
    # A dry run writes nothing: allowed, and today it stops at the missing executor.
    with pytest.raises(NotImplementedError, match=r"engine/sync\.py"):
        await reconciler.sync("shop", SyncRequest(dry_run=True))
    with pytest.raises(UnknownAppError):
        await reconciler.sync("nope", SyncRequest())
    # The clusters' clients refuse too, whatever the caller does with them.
    runtime = next(iter(reconciler._runtimes))
    assert runtime.client.settings.read_only


async def test_without_an_executor_sync_says_so_and_auto_sync_is_tried_once(world: World) -> None:
    reconciler = world.reconciler([app("shop", world.remote, "shop", automated=True)])
    await reconciler.start()
    with pytest.raises(NotImplementedError, match=r"engine/sync\.py"):
        await reconciler.sync("shop", SyncRequest())
    await eventually(
        lambda: any("could not start" in e.message for e in reconciler.events(app="shop")),
        what="the failed automated sync",
    )
    await asyncio.wait_for(reconciler.refresh("shop", hard=True), 10)
    failures = [e for e in reconciler.events(app="shop") if "could not start" in e.message]
    assert len(failures) == 1  # a revision whose automated sync failed is not retried


async def test_sync_runs_through_the_executor_and_is_recorded(world: World) -> None:
    executor = ApplyingExecutor(hold=asyncio.Event())
    reconciler = with_executor(world, executor)
    await reconciler.start()
    await eventually(compared(reconciler, "tools", SyncStatus.OUT_OF_SYNC), what="tools OutOfSync")
    operation = await reconciler.sync("tools", SyncRequest())
    assert (operation.phase, operation.kind, operation.revision) == (OperationPhase.RUNNING, "sync", world.first)
    with pytest.raises(OperationInProgressError):
        await reconciler.sync("tools", SyncRequest())
    assert reconciler.activity("tools").operation == operation
    executor.hold.set()  # type: ignore[union-attr]
    await eventually(compared(reconciler, "tools", SyncStatus.SYNCED), what="tools Synced after the sync")
    done = await eventually(lambda: (op := reconciler.activity("tools").operation) and op.phase.completed and op)
    assert done.phase is OperationPhase.SUCCEEDED and done.finished_at is not None
    history = await reconciler.history("tools")
    assert [(h.revision, h.initiated_by, h.subject) for h in history] == [
        (world.first, "user", "shop, tools and a broken app")
    ]
    messages = [e.message for e in reconciler.events(app="tools")]
    assert f"sync to {world.first[:7]} started (user)" in messages
    assert "sync OutOfSync → Synced" in messages


async def test_auto_sync_follows_a_new_revision_and_rollback_pauses_it(world: World) -> None:
    executor = ApplyingExecutor()
    reconciler = with_executor(world, executor, [app("tools", world.remote, "tools", automated=True)])
    await reconciler.start()
    await eventually(compared(reconciler, "tools", SyncStatus.SYNCED), what="auto-synced")
    assert executor.jobs[0].request.initiated_by == "automated"
    second = world.remote.commit({"tools/tools.yaml": configmap("tools", MODE="off")}, "tools off")
    await reconciler.refresh("tools")
    await eventually(
        lambda: (
            (s := reconciler.snapshot()["tools"]).sync is SyncStatus.SYNCED
            and s.revision is not None
            and s.revision.sha == second
        ),
        what="auto-synced to the new revision",
    )
    history = await eventually(
        lambda: (
            len(executor.jobs) == 2
            and reconciler.activity("tools").operation
            and reconciler.activity("tools").operation.phase.completed
        )
    )
    assert history
    entries = await reconciler.history("tools")
    assert [e.revision for e in entries] == [world.first, second]
    operation = await reconciler.rollback("tools", entries[0].id)
    assert (operation.kind, operation.revision) == ("rollback", world.first)
    activity = reconciler.activity("tools")
    assert not activity.auto_sync and "paused after rollback" in activity.auto_sync_note
    # Rolled back: Git's newer revision is OutOfSync, and auto-sync leaves it so while paused.
    await eventually(compared(reconciler, "tools", SyncStatus.OUT_OF_SYNC), what="OutOfSync after rollback")
    assert len(executor.jobs) == 3
    reconciler.set_auto_sync("tools", True)
    await eventually(compared(reconciler, "tools", SyncStatus.SYNCED), what="auto-sync resumed")
    assert len(executor.jobs) == 4


def test_stop_leaves_no_threads(tmp_path: Path, sandbox: Sandbox) -> None:
    world = World(tmp_path, sandbox)
    before = set(threading.enumerate())

    async def scenario() -> None:
        reconciler = world.reconciler(world.apps())
        await reconciler.start()
        await eventually(compared(reconciler, "tools", SyncStatus.OUT_OF_SYNC), what="tools compared")
        assert {t.name for t in threading.enumerate() if t.name.startswith("watch ")}
        assert {t.name for t in threading.enumerate() if t.name.startswith("reconciler-")}
        await reconciler.stop()
        ours = [t for t in threading.enumerate() if t not in before and not t.name.startswith("asyncio_")]
        assert not ours, ours  # what is left are the loop's own idle pool threads, ended with the loop

    asyncio.run(scenario())
    deadline = time.monotonic() + 5
    while (left := set(threading.enumerate()) - before) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not left, left
    world.client.close()
