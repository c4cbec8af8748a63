"""Read-only per context (config file `contexts: {prod: {readOnly: true}}`), enforced by the reconciler.

One sandbox seen through two kubeconfig contexts, `prod` (read-only) and `dev`: the app deployed to
prod refuses sync, rollback, auto-sync switches and automated sync; the app on dev does all of them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from gitops_tui.cluster.kubeconfig import load_kubeconfig
from gitops_tui.engine.operations import ReadOnlyModeError, SyncRequest
from gitops_tui.engine.reconciler import Reconciler, ReconcilerSettings
from gitops_tui.model import AppSource, AppSpec, Destination, SyncPolicy, SyncStatus
from gitops_tui.sandbox import testing as sandbox_testing
from gitops_tui.sandbox.runtime import Sandbox
from gitops_tui.source.git import MirrorPool
from tests.engine.test_reconciler import QUIET, World, compared, configmap
from tests.engine.test_reconciler_api import ApplyingExecutor
from tests.waiting import eventually

sandbox = sandbox_testing.sandbox

WHY = "context prod is read-only in ~/.config/gitops-tui/config.yaml"


def two_contexts(world: World) -> Path:
    """The sandbox's kubeconfig with its one context copied as `prod` and `dev`."""
    document = yaml.safe_load(world.server.kubeconfig_path.read_text())
    context = document["contexts"][0]["context"]
    document["contexts"] = [{"name": name, "context": context} for name in ("prod", "dev")]
    document["current-context"] = "dev"
    path = world.tmp_path / "two-contexts.kubeconfig"
    path.write_text(yaml.safe_dump(document))
    return path


def on(context: str, name: str, world: World, path: str, automated: bool = False) -> AppSpec:
    return AppSpec(
        name,
        AppSource(world.remote.url, path),
        Destination(name=context, namespace="shop"),
        sync_policy=SyncPolicy(automated=automated),
    )


@pytest.fixture
async def world(tmp_path: Path, sandbox: Sandbox):  # type: ignore[no-untyped-def]
    made = World(tmp_path, sandbox)
    yield made
    for reconciler in made.reconcilers:
        await reconciler.stop()
    made.client.close()


def reconciler(world: World, apps: list[AppSpec], executor: ApplyingExecutor) -> Reconciler:
    settings = ReconcilerSettings(**{**QUIET.__dict__, "read_only_contexts": {"prod": WHY}})
    made = Reconciler(
        apps,
        kubeconfig=load_kubeconfig(two_contexts(world)),
        pool=MirrorPool(world.tmp_path / "m"),
        settings=settings,
        executor=executor,
    )
    world.reconcilers.append(made)
    return made


async def test_apps_on_a_read_only_context_refuse_every_write_and_the_others_do_not(world: World) -> None:
    executor = ApplyingExecutor()
    apps = [on("prod", "shop", world, "shop"), on("dev", "tools", world, "tools")]
    reconciler_ = reconciler(world, apps, executor)
    await reconciler_.start()
    await eventually(compared(reconciler_, "shop", SyncStatus.OUT_OF_SYNC), what="shop compared")
    await eventually(compared(reconciler_, "tools", SyncStatus.OUT_OF_SYNC), what="tools compared")

    assert reconciler_.activity("shop").read_only_reason == WHY
    assert reconciler_.activity("tools").read_only_reason == ""
    refusal = f"read-only: {WHY}: refusing to sync shop"
    with pytest.raises(ReadOnlyModeError, match=refusal.replace(".", r"\.")):
        await reconciler_.sync("shop", SyncRequest())
    with pytest.raises(ReadOnlyModeError, match=r"context prod is read-only .*: refusing to roll shop back"):
        await reconciler_.rollback("shop", 1)
    with pytest.raises(ReadOnlyModeError, match="refusing to switch auto-sync off for shop"):
        reconciler_.set_auto_sync("shop", False)
    assert executor.jobs == []  # nothing reached the executor

    # A dry run writes nothing, so it is allowed; the other context syncs as usual.
    await reconciler_.sync("shop", SyncRequest(dry_run=True))
    await reconciler_.sync("tools", SyncRequest())
    await eventually(compared(reconciler_, "tools", SyncStatus.SYNCED), what="tools synced on dev")
    assert [(job.app.name, job.request.dry_run) for job in executor.jobs] == [("shop", True), ("tools", False)]
    assert reconciler_.snapshot()["shop"].sync is SyncStatus.OUT_OF_SYNC


async def test_automated_sync_stays_off_on_a_read_only_context(world: World) -> None:
    await world.deploy("shop", configmap("settings", LEVEL="debug"))  # drift on prod
    executor = ApplyingExecutor()
    apps = [on("prod", "shop", world, "shop", automated=True), on("dev", "tools", world, "tools", automated=True)]
    reconciler_ = reconciler(world, apps, executor)
    await reconciler_.start()
    await eventually(compared(reconciler_, "tools", SyncStatus.SYNCED), what="tools auto-synced on dev")
    await eventually(compared(reconciler_, "shop", SyncStatus.OUT_OF_SYNC), what="shop compared on prod")
    assert [job.app.name for job in executor.jobs] == ["tools"]
