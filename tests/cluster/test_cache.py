"""LiveCache against the sandbox over HTTP: events, indexes, scopes, outages, 410 relists, 403 fallbacks."""

from __future__ import annotations

import asyncio
import socket
import threading
from pathlib import Path
from typing import Any

import pytest

from gitops_tui.cluster.cache import CacheEvent, LiveCache
from gitops_tui.cluster.client import ClusterClient
from gitops_tui.cluster.errors import ConnectionFailedError
from gitops_tui.cluster.kubeconfig import load_kubeconfig
from gitops_tui.cluster.store import EventType
from gitops_tui.cluster.tracking import ARGOCD_TRACKING_ANNOTATION
from gitops_tui.cluster.watch import SyncState
from gitops_tui.model import ResourceKey
from gitops_tui.sandbox.access import ForbidRule, only_namespaces
from gitops_tui.sandbox.faults import ErrorFault
from gitops_tui.sandbox.kubeconfig import write_kubeconfig
from gitops_tui.sandbox.runtime import Sandbox

from .conftest import FAST_CACHE, FAST_CLIENT, configmap, eventually, make_client
from .test_discovery import widget, widget_crd

CONFIGMAPS = [("", "ConfigMap")]


def key(name: str, namespace: str = "default", kind: str = "ConfigMap", group: str = "") -> ResourceKey:
    return ResourceKey(group, kind, namespace, name)


async def started(
    cache: LiveCache, kinds: list[tuple[str, str]] = CONFIGMAPS, namespaces: list[str] | None = None
) -> LiveCache:
    await cache.register("test", kinds, namespaces)
    await cache.start()
    assert await cache.wait_synced(5), cache.status()
    return cache


def live_versions(client: ClusterClient, group: str = "", kind: str = "ConfigMap") -> dict[ResourceKey, str]:
    """A fresh list, straight from the server: the truth the cache must converge to."""
    resource = client.mapper.resource_for_group_kind(group, kind)
    return {
        ResourceKey(group, kind, i["metadata"].get("namespace", ""), i["metadata"]["name"]): i["metadata"][
            "resourceVersion"
        ]
        for i in client.list(resource).items
    }


def cached_versions(cache: LiveCache, group: str = "", kind: str = "ConfigMap") -> dict[ResourceKey, str]:
    return {k: cache.store.entry(k).resource_version for k in cache.keys(group, kind)}  # type: ignore[union-attr]


async def test_create_modify_delete_reach_subscribers_on_the_loop_within_a_second(
    client: ClusterClient, cache: LiveCache
) -> None:
    events: list[CacheEvent] = []
    threads: set[int] = set()

    def record(event: CacheEvent) -> None:
        events.append(event)
        threads.add(threading.get_ident())

    cache.subscribe(record)
    await started(cache)
    web = key("web")
    await asyncio.to_thread(client.apply, configmap("web", mode="a"))
    await eventually(lambda: cache.get(web), 1.0, "the created object")
    await asyncio.to_thread(client.apply, configmap("web", mode="b"))
    await eventually(lambda: (cache.get(web) or {}).get("data") == {"mode": "b"}, 1.0, "the modification")
    await asyncio.to_thread(client.delete, web)
    await eventually(lambda: web not in cache.store, 1.0, "the deletion")
    seen = [e.type for e in events if e.key == web]
    # Foreground deletion first marks the object (a MODIFIED with deletionTimestamp), then removes it.
    assert seen[:2] == [EventType.ADDED, EventType.MODIFIED] and seen[-1] == EventType.DELETED
    assert threads == {threading.get_ident()}
    assert all(e.context == "sandbox" for e in events)


async def test_indexes_by_app_and_owner_and_no_managed_fields(client: ClusterClient, cache: LiveCache) -> None:
    await started(cache, [("apps", "Deployment")])  # ReplicaSets and Pods come with it for the tree
    kinds = {s.resource for s in cache.status()}
    assert kinds == {"deployments.apps", "replicasets.apps", "pods"}
    deploy = await asyncio.to_thread(
        client.apply,
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {
                "selector": {"matchLabels": {"a": "b"}},
                "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}},
            },
        },
        app="shop",
    )
    owner = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "web",
        "uid": deploy["metadata"]["uid"],
        "controller": True,
    }
    replica_set = await asyncio.to_thread(
        client.apply,
        {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": "web-1",
                "ownerReferences": [owner],
                # copied from the Deployment: must not make the ReplicaSet part of the app
                "annotations": {ARGOCD_TRACKING_ANNOTATION: "shop:apps/Deployment:default/web"},
            },
            "spec": {
                "selector": {"matchLabels": {"a": "b"}},
                "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}},
            },
        },
    )
    deploy_key, rs_key = key("web", kind="Deployment", group="apps"), key("web-1", kind="ReplicaSet", group="apps")
    await eventually(lambda: rs_key in cache.store and deploy_key in cache.store, 1.0, "both objects")
    assert set(cache.by_app("shop")) == {deploy_key}
    assert set(cache.children(deploy["metadata"]["uid"])) == {rs_key}
    assert cache.children(replica_set["metadata"]["uid"]) == {}
    assert "managedFields" not in cache.get(deploy_key)["metadata"]  # type: ignore[index]
    assert cache.get(deploy_key)["metadata"]["uid"] == deploy["metadata"]["uid"]  # type: ignore[index]


async def test_paged_list_and_namespaced_scope(sandbox: Sandbox) -> None:
    client = make_client(sandbox, page_size=3)
    client.ensure_namespace("team-a")
    for i in range(10):
        client.apply(configmap(f"a{i}", "team-a"))
    client.apply(configmap("elsewhere"))
    cache = LiveCache(client, FAST_CACHE)
    try:
        await started(cache, namespaces=["team-a"])
        assert set(cached_versions(cache)) == {key(f"a{i}", "team-a") for i in range(10)}
        assert [(s.resource, s.namespace) for s in cache.status()] == [("configmaps", "team-a")]
    finally:
        await cache.aclose()


def change_behind_the_caches_back(store: Any) -> None:
    """Writes by the server's other clients while the cache cannot see them."""
    for i in range(5):
        store.delete("configmaps", "default", f"cm{i}")
    for i in range(5, 10):
        store.mutate("configmaps", "default", f"cm{i}", lambda o: o.update(data={"v": "2"}))
    for i in range(20, 25):
        store.create("configmaps", configmap(f"cm{i}"), "default")


async def converged(cache: LiveCache, client: ClusterClient, timeout: float) -> None:
    await eventually(lambda: cache.synced, timeout, "the cache to be watching again")
    fresh = await asyncio.to_thread(live_versions, client)
    await eventually(lambda: cached_versions(cache) == fresh, 2.0, "the cache to match a fresh list")


async def test_converges_after_an_outage_with_no_lost_and_no_phantom_objects(
    sandbox: Sandbox, client: ClusterClient, cache: LiveCache
) -> None:
    for i in range(20):
        await asyncio.to_thread(client.apply, configmap(f"cm{i}"))
    await started(cache)
    probe = make_client(sandbox)
    probe.mapper.refresh()  # leaves a keep-alive connection in the probe's pool
    states: list[SyncState] = []
    cache.subscribe_status(lambda: states.extend(s.state for s in cache.status()))
    await asyncio.to_thread(sandbox.refuse_connections, 5.0)
    try:
        await asyncio.to_thread(probe.mapper.refresh)
    except ConnectionFailedError:
        pass
    else:
        pytest.skip(
            "sandbox gap: refuse_connections() stops accepting new connections but keeps serving "
            "established keep-alive ones, so a client with pooled connections sees no outage"
        )
    await eventually(
        lambda: any("connection refused" in s.error for s in cache.status() if s.state == SyncState.FAILING),
        3.0,
        "the cache to see refused connections",
    )
    assert cache.reachable is False
    await asyncio.to_thread(sandbox.call, change_behind_the_caches_back)
    await converged(cache, client, 15.0)
    assert len(cached_versions(cache)) == 20 and cache.reachable is True


async def test_converges_after_the_api_server_restarts(tmp_path: Path) -> None:
    """A real outage: the server goes away (every connection dropped, new ones refused), comes back on the
    same port with its state, and other clients change things around the restart."""
    state = tmp_path / "state.json"
    first = Sandbox(state_file=state, kubeconfig_path=tmp_path / "kubeconfig").start()
    client = make_client(first)
    cache = LiveCache(client, FAST_CACHE)
    second: Sandbox | None = None
    try:
        for i in range(20):
            await asyncio.to_thread(client.apply, configmap(f"cm{i}"))
        await started(cache)
        await asyncio.to_thread(first.stop)
        await eventually(
            lambda: any("connection refused" in s.error for s in cache.status() if s.state == SyncState.FAILING),
            3.0,
            "the cache to see refused connections",
        )
        second = Sandbox(port=first.port, state_file=state, kubeconfig_path=tmp_path / "kubeconfig").start()
        await asyncio.to_thread(second.call, change_behind_the_caches_back)
        await converged(cache, client, 10.0)
        assert len(cached_versions(cache)) == 20
    finally:
        await cache.aclose()
        if second is not None:
            second.stop()


async def test_failing_watches_recover_and_replay_what_they_missed(
    sandbox: Sandbox, client: ClusterClient, cache: LiveCache
) -> None:
    for i in range(20):
        await asyncio.to_thread(client.apply, configmap(f"cm{i}"))
    await started(cache)
    states: list[SyncState] = []
    cache.subscribe_status(lambda: states.extend(s.state for s in cache.status()))
    sandbox.inject_errors(ErrorFault(code=500, verbs={"list", "watch"}))
    sandbox.close_watches()
    await eventually(lambda: SyncState.FAILING in states, 3.0, "the cache to report the failing watch")
    assert "server error 500" in next(s.error for s in cache.status() if s.state == SyncState.FAILING)
    await asyncio.to_thread(sandbox.call, change_behind_the_caches_back)
    sandbox.clear_faults()
    await converged(cache, client, 5.0)
    assert len(cached_versions(cache)) == 20


async def test_relists_when_the_watch_position_was_compacted(
    sandbox: Sandbox, client: ClusterClient, cache: LiveCache
) -> None:
    await asyncio.to_thread(client.apply, configmap("old"))
    await started(cache)
    states: list[SyncState] = []
    cache.subscribe_status(lambda: states.extend(s.state for s in cache.status()))
    # Hold the re-watch in the server long enough for writes and a compaction to happen before it is served.
    sandbox.set_latency(0.5)
    sandbox.close_watches()

    def write_and_compact(store: Any) -> None:
        store.delete("configmaps", "default", "old")
        store.create("configmaps", configmap("new"), "default")
        store.compact()  # the events above are forgotten: only a relist can reveal them

    await asyncio.to_thread(sandbox.call, write_and_compact)
    await eventually(lambda: SyncState.RESYNCING in states, 3.0, "the 410 to trigger a relist")
    sandbox.set_latency(0)
    await eventually(lambda: key("new") in cache.store and key("old") not in cache.store, 3.0, "the relist")
    await eventually(lambda: cache.synced, 2.0, "the cache to be watching again")


async def test_forbidden_cluster_wide_list_falls_back_to_namespaces(
    sandbox: Sandbox, client: ClusterClient, cache: LiveCache
) -> None:
    await asyncio.to_thread(client.ensure_namespace, "team-a")
    await asyncio.to_thread(client.apply, configmap("a", "team-a"))
    sandbox.forbid(ForbidRule(verbs={"list", "watch"}, resource="configmaps", namespace=""))
    await started(cache)
    scopes = {(s.resource, s.namespace) for s in cache.status()}
    assert ("configmaps", "team-a") in scopes and ("configmaps", "default") in scopes
    assert ("configmaps", "") not in scopes
    assert key("a", "team-a") in cache.store
    await asyncio.to_thread(client.apply, configmap("b"))
    await eventually(lambda: key("b") in cache.store, 1.0, "an object seen through a per-namespace watch")


async def test_namespace_confined_user_watches_the_namespaces_the_apps_name(
    sandbox: Sandbox, client: ClusterClient, cache: LiveCache
) -> None:
    await asyncio.to_thread(client.ensure_namespace, "team-a")
    await asyncio.to_thread(client.apply, configmap("a", "team-a"))
    client.mapper.refresh()
    sandbox.set_forbid_rules(only_namespaces("team-a"))  # namespace lists and cluster-wide lists refused
    await cache.register("team-app", [("apps", "Deployment")], ["team-a"])
    await started(cache)  # ConfigMaps wanted cluster-wide
    assert {(s.resource, s.namespace) for s in cache.status() if s.resource == "configmaps"} == {
        ("configmaps", "team-a")
    }
    assert set(cached_versions(cache)) == {key("a", "team-a")}


async def test_kind_unknown_at_start_is_watched_once_its_crd_exists(client: ClusterClient, cache: LiveCache) -> None:
    await cache.register("toys", [("example.com", "Widget")])
    await cache.start()
    await eventually(
        lambda: any("no resource type Widget.example.com" in s.error for s in cache.status()),
        2.0,
        "the unknown kind to be reported",
    )
    assert not cache.synced
    await asyncio.to_thread(client.apply, widget_crd())
    await asyncio.to_thread(client.apply, widget(), app="toys")
    gear = key("gear", kind="Widget", group="example.com")
    await eventually(lambda: gear in cache.store, 3.0, "the custom resource")
    assert set(cache.by_app("toys")) == {gear}
    assert await cache.wait_synced(2)


async def test_stop_ends_every_thread(client: ClusterClient) -> None:
    cache = LiveCache(client, FAST_CACHE)
    await started(cache, [("apps", "Deployment"), ("", "ConfigMap")])
    threads = [t for t in threading.enumerate() if t.name.startswith("watch sandbox")]
    assert len(threads) == 4
    await cache.aclose(timeout=3)
    assert not any(t.is_alive() for t in threads)


async def test_cluster_unreachable_at_start_is_reported_then_watched_when_it_comes_up(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", f"http://127.0.0.1:{port}", "t")
    client = ClusterClient.from_kubeconfig(load_kubeconfig(kubeconfig), settings=FAST_CLIENT)
    cache = LiveCache(client, FAST_CACHE)
    try:
        await cache.register("t", CONFIGMAPS)
        await cache.start()
        errors = [s.error for s in cache.status()]
        assert errors and all(e.startswith("cannot read the API's resource types: cannot connect to") for e in errors)
        assert cache.reachable is False
        with Sandbox(port=port, kubeconfig_path=tmp_path / "server-kubeconfig"):
            assert await cache.wait_synced(5), cache.status()
            assert cache.reachable is True
    finally:
        await cache.aclose()
