"""The tree's children (Deployment → ReplicaSets → Pods), driven by keys: over the demo fleet, and on the sandbox
with the real reconciler, where a crashlooping Pod shows Degraded with its reason."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from gitops_tui.engine.resource_tree import TreeNode
from gitops_tui.model import Health, HealthStatus, ResourceKey
from gitops_tui.tui.app import GitOpsApp
from gitops_tui.tui.demo_fleet import _pod, _rs
from gitops_tui.tui.widgets.diff_view import DiffView
from gitops_tui.tui.widgets.tree_rows import RowKind, TreeRow
from tests.engine.test_sync_execute_support import NAMESPACE, SyncWorld, cluster, world
from tests.tui import make_app, settle
from tests.tui.patient import wait_for
from tests.tui.rendered import details_text
from tests.tui.test_console_e2e import console_reconciler

__all__ = ["cluster", "world"]  # fixtures, re-exported for pytest

PAYMENTS = ResourceKey("apps", "Deployment", "payments", "payments")


@pytest.fixture(autouse=True)
def _state_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


def child_rows(app: GitOpsApp) -> list[TreeRow]:
    return [row for row in app.tree.rows if row.kind is RowKind.CHILD]


def nodes_of_kind(app: GitOpsApp, kind: str) -> list[TreeNode]:
    return [r.child.node for r in child_rows(app) if r.child and r.child.node and r.child.node.key.kind == kind]


def labels(app: GitOpsApp) -> list[str]:
    return [row.child.key.name if row.child and row.child.node else "(fold)" for row in child_rows(app)]


def line_of(app: GitOpsApp, index: int) -> str:
    return app.tree.render_line(index - round(app.tree.scroll_y) + 1).text


async def open_payments_deployment(app: GitOpsApp, pilot) -> None:  # type: ignore[no-untyped-def]
    app.tree.select_app("payments")
    await wait_for(pilot, lambda: app.selection == ("payments", None))
    await settle(pilot)
    await pilot.press("l", "l", "j")  # expand the app, step into it, onto the Deployment
    assert app.selection == ("payments", PAYMENTS)
    await pilot.press("l")


async def test_a_deployment_opens_to_its_replicasets_and_pods_with_health() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_payments_deployment(app, pilot)
        assert labels(app) == [
            "payments-6d5f9c7b8",
            "payments-6d5f9c7b8-k2x9p",
            "payments-6d5f9c7b8-m8v4d",
            "payments-84c6f7d9b",
            "payments-84c6f7d9b-2bx8c",
            "payments-84c6f7d9b-zq6lp",
        ]
        rows = app.tree.rows
        first_rs = next(i for i, r in enumerate(rows) if r.kind is RowKind.CHILD)
        assert "rs pay…" in line_of(app, first_rs) and "f9c7b8 ◐ Progressing" in line_of(app, first_rs)  # cut midway
        assert "rev 4 · 0/2 ready" in line_of(app, first_rs)
        pod_line = line_of(app, first_rs + 1)
        assert "✗ Degraded" in pod_line and "CrashLoopBackOff · 7 restarts" in pod_line

        await pilot.press("j", "j")  # onto the crashlooping Pod
        pod = ResourceKey("", "Pod", "payments", "payments-6d5f9c7b8-k2x9p")
        assert app.selection == ("payments", pod)
        await pilot.pause()
        shown = details_text(app)
        assert "Pod payments-6d5f9c7b8-k2x9p" in shown
        assert "✗ Degraded" in shown and "back-off 2m40s restarting failed container=payments" in shown
        assert "ReplicaSet.apps payments/payments-6d5f9c7b8" in shown  # its owner
        await wait_for(pilot, lambda: app.diff_shown_for == app.selection)
        assert "made by a controller" in app.query_one(DiffView).message

        await pilot.press("h")  # a Pod goes up to its ReplicaSet
        assert app.selection == ("payments", ResourceKey("apps", "ReplicaSet", "payments", "payments-6d5f9c7b8"))
        await pilot.press("h")  # closes the ReplicaSet: its Pods hide
        assert "payments-6d5f9c7b8-k2x9p" not in labels(app) and "payments-84c6f7d9b-2bx8c" in labels(app)


async def test_old_replicasets_fold_into_one_row_that_enter_opens() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.tree.select_app("web")
        await wait_for(pilot, lambda: app.selection == ("web", None))
        await settle(pilot)
        await pilot.press("l", "l", *["j"] * 5)  # into web, past its ConfigMap and CronJob, onto the Deployment
        assert app.selection == ("web", ResourceKey("apps", "Deployment", "web", "web"))
        await pilot.press("l")
        assert labels(app)[-1] == "(fold)" and "web-5b8d4c7f9" not in labels(app)
        fold = next(i for i, r in enumerate(app.tree.rows) if r.child and r.child.node is None)
        assert "2 old ReplicaSets" in line_of(app, fold) and "scaled to 0" in line_of(app, fold)
        await pilot.press("j", "j", "j", "j", "j")
        assert app.tree.cursor == fold
        await pilot.press("enter")
        assert labels(app)[-2:] == ["web-5b8d4c7f9", "web-64f7b9c5d"]


async def test_children_change_in_place_and_the_cursor_stays() -> None:
    source = make_app().source
    app = make_app(source=source)  # type: ignore[arg-type]
    async with app.run_test(size=(120, 40)) as pilot:
        await open_payments_deployment(app, pilot)
        await pilot.press("j", "j", "j", "j")  # past the new ReplicaSet and its Pods, onto the running one
        selected = app.selection
        assert selected is not None and selected[1] == ResourceKey(
            "apps", "ReplicaSet", "payments", "payments-84c6f7d9b"
        )
        scroll = app.tree.scroll_y
        # A new rollout: a new ReplicaSet appears above, one crashlooping Pod is replaced.
        tree = source.trees[("payments", PAYMENTS)]  # type: ignore[attr-defined]
        source.trees[("payments", PAYMENTS)] = [  # type: ignore[attr-defined]
            _rs("payments", "payments-5f6a7b8c9", 5, 0, 2, Health(HealthStatus.PROGRESSING, "starting")),
            _pod("payments", "payments-5f6a7b8c9", "new01", Health(HealthStatus.PROGRESSING), "Pending"),
            *[replace(node, retired=False) for node in tree if "m8v4d" not in node.key.name],
        ]
        app.tree.refresh_children()
        await pilot.pause()
        assert "payments-5f6a7b8c9-new01" in labels(app) and "payments-6d5f9c7b8-m8v4d" not in labels(app)
        assert app.selection == selected  # same object under the cursor
        assert app.tree.scroll_y == scroll  # the view did not jump


# ---- on the sandbox, with the real reconciler -----------------------------------------------------------------


def workload(name: str, image: str, replicas: int = 2) -> str:
    return f"""\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}}}
spec:
  replicas: {replicas}
  progressDeadlineSeconds: 3600
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers: [{{name: main, image: "{image}"}}]
"""


async def test_on_the_sandbox_a_crashlooping_pod_shows_degraded_under_its_deployment(world: SyncWorld) -> None:
    manifests = {"shop/api.yaml": workload("api", "shop/api:crashloop"), "shop/web.yaml": workload("web", "shop/web:1")}
    world.commit(manifests, "two deployments")
    for text in manifests.values():  # deployed already (by someone): the console only looks
        obj = yaml.safe_load(text)
        obj["metadata"]["namespace"] = NAMESPACE
        await asyncio.to_thread(world.client.apply, obj, app="shop")
    reconciler = console_reconciler(world)
    app = GitOpsApp(reconciler)
    api = ResourceKey("apps", "Deployment", NAMESPACE, "api")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(
            pilot, lambda: "shop" in app.tree.states and app.tree.states["shop"].compared_at is not None, attempts=500
        )
        await pilot.press("l", "l", "j")
        assert app.selection == ("shop", api)
        await pilot.press("l")

        def degraded_pods() -> list[TreeNode]:
            return [n for n in nodes_of_kind(app, "Pod") if n.health and n.health.status is HealthStatus.DEGRADED]

        await wait_for(pilot, lambda: len(degraded_pods()) == 2, attempts=750)
        replica_sets = nodes_of_kind(app, "ReplicaSet")
        assert len(replica_sets) == 1 and replica_sets[0].key.name.startswith("api-")
        await pilot.press("j", "j")  # past the ReplicaSet, onto a Pod
        await pilot.pause()
        shown = details_text(app)
        assert "✗ Degraded" in shown and "CrashLoopBackOff" in shown
        await pilot.press("q")
