"""The event log: time, app, severity glyph and word, message; a Line-API view with a line cap.

Like toolong's log view, lines are drawn only when visible and the oldest are dropped beyond the cap,
so a console left open for a week does not grow. Follow mode keeps the newest line in view; scrolling up
stops following (so what you are reading does not run away), `end` or `F` resumes it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from datetime import tzinfo

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from gitops_tui.model import Event
from gitops_tui.tui import glyphs
from gitops_tui.tui.widgets.scroll_size import set_virtual_size
from gitops_tui.tui.widgets.timefmt import clock_time

LINE_CAP = 5_000
APP_WIDTH = 14


class EventLogView(ScrollView, can_focus=True):
    BINDINGS = [
        Binding("j,down", "scroll_lines(1)", "Down", show=False),
        Binding("k,up", "scroll_lines(-1)", "Up", show=False),
        Binding("pagedown", "scroll_lines(10)", "Page down", show=False),
        Binding("pageup", "scroll_lines(-10)", "Page up", show=False),
        Binding("g,home", "top", "Oldest", show=False),
        Binding("G,end", "follow", "Follow", show=False),
        Binding("F", "toggle_follow", "Follow", id="follow-events"),
    ]
    DEFAULT_CSS = """
    EventLogView { background: $surface; }
    """

    def __init__(self, *, zone: tzinfo | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self.zone = zone
        self.events: deque[Event] = deque(maxlen=LINE_CAP)
        self.only_app: str | None = None
        self.follow = True
        self._shown: deque[Event] = deque()
        self._title = ""
        self._strips: dict[Event, Strip] = {}
        """Drawn lines by event: scrolling draws only the lines new on screen (cleared on a width or style change)."""
        self._strips_for: tuple[int, Style] | None = None

    def add(self, events: Iterable[Event]) -> None:
        """Append events; beyond the cap the oldest go. Costs what the new events cost, not what the log holds."""
        fresh = list(events)
        if not fresh:
            return
        dropped = max(0, len(self.events) + len(fresh) - LINE_CAP)
        gone = sum(self._passes(self.events[i]) for i in range(min(dropped, len(self.events))))
        self.events.extend(fresh)
        for _ in range(min(gone, len(self._shown))):
            self._shown.popleft()
        self._shown.extend(e for e in fresh if self._passes(e))
        if gone and not self.follow:  # keep the lines being read where they are on screen
            self.scroll_to(y=max(0, self.scroll_y - gone), animate=False, immediate=True)
        self._resize()

    def _passes(self, event: Event) -> bool:
        return self.only_app is None or event.app in (self.only_app, "")

    def filter_to(self, app: str | None) -> None:
        """Only `app`'s events (and those about no app, like a cluster going away); None: every app's."""
        self.only_app = app
        self._shown = deque(e for e in self.events if self._passes(e))
        self._resize()

    def _resize(self) -> None:
        # No horizontal scrolling: a scrollbar would cost a line of a small pane; long lines end in "…".
        self._set_virtual_size(Size(0, len(self._shown)))  # no width of its own: lines are cut to the pane
        if self.follow:
            self.scroll_to(
                y=max(0, len(self._shown) - self.scrollable_content_region.height), animate=False, immediate=True
            )
        self._update_title()
        self.refresh(self.size.region)  # the lines only: the border (and its title) stays as drawn

    def _set_virtual_size(self, size: Size) -> None:
        """Grow the scrollable height; a layout pass only where the scrollbar comes or goes (scroll_size.py)."""
        if set_virtual_size(self, size):
            self.call_after_refresh(self._catch_up)  # scrolling waits for the layout to show the scrollbar

    def _catch_up(self) -> None:
        if self.follow:
            self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True)

    def _update_title(self) -> None:
        scope = f"{self.only_app} (e: all apps)" if self.only_app else "all apps (e: selected app only)"
        follow = "following" if self.follow else "paused — F or end to follow"
        title = f"Events · {scope} · {follow}"
        if title != self._title:  # setting it repaints the whole log
            self._title = title
            self.border_title = title

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = round(self.scroll_y) + y
        style = self.rich_style
        if index >= len(self._shown):
            return Strip.blank(width, style)
        if (width, style) != self._strips_for or len(self._strips) > 8 * max(1, self.size.height) + 64:
            self._strips_for = (width, style)
            self._strips.clear()
        event = self._shown[index]
        strip = self._strips.get(event)
        if strip is None:
            strip = self._strips[event] = self._draw(event, width, style)
        return strip

    def _draw(self, event: Event, width: int, style: Style) -> Strip:
        severity = glyphs.SEVERITY[event.severity]
        text = Text(clock_time(event.at, self.zone) + " ", style="dim")
        text.append(f"{severity.symbol} {severity.word:<5} ", style=severity.style)
        text.append((event.app or "—")[:APP_WIDTH].ljust(APP_WIDTH) + " ", style="bold")
        text.append(event.message.replace("\n", " ⏎ "))
        text.truncate(width, overflow="ellipsis", pad=True)
        return Strip(list(text.render(self.app.console))).crop_extend(0, width, style)

    def action_scroll_lines(self, delta: int) -> None:
        if delta < 0:
            self._set_follow(False)
        self.scroll_to(y=self.scroll_y + delta, animate=False)
        if delta > 0 and self.scroll_y >= self.max_scroll_y:
            self._set_follow(True)

    def action_top(self) -> None:
        self._set_follow(False)
        self.scroll_home(animate=False)

    def action_follow(self) -> None:
        self._set_follow(True)
        self.scroll_end(animate=False)

    def action_toggle_follow(self) -> None:
        self._set_follow(not self.follow)
        if self.follow:
            self.scroll_end(animate=False)

    def _set_follow(self, follow: bool) -> None:
        if follow != self.follow:
            self.follow = follow
            self._update_title()

    def on_mouse_scroll_up(self) -> None:
        self._set_follow(False)

    def on_resize(self) -> None:
        self._resize()
