"""The console's reconciler judges a custom resource with its Lua check, live: the watch brings a status
change, the app's health follows. Real Git, the sandbox over HTTP, the official client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gitops_tui.cluster.cache import CacheSettings
from gitops_tui.cluster.client import ClientSettings, ClusterClient
from gitops_tui.cluster.errors import Target
from gitops_tui.cluster.kubeconfig import load_kubeconfig
from gitops_tui.cluster.watch import WatchOptions
from gitops_tui.engine.health import custom_checks_installed
from gitops_tui.engine.health_lua import LuaHealthChecks
from gitops_tui.engine.health_lua_config import parse_health_scripts
from gitops_tui.engine.reconciler import Reconciler, ReconcilerSettings
from gitops_tui.model import AppSource, AppSpec, Destination, HealthStatus
from gitops_tui.sandbox import testing as sandbox_testing
from gitops_tui.sandbox.runtime import Sandbox
from gitops_tui.source.git import MirrorPool
from tests.gitrepos import GitRemote
from tests.waiting import eventually

sandbox = sandbox_testing.sandbox

FAST_CLIENT = ClientSettings(connect_timeout=2.0, read_timeout=5.0, max_retry_after=1.0)
SETTINGS = ReconcilerSettings(
    poll_interval=3600, poll_jitter=0, client=FAST_CLIENT,
    cache=CacheSettings(watch=WatchOptions(backoff_initial=0.05, backoff_max=0.5, idle_read_timeout=5.0),
                        kind_retry_interval=0.5),
)  # fmt: skip
CRD = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {"group": "example.com", "scope": "Namespaced",
             "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
             "versions": [{"name": "v1", "served": True, "storage": True, "subresources": {"status": {}},
                           "schema": {"openAPIV3Schema": {"type": "object",
                                                          "x-kubernetes-preserve-unknown-fields": True}}}]},
}  # fmt: skip
WIDGET = {
    "apiVersion": "example.com/v1",
    "kind": "Widget",
    "metadata": {"name": "gizmo", "namespace": "shop"},
    "spec": {"size": 3},
}
CHECK = """\
local phase = obj.status and obj.status.phase
if phase == "Running" then return {status = "Healthy", message = "running"} end
if phase == "Failed" then return {status = "Degraded", message = "failed: " .. obj.status.reason} end
return {status = "Progressing", message = "phase " .. tostring(phase)}
"""


@pytest.fixture
async def parts(tmp_path: Path, sandbox: Sandbox) -> AsyncIterator[tuple[Reconciler, ClusterClient]]:
    remote = GitRemote.create(tmp_path / "repo")
    remote.commit(
        {"shop/widget.yaml": "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: gizmo}\nspec: {size: 3}\n"},
        "a widget",
    )
    kubeconfig = load_kubeconfig(sandbox.kubeconfig_path)
    client = ClusterClient.from_kubeconfig(kubeconfig, settings=FAST_CLIENT)
    client.ensure_namespace("shop")
    client.apply(CRD)
    sandbox_testing.wait_until(lambda: _served(client))
    client.apply(WIDGET, app="shop")
    app = AppSpec(
        "shop", AppSource(remote.url, "shop"), Destination(server="https://kubernetes.default.svc", namespace="shop")
    )
    reconciler = Reconciler([app], kubeconfig=kubeconfig, pool=MirrorPool(tmp_path / "mirrors"), settings=SETTINGS)
    yield reconciler, client
    await reconciler.stop()
    client.close()


def _served(client: ClusterClient) -> bool:
    try:
        client.mapper.resource_for("example.com/v1", "Widget")
    except Exception:
        return False
    return True


async def set_status(client: ClusterClient, **status: str) -> None:
    await asyncio.to_thread(
        client.request_json, "PATCH", "/apis/example.com/v1/namespaces/shop/widgets/gizmo/status",
        Target("patch", "widgets.example.com", "gizmo", "shop"), body={"status": status},
        content_type="application/merge-patch+json",
    )  # fmt: skip


async def test_app_health_follows_the_lua_check_as_the_watch_brings_changes(parts) -> None:
    reconciler, client = parts
    checks = LuaHealthChecks(parse_health_scripts({"resource.customizations.health.example.com_Widget": CHECK}, "t"))
    with custom_checks_installed(checks):
        await reconciler.start()

        def health(status: HealthStatus) -> object:
            state = reconciler.snapshot()["shop"]
            return state.compared_at is not None and state.health.status is status and state

        state = await eventually(lambda: health(HealthStatus.PROGRESSING), what="shop Progressing")
        assert state.health.message == "Widget shop/gizmo: phase nil"
        await set_status(client, phase="Failed", reason="out of gizmos")
        state = await eventually(lambda: health(HealthStatus.DEGRADED), what="shop Degraded")
        assert state.health.message == "Widget shop/gizmo: failed: out of gizmos"
        await set_status(client, phase="Running")
        await eventually(lambda: health(HealthStatus.HEALTHY), what="shop Healthy")
