"""Helpers for the console's tests: the demo fleet as the reconciler, and waiting on conditions."""

from __future__ import annotations

from collections.abc import Callable

from textual.pilot import Pilot

from gitops_tui.tui.app import GitOpsApp
from gitops_tui.tui.screenshots import StaticSource, demo_fleet, fixed_clock


def make_app(
    scenario: str = "mixed", *, read_only: bool = False, source: StaticSource | None = None, high_contrast: bool = False
) -> GitOpsApp:
    source = source or demo_fleet(scenario)
    source.read_only = read_only
    return GitOpsApp(source, read_only=read_only, clock=fixed_clock, high_contrast=high_contrast)


async def wait_for(pilot: Pilot, condition: Callable[[], object], attempts: int = 200) -> None:
    """Let the app run until `condition()` holds (each attempt lets pending messages and timers run)."""
    for _ in range(attempts):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"condition never held: {condition}")


async def settle(pilot: Pilot) -> None:
    """Wait until the diff of the current selection is on screen (it is computed after a short rest)."""
    app = pilot.app
    assert isinstance(app, GitOpsApp)
    await wait_for(pilot, lambda: app.selection is not None and app.diff_shown_for == app.selection)
    await pilot.pause()
