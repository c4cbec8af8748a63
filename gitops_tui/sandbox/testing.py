"""Pytest fixtures that start a sandbox, for every test suite of the project.

    # conftest.py
    pytest_plugins = ["gitops_tui.sandbox.testing"]

    def test_something(sandbox): ...           # a fresh sandbox per test
    def test_other(sandbox_session): ...       # one sandbox shared by the test session (worker)

Each sandbox binds its own free loopback port, so tests stay independent under pytest-xdist.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .runtime import Sandbox


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(bookmark_interval=0.2) as running:
        yield running


@pytest.fixture(scope="session")
def sandbox_session() -> Iterator[Sandbox]:
    with Sandbox(bookmark_interval=0.2) as running:
        yield running
