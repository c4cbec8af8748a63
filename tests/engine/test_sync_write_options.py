"""Sync options that change how an object is written, on the sandbox: Replace=true, Force=true with Replace,
ServerSideApply=false (client-side apply with the last-applied annotation), and how the plan says so."""

from __future__ import annotations

from gitops_tui.cluster.merge_patch import LAST_APPLIED
from gitops_tui.engine.operations import SyncRequest
from gitops_tui.engine.sync_plan import SyncAction, SyncOptions, plan_sync
from gitops_tui.model import OperationPhase, ResourceAction, ResourceKey
from tests.engine.test_sync_execute_support import NAMESPACE, SyncWorld, cluster, configmap, result_for, world

__all__ = ["cluster", "world"]  # fixtures, re-exported for pytest

SETTINGS = ResourceKey("", "ConfigMap", NAMESPACE, "settings")


def _take_field(world: SyncWorld, key: str, value: str) -> None:
    """Another manager (a person with kubectl) takes ownership of one data key, with a forced apply."""
    other = world.new_client(field_manager="kubectl-edit")
    try:
        other.apply(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "settings", "namespace": NAMESPACE},
                "data": {key: value},
            },
            force=True,
        )
    finally:
        other.close()


def _meta(world: SyncWorld) -> dict:
    found = world.get("ConfigMap", "settings")
    assert found is not None
    return found


async def test_replace_creates_when_missing_then_replaces_dropping_fields_other_managers_own(world: SyncWorld) -> None:
    world.commit({"shop/settings.yaml": configmap("settings", options="Replace=true", A="1", B="2")}, "two keys")
    app = world.app()
    first, _ = await world.sync(app)
    assert first.phase is OperationPhase.SUCCEEDED, first.message
    created = result_for(first, "ConfigMap", "settings")
    assert created.action is ResourceAction.CREATED and "Replace=true" in created.message
    _take_field(world, "B", "2")  # B now belongs to kubectl-edit: a server-side apply would leave it there
    before = _meta(world)["metadata"]["resourceVersion"]

    world.commit({"shop/settings.yaml": configmap("settings", options="Replace=true", A="1")}, "drop B")
    second, _ = await world.sync(app)

    assert second.phase is OperationPhase.SUCCEEDED, second.message
    replaced = result_for(second, "ConfigMap", "settings")
    assert replaced.action is ResourceAction.REPLACED and replaced.message.startswith("replaced")
    live = _meta(world)
    assert live["data"] == {"A": "1"}
    assert live["metadata"]["resourceVersion"] != before


async def test_app_level_replace_shows_in_the_plan_and_a_resource_can_opt_out(world: SyncWorld) -> None:
    world.commit(
        {
            "shop/settings.yaml": configmap("settings", A="1"),
            "shop/other.yaml": configmap("other", options="Replace=false"),
        },
        "two",
    )
    app = world.app(sync_options=("Replace=true",))
    first, _ = await world.sync(app)
    assert first.phase is OperationPhase.SUCCEEDED, first.message
    job, _ = world.job(app)
    plan = plan_sync(app, [d.obj for d in job.desired], job.live, None, SyncOptions.from_app(app))
    actions = {step.key.name: step.action for step in plan.steps}
    assert actions == {"settings": SyncAction.REPLACE, "other": SyncAction.CONFIGURE}
    line = next(line for line in plan.lines() if "ConfigMap shop/settings" in line)
    assert line.split()[3] == "replace" and "Replace=true: the whole object is replaced" in line

    second, _ = await world.sync(app)
    assert result_for(second, "ConfigMap", "settings").action is ResourceAction.REPLACED
    assert result_for(second, "ConfigMap", "other").action is ResourceAction.UNCHANGED  # applied server-side


async def test_force_with_replace_deletes_and_creates_again(world: SyncWorld) -> None:
    world.commit({"shop/settings.yaml": configmap("settings", options="Force=true,Replace=true", A="1")}, "force")
    app = world.app()
    first, _ = await world.sync(app)
    assert first.phase is OperationPhase.SUCCEEDED, first.message
    uid = _meta(world)["metadata"]["uid"]

    job, _ = world.job(app)
    plan = plan_sync(app, [d.obj for d in job.desired], job.live, None, SyncOptions.from_app(app))
    assert [step.action for step in plan.steps] == [SyncAction.RECREATE]
    second, _ = await world.sync(app)

    assert second.phase is OperationPhase.SUCCEEDED, second.message
    result = result_for(second, "ConfigMap", "settings")
    assert result.action is ResourceAction.REPLACED and "deleted and created again" in result.message
    assert _meta(world)["metadata"]["uid"] != uid  # a new object, not an update


async def test_client_side_apply_records_last_applied_and_deletes_only_what_git_dropped(world: SyncWorld) -> None:
    world.commit({"shop/settings.yaml": configmap("settings", A="1", B="2")}, "two keys")
    app = world.app(sync_options=("ServerSideApply=false",))
    first, _ = await world.sync(app)
    assert first.phase is OperationPhase.SUCCEEDED, first.message
    assert "client-side apply" in result_for(first, "ConfigMap", "settings").message
    assert '"B":"2"' in _meta(world)["metadata"]["annotations"][LAST_APPLIED]
    _take_field(world, "C", "3")  # added by someone else: not in the last-applied configuration

    world.commit({"shop/settings.yaml": configmap("settings", A="10")}, "drop B, change A")
    second, _ = await world.sync(app)

    assert second.phase is OperationPhase.SUCCEEDED, second.message
    result = result_for(second, "ConfigMap", "settings")
    assert result.action is ResourceAction.CONFIGURED and "client-side apply" in result.message
    live = _meta(world)
    assert live["data"] == {"A": "10", "C": "3"}  # B deleted (Git dropped it), C kept (never ours)
    assert '"B"' not in live["metadata"]["annotations"][LAST_APPLIED]


async def test_write_options_in_a_dry_run_write_nothing(world: SyncWorld) -> None:
    world.commit({"shop/settings.yaml": configmap("settings", options="Force=true,Replace=true", A="1")}, "force")
    app = world.app()
    await world.sync(app)
    uid = _meta(world)["metadata"]["uid"]
    world.commit({"shop/settings.yaml": configmap("settings", options="Force=true,Replace=true", A="2")}, "change")
    done, _ = await world.sync(app, SyncRequest(dry_run=True))
    assert done.phase is OperationPhase.SUCCEEDED, done.message
    assert result_for(done, "ConfigMap", "settings").message.startswith("dry run: would be replaced")
    live = _meta(world)
    assert live["metadata"]["uid"] == uid and live["data"] == {"A": "1"}
