"""Pytest fixtures that start a sandbox, for every test suite of the project.

    # conftest.py
    pytest_plugins = ["gitops_tui.sandbox.testing"]

    def test_something(sandbox): ...           # a fresh sandbox per test
    def test_other(sandbox_session): ...       # one sandbox shared by the test session (worker)
    def test_rollout(sandbox_controllers): ... # with simulated controllers at 20x speed

Each sandbox binds its own free loopback port, so tests stay independent under pytest-xdist.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import TypeVar

import pytest

from .runtime import Sandbox

T = TypeVar("T")


def wait_until(condition: Callable[[], T], timeout: float = 5.0, interval: float = 0.02) -> T:
    """Poll `condition` until it returns something truthy (which is returned); fail after `timeout`.

    A real cluster (and the sandbox) finishes garbage collection and namespace cleanup a moment after
    the DELETE returns: wait for the state, never sleep a fixed time."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s: {condition}")
        time.sleep(interval)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(bookmark_interval=0.2) as running:
        yield running


@pytest.fixture(scope="session")
def sandbox_session() -> Iterator[Sandbox]:
    with Sandbox(bookmark_interval=0.2) as running:
        yield running


@pytest.fixture
def sandbox_controllers() -> Iterator[Sandbox]:
    """A sandbox whose Deployments roll out, Pods run, Jobs complete (simulated time at 20x)."""
    with Sandbox(controllers=True, speed=20, bookmark_interval=0.2) as running:
        yield running
