"""SVG snapshots of the rollback dialog with the older entry highlighted and its changes shown, at 80x24 and 120x40.

New snapshots: generate with `.venv/bin/pytest tests/tui/test_snapshots_rollback.py --snapshot-update` and look.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot

from gitops_tui.tui.app import GitOpsApp
from gitops_tui.tui.screens.rollback_modal import RevisionDiffView, RollbackModal
from tests.tui import make_app, settle, wait_for


@pytest.fixture(autouse=True)
def _state_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


async def older_entry_highlighted(pilot: Pilot) -> None:
    app = pilot.app
    assert isinstance(app, GitOpsApp)
    await settle(pilot)
    app.tree.select_app("web")
    await settle(pilot)
    await pilot.press("R")
    await wait_for(pilot, lambda: isinstance(app.screen, RollbackModal))
    await pilot.press("j")
    await wait_for(pilot, lambda: bool(app.screen.query_one(RevisionDiffView).sections))
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_rollback_dialog_snapshot(snap_compare, size: tuple[int, int]) -> None:
    assert snap_compare(make_app(), terminal_size=size, run_before=older_entry_highlighted)
