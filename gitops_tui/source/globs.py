"""Argo CD's `directory.include` / `directory.exclude` glob patterns.

Argo CD matches them against the file's path relative to the app path, and its `*` crosses
`/` (`*.yaml` matches `sub/x.yaml`). Supported: `*`, `**`, `?`, `[abc]`, `[!abc]`/`[^abc]`,
`{a,b}` alternatives (nestable), and `\\` to escape.
"""

from __future__ import annotations

import re
from functools import lru_cache


def _class(pattern: str, start: int) -> tuple[str, int]:
    """Translate `[...]` starting at `start`; returns the regex and the index after `]`."""
    i = start + 1
    negate = i < len(pattern) and pattern[i] in "!^"
    if negate:
        i += 1
    body = ""
    first = True
    while i < len(pattern) and (pattern[i] != "]" or first):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            i += 1
            char = pattern[i]
        body += "\\" + char if char in "\\]^[" else char
        first = False
        i += 1
    if i >= len(pattern):
        return re.escape("["), start + 1  # an unclosed "[" is a literal
    return f"[{'^' if negate else ''}{body}]", i + 1


def _translate(pattern: str, i: int, inside_braces: bool) -> tuple[str, int]:
    out = []
    while i < len(pattern):
        char = pattern[i]
        if inside_braces and char in ",}":
            return "".join(out), i
        if char == "*":
            while i + 1 < len(pattern) and pattern[i + 1] == "*":
                i += 1
            out.append(".*")
        elif char == "?":
            out.append(".")
        elif char == "[":
            regex, i = _class(pattern, i)
            out.append(regex)
            continue
        elif char == "{":
            alternatives = []
            i += 1
            while True:
                regex, i = _translate(pattern, i, inside_braces=True)
                alternatives.append(regex)
                if i >= len(pattern):
                    raise ValueError(f"unclosed '{{' in glob {pattern!r}")
                i += 1
                if pattern[i - 1] == "}":
                    break
            out.append(f"(?:{'|'.join(alternatives)})")
            continue
        elif char == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out), i


@lru_cache(maxsize=256)
def compile_glob(pattern: str) -> re.Pattern[str]:
    """Raises ValueError for a malformed pattern (an unclosed `{`)."""
    regex, _ = _translate(pattern, 0, inside_braces=False)
    return re.compile(f"(?s:{regex})\\Z")


def glob_match(pattern: str, path: str) -> bool:
    return compile_glob(pattern).match(path) is not None
