"""Read-only per context in the console: the header badge, and write keys that say why they do nothing.

The reconciler enforces it (tests/engine/test_read_only_context.py); the console's part is to show it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from gitops_tui.model import AppActivity, ClusterFreshness
from gitops_tui.tui.app import GitOpsApp
from gitops_tui.tui.screens.sync_modal import SyncModal
from gitops_tui.tui.screenshots import StaticSource, demo_fleet, fixed_clock
from tests.tui import settle, wait_for

WHY = "context prod is read-only in ~/.config/gitops-tui/config.yaml"


@pytest.fixture(autouse=True)
def _state_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


@dataclass
class TwoContexts(StaticSource):
    """The demo fleet with `web` on the read-only context `prod`, the others on `dev` (as the reconciler says)."""

    on_prod: set[str] = field(default_factory=lambda: {"web"})

    @property
    def settings(self) -> Any:
        return SimpleNamespace(read_only=False, read_only_contexts={"prod": WHY})

    def activity(self, app: str) -> AppActivity:
        return replace(super().activity(app), read_only_reason=WHY if app in self.on_prod else "")


def two_contexts() -> TwoContexts:
    fleet = demo_fleet()
    source = TwoContexts(**{name: getattr(fleet, name) for name in fleet.__dataclass_fields__})
    source.clusters = [ClusterFreshness("prod", True, 2.0, True), ClusterFreshness("dev", True, 1.0, True)]
    return source


def header(app: GitOpsApp) -> str:
    return str(app.query_one("#header").render())


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_the_read_only_context_has_its_badge_and_the_other_does_not(size: tuple[int, int]) -> None:
    app = GitOpsApp(two_contexts(), clock=fixed_clock)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        text = header(app)
        assert "prod ● live" in text and "⊘ READ-ONLY" in text
        assert text.index("⊘ READ-ONLY") > text.index("prod") and text.index("⊘ READ-ONLY") < text.index("dev")
        assert text.count("READ-ONLY") == 1


async def test_write_keys_on_a_read_only_context_say_why_and_call_nothing() -> None:
    source = two_contexts()
    app = GitOpsApp(source, clock=fixed_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        app.tree.select_app("web")
        await settle(pilot)
        # s and S open the sync dialog locked to a dry run instead: tests/tui/test_read_only_dry_run.py
        for key, what in [("R", "rollback"), ("a", "switching auto-sync"), ("ctrl+k", "terminate")]:
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is app.screen_stack[0]  # no dialog opened
            expected = f"read-only: {WHY}; {what} is disabled for web"
            assert any(n.message == expected for n in app._notifications), (key, expected)
        assert source.calls == []
        # An app on another context syncs as usual.
        app.tree.select_app("guestbook")
        await settle(pilot)
        await pilot.press("s")
        assert isinstance(app.screen, SyncModal)
        await pilot.press("y")
        await wait_for(pilot, lambda: [c[:2] for c in source.calls] == [("sync", "guestbook")])
