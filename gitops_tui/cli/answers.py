"""Printing `status` and `diff` answers, whether a running console gave them or this process worked them out.

One printer for both paths (the answers are engine/query_answers.py's plain data), so their output and
exit codes cannot drift apart. Standard library only: a console's answer is printed before anything heavy
is imported.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping, Sequence

from gitops_tui.cli.diffview import side_by_side, unified
from gitops_tui.cli.output import (
    EXIT_DRIFT,
    EXIT_ERROR,
    EXIT_OK,
    CommandError,
    dump,
    paint,
    print_problems,
    print_table,
    status_colour,
    use_colour,
)

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs an import the fast path does without
    from typing import Any

UNKNOWN = "Unknown"


def print_status(entries: Sequence[Mapping[str, Any]], output: str) -> None:
    if output == "table":
        colour = use_colour()
        print_table(
            ["NAME", "SYNC", "HEALTH", "REVISION", "MESSAGE"],
            [list(entry["row"]) for entry in entries],
            colour=lambda column, text: paint(text, status_colour(text), colour and column in ("SYNC", "HEALTH")),
        )
    else:
        dump({"apps": [entry["document"] for entry in entries]}, output)


def finish_status(entries: Sequence[Mapping[str, Any]], output: str, warnings: Sequence[str],
                  errors: Sequence[str]) -> int:  # fmt: skip
    """`status`: the table or document, then the definitions' problems; exit 2 when an app could not be
    compared at all or a definition is broken (out of sync is an answer, not an error)."""
    print_status(entries, output)
    print_problems(warnings, errors)
    return EXIT_ERROR if errors or any(entry["failed"] for entry in entries) else EXIT_OK


def print_diff(answer: Mapping[str, Any], side: bool) -> int:
    """Unified (or side-by-side) diffs per drifted resource; exit 1 on drift, 2 when something was Unknown."""
    if answer["error"]:
        raise CommandError(f"app '{answer['app']}': {answer['error']}")
    colour = use_colour()
    drift = False
    for resource in answer["resources"]:
        if resource["sync"] == UNKNOWN:
            print(f"error: {resource['path']}: {resource['reason']}", file=sys.stderr)
        diff = resource["diff"]
        if diff is None:
            continue
        drift = True
        print(paint(f"# {resource['key']}: {diff['reason']}", "\033[1m", colour))
        path, live, desired = resource["path"], diff["live"], diff["desired"]
        lines: Iterator[str] = (
            side_by_side(path, live, desired, _width(), colour) if side else unified(path, live, desired, colour)
        )
        for line in lines:
            print(line)
    if drift:
        return EXIT_DRIFT
    return EXIT_ERROR if any(r["sync"] == UNKNOWN for r in answer["resources"]) else EXIT_OK


def _width() -> int:
    import shutil  # only side by side needs it

    return shutil.get_terminal_size((160, 40)).columns
