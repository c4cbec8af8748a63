"""SVG snapshots of the resource tree's children and of the sync dialog asking for the app's name before a prune.

Regenerate only these after an intended change:
`.venv/bin/pytest tests/tui/test_snapshots_children.py --snapshot-update`, then look at the report.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot

from gitops_tui.tui.app import GitOpsApp
from gitops_tui.tui.screens.sync_modal import SyncModal
from tests.tui import make_app, settle
from tests.tui.patient import wait_for

SIZES = {"80x24": (80, 24), "120x40": (120, 40)}


@pytest.fixture(autouse=True)
def _state_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


async def crashlooping_pod(pilot: Pilot) -> None:
    """payments opened down to its Deployment's ReplicaSets and Pods, the cursor on a crashlooping Pod."""
    app = pilot.app
    assert isinstance(app, GitOpsApp)
    await settle(pilot)
    app.tree.select_app("payments")
    await wait_for(pilot, lambda: app.selection == ("payments", None))
    await pilot.press("l", "l", "j", "l", "j", "j")
    await settle(pilot)


async def prune_dialog(pilot: Pilot) -> None:
    """S on web: the plan with its prune, and the box asking for the app's name."""
    app = pilot.app
    assert isinstance(app, GitOpsApp)
    await settle(pilot)
    app.tree.select_app("web")
    await wait_for(pilot, lambda: app.selection == ("web", None))
    await settle(pilot)
    await pilot.press("S")
    await wait_for(pilot, lambda: isinstance(app.screen, SyncModal) and app.screen.plan is not None)
    await pilot.press(*"we")  # half typed: the button stays disabled
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
def test_tree_with_children_snapshot(snap_compare, size: str) -> None:
    assert snap_compare(make_app(), terminal_size=SIZES[size], run_before=crashlooping_pod)


@pytest.mark.parametrize("size", SIZES)
def test_sync_dialog_prune_confirmation_snapshot(snap_compare, size: str) -> None:
    assert snap_compare(make_app(), terminal_size=SIZES[size], run_before=prune_dialog)
