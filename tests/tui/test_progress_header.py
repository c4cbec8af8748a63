"""Long Git work in the header: while the selected app's repository is being cloned, the header says how far."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from gitops_tui.model import AppActivity
from gitops_tui.tui.app import GitOpsApp
from gitops_tui.tui.screenshots import StaticSource, demo_fleet, fixed_clock
from tests.tui import settle, wait_for

CLONING = "cloning https://git.example.com/platform.git 45% (receiving objects 1215/2700)"


@pytest.fixture(autouse=True)
def _state_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


@dataclass
class Cloning(StaticSource):
    progress: str = CLONING

    def activity(self, app: str) -> AppActivity:
        return replace(super().activity(app), progress=self.progress if app == "web" else "")


async def test_the_header_shows_clone_progress_of_the_selected_app_until_it_ends() -> None:
    fleet = demo_fleet()
    source = Cloning(**{name: getattr(fleet, name) for name in fleet.__dataclass_fields__})
    app = GitOpsApp(source, clock=fixed_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        app.tree.select_app("web")
        await settle(pilot)
        header = lambda: str(app.query_one("#header").render())  # noqa: E731
        assert f"⇣ web: {CLONING}" in header()
        app.tree.select_app("guestbook")
        await settle(pilot)
        assert "cloning" not in header() and "guestbook: Git poll" in header()
        app.tree.select_app("web")
        source.progress = ""
        source.publish([source.states["web"]])  # the reconciler says the app's activity changed
        await wait_for(pilot, lambda: "web: Git poll" in header())
