"""The dialogs at 80x24: they use the width (long questions wrap into fewer lines), nothing is clipped, and
an error says which action failed."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import pytest
from rich.console import Console
from textual.widgets import Static

from gitops_tui.engine.operations import OperationInProgressError, SyncRequest
from gitops_tui.model import Operation
from gitops_tui.tui.app import GitOpsApp
from gitops_tui.tui.screens.error_modal import ErrorModal
from gitops_tui.tui.screens.rollback_modal import RollbackModal
from gitops_tui.tui.screens.sync_modal import SyncModal
from gitops_tui.tui.screens.sync_plan_view import plan_renderable
from gitops_tui.tui.screenshots import StaticSource, demo_fleet, fixed_clock
from tests.tui import make_app, settle, wait_for


@pytest.fixture(autouse=True)
def _state_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


@dataclass
class Busy(StaticSource):
    """Every sync is refused: another console's operation runs."""

    async def sync(self, app: str, request: SyncRequest | None = None) -> Operation:
        raise OperationInProgressError(f"{app}: a sync started by bastion-b is still running; wait for it to end")


async def test_dialogs_take_the_width_of_an_80_column_terminal() -> None:
    source = demo_fleet()
    app = make_app(source=source)
    async with app.run_test(size=(80, 24)) as pilot:
        app.tree.select_app("web")
        await settle(pilot)
        await pilot.press("s")
        assert isinstance(app.screen, SyncModal)
        assert app.screen.query_one("#sync-box").outer_size.width >= 76
        await pilot.press("escape", "R")
        await wait_for(pilot, lambda: isinstance(app.screen, RollbackModal))
        assert app.screen.query_one("#rollback-box").outer_size.width >= 76


async def test_plan_reasons_are_cut_with_an_ellipsis_not_clipped() -> None:
    source = demo_fleet()
    plan = await source.plan("web", SyncRequest())
    console = Console(width=60, record=True, no_color=True, file=io.StringIO())
    console.print(plan_renderable(source.states["web"], plan))
    lines = console.export_text().splitlines()
    assert all(len(line) <= 60 for line in lines)
    assert any(line.rstrip().endswith("…") for line in lines if "re-apply" in line)


async def test_an_error_names_the_action_that_was_refused() -> None:
    fleet = demo_fleet()
    source = Busy(**{name: getattr(fleet, name) for name in fleet.__dataclass_fields__})
    app = GitOpsApp(source, clock=fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        app.tree.select_app("guestbook")
        await settle(pilot)
        await pilot.press("s", "y")
        await wait_for(pilot, lambda: isinstance(app.screen, ErrorModal))
        box = app.screen.query_one("#error-box")
        assert box.border_title == "✗ sync refused"
        assert "still running" in str(app.screen.query_one("#error-what", Static).content)
        await pilot.press("enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, ErrorModal))
        await pilot.press("j")  # the console keeps working
        assert app.tree.selected is not None and app.tree.selected.app != "guestbook"
