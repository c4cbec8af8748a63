"""Growing or shrinking a Line-API view's scrollable size without a layout pass where none is needed.

Setting `virtual_size` makes Textual lay the whole screen out again and repaint every pane: tens of ms
beside a big tree, several times a second under churn. While the vertical scrollbar is shown before and
after (or hidden before and after), nothing moves on screen but the scrollbar's thumb: that is updated
alone.
"""

from __future__ import annotations

from textual.geometry import Size
from textual.scroll_view import ScrollView


def set_virtual_size(view: ScrollView, size: Size) -> bool:
    """Give `view` this scrollable size; True when that needed a layout pass (the scrollbar comes or goes)."""
    old = view.virtual_size
    if size == old:
        return False
    visible = view.scrollable_content_region.height
    same_bar = size.width == old.width and (size.height > visible) == (old.height > visible)
    if not same_bar or not view.is_mounted:
        view.virtual_size = size
        return True
    view.set_reactive(type(view).virtual_size, size)
    if view.show_vertical_scrollbar:
        view.vertical_scrollbar.window_virtual_size = size.height
    return False
