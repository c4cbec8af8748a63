"""Hooks in a sync: generateName, a failing hook, SyncFail hooks, PostSync; and selective syncs skip hooks."""

from __future__ import annotations

from gitops_tui.engine.operations import SyncRequest
from gitops_tui.model import OperationPhase, ResourceAction, ResourceKey
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


def _jobs(world: SyncWorld) -> list[str]:
    resource = world.client.mapper.resource_for("batch/v1", "Job")
    return sorted(job["metadata"]["name"] for job in world.client.list(resource, NAMESPACE).items)


async def test_generate_name_hooks_get_a_fresh_name_each_sync(world: SyncWorld) -> None:
    hook = hook_job("unused", policy="BeforeHookCreation").replace("  name: unused", "  generateName: smoke-")
    world.commit({"shop/smoke.yaml": hook, "shop/a.yaml": configmap("a")}, "generateName hook")
    first, _ = await world.sync(world.app())
    assert first.phase is OperationPhase.SUCCEEDED, first.message
    second, _ = await world.sync(world.app())
    assert second.phase is OperationPhase.SUCCEEDED, second.message
    names = [r.key.name for r in (*first.results, *second.results) if r.hook]
    assert len(names) == 2 and names[0] != names[1] and all(n.startswith("smoke-") and len(n) == 11 for n in names)
    assert set(names) <= set(_jobs(world))  # generated names are never reused, so both runs remain


async def test_a_failing_hook_fails_the_sync_and_runs_the_sync_fail_hooks(world: SyncWorld) -> None:
    world.commit(
        {
            "shop/migrate.yaml": hook_job("migrate", policy="HookFailed", image="shop/migrate:fail"),
            "shop/cleanup.yaml": hook_job("cleanup", phase="SyncFail", policy="BeforeHookCreation"),
            "shop/a.yaml": configmap("a"),
        },
        "failing migration",
    )
    done, _ = await world.sync(world.app())
    assert done.phase is OperationPhase.FAILED
    assert "Job shop/migrate" in done.message and "failed" in done.message
    migrate = result_for(done, "Job", "migrate")
    assert migrate.action is ResourceAction.FAILED and "deleted (HookFailed)" in migrate.message
    cleanup = result_for(done, "Job", "cleanup")
    assert cleanup.phase == "SyncFail" and "completed" in cleanup.message
    assert world.get("ConfigMap", "a") is None  # the Sync phase never ran
    assert world.get("Job", "migrate", "batch") is None and world.get("Job", "cleanup", "batch") is not None


async def test_post_sync_hooks_run_after_the_app_is_healthy(world: SyncWorld) -> None:
    world.commit(
        {
            "shop/web.yaml": deployment("web"),
            "shop/notify.yaml": hook_job("notify", phase="PostSync", policy="HookSucceeded"),
        },
        "notify",
    )
    done, _ = await world.sync(world.app())
    assert done.phase is OperationPhase.SUCCEEDED, done.message
    assert [(r.phase, r.key.name) for r in done.results] == [("Sync", "web"), ("PostSync", "notify")]
    assert "Healthy" in result_for(done, "Deployment", "web").message
    web_done, notify_started = result_for(done, "Deployment", "web").at, result_for(done, "Job", "notify").at
    assert web_done is not None and notify_started is not None and web_done <= notify_started


async def test_a_selective_sync_applies_only_the_chosen_resources_and_no_hooks(world: SyncWorld) -> None:
    world.commit(
        {"shop/a.yaml": configmap("a"), "shop/b.yaml": configmap("b"), "shop/migrate.yaml": hook_job("migrate")},
        "two and a hook",
    )
    chosen = frozenset({ResourceKey("", "ConfigMap", NAMESPACE, "a")})
    done, _ = await world.sync(world.app(), SyncRequest(resources=chosen))
    assert done.phase is OperationPhase.SUCCEEDED, done.message
    assert [r.key.name for r in done.results if r.action is ResourceAction.CREATED] == ["a"]
    assert "skipped: hook: hooks do not run in a selective sync" in result_for(done, "Job", "migrate").message
    assert world.get("ConfigMap", "a") is not None and world.get("ConfigMap", "b") is None
    assert world.get("Job", "migrate", "batch") is None


async def test_create_namespace_creates_the_destination_first(world: SyncWorld) -> None:
    world.commit({"fresh/a.yaml": configmap("a")}, "a new namespace")
    app = world.app("fresh", path="fresh", namespace="brand-new", sync_options=("CreateNamespace=true",))
    dry, _ = await world.sync(app, SyncRequest(dry_run=True))
    assert dry.phase is OperationPhase.SUCCEEDED, dry.message
    assert world.client.get(ResourceKey("", "Namespace", "", "brand-new")) is None
    done, _ = await world.sync(app)
    assert done.phase is OperationPhase.SUCCEEDED, done.message
    assert [(r.key.kind, r.action) for r in done.results] == [
        ("Namespace", ResourceAction.CREATED),
        ("ConfigMap", ResourceAction.CREATED),
    ]
    assert world.get("ConfigMap", "a", namespace="brand-new") is not None
