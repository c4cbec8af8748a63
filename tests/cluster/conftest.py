"""Fixtures for cluster tests: a fresh sandbox API server per test, a client and a fast-reacting cache.

Waiting is always on a condition with a deadline (`eventually`), never a bare sleep.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from gitops_tui.cluster.cache import CacheSettings, LiveCache
from gitops_tui.cluster.client import ClientSettings, ClusterClient
from gitops_tui.cluster.kubeconfig import load_kubeconfig
from gitops_tui.cluster.watch import WatchOptions
from gitops_tui.sandbox import testing as sandbox_testing
from gitops_tui.sandbox.runtime import Sandbox
from tests import waiting

sandbox = sandbox_testing.sandbox  # a fresh sandbox API server per test, on its own loopback port

FAST_CLIENT = ClientSettings(connect_timeout=2.0, read_timeout=5.0, max_retry_after=2.0)
FAST_CACHE = CacheSettings(
    watch=WatchOptions(backoff_initial=0.05, backoff_max=0.5, idle_read_timeout=5.0, chunk_size=50),
    kind_retry_interval=0.2,
    discovery_retry_interval=0.2,
)


def make_client(server: Sandbox, **settings: Any) -> ClusterClient:
    base = {**FAST_CLIENT.__dict__, **settings}
    return ClusterClient.from_kubeconfig(load_kubeconfig(server.kubeconfig_path), settings=ClientSettings(**base))


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[ClusterClient]:
    made = make_client(sandbox)
    yield made
    made.close()


@pytest.fixture
async def cache(client: ClusterClient) -> AsyncIterator[LiveCache]:
    live = LiveCache(client, FAST_CACHE)
    yield live
    await live.aclose()


async def eventually(condition: Callable[[], Any], timeout: float = 5.0, what: str = "condition") -> Any:
    """The shared waiter (tests/waiting.py) with this suite's shorter default deadline."""
    return await waiting.eventually(condition, timeout, what)


def wait_until(condition: Callable[[], Any], timeout: float = 5.0, what: str = "condition") -> Any:
    """`eventually` for plain (non-async) tests: poll until truthy, fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.01)
    return result


def configmap(name: str, namespace: str = "default", **data: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace},
        "data": data or {"k": "v"},
    }
