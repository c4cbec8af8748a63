"""Rollback: back to the previous entry's revision, without hooks, auto-sync paused (and that pause persisted)."""

from __future__ import annotations

from gitops_tui.engine.history import HistoryStore, rollback_target, should_record
from gitops_tui.engine.operations import SyncRequest
from gitops_tui.model import OperationPhase
from tests.engine.test_sync_execute_support import SyncWorld, cluster, configmap, hook_job, world

__all__ = ["cluster", "world"]  # fixtures, re-exported for pytest


async def test_rollback_restores_the_previous_revision_and_pauses_auto_sync(world: SyncWorld) -> None:
    app = world.app()
    store = HistoryStore(lambda _: world.client)
    world.commit(
        {"shop/settings.yaml": configmap("settings", LEVEL="info"), "shop/migrate.yaml": hook_job("migrate")}, "info"
    )
    for level in ("info", "debug"):
        if level == "debug":
            world.commit(
                {"shop/settings.yaml": configmap("settings", LEVEL="debug"), "shop/extra.yaml": configmap("extra")},
                "debug",
            )
        job, _ = world.job(app)
        done = await world.runner.run(job)
        assert done.phase is OperationPhase.SUCCEEDED, done.message
        assert should_record(done, job.request)
        await store.record(app, done, job.revision)
    assert world.get("ConfigMap", "settings")["data"] == {"LEVEL": "debug"}  # type: ignore[index]

    target = rollback_target(await store.entries(app))
    assert target.id == 1
    await store.pause_auto_sync(app, f"paused after rollback to {target.revision[:7]}")
    job, _ = world.job(app, SyncRequest(revision=target.revision), kind="rollback")
    rolled = await world.runner.run(job)
    assert rolled.phase is OperationPhase.SUCCEEDED, rolled.message
    assert rolled.kind == "rollback" and rolled.revision == target.revision
    assert world.get("ConfigMap", "settings")["data"] == {"LEVEL": "info"}  # type: ignore[index]
    assert not any(r.hook for r in rolled.results)  # no hooks in a rollback
    assert world.get("ConfigMap", "extra") is not None  # not pruned: a rollback prunes only when asked
    await store.record(app, rolled, job.revision)

    restarted = HistoryStore(lambda _: world.client)  # the console restarts: still paused
    pause = await restarted.auto_sync_pause(app)
    assert pause is not None and pause.reason == f"paused after rollback to {target.revision[:7]}"
    assert [e.revision for e in await restarted.entries(app)][-1] == target.revision
    await restarted.resume_auto_sync(app)  # resuming is one call
    assert await store.auto_sync_pause(app) is None


async def test_rollback_prunes_when_asked(world: SyncWorld) -> None:
    app = world.app()
    first = world.commit({"shop/a.yaml": configmap("a")}, "a")
    await world.sync(app)
    world.commit({"shop/b.yaml": configmap("b")}, "b")
    await world.sync(app)
    done, _ = await world.sync(app, SyncRequest(revision=first, prune=True), kind="rollback")
    assert done.phase is OperationPhase.SUCCEEDED, done.message
    assert world.get("ConfigMap", "b") is None and world.get("ConfigMap", "a") is not None
