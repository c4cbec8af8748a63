"""The console driven by keys (Pilot) over the demo fleet: moving, filtering, updates, writes and errors."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from gitops_tui.model import Event, Health, HealthStatus, Severity, SyncStatus
from gitops_tui.tui.app import GitOpsApp
from gitops_tui.tui.screens.error_modal import ErrorModal
from gitops_tui.tui.screens.help import HelpScreen
from gitops_tui.tui.screens.rollback_modal import RollbackModal
from gitops_tui.tui.screens.sync_modal import ConfirmModal, SyncModal
from gitops_tui.tui.screenshots import NOW, demo_fleet
from gitops_tui.tui.widgets.diff_view import DiffView
from gitops_tui.tui.widgets.event_log import EventLogView
from gitops_tui.tui.widgets.tree_rows import RowKind
from tests.tui import make_app, settle, wait_for


@pytest.fixture(autouse=True)
def _state_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


def app_names(app: GitOpsApp) -> list[str]:
    return [row.app for row in app.tree.rows if row.kind is RowKind.APP]


async def test_moves_expands_and_collapses_with_k9s_keys() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.selection == ("checkout", None)
        await pilot.press("j", "j", "j", "j", "j", "j")
        assert app.selection == ("web", None)
        await pilot.press("l")
        kinds = [row.group for row in app.tree.rows if row.kind is RowKind.GROUP and row.app == "web"]
        assert kinds == ["ConfigMap", "CronJob", "Deployment", "Service"]
        await pilot.press("l", "j")  # step into the app, then onto its first resource
        assert app.selection is not None and app.selection[1] is not None
        assert app.selection[1].kind == "ConfigMap"
        await pilot.press("h")  # from a resource straight up to its app
        assert app.selection == ("web", None)
        await pilot.press("h")
        assert not [row for row in app.tree.rows if row.kind is not RowKind.APP]


async def test_selected_app_diff_shows_every_out_of_sync_resource() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.tree.select_app("web")
        await settle(pilot)
        view = app.query_one(DiffView)
        titles = [section.title.plain for section in view.sections]
        assert len(titles) == 3 and all("OutOfSync" in t for t in titles)
        assert any("Deployment.apps web/web" in t for t in titles)
        await pilot.press("d")
        assert app.focused is view and app.screen.maximized is view
        await pilot.press("n")
        assert view.current_hunk == 0 and view.scroll_y == min(view.max_scroll_y, max(0, view.hunks[0] - 2))
        await pilot.press("n", "N")
        assert view.current_hunk == 0
        await pilot.press("f")
        assert view.full and "full" in str(view.border_subtitle)
        await pilot.press("escape")  # restores the panes
        assert app.screen.maximized is None
        await pilot.press("escape")  # back to the tree
        assert app.focused is app.tree


async def test_filter_by_status_and_negation_keeps_selection() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"OutOfSync", "enter")
        assert app_names(app) == ["monitoring", "web"]
        assert "filter 'OutOfSync'" in str(app.tree.border_subtitle)
        await pilot.press("slash", "ctrl+u", *"!healthy", "enter")
        assert set(app_names(app)) == {"monitoring", "payments", "reports"}
        await pilot.press("slash", "ctrl+u", *"^pay|^mon", "enter")
        assert app_names(app) == ["monitoring", "payments"]
        await pilot.press("escape")
        assert len(app_names(app)) == 7


async def test_updates_change_rows_in_place_and_keep_the_cursor() -> None:
    source = demo_fleet()
    app = make_app(source=source)
    async with app.run_test(size=(120, 40)) as pilot:
        app.tree.select_app("payments")
        await settle(pilot)
        scroll_before = app.tree.scroll_y
        healed = replace(source.states["payments"], health=Health(HealthStatus.HEALTHY))
        source.publish([healed], [Event(NOW, "payments", Severity.INFO, "health Degraded → Healthy")])
        await wait_for(pilot, lambda: app.tree.states["payments"].health.status is HealthStatus.HEALTHY)
        assert app.selection == ("payments", None)
        assert app.tree.scroll_y == scroll_before
        log = app.query_one(EventLogView)
        await wait_for(pilot, lambda: log._shown[-1].message == "health Degraded → Healthy")
        assert log.scroll_y == log.max_scroll_y  # following


async def test_event_log_filters_to_the_selected_app() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.tree.select_app("payments")
        await settle(pilot)
        await pilot.press("e")
        log = app.query_one(EventLogView)
        assert {e.app for e in log._shown} <= {"payments", ""}
        assert "payments" in str(log.border_title)
        await pilot.press("e")
        assert log.only_app is None


async def test_sync_shows_the_plan_and_asks_first() -> None:
    source = demo_fleet()
    app = make_app(source=source)
    async with app.run_test(size=(120, 40)) as pilot:
        app.tree.select_app("web")
        await settle(pilot)
        await pilot.press("S")
        assert isinstance(app.screen, SyncModal) and app.screen.prune
        await pilot.press("escape")
        assert source.calls == []
        await pilot.press("s")
        await pilot.press("y")
        await wait_for(pilot, lambda: source.calls == [("sync", "web", "")])


async def test_read_only_says_why_writes_are_disabled() -> None:
    source = demo_fleet()
    app = make_app(source=source, read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "READ-ONLY" in str(app.query_one("#header").render())
        await pilot.press("R")  # s opens locked to a dry run: tests/tui/test_read_only_dry_run.py
        assert not isinstance(app.screen, RollbackModal)
        assert any("read-only mode: rollback is disabled" in n.message for n in app._notifications)
        assert source.calls == []


async def test_rollback_lists_history_then_confirms() -> None:
    source = demo_fleet()
    app = make_app(source=source)
    async with app.run_test(size=(120, 40)) as pilot:
        app.tree.select_app("web")
        await settle(pilot)
        await pilot.press("R")
        await wait_for(pilot, lambda: isinstance(app.screen, RollbackModal))
        await pilot.press("down", "enter")  # the newest entry is first; pick the older one
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("y")
        await wait_for(pilot, lambda: source.calls == [("rollback", "web", "3")])


async def test_command_line_runs_commands_and_reports_mistakes() -> None:
    source = demo_fleet()
    app = make_app(source=source)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("colon", *"sync payments --prune", "enter")
        assert isinstance(app.screen, SyncModal) and app.screen.state.name == "payments" and app.screen.prune
        await pilot.press("escape")
        await pilot.press("colon", *"sort health", "enter")
        assert app_names(app)[0] == "reports"  # Unknown is the worst health
        await pilot.press("colon", *"sync nosuchapp", "enter")
        assert any("no app named 'nosuchapp'" in n.message for n in app._notifications)
        await pilot.press("colon", *"q", "enter")
        await wait_for(pilot, lambda: app.return_code == 0)


async def test_worker_failure_becomes_an_error_dialog_and_a_log_file(tmp_path: Path) -> None:
    source = demo_fleet()

    async def broken_history(app: str) -> list[object]:
        raise RuntimeError("history store exploded")

    source.history = broken_history  # type: ignore[method-assign]
    app = make_app(source=source)
    async with app.run_test(size=(120, 40)) as pilot:
        app.tree.select_app("web")
        await settle(pilot)
        await pilot.press("R")
        await wait_for(pilot, lambda: isinstance(app.screen, ErrorModal))
        assert "history store exploded" in app.screen.what_failed
        log_file = tmp_path / "state" / "gitops-tui" / "console.log"
        assert "RuntimeError: history store exploded" in log_file.read_text()
        await pilot.press("enter")
        assert not isinstance(app.screen, ErrorModal)


async def test_help_lists_every_key_and_quit_asks_while_syncing() -> None:
    source = demo_fleet()
    app = make_app(source=source)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        app.tree.select_app("web")
        await pilot.press("s", "y")
        await wait_for(pilot, lambda: source.operations.get("web") is not None)
        await pilot.press("q")
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")
        assert app.return_code is None
        assert app.tree.states["web"].sync is SyncStatus.OUT_OF_SYNC
