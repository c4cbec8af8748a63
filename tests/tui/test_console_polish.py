"""What an SRE notices first: the footer always says how to get help and quit, keys typed at once move in
the tree (not into the hidden filter box), and z zooms the pane that has focus."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from textual.widgets import Input

from gitops_tui.model import AppActivity
from gitops_tui.tui import glyphs
from gitops_tui.tui.app import GitOpsApp
from gitops_tui.tui.screenshots import StaticSource, demo_fleet, fixed_clock
from gitops_tui.tui.widgets.details import DetailsPane
from gitops_tui.tui.widgets.diff_view import DiffView
from gitops_tui.tui.widgets.footer import ConsoleFooter
from tests.tui import make_app, settle, wait_for
from tests.tui.rendered import details_text
from tests.waiting import eventually


def footer_keys(app: GitOpsApp) -> list[str]:
    """The footer's keys as shown, left to right (the palette key is docked right, so it is left out)."""
    footer = app.query_one(ConsoleFooter)
    return [key.key_display for key in footer.children if not key.has_class("-command-palette")]


def footer_fits(app: GitOpsApp, key_display: str) -> bool:
    """The footer key is laid out wholly inside the screen's width (not cut off)."""
    footer = app.query_one(ConsoleFooter)
    key = next(k for k in footer.children if getattr(k, "key_display", None) == key_display)
    return key.region.width > 0 and key.region.right <= app.size.width


async def test_help_and_quit_lead_the_footer_at_80_columns_whatever_has_focus() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await wait_for(pilot, lambda: len(footer_keys(app)) > 2)
        assert footer_keys(app)[:2] == ["?", "q"]
        await wait_for(pilot, lambda: footer_fits(app, "?") and footer_fits(app, "q"))
        app.query_one(DiffView).focus()  # the diff's own keys come first in Textual's footer
        await wait_for(pilot, lambda: "n" in footer_keys(app))
        assert footer_keys(app)[:2] == ["?", "q"]
        await wait_for(pilot, lambda: footer_fits(app, "?") and footer_fits(app, "q"))


async def test_remapped_help_and_quit_still_lead_the_footer() -> None:
    app = GitOpsApp(demo_fleet(), clock=fixed_clock, keys={"help": "f1", "quit": "ctrl+q"})
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        footer = app.query_one(ConsoleFooter)
        await wait_for(pilot, lambda: len(footer.children) > 2)
        first = [(getattr(k, "key", ""), getattr(k, "action", "")) for k in footer.children][:2]
        assert first == [("f1", "help"), ("ctrl+q", "quit_console")]


@dataclass
class WatchedStartSource(StaticSource):
    """The demo fleet that notes which widget has focus while the console starts it: a real reconciler's
    start takes seconds (first Git poll, clusters), and keys typed meanwhile go to that widget."""

    console: GitOpsApp | None = None
    focused_while_starting: object = None

    async def start(self) -> None:
        console = self.console
        assert console is not None
        # Textual focuses a widget once the screen is up, which happens while this start is still running.
        self.focused_while_starting = await eventually(lambda: console.focused, what="a focused widget")


async def test_keys_typed_while_the_console_starts_do_not_go_to_the_hidden_filter_box() -> None:
    fleet = demo_fleet()
    source = WatchedStartSource(**{f.name: getattr(fleet, f.name) for f in fields(fleet)})
    app = GitOpsApp(source, clock=fixed_clock)
    source.console = app
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.selection is not None)
        box = app.query_one("#filter-input", Input)
        assert source.focused_while_starting is app.tree
        first = app.selection
        await pilot.press("j")
        await wait_for(pilot, lambda: app.selection != first)
        assert box.value == "" and not box.has_class("shown")


async def test_z_zooms_the_details_pane_and_again_restores_it() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        details = app.query_one(DetailsPane)
        details.focus()
        await pilot.press("z")
        assert app.screen.maximized is details
        await wait_for(pilot, lambda: details.region.width == app.size.width)
        await pilot.press("z")
        assert app.screen.maximized is None
        app.tree.focus()
        await pilot.press("z")
        assert app.screen.maximized is app.tree


@dataclass
class WatchingSource(StaticSource):
    """The demo fleet as a console that only watches: another console (bastion-b) holds web's auto-sync claim."""

    def activity(self, app: str) -> AppActivity:
        activity = super().activity(app)
        if app != "web":
            return activity
        note = "automated sync runs in console bastion-b; this console watches"
        return replace(activity, auto_sync=False, auto_sync_by="bastion-b", auto_sync_note=note)


def tree_line(app: GitOpsApp, name: str) -> str:
    lines = [strip.text for strip in app.tree.render_lines(app.tree.region.reset_offset)]
    return next(line for line in lines if f" {name} " in line)


async def test_an_app_whose_auto_sync_another_console_runs_says_by_whom_not_press_a() -> None:
    fleet = demo_fleet()
    app = GitOpsApp(WatchingSource(**{f.name: getattr(fleet, f.name) for f in fields(fleet)}), clock=fixed_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        app.tree.select_app("web")
        await settle(pilot)
        assert app.tree.auto_sync["web"].text().plain.startswith("↔ by basti")
        await wait_for(pilot, lambda: "↔ by basti" in tree_line(app, "web"))
        assert len(app.tree.auto_sync["web"].text().plain) <= glyphs.AUTO_SYNC_COLUMN
        details = details_text(app)
        assert "↔ by bastion-b" in details and "bastion-b; this console watches" in details
        assert "press a to resume" not in details
