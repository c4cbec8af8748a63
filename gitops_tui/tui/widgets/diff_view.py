"""Side-by-side diff: live on the left, desired (Git) on the right; one section per resource.

A Line-API view: the aligned line pairs are computed once per diff, the screen rows once per width (and
per wrap setting), and only visible rows are drawn. Changed lines carry a glyph in the gutter
(`-` live only, `+` Git only, `~` changed) as well as a tint, so they read without colour.

A resource with one side absent (missing from the cluster, or only in it) is one full-width column under
a heading that says which, instead of an empty half: at 80 columns that half is most of the room.
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

from gitops_tui.engine.diff import EXTRANEOUS, ResourceDiff
from gitops_tui.model import SyncStatus
from gitops_tui.tui import glyphs
from gitops_tui.tui.widgets.diff_model import Gap, LinePair, Tag, compact, highlight_yaml, hunk_starts, pair_lines
from gitops_tui.tui.widgets.scroll_size import set_virtual_size

NUMBER_WIDTH = 4
ONLY_DESIRED_HEADING = "not in the cluster — will be created: desired manifest"
ONLY_LIVE_HEADING = "only in the cluster — not in Git: a sync with prune deletes it"


@dataclass
class DiffSection:
    title: Text
    left: list[Text]
    right: list[Text]
    pairs: list[LinePair]
    note: str = ""
    only: Tag | None = None
    """Tag.ADDED: only the desired side exists (one column); Tag.REMOVED: only the live one; None: both."""
    heading: str = ""
    """The one column's title, when `only` is set."""

    @classmethod
    def of(cls, diff: ResourceDiff) -> DiffSection:
        glyph = glyphs.SYNC[diff.status]
        title = Text.assemble((f"{glyph.symbol} {glyph.word}", glyph.style), "  ", (str(diff.key), "bold"))
        only, heading = _one_side(diff)
        if diff.reason and only is None:  # a one-sided section's heading says it (the title stays short)
            title.append(f"  — {diff.reason}")
        left, right = highlight_yaml(diff.live_yaml), highlight_yaml(diff.desired_yaml)
        pairs = pair_lines([t.plain for t in left], [t.plain for t in right])
        note = "" if diff.status is not SyncStatus.SYNCED else "in sync: no differences"
        return cls(title, left, right, pairs, note, only, heading)

    @property
    def lines(self) -> list[Text]:
        """The one column's lines (a one-sided section)."""
        return self.right if self.only is Tag.ADDED else self.left


def _one_side(diff: ResourceDiff) -> tuple[Tag | None, str]:
    if diff.live is None and diff.desired is not None:
        return Tag.ADDED, ONLY_DESIRED_HEADING
    if diff.desired is None and diff.live is not None:
        # Another view's reason (a rollback's "not in this revision") says better than "prune" what happens.
        why = ONLY_LIVE_HEADING if diff.reason in (EXTRANEOUS, "") else f"only in the cluster — {diff.reason}"
        return Tag.REMOVED, why
    return None, ""


# A screen row: ("title", section) | ("heading", section) | ("note", text) | ("gap", hidden)
# | ("pair", section, pair, chunk)
Row = tuple


class DiffView(ScrollView, can_focus=True):
    # f and w each have a binding per direction, and only the one that changes something is in force, so the
    # footer names what the key does ("f Show full"), never the state; the status line says the state.
    # The ids are the help's entries for the two keys.
    BINDINGS = [
        Binding("n", "hunk(1)", "Next hunk"),
        Binding("N", "hunk(-1)", "Prev hunk"),
        Binding("f", "set_full(True)", "Show full", id="toggle_full"),
        Binding("f", "set_full(False)", "Show compact", id="toggle_full"),
        Binding("w", "set_wrap(True)", "Wrap", id="toggle_wrap"),
        Binding("w", "set_wrap(False)", "Unwrap", id="toggle_wrap"),
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
        self._laid_out_width: int | None = None

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

    def _solo_width(self) -> int:
        """The text width of a one-sided section's single column: the pane less one gutter."""
        width = self.scrollable_content_region.width or 80
        return max(8, width - NUMBER_WIDTH - 3)

    def _layout(self) -> None:
        rows: list[Row] = []
        hunks: list[int] = []
        side, solo = self._side_width(), self._solo_width()
        if not self.sections:
            rows.append(("note", self.message))
        for index, section in enumerate(self.sections):
            rows.append(("title", index))
            if section.only is not None:
                rows.append(("heading", index))
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
                if self.wrap and section.only is not None:
                    number = item.right_no if section.only is Tag.ADDED else item.left_no
                    chunks = max(1, -(-_length(section.lines, number) // solo))
                elif self.wrap:
                    longest = max(_length(section.left, item.left_no), _length(section.right, item.right_no))
                    chunks = max(1, -(-longest // side))
                rows.extend(("pair", index, item, chunk) for chunk in range(chunks))
            rows.append(("note", ""))
        self.rows, self.hunks = rows, hunks
        self._laid_out_width = self.scrollable_content_region.width
        # A new virtual size lays the whole screen out again: only when the scrollbar comes or goes.
        set_virtual_size(self, Size(self.scrollable_content_region.width, len(rows)))
        self._update_title()
        self.refresh()

    def _update_title(self) -> None:
        """The state (not the keys' actions: the footer has those): `2 hunks · n/N jump · compact · wrap off`."""
        mode = "full" if self.full else "compact"
        wrap = "wrap on" if self.wrap else "wrap off"
        count = len(self.hunks)
        hunk = f"hunk {self.current_hunk + 1}/{count}" if self.current_hunk >= 0 else f"{count} hunk"
        hunk += "s" if self.current_hunk < 0 and count != 1 else ""
        title = "Diff · live ◀ │ ▶ desired (Git)"
        subtitle = f"{hunk} · n/N jump · {mode} · {wrap}" if self.sections else ""
        if title != self.border_title:  # each assignment repaints the pane, even with the same text
            self.border_title = title
        if subtitle != (self.border_subtitle or ""):
            self.border_subtitle = subtitle

    def on_resize(self) -> None:
        # Rows depend on the width only (wrapping); a change of height needs no new rows.
        if self.scrollable_content_region.width != self._laid_out_width:
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
        if kind == "heading":
            return self._heading(self.sections[row[1]], width)
        if kind == "note":
            return self._plain(Text(row[1], style="dim"), width, None)
        if kind == "gap":
            lines = f"{row[1]} unchanged line" + ("s" if row[1] != 1 else "")
            return self._plain(Text(f"   ⋯ {lines} ⋯", style="dim italic"), width, "diff-view--gap")
        section = self.sections[row[1]]
        if section.only is not None:
            return self._solo_line(section, row[2], row[3], width)
        return self._pair_line(section, row[2], row[3], width)

    def _plain(self, text: Text, width: int, component: str | None) -> Strip:
        style = self.get_component_rich_style(component) if component else Style()
        text.truncate(width, overflow="ellipsis", pad=True)
        return (
            Strip(list(text.render(self.app.console)))
            .crop_extend(0, width, self.rich_style)
            .apply_style(self.rich_style + style)
        )

    def _mark_and_tint(self, only: Tag) -> tuple[glyphs.Glyph, Style]:
        if only is Tag.ADDED:
            return glyphs.DIFF_ADDED, self.get_component_rich_style("diff-view--added")
        return glyphs.DIFF_REMOVED, self.get_component_rich_style("diff-view--removed")

    def _heading(self, section: DiffSection, width: int) -> Strip:
        assert section.only is not None
        mark, tint = self._mark_and_tint(section.only)
        text = Text.assemble((mark.symbol, f"bold {mark.style}"), " ", (section.heading, "bold"))
        text.truncate(width, overflow="ellipsis", pad=True)
        text.stylize(tint, 1)  # the column's tint across the row; the glyph keeps its own colour
        return Strip(list(text.render(self.app.console))).crop_extend(0, width, self.rich_style)

    def _solo_line(self, section: DiffSection, pair: LinePair, chunk: int, width: int) -> Strip:
        assert section.only is not None
        mark, tint = self._mark_and_tint(section.only)
        number = pair.right_no if section.only is Tag.ADDED else pair.left_no
        text = self._half(section.lines, number, chunk, self._solo_width(), mark, tint)
        return Strip(list(text.render(self.app.console))).crop_extend(0, width, self.rich_style)

    def _pair_line(self, section: DiffSection, pair: LinePair, chunk: int, width: int) -> Strip:
        side = self._side_width()
        left_mark = {Tag.REMOVED: glyphs.DIFF_REMOVED, Tag.CHANGED: glyphs.DIFF_CHANGED}.get(pair.tag)
        right_mark = {Tag.ADDED: glyphs.DIFF_ADDED, Tag.CHANGED: glyphs.DIFF_CHANGED}.get(pair.tag)
        removed = self.get_component_rich_style("diff-view--removed")
        added = self.get_component_rich_style("diff-view--added")
        text = Text()
        text.append_text(self._half(section.left, pair.left_no, chunk, side, left_mark, removed if left_mark else None))
        text.append("│", style="dim")
        text.append_text(
            self._half(section.right, pair.right_no, chunk, side, right_mark, added if right_mark else None)
        )
        strip = Strip(list(text.render(self.app.console)))
        return strip.crop_extend(0, width, self.rich_style)

    def _half(
        self,
        lines: list[Text],
        number: int | None,
        chunk: int,
        side: int,
        mark: glyphs.Glyph | None,
        tint: Style | None,
    ) -> Text:
        text = Text()
        text.append(mark.symbol if mark else " ", style=f"bold {mark.style}" if mark else "")
        if number is None:
            text.append(" " * (NUMBER_WIDTH + 1 + side))
        else:
            label = str(number) if chunk == 0 else "↪"
            text.append(label.rjust(NUMBER_WIDTH) + " ", style="dim")
            line = lines[number - 1]
            piece = line[chunk * side : (chunk + 1) * side] if self.wrap else line
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

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Of the two f (and w) bindings only the one that changes something is in force (and in the footer).
        if action == "set_full":
            return parameters[0] != self.full
        if action == "set_wrap":
            return parameters[0] != self.wrap
        return True

    def action_set_full(self, full: bool) -> None:
        self.full = full
        self.current_hunk = -1
        self._layout()
        self.refresh_bindings()

    def action_set_wrap(self, wrap: bool) -> None:
        self.wrap = wrap
        self._layout()
        self.refresh_bindings()

    def action_toggle_full(self) -> None:
        self.action_set_full(not self.full)

    def action_toggle_wrap(self) -> None:
        self.action_set_wrap(not self.wrap)

    def action_scroll_lines(self, delta: int) -> None:
        self.scroll_to(y=self.scroll_y + delta, animate=False)


def _length(lines: list[Text], number: int | None) -> int:
    return 0 if number is None else lines[number - 1].cell_len
