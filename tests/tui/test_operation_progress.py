"""A sync as the SRE follows it: the dialog's plan and options, the typed name before a prune, live per-resource
progress in the details and marks in the tree, and ctrl+k terminating a sync that would otherwise wait."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from gitops_tui.engine.sync_plan_model import SyncAction
from gitops_tui.model import (
    OperationPhase,
    ResourceAction,
    ResourceKey,
    ResourceResult,
    SyncStatus,
)
from gitops_tui.tui.app import GitOpsApp
from gitops_tui.tui.screens.sync_modal import ConfirmModal, SyncModal
from gitops_tui.tui.screenshots import NOW, StaticSource, demo_fleet
from gitops_tui.tui.widgets.tree_rows import RowKind
from tests.engine.test_sync_execute_support import SyncWorld, cluster, configmap, world
from tests.tui import make_app, settle
from tests.tui.patient import wait_for
from tests.tui.rendered import details_text
from tests.tui.test_console_e2e import console_reconciler
from tests.tui.test_tree_children import workload

__all__ = ["cluster", "world"]  # fixtures, re-exported for pytest

WEB_CONFIG = ResourceKey("", "ConfigMap", "web", "web-config")
WEB_DEPLOYMENT = ResourceKey("apps", "Deployment", "web", "web")


@pytest.fixture(autouse=True)
def _state_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


async def open_sync_dialog(app: GitOpsApp, pilot, key: str) -> SyncModal:  # type: ignore[no-untyped-def]
    app.tree.select_app("web")
    await wait_for(pilot, lambda: app.selection == ("web", None))
    await settle(pilot)
    await pilot.press(key)
    modal = app.screen
    assert isinstance(modal, SyncModal)
    await wait_for(pilot, lambda: modal.plan is not None)
    return modal


async def test_pruning_asks_for_the_app_name_typed_before_enter_confirms() -> None:
    source = demo_fleet()
    app = make_app(source=source)
    async with app.run_test(size=(120, 40)) as pilot:
        modal = await open_sync_dialog(app, pilot, "S")
        assert modal.plan is not None and [s.key.kind for s in modal.plan.prunes] == ["CronJob"]
        sync_button = modal.query_one("#sync-yes")
        assert modal.needs_name and sync_button.disabled
        await pilot.press("enter")  # nothing typed: refused, said why
        assert isinstance(app.screen, SyncModal) and source.calls == []
        assert any("Type web in the box" in n.message for n in app._notifications)
        await pilot.press(*"wbe")
        assert sync_button.disabled
        await pilot.press("backspace", "backspace", *"eb")
        assert not sync_button.disabled
        await pilot.press("enter")
        await wait_for(pilot, lambda: source.calls == [("sync", "web", "prune")])


async def test_options_change_the_plan_and_a_dry_run_needs_no_name() -> None:
    source = demo_fleet()
    app = make_app(source=source)
    async with app.run_test(size=(120, 40)) as pilot:
        modal = await open_sync_dialog(app, pilot, "s")
        assert modal.plan is not None and not modal.plan.prunes and not modal.needs_name
        service = next(s for s in modal.plan.steps if s.key.kind == "Service")
        assert service.action is SyncAction.CONFIGURE and "synced" in service.reason  # re-applied, no change expected
        await pilot.press("o")  # only OutOfSync: the Service is left alone
        await wait_for(pilot, lambda: modal.plan is not None and modal.out_of_sync_only)
        assert modal.plan is not None
        assert next(s for s in modal.plan.steps if s.key.kind == "Service").action is SyncAction.UNCHANGED
        await pilot.press("p")  # prune on: the CronJob is in the plan, the name box appears
        await wait_for(pilot, lambda: modal.plan is not None and modal.needs_name)
        assert modal.query_one("#sync-name").display
        await pilot.press("tab", "d")  # out of the name box, then dry run: nothing is deleted, no name needed
        await wait_for(pilot, lambda: modal.dry_run and not modal.needs_name)
        assert not modal.query_one("#sync-name").display and "Dry run" in str(modal.query_one("#sync-yes").label)
        await pilot.press("enter")
        await wait_for(pilot, lambda: source.operations.get("web") is not None)
        operation = source.operations["web"]
        assert operation.dry_run and operation.prune


def progress(source: StaticSource, **changes: object) -> None:
    """The operation of web moves on, as the executor reports through the reconciler."""
    operation = replace(source.operations["web"], **changes)  # type: ignore[arg-type]
    source.operations["web"] = operation
    source.publish([source.states["web"]])


async def test_details_follow_the_operation_result_by_result_until_synced() -> None:
    source = demo_fleet()
    app = make_app(source=source)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_sync_dialog(app, pilot, "s")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "web" in app.tree.operations)
        assert app.selection == ("web", None)
        configured = ResourceResult(WEB_CONFIG, ResourceAction.CONFIGURED, "configured", "Sync", 0, at=NOW)
        progress(
            source,
            message="Sync wave 0: waiting for Deployment web/web: 1 of 3 updated replicas",
            results=(configured, ResourceResult(WEB_DEPLOYMENT, ResourceAction.CONFIGURED, "configured", at=NOW)),
        )
        await wait_for(pilot, lambda: "Sync wave 0 (1 of 1)" in details_text(app))
        shown = details_text(app)
        assert "⟳ Running" in shown and "waiting for Deployment web/web: 1 of 3 updated replicas" in shown
        assert "~ 2 configured" in shown and "~ configured ConfigMap web-config" in shown
        assert "ctrl+k terminates" in shown

        await pilot.press("l", "l", "j")  # the tree marks what the sync did to each resource so far
        config_row = next(i for i, r in enumerate(app.tree.rows) if r.kind is RowKind.RESOURCE and r.key == WEB_CONFIG)
        assert "~ apply" in app.tree.render_line(config_row - round(app.tree.scroll_y) + 1).text
        await pilot.press("h")
        assert app.selection == ("web", None)

        synced = replace(
            source.states["web"],
            sync=SyncStatus.SYNCED,
            resources=tuple(replace(r, sync=SyncStatus.SYNCED) for r in source.states["web"].resources),
        )
        source.states["web"] = synced
        progress(source, phase=OperationPhase.SUCCEEDED, message="2 configured", finished_at=NOW + timedelta(seconds=8))
        await wait_for(pilot, lambda: "✓ Succeeded" in details_text(app))
        shown = details_text(app)
        assert "✓ Synced" in shown and "~ 2 configured" in shown and "Operation" not in shown
        assert "web" not in app.tree.operations


async def test_terminate_asks_first_and_says_when_nothing_runs() -> None:
    source = demo_fleet()
    app = make_app(source=source)
    async with app.run_test(size=(120, 40)) as pilot:
        app.tree.select_app("payments")
        await wait_for(pilot, lambda: app.selection == ("payments", None))
        await settle(pilot)
        await pilot.press("ctrl+k")
        assert not isinstance(app.screen, ConfirmModal)
        assert any("no operation is running" in n.message for n in app._notifications)
        await open_sync_dialog(app, pilot, "s")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "web" in app.tree.operations)
        await pilot.press("ctrl+k")
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")
        assert ("terminate", "web") not in source.calls
        await pilot.press("ctrl+k", "y")
        await wait_for(pilot, lambda: ("terminate", "web") in source.calls)
        await wait_for(pilot, lambda: "■ Terminating" in details_text(app))


# ---- on the sandbox, with the real reconciler and executor ----------------------------------------------------


async def test_on_the_sandbox_terminate_stops_a_sync_waiting_for_a_resource_that_never_gets_healthy(
    world: SyncWorld,
) -> None:
    stuck = workload("stuck", "shop/api:missing", replicas=1)  # the image cannot be pulled: never Healthy
    stuck = stuck.replace(
        "metadata: {name: stuck}", "metadata: {name: stuck, annotations: {argocd.argoproj.io/sync-wave: '1'}}"
    )
    world.commit({"shop/settings.yaml": configmap("settings", LEVEL="info"), "shop/stuck.yaml": stuck}, "stuck")
    reconciler = console_reconciler(world)
    app = GitOpsApp(reconciler)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(
            pilot, lambda: "shop" in app.tree.states and app.tree.states["shop"].compared_at is not None, attempts=500
        )
        await pilot.press("s")
        modal = app.screen
        assert isinstance(modal, SyncModal)
        await wait_for(pilot, lambda: modal.plan is not None, attempts=500)
        assert modal.plan is not None and [(str(g.phase), g.wave) for g in modal.plan.waves()] == [
            ("Sync", 0),
            ("Sync", 1),
        ]
        await pilot.press("enter")

        await wait_for(pilot, lambda: "Sync wave 1 (2 of 2)" in details_text(app), attempts=750)
        shown = details_text(app)
        assert "⟳ Running" in shown and "+ created    ConfigMap settings" in shown and "+ created" in shown

        await pilot.press("ctrl+k")
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("y")

        def ended() -> bool:
            operation = reconciler.activity("shop").operation
            return operation is not None and operation.phase.completed

        await wait_for(pilot, ended, attempts=750)
        operation = reconciler.activity("shop").operation
        assert operation is not None and operation.phase is OperationPhase.FAILED
        assert "terminated by user" in operation.message
        await wait_for(pilot, lambda: "✗ Failed" in details_text(app) and "terminated by user" in details_text(app))
        await pilot.press("q")
