"""`python -m gitops_tui.tui.screenshots DIR`: the README's screenshots, from a fixed demo fleet.

The fleet is made of model values (AppStates, events, history) and real engine diffs of small manifests,
served by `StaticSource`, which answers the reconciler's public API from memory. The same fleet backs the
console's snapshot tests and benchmark, so what the README shows is what the tests check.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from gitops_tui.tui.demo_fleet import commit, demo_fleet, spec
from gitops_tui.tui.static_source import NOW, StaticSource, fixed_clock

__all__ = [  # the fleet's vocabulary, importable from here as before the split (tests use it)
    "NOW",
    "StaticSource",
    "commit",
    "demo_fleet",
    "fixed_clock",
    "main",
    "shoot",
    "spec",
]

# ---- the screenshots ---------------------------------------------------------------------------------------

SHOTS: list[tuple[str, str, tuple[int, int], tuple[str, ...]]] = [
    # (file, scenario, size, keys pressed before the shot)
    ("console-overview", "mixed", (120, 40), ("j", "j", "j", "j", "j", "j")),
    ("console-degraded", "mixed", (120, 40), ("j", "j", "j", "j", "l", "l", "j", "j")),
    ("console-diff", "mixed", (120, 40), ("j", "j", "j", "j", "j", "j", "d", "n")),
    ("console-healthy-80x24", "healthy", (80, 24), ()),
    ("console-help", "mixed", (120, 40), ("question_mark",)),
    ("console-sync-plan", "mixed", (120, 40), ("j", "j", "j", "j", "j", "j", "S")),
]


async def shoot(path: Path, scenario: str, size: tuple[int, int], keys: Sequence[str]) -> None:
    from gitops_tui.tui.app import GitOpsApp  # Textual loads only when screenshots are taken

    app = GitOpsApp(demo_fleet(scenario), clock=fixed_clock)
    async with app.run_test(size=size) as pilot:
        await pilot.press(*keys)
        for _ in range(100):  # the diff of the selection is computed after the cursor rests
            if app.selection is not None and app.diff_shown_for == app.selection:
                break
            await pilot.pause(0.02)
        await pilot.pause()
        path.write_text(app.export_screenshot(title="gitops-tui"), encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    out = Path(args[0] if args else "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    for name, scenario, size, keys in SHOTS:
        target = out / f"{name}.svg"
        asyncio.run(shoot(target, scenario, size, keys))
        print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
