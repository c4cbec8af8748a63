"""Text renderings of a resource diff: unified (like `kubectl diff`) and side by side."""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from gitops_tui.cli.common import DIFF_COLOURS, paint
from gitops_tui.engine.diff import ResourceDiff
from gitops_tui.model import ResourceKey


def resource_path(key: ResourceKey) -> str:
    group = key.group or "core"
    return "/".join(p for p in (group, key.kind, key.namespace, key.name) if p)


def unified(diff: ResourceDiff, colour: bool = False) -> Iterator[str]:
    """`--- live/...`, `+++ desired/...`, hunks with 3 lines of context; live on the minus side."""
    path = resource_path(diff.key)
    lines = difflib.unified_diff(
        diff.live_yaml.splitlines(), diff.desired_yaml.splitlines(), f"live/{path}", f"desired/{path}", lineterm="", n=3
    )
    for line in lines:
        marker = "@" if line.startswith("@@") else line[:1]
        yield paint(line, DIFF_COLOURS.get(marker, ""), colour and not line.startswith(("---", "+++")))


def side_by_side(diff: ResourceDiff, width: int, colour: bool = False) -> Iterator[str]:
    """Two columns, live on the left and desired on the right; a glyph between them marks each change."""
    column = max(20, (width - 3) // 2)
    left, right = diff.live_yaml.splitlines(), diff.desired_yaml.splitlines()
    path = resource_path(diff.key)
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
