"""`a` on an app whose automated syncs another console runs: the console says what pressing it does and not.

The engine's truth (Reconciler.set_auto_sync): the switch is the shared pause beside the sync history, so it
stops (and resumes) the holder too; it does not take the claim. Also: write keys act on the app under the
cursor now.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from gitops_tui.model import AppActivity
from gitops_tui.tui.app import GitOpsApp
from gitops_tui.tui.screens.rollback_modal import RollbackModal
from gitops_tui.tui.screens.sync_modal import ConfirmModal
from gitops_tui.tui.screenshots import StaticSource, demo_fleet, fixed_clock
from tests.tui import settle, wait_for

HOLDER = "bastion-b-4711"


@pytest.fixture(autouse=True)
def _state_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


@dataclass
class WatchedElsewhere(StaticSource):
    """The demo fleet, with `checkout`'s automated syncs run by another console (as the reconciler says)."""

    def activity(self, app: str) -> AppActivity:
        activity = super().activity(app)
        return replace(activity, auto_sync_by=HOLDER) if app == "checkout" else activity


def watched_elsewhere() -> WatchedElsewhere:
    fleet = demo_fleet()
    return WatchedElsewhere(**{name: getattr(fleet, name) for name in fleet.__dataclass_fields__})


def notified(app: GitOpsApp, words: str) -> bool:
    return any(words in n.message for n in app._notifications)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_a_asks_first_and_says_the_other_console_goes_on_syncing(size: tuple[int, int]) -> None:
    source = watched_elsewhere()
    app = GitOpsApp(source, clock=fixed_clock)
    async with app.run_test(size=size) as pilot:
        app.tree.select_app("checkout")
        await settle(pilot)
        await pilot.press("a")
        modal = app.screen
        assert isinstance(modal, ConfirmModal)
        assert modal.title_text == "Switch auto-sync of checkout off everywhere?"
        assert "in every console" in modal.question and f"{HOLDER} stops before its next automated sync" in (
            modal.question
        )
        assert "gitops-tui autosync checkout on" in modal.question and f"does not take {HOLDER}'s" in modal.question
        await pilot.press("n")
        assert source.calls == []  # asked, not done

        await pilot.press("a", "y")
        await wait_for(pilot, lambda: source.calls == [("auto-sync", "checkout", "off")])
        assert notified(app, f"checkout: automated sync switched off in every console; {HOLDER} stops before")

        await pilot.press("a")
        modal = app.screen
        assert isinstance(modal, ConfirmModal) and modal.title_text == "Resume auto-sync of checkout everywhere?"
        assert f"{HOLDER} included" in modal.question and f"does not take the claim from {HOLDER}" in modal.question
        await pilot.press("y")
        await wait_for(pilot, lambda: source.calls[-1] == ("auto-sync", "checkout", "on"))


async def test_a_on_an_app_this_console_auto_syncs_switches_at_once() -> None:
    source = watched_elsewhere()
    app = GitOpsApp(source, clock=fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        automated = next(
            s.name for s in source.states.values() if s.spec.sync_policy.automated and s.name != "checkout"
        )
        app.tree.select_app(automated)
        await settle(pilot)
        await pilot.press("a")
        assert not isinstance(app.screen, ConfirmModal)
        assert source.calls == [("auto-sync", automated, "off")]
        assert notified(app, f"{automated}: automated sync switched off in every console, until resumed")


async def test_a_write_key_right_after_a_move_acts_on_the_app_under_the_cursor() -> None:
    source = demo_fleet()
    app = GitOpsApp(source, clock=fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        first = app.selection
        app.tree.select_app("web")
        app.action_rollback()  # same tick: the tree's SelectionChanged is not handled yet
        assert app.selection == first
        await wait_for(pilot, lambda: isinstance(app.screen, RollbackModal))
        assert app.screen.app_name == "web"  # type: ignore[attr-defined]
