"""Side-by-side diff: live on the left, desired (Git) on the right; one section per resource.

A Line-API view: the aligned line pairs are computed once per diff, the screen rows once per width (and
per wrap setting), and only visible rows are drawn. Changed lines carry a glyph in the gutter
(`-` live only, `+` Git only, `~` changed) as well as a tint, so they read without colour.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from gitops_tui.engine.diff import ResourceDiff
from gitops_tui.model import SyncStatus
from gitops_tui.tui import glyphs
from gitops_tui.tui.widgets.diff_model import Gap, LinePair, Tag, compact, highlight_yaml, hunk_starts, pair_lines

NUMBER_WIDTH = 4


@dataclass
class DiffSection:
    title: Text
    left: list[Text]
    right: list[Text]
    pairs: list[LinePair]
    note: str = ""

    @classmethod
    def of(cls, diff: ResourceDiff) -> DiffSection:
        glyph = glyphs.SYNC[diff.status]
        title = Text.assemble((f"{glyph.symbol} {glyph.word}", glyph.style), "  ", (str(diff.key), "bold"))
        if diff.reason:
            title.append(f"  — {diff.reason}")
        left, right = highlight_yaml(diff.live_yaml), highlight_yaml(diff.desired_yaml)
        pairs = pair_lines([t.plain for t in left], [t.plain for t in right])
        note = "" if diff.status is not SyncStatus.SYNCED else "in sync: no differences"
        return cls(title, left, right, pairs, note)


# A screen row: ("title", section) | ("note", text) | ("gap", hidden) | ("pair", section, pair, chunk)
Row = tuple


class DiffView(ScrollView, can_focus=True):
    BINDINGS = [
        Binding("n", "hunk(1)", "Next hunk"),
        Binding("N", "hunk(-1)", "Prev hunk"),
        Binding("f", "toggle_full", "Full/compact"),
        Binding("w", "toggle_wrap", "Wrap"),
        Binding("j,down", "scroll_lines(1)", "Down", show=False),
        Binding("k,up", "scroll_lines(-1)", "Up", show=False),
        Binding("pagedown,space", "scroll_lines(10)", "Page down", show=False),
        Binding("pageup", "scroll_lines(-10)", "Page up", show=False),
        Binding("g,home", "scroll_home", "Top", show=False),
        Binding("G,end", "scroll_end", "Bottom", show=False),
    ]
    COMPONENT_CLASSES = {"diff-view--removed", "diff-view--added", "diff-view--title", "diff-view--gap"}
    DEFAULT_CSS = """
    DiffView { background: $surface; }
    DiffView > .diff-view--removed { background: $error 20%; }
    DiffView > .diff-view--added { background: $success 20%; }
    DiffView > .diff-view--title { background: $panel; text-style: bold; }
    DiffView > .diff-view--gap { color: $text-muted; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.sections: list[DiffSection] = []
        self.message = "Select an app or a resource to see how the cluster differs from Git."
        self.full = False
        self.wrap = False
        self.rows: list[Row] = []
        self.hunks: list[int] = []
        self.current_hunk = -1

    def show(self, diffs: Sequence[ResourceDiff], *, empty_message: str = "", keep_scroll: bool = False) -> None:
        """Show these diffs one after another (an app's OutOfSync resources, or one resource).

        `keep_scroll`: the same selection, compared again; the reader keeps their place.
        """
        self.sections = [DiffSection.of(d) for d in diffs]
        self.message = empty_message
        scroll_y = self.scroll_y
        if not keep_scroll:
            self.current_hunk = -1
        self._layout()
        self.current_hunk = min(self.current_hunk, len(self.hunks) - 1)
        self.scroll_to(y=scroll_y if keep_scroll else 0, animate=False, immediate=True)

    def show_message(self, message: str) -> None:
        self.sections = []
        self.message = message
        self._layout()

    # ---- layout ------------------------------------------------------------------------------------

    def _side_width(self) -> int:
        width = self.scrollable_content_region.width or 80
        return max(8, (width - 1 - 2 * (NUMBER_WIDTH + 2)) // 2)

    def _layout(self) -> None:
        rows: list[Row] = []
        hunks: list[int] = []
        side = self._side_width()
        if not self.sections:
            rows.append(("note", self.message))
        for index, section in enumerate(self.sections):
            rows.append(("title", index))
            if section.note:
                rows.append(("note", section.note))
            items: list[LinePair | Gap] = list(section.pairs) if self.full else compact(section.pairs)
            starts = set(hunk_starts(items))
            for position, item in enumerate(items):
                if position in starts:
                    hunks.append(len(rows))
                if isinstance(item, Gap):
                    rows.append(("gap", item.hidden))
                    continue
                chunks = 1
                if self.wrap:
                    longest = max(_length(section.left, item.left_no), _length(section.right, item.right_no))
                    chunks = max(1, -(-longest // side))
                rows.extend(("pair", index, item, chunk) for chunk in range(chunks))
            rows.append(("note", ""))
        self.rows, self.hunks = rows, hunks
        self.virtual_size = Size(self.scrollable_content_region.width, len(rows))
        self._update_title()
        self.refresh()

    def _update_title(self) -> None:
        mode = "full" if self.full else "compact"
        wrap = "wrap" if self.wrap else "no wrap"
        count = len(self.hunks)
        hunk = f"hunk {self.current_hunk + 1}/{count}" if self.current_hunk >= 0 else f"{count} hunks"
        self.border_title = "Diff · live ◀ │ ▶ desired (Git)"
        self.border_subtitle = f"{hunk} · n/N jump · f {mode} · w {wrap}" if self.sections else ""

    def on_resize(self) -> None:
        self._layout()

    # ---- drawing -----------------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = round(self.scroll_y) + y
        if index >= len(self.rows):
            return Strip.blank(width, self.rich_style)
        row = self.rows[index]
        kind = row[0]
        if kind == "title":
            return self._plain(self.sections[row[1]].title.copy(), width, "diff-view--title")
        if kind == "note":
            return self._plain(Text(row[1], style="dim"), width, None)
        if kind == "gap":
            lines = f"{row[1]} unchanged line" + ("s" if row[1] != 1 else "")
            return self._plain(Text(f"   ⋯ {lines} ⋯", style="dim italic"), width, "diff-view--gap")
        return self._pair_line(self.sections[row[1]], row[2], row[3], width)

    def _plain(self, text: Text, width: int, component: str | None) -> Strip:
        style = self.get_component_rich_style(component) if component else Style()
        text.truncate(width, overflow="ellipsis", pad=True)
        return Strip(list(text.render(self.app.console))).crop_extend(0, width, self.rich_style).apply_style(
            self.rich_style + style)

    def _pair_line(self, section: DiffSection, pair: LinePair, chunk: int, width: int) -> Strip:
        side = self._side_width()
        left_mark = {Tag.REMOVED: glyphs.DIFF_REMOVED, Tag.CHANGED: glyphs.DIFF_CHANGED}.get(pair.tag)
        right_mark = {Tag.ADDED: glyphs.DIFF_ADDED, Tag.CHANGED: glyphs.DIFF_CHANGED}.get(pair.tag)
        removed = self.get_component_rich_style("diff-view--removed")
        added = self.get_component_rich_style("diff-view--added")
        text = Text()
        text.append_text(self._half(section.left, pair.left_no, chunk, side, left_mark, removed if left_mark else None))
        text.append("│", style="dim")
        text.append_text(self._half(section.right, pair.right_no, chunk, side, right_mark,
                                    added if right_mark else None))
        strip = Strip(list(text.render(self.app.console)))
        return strip.crop_extend(0, width, self.rich_style)

    def _half(self, lines: list[Text], number: int | None, chunk: int, side: int, mark: glyphs.Glyph | None,
              tint: Style | None) -> Text:
        text = Text()
        text.append(mark.symbol if mark else " ", style=f"bold {mark.style}" if mark else "")
        if number is None:
            text.append(" " * (NUMBER_WIDTH + 1 + side))
        else:
            label = str(number) if chunk == 0 else "↪"
            text.append(label.rjust(NUMBER_WIDTH) + " ", style="dim")
            line = lines[number - 1]
            piece = line[chunk * side:(chunk + 1) * side] if self.wrap else line
            piece = piece.copy()
            if not self.wrap and piece.cell_len > side:
                piece.truncate(side - 1)
                piece.append("…", style="dim")
            piece.pad_right(side - piece.cell_len)
            text.append_text(piece)
        if tint is not None:
            text.stylize(tint, 1)
        text.append(" ")
        return text

    # ---- keys --------------------------------------------------------------------------------------

    def action_hunk(self, direction: int) -> None:
        if not self.hunks:
            self.notify("No changes to jump to.", timeout=2)
            return
        self.current_hunk = (self.current_hunk + direction) % len(self.hunks)
        # Two lines of context above the hunk keep its surroundings in view.
        self.scroll_to(y=max(0, self.hunks[self.current_hunk] - 2), animate=False, immediate=True)
        self._update_title()

    def action_toggle_full(self) -> None:
        self.full = not self.full
        self.current_hunk = -1
        self._layout()

    def action_toggle_wrap(self) -> None:
        self.wrap = not self.wrap
        self._layout()

    def action_scroll_lines(self, delta: int) -> None:
        self.scroll_to(y=self.scroll_y + delta, animate=False)


def _length(lines: list[Text], number: int | None) -> int:
    return 0 if number is None else lines[number - 1].cell_len
