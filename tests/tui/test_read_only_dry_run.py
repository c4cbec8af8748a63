"""Read-only consoles and contexts: `s` / `S` open the sync dialog locked to a dry run, saying why.

The SRE still sees what a sync would do (the plan) and can have the cluster check it; nothing else is
possible from the dialog. The engine's half is tests/engine/test_read_only_dry_run.py.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console
from textual.widgets import Static

from gitops_tui.tui.app import GitOpsApp
from gitops_tui.tui.screens.sync_modal import SyncModal, Toggle
from gitops_tui.tui.screenshots import demo_fleet, fixed_clock
from tests.tui import make_app, settle, wait_for
from tests.tui.test_read_only_context import WHY, two_contexts


@pytest.fixture(autouse=True)
def _state_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


def dialog_text(modal: SyncModal) -> str:
    """Every line of the dialog's text, rendered wide and without colour."""
    console = Console(width=400, record=True, no_color=True, file=io.StringIO())
    for widget in modal.query(Static):
        console.print(widget.content)
    return console.export_text()


def notified(app: GitOpsApp, words: str) -> bool:
    return any(words in n.message for n in app._notifications)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_a_read_only_console_opens_the_sync_dialog_locked_to_a_dry_run(size: tuple[int, int]) -> None:
    source = demo_fleet()
    app = make_app(source=source, read_only=True)
    async with app.run_test(size=size) as pilot:
        app.tree.select_app("web")
        await settle(pilot)
        await pilot.press("S")
        modal = app.screen
        assert isinstance(modal, SyncModal) and modal.prune and modal.dry_run
        await wait_for(pilot, lambda: modal.plan is not None)
        assert "read-only: the console was started with --read-only; dry run only" in dialog_text(modal)
        assert "✂ 1 prune" in dialog_text(modal)  # the plan shows what a real sync would delete
        assert "[x] dry run (read-only)" in str(modal.query_one("#dry-run", Toggle).render())
        assert str(modal.query_one("#sync-yes").label) == "Dry run (enter)"  # type: ignore[attr-defined]
        assert not modal.query_one("#sync-name").display  # a dry run deletes nothing: no name to type

        await pilot.press("d")  # the dry run cannot be switched off...
        assert modal.dry_run and notified(app, "only a dry run is allowed")
        await pilot.press("p")  # ...the other options can
        assert not modal.prune and modal.dry_run

        await pilot.press("enter")
        await wait_for(pilot, lambda: source.calls == [("sync", "web", "")])
        assert source.operations["web"].dry_run
        await wait_for(pilot, lambda: notified(app, "Dry run of web started"))


async def test_an_app_on_a_read_only_context_dry_runs_and_the_others_sync() -> None:
    source = two_contexts()
    app = GitOpsApp(source, clock=fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        app.tree.select_app("web")  # on prod, read-only in the config file
        await settle(pilot)
        await pilot.press("s")
        modal = app.screen
        assert isinstance(modal, SyncModal) and modal.dry_run
        assert f"read-only: {WHY}; dry run only" in dialog_text(modal)
        await pilot.press("y")
        await wait_for(pilot, lambda: source.calls == [("sync", "web", "")])
        assert source.operations["web"].dry_run

        app.tree.select_app("guestbook")  # on dev: a sync as usual, the dry run an option
        await settle(pilot)
        await pilot.press("s")
        modal = app.screen
        assert isinstance(modal, SyncModal) and not modal.dry_run
        assert "read-only" not in dialog_text(modal)
        await pilot.press("d")
        assert modal.dry_run
        await pilot.press("d", "y")
        await wait_for(pilot, lambda: source.calls[-1] == ("sync", "guestbook", ""))
        assert not source.operations["guestbook"].dry_run
