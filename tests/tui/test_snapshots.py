"""SVG snapshots of the console at 80x24 and 120x40, in colour and with NO_COLOR.

Regenerate after an intended change: `.venv/bin/pytest tests/tui/test_snapshots.py --snapshot-update`,
then look at the report before committing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from gitops_tui.tui.app import GitOpsApp
from tests.tui import make_app, settle


@pytest.fixture(autouse=True)
def _state_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


def select(app_name: str, *keys: str) -> Callable[[Pilot], Awaitable[None]]:
    async def run_before(pilot: Pilot) -> None:
        app = pilot.app
        assert isinstance(app, GitOpsApp)
        await settle(pilot)
        app.tree.select_app(app_name)
        await pilot.press(*keys)
        await settle(pilot)

    return run_before


async def just_settle(pilot: Pilot) -> None:
    await settle(pilot)


SCENES: dict[str, tuple[str, Callable[[Pilot], Awaitable[None]], tuple[str, ...]]] = {
    "all_healthy": ("healthy", just_settle, ()),
    "out_of_sync": ("mixed", select("web"), ()),
    "degraded": ("mixed", select("payments", "l", "j", "j", "j", "j"), ()),
    "help": ("mixed", just_settle, ("question_mark",)),
}
SIZES = {"80x24": (80, 24), "120x40": (120, 40)}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("scene", SCENES)
@pytest.mark.parametrize("colour", ["colour", "no_color"])
def test_console_snapshot(snap_compare, monkeypatch: pytest.MonkeyPatch, scene: str, size: str, colour: str) -> None:
    if colour == "no_color":
        monkeypatch.setenv("NO_COLOR", "1")
    scenario, run_before, keys = SCENES[scene]
    assert snap_compare(make_app(scenario), press=keys, terminal_size=SIZES[size], run_before=run_before)


def test_sync_plan_snapshot(snap_compare) -> None:
    assert snap_compare(make_app(), press=("S",), terminal_size=(120, 40), run_before=select("web"))


def test_diff_zoomed_snapshot(snap_compare) -> None:
    assert snap_compare(make_app(), press=("d", "n"), terminal_size=(120, 40), run_before=select("web"))


def test_high_contrast_snapshot(snap_compare) -> None:
    app = make_app(high_contrast=True)
    assert snap_compare(app, terminal_size=(120, 40), run_before=select("payments"))
