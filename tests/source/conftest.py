"""Fixtures for the source suite. The Git ones live in tests.gitrepos so every suite can use them."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_tui.source.git import MirrorPool
from tests.gitrepos import make_remote, remote

__all__ = ["make_remote", "pool", "remote"]


@pytest.fixture
def pool(tmp_path: Path) -> MirrorPool:
    """A MirrorPool with its own cache directory under tmp_path."""
    return MirrorPool(cache_dir=tmp_path / "cache", fetch_timeout=30.0)
