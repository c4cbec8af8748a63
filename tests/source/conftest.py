"""Fixtures for the source suite; other suites may import them from here or use tests.gitrepos."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from gitops_tui.source.git import MirrorPool
from tests.gitrepos import GitRemote


@pytest.fixture
def make_remote(tmp_path: Path) -> Callable[..., GitRemote]:
    """A factory: `make_remote("apps")` -> a new empty GitRemote under tmp_path."""
    made: set[str] = set()

    def make(name: str = "repo", default_branch: str = "main") -> GitRemote:
        assert name not in made, f"remote {name!r} already made in this test"
        made.add(name)
        return GitRemote.create(tmp_path / "remotes" / name, default_branch)

    return make


@pytest.fixture
def remote(make_remote: Callable[..., GitRemote]) -> GitRemote:
    return make_remote("repo")


@pytest.fixture
def pool(tmp_path: Path) -> MirrorPool:
    return MirrorPool(cache_dir=tmp_path / "cache", fetch_timeout=30.0)
