"""The console's footer: `?` help and `q` quit always come first, whatever pane has focus.

Textual's footer lists the focused pane's keys before the app's, and a key remapped in the config file
moves to the end; at 80 columns the tail is cut off, and with it the two keys an SRE must always see.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer

FIRST_ACTIONS = ("help", "quit_console")
"""Actions whose keys lead the footer, in this order (bindings.py ids `help` and `quit`)."""


class ConsoleFooter(Footer):
    # Textual's compact footer gives every key a right margin, the docked ctrl+p key included: that last
    # column showed a letter of whichever key the palette key covers ("^p palettet" at 80 columns).
    DEFAULT_CSS = """
    ConsoleFooter.-compact FooterKey.-command-palette {
        margin-right: 0;
    }
    """

    def compose(self) -> ComposeResult:
        keys = list(super().compose())

        def rank(widget: object) -> int:
            action = getattr(widget, "action", None)
            return FIRST_ACTIONS.index(action) if action in FIRST_ACTIONS else len(FIRST_ACTIONS)

        yield from sorted(keys, key=rank)  # stable: every other key keeps Textual's order
