"""Fault injection: errors, latency, watch disconnects, compaction, refused connections."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from gitops_tui.sandbox import ErrorFault, Sandbox

from .objects import configmap


def test_injected_429_carries_retry_after(sandbox: Sandbox, core: client.CoreV1Api) -> None:
    sandbox.inject_errors(ErrorFault(code=429, verbs={"list"}, resource="configmaps", retry_after=3, count=1))
    url = f"{sandbox.url}/api/v1/namespaces/default/configmaps"
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(url)
    assert info.value.code == 429
    assert info.value.headers["Retry-After"] == "3"
    body = json.load(info.value)
    assert (body["reason"], body["details"]["retryAfterSeconds"]) == ("TooManyRequests", 3)
    assert core.list_namespaced_config_map("default").items == []  # count=1: the next one passes


def test_client_retries_429_after_the_advertised_delay(sandbox: Sandbox, core: client.CoreV1Api) -> None:
    sandbox.inject_errors(ErrorFault(code=429, verbs={"list"}, retry_after=1, count=1))
    started = time.monotonic()
    assert core.list_namespaced_config_map("default").items == []
    assert time.monotonic() - started >= 1.0


def test_error_rate_and_scope(sandbox: Sandbox, core: client.CoreV1Api) -> None:
    sandbox.inject_errors(ErrorFault(code=503, rate=1.0, verbs={"create"}, resource="secrets"))
    with pytest.raises(ApiException) as info:
        core.create_namespaced_secret("default", {"metadata": {"name": "s"}})
    assert info.value.status == 503
    core.create_namespaced_config_map("default", configmap("unaffected"))
    sandbox.clear_faults()
    core.create_namespaced_secret("default", {"metadata": {"name": "s"}})


def test_faults_never_write_state(sandbox: Sandbox, core: client.CoreV1Api) -> None:
    sandbox.inject_errors(ErrorFault(code=500, verbs={"create"}))
    with pytest.raises(ApiException):
        core.create_namespaced_config_map("default", configmap("lost"))
    sandbox.clear_faults()
    assert core.list_namespaced_config_map("default").items == []


def test_latency(sandbox: Sandbox, core: client.CoreV1Api) -> None:
    sandbox.set_latency(0.3)
    started = time.monotonic()
    core.list_namespaced_config_map("default")
    assert time.monotonic() - started >= 0.3


def test_close_watches_now(sandbox: Sandbox, core: client.CoreV1Api) -> None:
    response = core.list_namespaced_config_map("default", watch=True, timeout_seconds=30, _preload_content=False)
    deadline = time.monotonic() + 5
    while sandbox.open_watches() == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    assert sandbox.close_watches() == 1
    assert response.read() == b""  # stream ended cleanly, long before its 30 s timeout
    assert time.monotonic() - started < 5


def test_refuse_connections_then_recover(sandbox: Sandbox, core: client.CoreV1Api) -> None:
    sandbox.refuse_connections(0.5)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", sandbox.port), timeout=1)
    deadline = time.monotonic() + 5
    while True:
        try:
            socket.create_connection(("127.0.0.1", sandbox.port), timeout=1).close()
            break
        except ConnectionRefusedError:
            assert time.monotonic() < deadline, "the sandbox never listened again"
            time.sleep(0.05)
    assert core.list_namespace().items


def test_admin_endpoint(sandbox: Sandbox, core: client.CoreV1Api) -> None:
    request = urllib.request.Request(
        f"{sandbox.url}/_sandbox/faults/errors",
        method="POST",
        data=json.dumps({"code": 500, "verbs": ["get"], "count": 1}).encode(),
    )
    assert json.load(urllib.request.urlopen(request)) == {"ok": True}
    core.create_namespaced_config_map("default", configmap("x"))
    with pytest.raises(ApiException) as info:
        core.read_namespaced_config_map("x", "default")
    assert info.value.status == 500 and json.loads(info.value.body)["reason"] == "InternalError"
    assert core.read_namespaced_config_map("x", "default").metadata.name == "x"


def test_close_watches_every_interval(sandbox: Sandbox, core: client.CoreV1Api) -> None:
    sandbox.close_watches_every(0.3)
    started = time.monotonic()
    for _ in range(2):  # each reconnect is cut again
        response = core.list_namespaced_config_map("default", watch=True, timeout_seconds=30, _preload_content=False)
        assert response.read() == b""
    assert time.monotonic() - started < 5
    sandbox.clear_faults()


def test_latency_for_one_verb_and_resource(sandbox: Sandbox, core: client.CoreV1Api) -> None:
    sandbox.set_latency(0.4, verbs={"list"}, resource="secrets")
    started = time.monotonic()
    core.list_namespaced_secret("default")
    assert time.monotonic() - started >= 0.4
    sandbox.clear_faults()
    core.list_namespaced_secret("default")
