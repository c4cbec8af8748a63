"""A pane's border title and subtitle changed without repainting the whole pane.

The tree's counts in its title change with nearly every batch under churn, and Textual's title setter
repaints the whole widget (every row and the panes behind it). Here the setter's own repaint is held back
and only the border lines that changed are repainted. Should a Textual version repaint some other way, the
pane is still drawn right (just at the old cost).
"""

from __future__ import annotations

from textual.geometry import Region
from textual.widget import Widget


def retitle(widget: Widget, before: tuple[str, str] | None, title: str, subtitle: str) -> None:
    """Give `widget` this border title and subtitle; `before` is what it showed (None: never set)."""
    if before is None or not widget.is_mounted:
        widget.border_title, widget.border_subtitle = title, subtitle
        return
    widget.refresh = lambda *regions, **options: widget  # type: ignore[method-assign]
    try:
        widget.border_title, widget.border_subtitle = title, subtitle
    finally:
        del widget.refresh
    top, left = widget.content_offset.y, widget.content_offset.x
    outer = widget.outer_size
    lines = [Region(-left, -top, outer.width, 1)] if title != before[0] else []
    if subtitle != before[1]:
        lines.append(Region(-left, outer.height - top - 1, outer.width, 1))
    widget.refresh(*lines)
