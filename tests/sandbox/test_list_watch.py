"""List (selectors, paging) and watch (resourceVersion semantics, bookmarks, 410) through the client."""

from __future__ import annotations

import json
import threading

import pytest
from kubernetes import client, watch
from kubernetes.client.rest import ApiException

from gitops_tui.sandbox import Sandbox

from .objects import configmap


def _names(items: list) -> list[str]:
    return [item.metadata.name for item in items]


@pytest.fixture
def labelled(core: client.CoreV1Api) -> None:
    for name, labels in [
        ("a", {"tier": "web", "env": "prod"}),
        ("b", {"tier": "db", "env": "prod"}),
        ("c", {"tier": "web"}),
        ("d", {}),
    ]:
        core.create_namespaced_config_map("default", configmap(name, labels))


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("tier=web", ["a", "c"]),
        ("tier==web", ["a", "c"]),
        ("tier!=web", ["b", "d"]),
        ("tier in (web,db)", ["a", "b", "c"]),
        ("tier notin (web)", ["b", "d"]),
        ("env", ["a", "b"]),
        ("!env", ["c", "d"]),
        ("tier=web,env=prod", ["a"]),
    ],
)
def test_label_selectors(core: client.CoreV1Api, labelled: None, selector: str, expected: list[str]) -> None:
    assert _names(core.list_namespaced_config_map("default", label_selector=selector).items) == expected


def test_field_selectors(core: client.CoreV1Api, labelled: None) -> None:
    assert _names(core.list_namespaced_config_map("default", field_selector="metadata.name=b").items) == ["b"]
    assert _names(core.list_namespaced_config_map("default", field_selector="metadata.name!=b").items) == [
        "a",
        "c",
        "d",
    ]
    all_ns = core.list_config_map_for_all_namespaces(field_selector="metadata.namespace=default").items
    assert {i.metadata.namespace for i in all_ns} == {"default"}
    with pytest.raises(ApiException) as info:
        core.list_namespaced_config_map("default", field_selector="data.k=v")
    assert info.value.status == 400 and "field label not supported: data.k" in info.value.body


def test_paging_with_continue(core: client.CoreV1Api) -> None:
    for i in range(7):
        core.create_namespaced_config_map("default", configmap(f"p{i}"))
    seen, token, versions = [], None, set()
    while True:
        page = core.list_namespaced_config_map("default", limit=3, _continue=token)
        seen += _names(page.items)
        versions.add(page.metadata.resource_version)
        token = page.metadata._continue
        if not token:
            break
        assert page.metadata.remaining_item_count == 7 - len(seen)
    assert seen == [f"p{i}" for i in range(7)]
    assert len(versions) == 1  # every page reports the list's snapshot version


def test_expired_continue_token_is_410(sandbox: Sandbox, core: client.CoreV1Api) -> None:
    for i in range(3):
        core.create_namespaced_config_map("default", configmap(f"p{i}"))
    token = core.list_namespaced_config_map("default", limit=1).metadata._continue
    core.create_namespaced_config_map("default", configmap("later"))
    sandbox.compact()
    with pytest.raises(ApiException) as info:
        core.list_namespaced_config_map("default", limit=1, _continue=token)
    assert info.value.status == 410
    assert json.loads(info.value.body)["reason"] == "Expired"


def test_watch_without_resource_version_starts_with_current_state(core: client.CoreV1Api) -> None:
    core.create_namespaced_config_map("default", configmap("existing"))
    events = []
    for event in watch.Watch().stream(core.list_namespaced_config_map, "default", timeout_seconds=1):
        events.append((event["type"], event["object"].metadata.name))
        if len(events) == 1:
            core.create_namespaced_config_map("default", configmap("new"))
        if len(events) == 2:
            break
    assert events == [("ADDED", "existing"), ("ADDED", "new")]


def test_watch_from_resource_version_replays_later_events(core: client.CoreV1Api) -> None:
    listed = core.list_namespaced_config_map("default")
    created = core.create_namespaced_config_map("default", configmap("w"))
    created.data = {"k": "v2"}
    core.replace_namespaced_config_map("w", "default", created)
    core.delete_namespaced_config_map("w", "default")
    events = []
    stream = watch.Watch().stream(
        core.list_namespaced_config_map, "default", resource_version=listed.metadata.resource_version, timeout_seconds=1
    )
    for event in stream:
        events.append((event["type"], event["object"].metadata.name))
        if len(events) == 3:
            break
    assert events == [("ADDED", "w"), ("MODIFIED", "w"), ("DELETED", "w")]


def test_watch_from_compacted_resource_version_gets_410(sandbox: Sandbox, core: client.CoreV1Api) -> None:
    old = core.list_namespaced_config_map("default").metadata.resource_version
    core.create_namespaced_config_map("default", configmap("x"))
    sandbox.compact()
    with pytest.raises(ApiException) as info:
        for _ in watch.Watch().stream(
            core.list_namespaced_config_map, "default", resource_version=old, timeout_seconds=2
        ):
            pass
    assert info.value.status == 410


def test_raw_410_error_event_shape(sandbox: Sandbox, api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    core.create_namespaced_config_map("default", configmap("x"))
    sandbox.compact()
    response = core.list_namespaced_config_map(
        "default", watch=True, resource_version="1", timeout_seconds=1, _preload_content=False
    )
    line = json.loads(response.readline())
    assert line["type"] == "ERROR"
    assert line["object"]["code"] == 410 and line["object"]["reason"] == "Expired"
    assert line["object"]["message"].startswith("too old resource version: 1 (")


def test_watch_timeout_ends_stream(core: client.CoreV1Api) -> None:
    events = list(watch.Watch().stream(core.list_namespaced_config_map, "default", timeout_seconds=1))
    assert events == []


def test_bookmarks_when_allowed(api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    response = core.list_namespaced_config_map(
        "default",
        watch=True,
        allow_watch_bookmarks=True,
        resource_version="0",
        timeout_seconds=3,
        _preload_content=False,
    )
    line = json.loads(response.readline())
    assert line["type"] == "BOOKMARK"
    assert line["object"]["kind"] == "ConfigMap" and int(line["object"]["metadata"]["resourceVersion"]) > 0
    response.release_conn()


def test_label_selector_watch_sees_objects_leave_and_enter(core: client.CoreV1Api) -> None:
    start = core.list_namespaced_config_map("default").metadata.resource_version
    created = core.create_namespaced_config_map("default", configmap("m", {"app": "x"}))
    created.metadata.labels = {"app": "y"}
    moved = core.replace_namespaced_config_map("m", "default", created)
    moved.metadata.labels = {"app": "x"}
    core.replace_namespaced_config_map("m", "default", moved)
    events = []
    for event in watch.Watch().stream(
        core.list_namespaced_config_map, "default", label_selector="app=x", resource_version=start, timeout_seconds=1
    ):
        events.append(event["type"])
        if len(events) == 3:
            break
    assert events == ["ADDED", "DELETED", "ADDED"]


def test_fifty_concurrent_watchers_each_see_a_change(sandbox: Sandbox, api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    seen: list[str] = []
    ready = threading.Barrier(11)

    def watcher() -> None:
        own = client.CoreV1Api(api)
        response = own.list_namespaced_config_map(
            "default", watch=True, timeout_seconds=5, resource_version=str(start), _preload_content=False
        )
        ready.wait()
        line = json.loads(response.readline())
        seen.append(line["object"]["metadata"]["name"])
        response.release_conn()

    start = int(core.list_namespaced_config_map("default").metadata.resource_version)
    threads = [threading.Thread(target=watcher) for _ in range(10)]
    for thread in threads:
        thread.start()
    ready.wait()
    core.create_namespaced_config_map("default", configmap("broadcast"))
    for thread in threads:
        thread.join(10)
    assert seen == ["broadcast"] * 10


def test_continued_pages_come_from_the_first_pages_snapshot(core: client.CoreV1Api) -> None:
    for i in range(7):
        core.create_namespaced_config_map("default", configmap(f"p{i}"))
    first = core.list_namespaced_config_map("default", limit=3)
    core.create_namespaced_config_map("default", configmap("p35"))  # created after the snapshot
    core.delete_namespaced_config_map("p5", "default")  # deleted after it
    core.patch_namespaced_config_map("p6", "default", {"data": {"k": "changed"}})
    rest, token = [], first.metadata._continue
    while token:
        page = core.list_namespaced_config_map("default", limit=3, _continue=token)
        assert page.metadata.resource_version == first.metadata.resource_version
        rest += page.items
        token = page.metadata._continue
    assert [i.metadata.name for i in rest] == ["p3", "p4", "p5", "p6"]
    assert rest[-1].data == {"k": "v"}


def test_watch_replay_only_carries_its_own_resource(core: client.CoreV1Api) -> None:
    start = core.list_namespaced_config_map("default").metadata.resource_version
    core.create_namespaced_secret("default", {"metadata": {"name": "not-a-configmap"}})
    core.create_namespaced_config_map("default", configmap("mine"))
    kinds = []
    for event in watch.Watch().stream(
        core.list_namespaced_config_map, "default", resource_version=start, timeout_seconds=1
    ):
        kinds.append((event["object"].kind, event["object"].metadata.name))
        break
    assert kinds == [("ConfigMap", "mine")]
