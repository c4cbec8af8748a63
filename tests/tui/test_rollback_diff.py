"""The rollback dialog shows what rolling back to the highlighted history entry would change in the cluster."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from gitops_tui.tui.app import GitOpsApp
from gitops_tui.tui.screens.rollback_modal import RevisionDiffView, RollbackModal
from gitops_tui.tui.screenshots import demo_fleet
from tests.tui import make_app, settle, wait_for


@pytest.fixture(autouse=True)
def _state_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


def _shown(app: GitOpsApp) -> str:
    """The diff area as a reader sees it: its message, or its sections' titles and both sides' lines."""
    view = app.screen.query_one(RevisionDiffView)
    if not view.sections:
        return view.message
    return "\n".join(
        "\n".join([s.title.plain, *(t.plain for t in s.left), *(t.plain for t in s.right)]) for s in view.sections
    )


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_dialog_shows_the_highlighted_entrys_changes(size: tuple[int, int]) -> None:
    source = demo_fleet()
    app = make_app(source=source)
    async with app.run_test(size=size) as pilot:
        app.tree.select_app("web")
        await settle(pilot)
        await pilot.press("R")
        await wait_for(pilot, lambda: isinstance(app.screen, RollbackModal))
        # The newest entry is highlighted first: deployed now, so rolling back to it changes nothing.
        await wait_for(pilot, lambda: "#4 changes nothing in the cluster" in _shown(app))
        await pilot.press("j")
        await wait_for(pilot, lambda: "Deployment.apps web/web" in _shown(app))
        view = app.screen.query_one(RevisionDiffView)
        assert [s.title.plain.split("  ")[1] for s in view.sections] == ["Deployment.apps web/web"]
        left = "\n".join(t.plain for t in view.sections[0].left)
        right = "\n".join(t.plain for t in view.sections[0].right)
        assert "web:2.3.1" in left and "web:2.3.0" in right  # live now ◀ │ ▶ the chosen revision
        assert view.border_title.endswith(f"#3 {source.histories['web'][0].revision[:7]}")
        assert view.region.height >= 5  # room to read it at 80x24 too
        asked = list(source.revisions_asked)
        await pilot.press("k", "j", "k", "j")  # back and forth: answered from what the dialog already has
        await wait_for(pilot, lambda: "web:2.3.0" in _shown(app))
        assert source.revisions_asked == asked
        await pilot.press("enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, RollbackModal))


async def test_a_revision_that_cannot_be_rendered_is_said_in_the_diff_area() -> None:
    source = demo_fleet()
    gone = replace(source.histories["web"][0], id=2, revision="f" * 40, subject="web: force-pushed away")
    source.histories["web"].insert(0, gone)
    app = make_app(source=source)
    async with app.run_test(size=(120, 40)) as pilot:
        app.tree.select_app("web")
        await settle(pilot)
        await pilot.press("R")
        await wait_for(pilot, lambda: isinstance(app.screen, RollbackModal))
        await pilot.press("j", "j")
        await wait_for(pilot, lambda: "Cannot show what rolling back to #2 changes" in _shown(app))
        assert "cannot render revision fffffff" in _shown(app)
        assert isinstance(app.screen, RollbackModal)  # the dialog stays; another entry may still be chosen
        await pilot.press("k")
        await wait_for(pilot, lambda: "web:2.3.0" in _shown(app))
