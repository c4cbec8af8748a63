"""A batch of changes is patched into the tree's rows in place when nothing moves; when something does move
(the sort order, the filter), the rows are built again. Either way the screen says what the states say."""

from __future__ import annotations

from dataclasses import replace

from gitops_tui.model import Health, HealthStatus, SyncStatus
from gitops_tui.tui.widgets.tree_rows import RowFilter, RowKind, SortOrder
from tests.tui import make_app, settle, wait_for


def line_of(app, predicate) -> str:  # type: ignore[no-untyped-def]
    tree = app.tree
    index = next(i for i, row in enumerate(tree.rows) if predicate(row))
    return tree.render_line(index - round(tree.scroll_y) + 1).text


def app_order(app) -> list[str]:  # type: ignore[no-untyped-def]
    return [row.app for row in app.tree.rows if row.kind is RowKind.APP]


async def test_an_expanded_apps_resource_changing_shows_on_its_row_and_in_the_title_counts() -> None:
    app = make_app()
    source = app.source
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        tree = app.tree
        assert tree.select_app("guestbook")
        await pilot.press("enter")  # expand guestbook: its kinds and resources show
        await settle(pilot)
        rows_before = [row.identity for row in tree.rows]
        drifted_before = tree.counts.out_of_sync
        state = tree.states["guestbook"]
        first = state.resources[0]
        changed = replace(
            state,
            sync=SyncStatus.OUT_OF_SYNC,
            resources=(replace(first, sync=SyncStatus.OUT_OF_SYNC), *state.resources[1:]),
        )

        source.publish([changed])
        await wait_for(pilot, lambda: tree.states["guestbook"].sync is SyncStatus.OUT_OF_SYNC)
        await pilot.pause()

        assert [row.identity for row in tree.rows] == rows_before  # patched in place
        assert "OutOfSync" in line_of(app, lambda r: r.kind is RowKind.RESOURCE and r.key == first.key)
        assert "OutOfSync" in line_of(app, lambda r: r.kind is RowKind.APP and r.app == "guestbook")
        assert tree.counts.out_of_sync == drifted_before + 1
        assert f"≠ {drifted_before + 1} OutOfSync" in str(tree.border_title)


async def test_sorted_by_health_an_app_turning_degraded_moves_up_and_the_cursor_stays_on_its_app() -> None:
    app = make_app()
    source = app.source
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        tree = app.tree
        tree.set_order(SortOrder.HEALTH)
        assert tree.select_app("guestbook")
        await settle(pilot)
        before = app_order(app).index("guestbook")
        assert before > app_order(app).index("payments")  # Degraded already: ahead of healthy guestbook
        state = tree.states["guestbook"]

        source.publish([replace(state, health=Health(HealthStatus.DEGRADED, "pods crash"))])
        # Degraded, and before payments by name: it moves up past it
        await wait_for(pilot, lambda: app_order(app).index("guestbook") < app_order(app).index("payments"))

        assert tree.selected is not None and tree.selected.app == "guestbook"
        assert "Degraded" in line_of(app, lambda r: r.kind is RowKind.APP and r.app == "guestbook")


async def test_a_filtered_out_app_that_starts_to_match_appears() -> None:
    app = make_app()
    source = app.source
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        tree = app.tree
        tree.set_filter(RowFilter.parse("Degraded"))
        assert "guestbook" not in app_order(app)
        state = tree.states["guestbook"]

        source.publish([replace(state, health=Health(HealthStatus.DEGRADED, "pods crash"))])
        await wait_for(pilot, lambda: "guestbook" in app_order(app))

        source.publish([state])  # healthy again: filtered out again
        await wait_for(pilot, lambda: "guestbook" not in app_order(app))


async def test_news_arriving_faster_than_it_is_applied_is_merged_and_none_is_lost() -> None:
    app = make_app()
    source = app.source
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        tree = app.tree
        names = sorted(name for name, state in tree.states.items() if not state.error)  # an error hides health
        for name in names:  # one delivery per app, back to back: faster than NEWS_INTERVAL
            source.publish([replace(tree.states[name], health=Health(HealthStatus.SUSPENDED, "paused"))])

        await wait_for(pilot, lambda: all(tree.states[n].health.status is HealthStatus.SUSPENDED for n in names))
        for name in names:
            assert "Suspended" in line_of(app, lambda r, name=name: r.kind is RowKind.APP and r.app == name)


async def test_a_churning_fleet_is_redrawn_at_a_slower_cadence_and_a_quiet_one_at_the_quick_one() -> None:
    from gitops_tui.tui.app import BUSY_APPS, BUSY_NEWS_INTERVAL, NEWS_INTERVAL
    from gitops_tui.tui.demo_fleet import FleetBuilder, healthy_app

    builder = FleetBuilder()
    for n in range(BUSY_APPS + 2):  # enough apps to make a busy batch
        healthy_app(builder, f"app-{n:02d}", "shop", n)
    app = make_app(source=builder.source)
    source = builder.source
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        tree = app.tree
        names = sorted(name for name, state in tree.states.items() if not state.error)
        assert len(names) >= BUSY_APPS
        # Every app changes at once, as under churn: the next news waits the busy interval.
        source.publish([replace(tree.states[n], health=Health(HealthStatus.SUSPENDED, "paused")) for n in names])
        await wait_for(pilot, lambda: all(tree.states[n].health.status is HealthStatus.SUSPENDED for n in names))
        assert app._news_interval == BUSY_NEWS_INTERVAL
        # One app changes: the console is back to the quick cadence.
        source.publish([replace(tree.states[names[0]], health=Health(HealthStatus.HEALTHY))])
        await wait_for(pilot, lambda: tree.states[names[0]].health.status is HealthStatus.HEALTHY)
        assert app._news_interval == NEWS_INTERVAL
