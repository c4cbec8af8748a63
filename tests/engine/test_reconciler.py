"""The reconciler on the sandbox with real Git repositories: states, refresh, live changes, failures, events.

Waiting is always on a condition with a deadline, never a bare sleep. Each test has its own sandbox,
its own Git remote and its own mirror directory, so tests run in parallel.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from gitops_tui.cluster.cache import CacheSettings
from gitops_tui.cluster.client import ClientSettings, ClusterClient
from gitops_tui.cluster.errors import Target
from gitops_tui.cluster.kubeconfig import load_kubeconfig
from gitops_tui.cluster.watch import WatchOptions
from gitops_tui.engine.reconciler import Reconciler, ReconcilerSettings
from gitops_tui.model import AppSource, AppSpec, AppState, Destination, HealthStatus, ResourceKey, SyncStatus
from gitops_tui.sandbox import testing as sandbox_testing
from gitops_tui.sandbox.faults import ErrorFault
from gitops_tui.sandbox.runtime import Sandbox
from gitops_tui.source.git import MirrorPool
from tests.gitrepos import GitRemote
from tests.waiting import eventually

sandbox = sandbox_testing.sandbox

IN_CLUSTER = "https://kubernetes.default.svc"
FAST_CLIENT = ClientSettings(connect_timeout=2.0, read_timeout=5.0, max_retry_after=1.0)
FAST_CACHE = CacheSettings(
    watch=WatchOptions(backoff_initial=0.05, backoff_max=0.5, idle_read_timeout=5.0), kind_retry_interval=0.5
)
# No poll happens on its own during a test: what the tests see comes from refresh() and watch events.
QUIET = ReconcilerSettings(poll_interval=3600, poll_jitter=0, client=FAST_CLIENT, cache=FAST_CACHE)


def configmap(name: str, **data: str) -> str:
    body = ", ".join(f"{k}: {v}" for k, v in data.items())
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}}}\ndata: {{{body}}}\n"


SERVICE = """\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
"""


def app(name: str, remote: GitRemote, path: str, namespace: str = "shop", **policy: Any) -> AppSpec:
    from gitops_tui.model import SyncPolicy

    return AppSpec(
        name,
        AppSource(remote.url, path),
        Destination(server=IN_CLUSTER, namespace=namespace),
        sync_policy=SyncPolicy(**policy),
    )


class World:
    """A Git remote with a `shop` and a `tools` app, the sandbox, a client, and a reconciler over them."""

    def __init__(self, tmp_path: Path, server: Sandbox) -> None:
        self.tmp_path = tmp_path
        self.server = server
        self.remote = GitRemote.create(tmp_path / "repo")
        self.first = self.remote.commit(
            {
                "shop/settings.yaml": configmap("settings", LEVEL="info"),
                "shop/web.yaml": SERVICE,
                "tools/tools.yaml": configmap("tools", MODE="on"),
                "broken/bad.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [oops\n",
            },
            "shop, tools and a broken app",
        )
        self.kubeconfig = load_kubeconfig(server.kubeconfig_path)
        self.client = ClusterClient.from_kubeconfig(self.kubeconfig, settings=FAST_CLIENT)
        self.client.ensure_namespace("shop")
        self.reconcilers: list[Reconciler] = []

    def reconciler(self, apps: list[AppSpec], executor: Any = None, **settings: Any) -> Reconciler:
        chosen = ReconcilerSettings(**{**QUIET.__dict__, **settings})
        made = Reconciler(
            apps,
            kubeconfig=self.kubeconfig,
            pool=MirrorPool(self.tmp_path / "mirrors"),
            settings=chosen,
            executor=executor,
        )
        self.reconcilers.append(made)
        return made

    def apps(self) -> list[AppSpec]:
        return [app("shop", self.remote, "shop"), app("tools", self.remote, "tools")]

    async def deploy(self, name: str, text: str) -> None:
        """What a sync does: server-side apply as gitops-tui, tracked as the app's."""
        import yaml

        for doc in yaml.safe_load_all(text):
            doc["metadata"].setdefault("namespace", "shop")
            await asyncio.to_thread(self.client.apply, doc, app=name)

    async def edit_configmap(self, name: str, **data: str) -> None:
        """Another client (kubectl edit) replaces the object."""
        live = await asyncio.to_thread(self.client.get, ResourceKey("", "ConfigMap", "shop", name))
        assert live is not None
        live["data"] = data
        live["metadata"].pop("managedFields", None)
        await asyncio.to_thread(
            self.client.request_json,
            "PUT",
            f"/api/v1/namespaces/shop/configmaps/{name}",
            Target("update", "configmaps", name, "shop"),
            body=live,
            content_type="application/json",
            query=[("fieldManager", "kubectl-edit")],
        )


@pytest.fixture
async def world(tmp_path: Path, sandbox: Sandbox) -> AsyncIterator[World]:
    made = World(tmp_path, sandbox)
    yield made
    for reconciler in made.reconcilers:
        await reconciler.stop()
    made.client.close()


def compared(reconciler: Reconciler, name: str, sync: SyncStatus | None = None) -> Callable[[], AppState | None]:
    def check() -> AppState | None:
        state = reconciler.snapshot()[name]
        if state.compared_at is None or (sync is not None and state.sync is not sync):
            return None
        return state

    return check


async def test_two_apps_synced_and_out_of_sync(world: World) -> None:
    await world.deploy("shop", configmap("settings", LEVEL="info") + "---\n" + SERVICE)
    reconciler = world.reconciler(world.apps())
    await reconciler.start()
    shop = await eventually(compared(reconciler, "shop", SyncStatus.SYNCED), what="shop Synced")
    tools = await eventually(compared(reconciler, "tools", SyncStatus.OUT_OF_SYNC), what="tools OutOfSync")
    assert shop.revision is not None and shop.revision.sha == world.first
    assert {(r.key.kind, r.key.name, r.sync) for r in shop.resources} == {
        ("ConfigMap", "settings", SyncStatus.SYNCED),
        ("Service", "web", SyncStatus.SYNCED),
    }
    assert shop.health.status is HealthStatus.HEALTHY and not shop.error
    assert [(r.key.name, r.reason) for r in tools.resources] == [("tools", "missing from the cluster")]
    assert tools.health.status is HealthStatus.HEALTHY  # a ConfigMap has no health
    activity = reconciler.activity("shop")
    assert activity.next_poll_at is not None and activity.last_polled_at is not None
    assert [f.context for f in reconciler.freshness()] == [world.client.context]
    assert reconciler.freshness()[0].reachable is True


async def test_new_commit_and_refresh_makes_the_app_out_of_sync(world: World) -> None:
    await world.deploy("shop", configmap("settings", LEVEL="info") + "---\n" + SERVICE)
    reconciler = world.reconciler(world.apps())
    await reconciler.start()
    await eventually(compared(reconciler, "shop", SyncStatus.SYNCED), what="shop Synced")
    second = world.remote.commit({"shop/settings.yaml": configmap("settings", LEVEL="debug")}, "debug logs")
    state = await asyncio.wait_for(reconciler.refresh("shop"), 10)
    assert state.sync is SyncStatus.OUT_OF_SYNC
    assert state.revision is not None and state.revision.sha == second
    changed = [r for r in state.resources if r.sync is SyncStatus.OUT_OF_SYNC]
    assert [(r.key.name, r.reason) for r in changed] == [("settings", "differs from Git")]
    messages = [e.message for e in reconciler.events(app="shop")]
    assert any(f"new revision {second[:7]}" in m and "debug logs" in m for m in messages), messages
    assert "sync Synced → OutOfSync" in messages


async def test_a_live_change_is_seen_within_a_second_without_polling(world: World) -> None:
    await world.deploy("shop", configmap("settings", LEVEL="info") + "---\n" + SERVICE)
    reconciler = world.reconciler(world.apps())
    await reconciler.start()
    await eventually(compared(reconciler, "shop", SyncStatus.SYNCED), what="shop Synced")
    polled = reconciler.activity("shop").last_polled_at
    started = time.monotonic()
    await world.edit_configmap("settings", LEVEL="trace")
    state = await eventually(compared(reconciler, "shop", SyncStatus.OUT_OF_SYNC), timeout=1.0, what="the live change")
    assert time.monotonic() - started < 1.0
    assert reconciler.activity("shop").last_polled_at == polled  # event-driven: no poll happened
    assert [r.key.name for r in state.resources if r.sync is SyncStatus.OUT_OF_SYNC] == ["settings"]
    assert reconciler.snapshot()["tools"].sync is SyncStatus.OUT_OF_SYNC  # untouched
    await world.edit_configmap("settings", LEVEL="info")  # put back: Synced again, from the event alone
    await eventually(compared(reconciler, "shop", SyncStatus.SYNCED), timeout=1.0, what="back in sync")
    messages = [e.message for e in reconciler.events(app="shop")]
    assert messages[-2:] == ["sync Synced → OutOfSync", "sync OutOfSync → Synced"]


async def test_a_deleted_object_makes_the_app_missing_it(world: World) -> None:
    await world.deploy("shop", configmap("settings", LEVEL="info") + "---\n" + SERVICE)
    reconciler = world.reconciler(world.apps())
    await reconciler.start()
    await eventually(compared(reconciler, "shop", SyncStatus.SYNCED), what="shop Synced")
    await asyncio.to_thread(world.client.delete, ResourceKey("", "Service", "shop", "web"))
    state = await eventually(compared(reconciler, "shop", SyncStatus.OUT_OF_SYNC), timeout=2.0, what="the deletion")
    web = next(r for r in state.resources if r.key.name == "web")
    assert (web.sync, web.in_cluster, web.health and web.health.status) == (
        SyncStatus.OUT_OF_SYNC,
        False,
        HealthStatus.MISSING,
    )


async def test_broken_yaml_is_unknown_naming_the_file_and_others_stay_fine(world: World) -> None:
    await world.deploy("shop", configmap("settings", LEVEL="info") + "---\n" + SERVICE)
    reconciler = world.reconciler(
        [
            *world.apps(),
            app("broken", world.remote, "broken"),
            AppSpec(
                "elsewhere", AppSource(world.remote.url, "tools"), Destination(server="https://nowhere.example:6443")
            ),
        ]
    )
    await reconciler.start()
    broken = await eventually(lambda: reconciler.snapshot()["broken"].error, what="broken's error")
    state = reconciler.snapshot()["broken"]
    assert state.sync is SyncStatus.UNKNOWN
    assert "broken/bad.yaml" in broken and "render failed" in broken
    elsewhere = await eventually(lambda: reconciler.snapshot()["elsewhere"].error, what="elsewhere's error")
    assert "nowhere.example" in elsewhere
    await eventually(compared(reconciler, "shop", SyncStatus.SYNCED), what="shop Synced")
    assert any("broken/bad.yaml" in e.message for e in reconciler.events(app="broken"))


async def test_a_render_failure_keeps_the_last_good_resources_and_recovers(world: World) -> None:
    await world.deploy("shop", configmap("settings", LEVEL="info") + "---\n" + SERVICE)
    reconciler = world.reconciler(world.apps())
    await reconciler.start()
    good = await eventually(compared(reconciler, "shop", SyncStatus.SYNCED), what="shop Synced")
    world.remote.commit({"shop/settings.yaml": "kind: ConfigMap\nmetadata: {name: [\n"}, "oops")
    state = await asyncio.wait_for(reconciler.refresh("shop"), 10)
    assert state.sync is SyncStatus.UNKNOWN and "shop/settings.yaml" in state.error
    assert state.resources == good.resources  # the last good picture stays on show
    fixed = world.remote.commit({"shop/settings.yaml": configmap("settings", LEVEL="info")}, "fix")
    state = await asyncio.wait_for(reconciler.refresh("shop"), 10)
    assert (state.sync, state.error, state.revision and state.revision.sha) == (SyncStatus.SYNCED, "", fixed)


async def test_an_unreachable_repository_is_that_apps_problem_only(world: World, tmp_path: Path) -> None:
    other = GitRemote.create(tmp_path / "other")
    other.commit({"x/x.yaml": configmap("x", A="b")}, "x")
    await world.deploy("shop", configmap("settings", LEVEL="info") + "---\n" + SERVICE)
    reconciler = world.reconciler([*world.apps(), app("x", other, "x")])
    await reconciler.start()
    await eventually(compared(reconciler, "x", SyncStatus.OUT_OF_SYNC), what="x compared")
    await eventually(compared(reconciler, "shop", SyncStatus.SYNCED), what="shop Synced")
    other.disappear()
    state = await asyncio.wait_for(reconciler.refresh("x"), 15)
    assert "cannot fetch" in state.error and "comparing with" in state.error
    assert state.sync is SyncStatus.OUT_OF_SYNC and state.resources  # compared with what was fetched before
    assert reconciler.snapshot()["shop"].sync is SyncStatus.SYNCED
    await world.deploy("x", configmap("x", A="b"))  # live changes are still seen while Git is away
    await eventually(lambda: reconciler.snapshot()["x"].sync is SyncStatus.SYNCED, what="x Synced")
    assert "cannot fetch" in reconciler.snapshot()["x"].error
    broken = app("gone", GitRemote(tmp_path / "never"), "x")  # never fetched: nothing to compare with
    other_reconciler = world.reconciler([broken])
    await other_reconciler.start()
    never = await eventually(lambda: other_reconciler.snapshot()["gone"].error, what="gone's error")
    assert "cannot fetch" in never and other_reconciler.snapshot()["gone"].sync is SyncStatus.UNKNOWN


async def test_hard_refresh_renders_again_and_compares_everything(world: World) -> None:
    await world.deploy("shop", configmap("settings", LEVEL="info") + "---\n" + SERVICE)
    reconciler = world.reconciler(world.apps())
    await reconciler.start()
    before = await eventually(compared(reconciler, "shop", SyncStatus.SYNCED), what="shop Synced")
    after = await asyncio.wait_for(reconciler.refresh("shop", hard=True), 10)
    assert after.sync is SyncStatus.SYNCED and after.resources == before.resources
    assert after.compared_at is not None and before.compared_at is not None


async def test_steady_state_costs_no_api_calls(world: World) -> None:
    await world.deploy("shop", configmap("settings", LEVEL="info") + "---\n" + SERVICE)
    reconciler = world.reconciler(world.apps())
    await reconciler.start()
    await eventually(compared(reconciler, "shop", SyncStatus.SYNCED), what="shop Synced")
    # Every dry-run apply (a PATCH) from now on would use up one of these injected errors.
    fault = ErrorFault(code=500, verbs=frozenset({"patch"}), count=1000)
    world.server.inject_errors(fault)
    await asyncio.wait_for(reconciler.refresh("shop"), 10)
    await asyncio.wait_for(reconciler.refresh("shop", hard=True), 10)  # predictions stay valid
    assert fault.count == 1000
    # A field Git declares edited, then put back: the last prediction tells what an apply would do.
    await world.edit_configmap("settings", LEVEL="trace")
    await eventually(compared(reconciler, "shop", SyncStatus.OUT_OF_SYNC), timeout=2.0, what="the live change")
    await world.edit_configmap("settings", LEVEL="info")
    await eventually(compared(reconciler, "shop", SyncStatus.SYNCED), timeout=2.0, what="the change undone")
    assert fault.count == 1000
    # A key Git does not declare: only the server can say what an apply keeps, so one prediction.
    await world.edit_configmap("settings", LEVEL="trace", EXTRA="on")
    await eventually(compared(reconciler, "shop", SyncStatus.OUT_OF_SYNC), timeout=2.0, what="the live change")
    assert fault.count == 999


async def test_an_unreachable_cluster_is_said_and_the_last_picture_kept(world: World) -> None:
    await world.deploy("shop", configmap("settings", LEVEL="info") + "---\n" + SERVICE)
    reconciler = world.reconciler(world.apps())
    await reconciler.start()
    await eventually(compared(reconciler, "shop", SyncStatus.SYNCED), what="shop Synced")
    await asyncio.to_thread(world.server.refuse_connections, 5.0)
    await eventually(
        lambda: any("is unreachable" in e.message for e in reconciler.events()), timeout=5, what="the unreachable event"
    )
    assert "connection refused" in reconciler.freshness()[0].error
    state = await eventually(
        lambda: (s := reconciler.snapshot()["shop"]).error and s,
        timeout=5,
        what="shop saying the cluster is unreachable",
    )
    assert "is unreachable, showing the last known state" in state.error
    assert state.sync is SyncStatus.SYNCED and state.resources  # the cache's last picture, said to be that
    await eventually(
        lambda: any("reachable again" in e.message for e in reconciler.events()), timeout=15, what="the cluster back"
    )
    await eventually(lambda: not reconciler.snapshot()["shop"].error, timeout=5, what="shop without the error")
    assert reconciler.freshness()[0].reachable is True


async def test_children_of_a_resource_come_from_owner_references(world: World) -> None:
    await world.deploy("shop", configmap("settings", LEVEL="info") + "---\n" + SERVICE)
    reconciler = world.reconciler(world.apps())
    await reconciler.start()
    await eventually(compared(reconciler, "shop", SyncStatus.SYNCED), what="shop Synced")
    settings = ResourceKey("", "ConfigMap", "shop", "settings")
    parent = await asyncio.to_thread(world.client.get, settings)
    assert parent is not None
    child = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "settings-reader",
            "namespace": "shop",
            "ownerReferences": [
                {"apiVersion": "v1", "kind": "ConfigMap", "name": "settings", "uid": parent["metadata"]["uid"]}
            ],
        },
        "spec": {"containers": [{"name": "main", "image": "busybox"}]},
    }
    await asyncio.to_thread(world.client.apply, child)
    found = await eventually(lambda: reconciler.children("shop", settings), timeout=2, what="the child")
    assert [key.name for key, _ in found] == ["settings-reader"]
    assert found[0][1] is not None  # a Pod has a health
    assert reconciler.snapshot()["shop"].sync is SyncStatus.SYNCED  # an owned, untracked object is not the app's


async def test_a_cluster_unreachable_from_the_start_fails_its_apps_saying_why(world: World) -> None:
    reconciler = world.reconciler(world.apps())
    await asyncio.to_thread(world.server.refuse_connections, 3.0)
    await reconciler.start()
    state = await eventually(
        lambda: (s := reconciler.snapshot()["tools"]).error and s, timeout=5, what="tools saying why"
    )
    assert state.sync is SyncStatus.UNKNOWN and "unreachable" in state.error
    assert reconciler.freshness()[0].reachable is False
    await eventually(compared(reconciler, "tools", SyncStatus.OUT_OF_SYNC), timeout=15, what="tools compared")
    assert not reconciler.snapshot()["tools"].error


async def test_diff_of_a_drifted_resource(world: World) -> None:
    await world.deploy("shop", configmap("settings", LEVEL="info") + "---\n" + SERVICE)
    reconciler = world.reconciler(world.apps())
    await reconciler.start()
    await eventually(compared(reconciler, "shop", SyncStatus.SYNCED), what="shop Synced")
    await world.edit_configmap("settings", LEVEL="trace")
    await eventually(compared(reconciler, "shop", SyncStatus.OUT_OF_SYNC), timeout=2, what="the live change")
    diff = await reconciler.diff("shop", ResourceKey("", "ConfigMap", "shop", "settings"))
    assert diff is not None and diff.status is SyncStatus.OUT_OF_SYNC
    assert [(c.path, c.live, c.desired) for c in diff.changes] == [("data.LEVEL", "trace", "info")]
    assert await reconciler.diff("shop", ResourceKey("", "ConfigMap", "shop", "nothing")) is None


async def test_a_forbidden_namespace_is_said_not_called_missing(world: World) -> None:
    from gitops_tui.sandbox.access import ForbidRule

    world.server.forbid(ForbidRule(namespace="secret"))
    reconciler = world.reconciler([*world.apps(), app("hidden", world.remote, "tools", namespace="secret")])
    await reconciler.start()
    hidden = await eventually(compared(reconciler, "hidden", SyncStatus.UNKNOWN), what="hidden Unknown")
    [resource] = hidden.resources
    assert resource.sync is SyncStatus.UNKNOWN and "forbidden" in resource.reason, resource.reason
    tools = await eventually(compared(reconciler, "tools", SyncStatus.OUT_OF_SYNC), what="tools compared")
    assert [r.reason for r in tools.resources] == ["missing from the cluster"]  # readable, and really missing
