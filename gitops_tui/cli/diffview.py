"""Text renderings of a resource diff: unified (like `kubectl diff`) and side by side.

They work on the two YAML texts alone, so a diff answered by a running console prints exactly as one
computed here.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from gitops_tui.cli.output import DIFF_COLOURS, paint


def unified(path: str, live_yaml: str, desired_yaml: str, colour: bool = False) -> Iterator[str]:
    """`--- live/...`, `+++ desired/...`, hunks with 3 lines of context; live on the minus side."""
    lines = difflib.unified_diff(
        live_yaml.splitlines(), desired_yaml.splitlines(), f"live/{path}", f"desired/{path}", lineterm="", n=3
    )
    for line in lines:
        marker = "@" if line.startswith("@@") else line[:1]
        yield paint(line, DIFF_COLOURS.get(marker, ""), colour and not line.startswith(("---", "+++")))


def side_by_side(path: str, live_yaml: str, desired_yaml: str, width: int, colour: bool = False) -> Iterator[str]:
    """Two columns, live on the left and desired on the right; a glyph between them marks each change."""
    column = max(20, (width - 3) // 2)
    left, right = live_yaml.splitlines(), desired_yaml.splitlines()
    yield f"{('live/' + path)[:column].ljust(column)} | {('desired/' + path)[:column]}"
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=left, b=right, autojunk=False).get_opcodes():
        rows = max(i2 - i1, j2 - j1)
        for offset in range(rows):
            a = left[i1 + offset] if i1 + offset < i2 else ""
            b = right[j1 + offset] if j1 + offset < j2 else ""
            glyph = {"equal": " ", "replace": "~", "delete": "<", "insert": ">"}[tag]
            a_cell = paint(a[:column].ljust(column), DIFF_COLOURS["-"] if tag != "equal" and a else "", colour)
            b_cell = paint(b[:column], DIFF_COLOURS["+"] if tag != "equal" and b else "", colour)
            yield f"{a_cell} {glyph} {b_cell}".rstrip()
