"""The diff as a tired SRE reads it: the footer says what f and w do, the pane's edge says what is on, and a
resource with one side absent (not in the cluster, or only in it) is one full-width column under a heading."""

from __future__ import annotations

from gitops_tui.tui.app import GitOpsApp
from gitops_tui.tui.screens.help import HelpScreen
from gitops_tui.tui.widgets.diff_view import ONLY_DESIRED_HEADING, ONLY_LIVE_HEADING, DiffView
from gitops_tui.tui.widgets.footer import ConsoleFooter
from tests.tui import make_app, settle, wait_for


def screen_lines(view: DiffView) -> list[str]:
    """The diff pane's rows as drawn now, as plain text."""
    return ["".join(segment.text for segment in view.render_line(y)).rstrip() for y in range(view.size.height)]


def footer_labels(app: GitOpsApp) -> dict[str, str]:
    """Footer key -> its label, as shown."""
    footer = app.query_one(ConsoleFooter)
    return {key.key_display: key.description for key in footer.children if not key.has_class("-command-palette")}


async def open_diff(app: GitOpsApp, pilot: object, name: str) -> DiffView:
    app.tree.select_app(name)
    await settle(pilot)  # type: ignore[arg-type]
    await pilot.press("d")  # type: ignore[attr-defined]
    view = app.query_one(DiffView)
    assert app.screen.maximized is view
    return view


async def test_a_resource_missing_from_the_cluster_is_one_full_width_column_at_80x24() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_diff(app, pilot, "monitoring")
        lines = screen_lines(view)
        assert lines[0].startswith("≠ OutOfSync  Deployment.apps monitoring/grafana")
        assert lines[1] == f"+ {ONLY_DESIRED_HEADING}"
        manifest = [line for line in lines[2:] if line]
        assert manifest[0] == "+   1 apiVersion: apps/v1"
        assert all(line.startswith("+") and "│" not in line for line in manifest)  # no empty live half
        # Half of 80 columns would cut this line; the one column shows it whole.
        assert "+  19       - image: grafana/grafana:11.2.0" in lines
        await pilot.press("n")
        assert view.current_hunk == 0 and "hunk 1/1" in str(view.border_subtitle)
        assert screen_lines(view)[1] == f"+ {ONLY_DESIRED_HEADING}"  # the heading stays in view


async def test_a_resource_only_in_the_cluster_is_one_column_titled_for_prune_and_n_reaches_it() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_diff(app, pilot, "web")
        assert len(view.hunks) == 3  # the Deployment's, the ConfigMap's, the CronJob's
        await pilot.press("n", "n", "n")
        lines = screen_lines(view)  # the last section: scrolled as far as it goes, its title in view
        title = next(i for i, line in enumerate(lines) if line.startswith("≠ OutOfSync  CronJob.batch web/web-cleanup"))
        assert lines[title + 1] == f"- {ONLY_LIVE_HEADING}"
        assert lines[title + 2 : title + 4] == ["-   1 apiVersion: batch/v1", "-   2 kind: CronJob"]
        await pilot.press("N")  # back to the ConfigMap: both sides, side by side
        assert any("│" in line and "FEATURE_CART" in line for line in screen_lines(view))


async def test_f_and_w_say_what_they_do_in_the_footer_and_the_edge_says_what_is_on() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_diff(app, pilot, "web")
        await wait_for(pilot, lambda: "f" in footer_labels(app))
        assert (footer_labels(app)["f"], footer_labels(app)["w"]) == ("Show full", "Wrap")
        assert str(view.border_subtitle).endswith("compact · wrap off")
        await pilot.press("f")
        await wait_for(pilot, lambda: footer_labels(app).get("f") == "Show compact")
        assert view.full and str(view.border_subtitle).endswith("full · wrap off")
        await pilot.press("w")
        await wait_for(pilot, lambda: footer_labels(app).get("w") == "Unwrap")
        assert view.wrap and str(view.border_subtitle).endswith("full · wrap on")
        await pilot.press("w", "f")
        await wait_for(pilot, lambda: footer_labels(app).get("w") == "Wrap")
        assert (footer_labels(app)["f"], str(view.border_subtitle)[-18:]) == ("Show full", "compact · wrap off")


async def test_the_help_lists_f_and_w_once_with_what_they_toggle() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_diff(app, pilot, "web")
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        assert help_screen.keys.shown("toggle_full") == "f" and help_screen.keys.shown("toggle_wrap") == "w"
        assert not [what for keys, what in help_screen.keys.other if keys in ("f", "w")]
