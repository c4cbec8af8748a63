"""`wait_for` with more patience, for the console tests that drive a sync or a sandbox."""

from __future__ import annotations

from collections.abc import Callable

from textual.pilot import Pilot

from tests.tui import wait_for as wait_briefly


async def wait_for(pilot: Pilot, condition: Callable[[], object], attempts: int = 500) -> None:
    """tests.tui.wait_for, longer: a loaded machine (xdist, other suites) is slow, not wrong."""
    await wait_briefly(pilot, condition, attempts)
