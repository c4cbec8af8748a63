"""Side-by-side diff rows (live left, desired right) as values, with pygments YAML highlighting.

Pure functions, so the diff view only lays rows out at its width: `pair_lines` aligns the two documents,
`compact` keeps changed hunks with context, `highlight_yaml` colours each line.
"""

from __future__ import annotations

import difflib
import enum
from collections.abc import Sequence
from dataclasses import dataclass

from pygments.lexers.data import YamlLexer
from pygments.token import Comment, Keyword, Literal, Name, Punctuation, String, Token, _TokenType
from rich.text import Text

CONTEXT_LINES = 3


class Tag(enum.Enum):
    SAME = " "
    CHANGED = "~"
    REMOVED = "-"
    """Only in the live object: a sync removes it."""
    ADDED = "+"
    """Only in Git: a sync adds it."""


@dataclass(frozen=True)
class LinePair:
    tag: Tag
    left_no: int | None
    right_no: int | None
    """1-based line numbers; None where that side has no line."""


@dataclass(frozen=True)
class Gap:
    hidden: int
    """Unchanged lines folded away in compact mode."""


_STYLES: list[tuple[_TokenType, str]] = [
    (Comment, "dim"),
    (Name.Tag, "bold cyan"),
    (Keyword, "magenta"),
    (Literal.Number, "magenta"),
    (String, ""),
    (Punctuation, "dim"),
    (Name.Constant, "magenta"),
]
_LEXER = YamlLexer(stripnl=False, ensurenl=True)


def _style_for(token: _TokenType) -> str:
    for kind, style in _STYLES:
        if token in kind:
            return style
    return ""


def highlight_yaml(text: str) -> list[Text]:
    """One Text per line of `text` (lexed whole, so block scalars keep their colour)."""
    if not text:
        return []
    lines: list[Text] = [Text()]
    for token, value in _LEXER.get_tokens(text):
        style = _style_for(token) if token is not Token.Text else ""
        parts = value.split("\n")
        for index, part in enumerate(parts):
            if index:
                lines.append(Text())
            if part:
                lines[-1].append(part, style=style)
    if lines and not lines[-1].plain:
        lines.pop()  # the final newline does not start a line
    return lines


def pair_lines(live: Sequence[str], desired: Sequence[str]) -> list[LinePair]:
    pairs: list[LinePair] = []
    matcher = difflib.SequenceMatcher(None, live, desired, autojunk=False)
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op == "equal":
            pairs.extend(LinePair(Tag.SAME, a0 + i + 1, b0 + i + 1) for i in range(a1 - a0))
        elif op == "delete":
            pairs.extend(LinePair(Tag.REMOVED, a + 1, None) for a in range(a0, a1))
        elif op == "insert":
            pairs.extend(LinePair(Tag.ADDED, None, b + 1) for b in range(b0, b1))
        else:  # replace: pair line by line, the longer side's rest stands alone
            for i in range(max(a1 - a0, b1 - b0)):
                left = a0 + i + 1 if a0 + i < a1 else None
                right = b0 + i + 1 if b0 + i < b1 else None
                tag = Tag.CHANGED if left and right else (Tag.REMOVED if left else Tag.ADDED)
                pairs.append(LinePair(tag, left, right))
    return pairs


def compact(pairs: Sequence[LinePair], context: int = CONTEXT_LINES) -> list[LinePair | Gap]:
    """Changed lines with `context` unchanged lines around them; each fold becomes one Gap."""
    keep = [False] * len(pairs)
    for index, pair in enumerate(pairs):
        if pair.tag is not Tag.SAME:
            for near in range(max(0, index - context), min(len(pairs), index + context + 1)):
                keep[near] = True
    out: list[LinePair | Gap] = []
    hidden = 0
    for pair, kept in zip(pairs, keep, strict=True):
        if kept:
            if hidden:
                out.append(Gap(hidden))
                hidden = 0
            out.append(pair)
        else:
            hidden += 1
    if hidden:
        out.append(Gap(hidden))
    return out


def hunk_starts(items: Sequence[LinePair | Gap]) -> list[int]:
    """Indices where a run of changed lines begins."""
    starts = []
    previous_changed = False
    for index, item in enumerate(items):
        changed = isinstance(item, LinePair) and item.tag is not Tag.SAME
        if changed and not previous_changed:
            starts.append(index)
        previous_changed = changed
    return starts
