"""Sync execution on the sandbox with a real Git repository: order, waves, hooks, prune, health, dry run."""

from __future__ import annotations

from gitops_tui.engine.operations import SyncRequest
from gitops_tui.model import Operation, OperationPhase, ResourceAction, RetryStrategy
from tests.engine.test_sync_execute_support import (
    NAMESPACE,
    SyncWorld,
    cluster,
    configmap,
    deployment,
    hook_job,
    result_for,
    world,
)

__all__ = ["cluster", "world"]  # fixtures, re-exported for pytest


def _app_files() -> dict[str, str]:
    return {
        "shop/migrate.yaml": hook_job("migrate"),
        "shop/settings.yaml": configmap("settings", LEVEL="info"),
        "shop/db.yaml": deployment("db", "shop/db:1.0"),
        "shop/web.yaml": deployment("web", wave=1),
        "shop/cache.yaml": configmap("cache", wave=1),
    }


async def test_first_sync_creates_everything_in_wave_order_waiting_for_health(world: SyncWorld) -> None:
    world.commit(_app_files(), "shop")
    app = world.app()
    job, recorder = world.job(app)
    seen_when_web_applied: list[Operation] = []

    def watch(operation: Operation) -> None:
        names = [r.key.name for r in operation.results]
        if "web" in names and not seen_when_web_applied:
            seen_when_web_applied.append(operation)

    recorder.on_update = watch
    done = await world.runner.run(job)

    assert done.phase is OperationPhase.SUCCEEDED, done.message
    assert done.finished_at is not None
    order = [(r.phase, r.wave, r.key.kind, r.key.name) for r in done.results]
    assert order == [
        ("PreSync", 0, "Job", "migrate"),
        ("Sync", 0, "ConfigMap", "settings"),
        ("Sync", 0, "Deployment", "db"),
        ("Sync", 1, "ConfigMap", "cache"),
        ("Sync", 1, "Deployment", "web"),
    ]
    assert {r.action for r in done.results if not r.hook} == {ResourceAction.CREATED}
    # wave 1 started only once wave 0 was healthy: db said Healthy before web was applied
    snapshot = seen_when_web_applied[0]
    assert "Healthy" in result_for(snapshot, "Deployment", "db").message
    assert "Healthy" in result_for(done, "Deployment", "web").message
    times = [r.at for r in done.results]
    assert all(t is not None for t in times)
    # the PreSync hook ran to completion before the rest, and was deleted per HookSucceeded
    hook = result_for(done, "Job", "migrate")
    assert hook.hook and "completed" in hook.message and "deleted (HookSucceeded)" in hook.message
    assert "Running" in recorder.phases[0]
    assert world.get("Job", "migrate", "batch") is None
    assert world.get("Deployment", "web", "apps") is not None
    live_web = world.get("Deployment", "web", "apps")
    assert (
        live_web
        and live_web["metadata"]["annotations"]["gitops-tui.dev/tracking-id"] == f"shop:apps/Deployment:{NAMESPACE}/web"
    )


async def test_second_sync_reports_unchanged_and_configured(world: SyncWorld) -> None:
    world.commit(
        {"shop/settings.yaml": configmap("settings", LEVEL="info"), "shop/other.yaml": configmap("other")},
        "two configmaps",
    )
    app = world.app()
    first, _ = await world.sync(app)
    assert first.phase is OperationPhase.SUCCEEDED, first.message
    world.commit({"shop/settings.yaml": configmap("settings", LEVEL="debug")}, "debug")
    second, _ = await world.sync(app)
    assert second.phase is OperationPhase.SUCCEEDED, second.message
    assert result_for(second, "ConfigMap", "settings").action is ResourceAction.CONFIGURED
    assert result_for(second, "ConfigMap", "other").action is ResourceAction.UNCHANGED
    assert world.get("ConfigMap", "settings")["data"] == {"LEVEL": "debug"}  # type: ignore[index]


async def test_before_hook_creation_replaces_the_previous_run(world: SyncWorld) -> None:
    world.commit(
        {
            "shop/migrate.yaml": hook_job("migrate", policy="BeforeHookCreation"),
            "shop/settings.yaml": configmap("settings"),
        },
        "hook kept after success",
    )
    app = world.app()
    first, _ = await world.sync(app)
    assert first.phase is OperationPhase.SUCCEEDED, first.message
    kept = world.get("Job", "migrate", "batch")
    assert kept is not None  # BeforeHookCreation only: the finished hook stays until the next sync
    second, _ = await world.sync(app)
    assert second.phase is OperationPhase.SUCCEEDED, second.message
    again = world.get("Job", "migrate", "batch")
    assert again is not None and again["metadata"]["uid"] != kept["metadata"]["uid"]


async def test_prune_deletes_exactly_the_removed_resource_and_keeps_prune_false(world: SyncWorld) -> None:
    world.commit(
        {
            "shop/a.yaml": configmap("a"),
            "shop/b.yaml": configmap("b"),
            "shop/keep.yaml": configmap("keep", options="Prune=false"),
        },
        "three",
    )
    app = world.app()
    first, _ = await world.sync(app)
    assert first.phase is OperationPhase.SUCCEEDED, first.message
    world.commit({"shop/b.yaml": None, "shop/keep.yaml": None}, "remove b and keep")

    without_prune, _ = await world.sync(app)
    assert without_prune.phase is OperationPhase.SUCCEEDED
    assert world.get("ConfigMap", "b") is not None  # a manual sync prunes only when asked

    pruned, _ = await world.sync(app, SyncRequest(prune=True))
    assert pruned.phase is OperationPhase.SUCCEEDED, pruned.message
    assert [(r.key.name, r.action) for r in pruned.results if r.action is ResourceAction.PRUNED] == [
        ("b", ResourceAction.PRUNED)
    ]
    assert world.get("ConfigMap", "b") is None
    assert world.get("ConfigMap", "keep") is not None
    assert world.get("ConfigMap", "a") is not None


async def test_crashloop_image_fails_the_sync_on_health_with_the_message(world: SyncWorld) -> None:
    world.commit(
        {"shop/web.yaml": deployment("web", "shop/web:crashloop"), "shop/after.yaml": configmap("after", wave=5)},
        "broken image",
    )
    done, _ = await world.sync(world.app())
    assert done.phase is OperationPhase.FAILED
    assert "Degraded" in done.message and "Deployment" in done.message and "web" in done.message
    web = result_for(done, "Deployment", "web")
    assert web.action is ResourceAction.FAILED and "progress deadline" in web.message
    assert world.get("ConfigMap", "after") is None  # the next wave never ran


async def test_retry_runs_the_sync_again_with_backoff(world: SyncWorld) -> None:
    world.commit({"shop/web.yaml": deployment("web", "shop/web:crashloop")}, "broken image")
    retry = RetryStrategy(limit=1, backoff_duration_seconds=0.1, backoff_factor=2, backoff_max_duration_seconds=1)
    done, recorder = await world.sync(world.app(retry=retry))
    assert done.phase is OperationPhase.FAILED
    assert "after 2 attempts" in done.message
    assert any("retrying in 0.1 s (retry 1 of 1)" in u.message for u in recorder.updates)


async def test_dry_run_writes_nothing_and_says_what_would_happen(world: SyncWorld) -> None:
    world.commit(
        {"shop/migrate.yaml": hook_job("migrate"), "shop/a.yaml": configmap("a"), "shop/web.yaml": deployment("web")},
        "shop",
    )
    done, _ = await world.sync(world.app(), SyncRequest(dry_run=True))
    assert done.phase is OperationPhase.SUCCEEDED, done.message
    assert done.dry_run
    assert result_for(done, "ConfigMap", "a").message == "dry run: would be created"
    assert result_for(done, "Deployment", "web").action is ResourceAction.CREATED
    assert "would run" in result_for(done, "Job", "migrate").message
    assert done.message.startswith("dry run: would be")
    for kind, name, group in (("ConfigMap", "a", ""), ("Deployment", "web", "apps"), ("Job", "migrate", "batch")):
        assert world.get(kind, name, group) is None
