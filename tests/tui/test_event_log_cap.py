"""The event log holds at most LINE_CAP lines: beyond it the oldest go, what is on screen stays put when the
log is paused, and a filter keeps to the selected app's lines as new ones arrive."""

from __future__ import annotations

from datetime import UTC, datetime

from textual.app import App, ComposeResult

from gitops_tui.model import Event, Severity
from gitops_tui.tui.widgets.event_log import LINE_CAP, EventLogView
from tests.tui import wait_for

AT = datetime(2026, 11, 26, 14, 30, tzinfo=UTC)


def events(first: int, count: int) -> list[Event]:
    return [
        Event(AT, f"app-{seq % 3}", Severity.INFO, f"app-{seq % 3}: change {seq}", seq)
        for seq in range(first, first + count)
    ]


class LogApp(App[None]):
    def compose(self) -> ComposeResult:
        yield EventLogView(zone=UTC)


def shown_in_full(log: EventLogView) -> bool:
    """The log's scrollable height counts every line it holds."""
    return log.virtual_size.height == len(log._shown)


def visible_text(log: EventLogView) -> list[str]:
    return [log.render_line(y).text for y in range(log.scrollable_content_region.height)]


async def test_beyond_the_cap_the_oldest_lines_go_and_the_newest_are_followed() -> None:
    app = LogApp()
    async with app.run_test(size=(100, 12)) as pilot:
        log = app.query_one(EventLogView)
        log.add(events(1, LINE_CAP - 10))
        log.add(events(LINE_CAP - 9, 30))  # 20 over the cap
        await wait_for(pilot, lambda: shown_in_full(log) and log.scroll_y == log.max_scroll_y > 0)  # following

        assert len(log._shown) == LINE_CAP
        assert log._shown[0].seq == 21 and log._shown[-1].seq == LINE_CAP + 20
        assert f"change {LINE_CAP + 20}" in visible_text(log)[-1]


async def test_a_paused_log_keeps_the_lines_being_read_in_place_while_old_lines_drop() -> None:
    app = LogApp()
    async with app.run_test(size=(100, 12)) as pilot:
        log = app.query_one(EventLogView)
        log.add(events(1, LINE_CAP))
        await wait_for(pilot, lambda: shown_in_full(log) and log.scroll_y == log.max_scroll_y)
        log.focus()
        await pilot.press("k", "k", "k")  # scrolling up pauses the log
        await pilot.pause()
        assert not log.follow
        before = visible_text(log)

        log.add(events(LINE_CAP + 1, 50))  # fifty old lines drop off the top
        await wait_for(pilot, lambda: shown_in_full(log))

        assert visible_text(log) == before


async def test_a_filtered_log_shows_only_the_apps_lines_as_they_arrive_and_past_the_cap() -> None:
    app = LogApp()
    async with app.run_test(size=(100, 12)) as pilot:
        log = app.query_one(EventLogView)
        log.add(events(1, 30))
        log.filter_to("app-1")
        log.add(events(31, LINE_CAP))
        await wait_for(pilot, lambda: shown_in_full(log))

        assert {e.app for e in log._shown} == {"app-1"}
        assert [e.seq for e in log._shown] == [e.seq for e in log.events if e.app == "app-1"]
        assert "app-1" in visible_text(log)[-1]


async def test_lines_arriving_in_quick_batches_are_all_shown_in_order() -> None:
    app = LogApp()
    async with app.run_test(size=(100, 12)) as pilot:
        log = app.query_one(EventLogView)
        for first in range(1, 200, 10):  # twenty batches at once, as a burst of changes brings them
            log.add(events(first, 10))
        await wait_for(pilot, lambda: shown_in_full(log) and log.scroll_y == log.max_scroll_y)

        assert [e.seq for e in log._shown] == list(range(1, 201))
        assert "change 200" in visible_text(log)[-1]
