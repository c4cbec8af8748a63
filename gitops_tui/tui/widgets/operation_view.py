"""A sync or rollback as the SRE follows it: phase, wave x of y, elapsed time, and each resource's result.

Pure functions from an `Operation` (the reconciler's value, updated as the executor reports) to Rich text;
the details pane shows them for the selected app and the tree marks resources with `result_flag`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from gitops_tui.model import Operation, OperationPhase, ResourceAction, ResourceKey, ResourceResult
from gitops_tui.tui import glyphs

RESULTS_SHOWN = 8
"""Results listed while an operation runs (the latest ones); the rest are counted."""

# Keyed by the action's value: an action this table does not know yet still shows, as its own word.
_ACTION: dict[str, glyphs.Glyph] = {
    "created": glyphs.Glyph("+", "created", "green"),
    "configured": glyphs.Glyph("~", "configured", "cyan"),
    "replaced": glyphs.Glyph("~", "replaced", "cyan"),
    "unchanged": glyphs.Glyph("=", "unchanged", "dim"),
    "pruned": glyphs.Glyph("✂", "pruned", "yellow"),
    "failed": glyphs.Glyph("✗", "failed", "bold red"),
}
_TREE_FLAG: dict[str, glyphs.Glyph] = {  # 7 cells: the tree's DRIFT column
    "created": glyphs.Glyph("+", "new", "green"),
    "configured": glyphs.Glyph("~", "apply", "cyan"),
    "replaced": glyphs.Glyph("~", "replace", "cyan"),
    "unchanged": glyphs.Glyph("=", "same", "dim"),
    "pruned": glyphs.Glyph("✂", "del", "yellow"),
    "failed": glyphs.Glyph("✗", "FAIL", "bold red"),
}


def action_glyph(action: ResourceAction) -> glyphs.Glyph:
    return _ACTION.get(str(action)) or glyphs.Glyph("·", str(action), "default")


def _tree_flag(action: ResourceAction) -> glyphs.Glyph:
    return _TREE_FLAG.get(str(action)) or glyphs.Glyph("·", str(action)[:5], "default")


_WAVE_MESSAGE = re.compile(r"^(PreSync|Sync|PostSync|SyncFail) wave (-?\d+)")

Wave = tuple[str, int]
"""(phase, wave), as a sync plan groups its steps."""


def result_flag(operation: Operation, key: ResourceKey) -> glyphs.Glyph | None:
    """What the running operation did to `key` so far (its latest result), for the tree."""
    for result in reversed(operation.results):
        if result.key == key:
            return _tree_flag(result.action)
    return None


def current_wave(operation: Operation) -> Wave | None:
    """The (phase, wave) the operation is in: from its message ("Sync wave 1: ..."), else its latest result."""
    found = _WAVE_MESSAGE.match(operation.message)
    if found:
        return found.group(1), int(found.group(2))
    counted = [r for r in operation.results if not r.message.startswith("skipped")]
    return (counted[-1].phase, counted[-1].wave) if counted else None


def wave_text(operation: Operation, waves: Sequence[Wave]) -> str:
    """`Sync wave 1 (2 of 3)`; without the plan's waves just `Sync wave 1`."""
    now = current_wave(operation)
    if now is None:
        return f"{len(waves)} wave(s) planned" if waves else ""
    label = f"{now[0]} wave {now[1]}"
    if now in waves:
        label += f" ({list(waves).index(now) + 1} of {len(waves)})"
    return label


def elapsed(operation: Operation, now: datetime) -> str:
    seconds = max(0, int(((operation.finished_at or now) - operation.started_at).total_seconds()))
    minutes, seconds = divmod(seconds, 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{seconds:02d}" if minutes >= 60 else f"{minutes}:{seconds:02d}"


def counts_text(results: Sequence[ResourceResult]) -> Text:
    """`2 created · 1 configured · 1 failed`, each word with its glyph and colour."""
    text = Text()
    for action in dict.fromkeys(r.action for r in results if not r.message.startswith("skipped")):
        glyph = action_glyph(action)
        n = sum(1 for r in results if r.action is action and not r.message.startswith("skipped"))
        if n:
            if text:
                text.append(" · ")
            text.append(f"{glyph.symbol} {n} {glyph.word}", style=glyph.style)
    return text if text else Text("no resource touched yet", style="dim")


def result_line(result: ResourceResult, *, show_wave: bool = True, home: str = "") -> Text:
    """`Sync 1  ~ configured Deployment web  configured; healthy`; the wave only when the sync has several,
    the namespace only when it is not `home` (most of an app's resources share one)."""
    glyph = action_glyph(result.action)
    text = Text(f"{result.phase} {result.wave}".ljust(10) if show_wave else "", style="dim")
    text.append(f"{glyph.symbol} {glyph.word}".ljust(13), style=glyph.style)
    key = result.key
    where = f"{key.namespace}/" if key.namespace and key.namespace != home else ""
    name = f"{key.kind} {where}{key.name}"
    text.append(("⚓ " if result.hook else "") + name, style="bold" if result.action is ResourceAction.FAILED else "")
    if result.message and result.message not in (glyph.word, "no change"):
        style = glyphs.ALARM.style if result.action is ResourceAction.FAILED else "dim"
        text.append(f"  {result.message}", style=style)
    return text


def _layout(results: Sequence[ResourceResult]) -> dict[str, Any]:
    """How to write these results compactly: with waves only if there are several, without the usual namespace."""
    waves = {(r.phase, r.wave) for r in results}
    namespaces = Counter(r.key.namespace for r in results if r.key.namespace)
    return {"show_wave": len(waves) > 1, "home": namespaces.most_common(1)[0][0] if namespaces else ""}


def operation_block(
    operation: Operation, now: datetime, waves: Sequence[Wave] = (), *, terminate_key: str = "ctrl+k"
) -> RenderableType:
    """The running operation, first thing in the app's details: what it is doing and what it has done."""
    phase = glyphs.OPERATION[operation.phase]
    head = phase.text()
    rev = operation.revision[:7] or "?"
    head.append(
        f"  {elapsed(operation, now)} · {operation.kind} #{operation.id} to {rev} by {operation.initiated_by}",
        style="bold",
    )
    modes = [m for m, on in (("dry run", operation.dry_run), ("prune", operation.prune)) if on]
    if modes:
        head.append(f"  [{', '.join(modes)}]", style=glyphs.CAUTION.style)
    lines: list[RenderableType] = [head]
    where = wave_text(operation, waves)
    message = operation.message
    base = where.split(" (")[0]
    if where and message.startswith(base):  # "Sync wave 1: waiting for ..." says its wave once
        message = message[len(base) :].lstrip(": ")
    status = Text(where, style="bold") if where else Text()
    if message:
        status.append(("  " if where else "") + message)
    if status:
        lines.append(status)
    counts = counts_text(operation.results)
    if operation.phase is OperationPhase.RUNNING:  # said early: the pane is short, the results may scroll
        counts.append(f"   {terminate_key} terminates", style="dim")
    lines.append(counts)
    shown = [r for r in operation.results if not r.message.startswith("skipped")]
    table = Table.grid(padding=0)
    table.add_column(overflow="fold")
    layout = _layout(operation.results)
    for result in reversed(shown[-RESULTS_SHOWN:]):  # newest first: what it just did is in view
        table.add_row(result_line(result, **layout))
    lines.append(table)
    if len(shown) > RESULTS_SHOWN:
        lines.append(Text(f"… and {len(shown) - RESULTS_SHOWN} earlier", style="dim"))
    return Group(*lines)


def finished_summary(operation: Operation) -> Text | None:
    """After it ended: the counts, and each failed resource with its message (the rest are in Events)."""
    if not operation.results:
        return None
    text = counts_text(operation.results)
    layout = _layout(operation.results)
    for result in operation.results:
        if result.action is ResourceAction.FAILED:
            text.append("\n")
            text.append_text(result_line(result, **layout))
    return text
