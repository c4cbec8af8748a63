"""Under churn the tree redraws only the rows of the apps that changed: the others come from its cache, the
cursor and the scroll position stay where they were."""

from __future__ import annotations

from dataclasses import replace

from gitops_tui.model import SyncStatus
from gitops_tui.tui.screenshots import demo_fleet
from gitops_tui.tui.widgets.tree_rows import RowKind
from tests.tui import make_app, settle, wait_for


def screen_line(app, index: int) -> str:  # type: ignore[no-untyped-def]
    return app.tree.render_line(index - round(app.tree.scroll_y) + 1).text


async def test_an_app_changing_state_redraws_its_row_only_and_keeps_the_cursor() -> None:
    source = demo_fleet("mixed")
    app = make_app(source=source)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        tree = app.tree
        apps = [i for i, row in enumerate(tree.rows) if row.kind is RowKind.APP]
        await pilot.press("j")
        await settle(pilot)
        selected, cursor, scroll = app.selection, tree.cursor, tree.scroll_y
        changed_index = next(
            i for i in apps if i != cursor and tree.states[tree.rows[i].app].sync is not SyncStatus.OUT_OF_SYNC
        )
        name = tree.rows[changed_index].app
        assert "OutOfSync" not in screen_line(app, changed_index)
        await pilot.pause()
        drawn_before = tree.rows_drawn

        source.publish([replace(tree.states[name], sync=SyncStatus.OUT_OF_SYNC)])
        await wait_for(pilot, lambda: tree.states[name].sync is SyncStatus.OUT_OF_SYNC)
        await pilot.pause()

        assert tree.rows_drawn - drawn_before == 1  # the changed app's row; none of the other visible rows
        assert "OutOfSync" in screen_line(app, changed_index)
        assert (app.selection, tree.cursor, tree.scroll_y) == (selected, cursor, scroll)
