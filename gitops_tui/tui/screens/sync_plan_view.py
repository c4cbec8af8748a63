"""The sync plan in the sync dialog: per phase and wave, what is created, configured, pruned, which hooks run.

Pure functions from a `SyncPlan` (engine/sync_plan_model.py, as `Reconciler.plan` returns it) to Rich text,
every action a glyph and a word. `state_plan_text` is the fallback when no plan can be made (the app was
never compared, or the source does not plan): what the compared state says differs.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from gitops_tui.engine.sync_plan_model import PlannedStep, SyncAction, SyncPlan
from gitops_tui.engine.sync_plan_text import display_key
from gitops_tui.model import AppState, SyncStatus
from gitops_tui.tui import glyphs

PLAN_LIMIT = 200
"""Steps listed; a bigger plan says how many more."""

# Keyed by the action's value: an action this table does not know yet still shows, as its own word.
STEP: dict[str, glyphs.Glyph] = {
    "create": glyphs.Glyph("+", "create", "green"),
    "configure": glyphs.Glyph("~", "configure", "yellow"),
    "replace": glyphs.Glyph("~", "replace", "yellow"),
    "recreate": glyphs.Glyph("!", "recreate", "bold red"),
    "unchanged": glyphs.Glyph("=", "unchanged", "dim"),
    "prune": glyphs.Glyph("✂", "prune", "bold red"),
    "hook": glyphs.Glyph("⚓", "hook", "cyan"),
}
REAPPLY = glyphs.Glyph("=", "re-apply", "dim")
"""CONFIGURE of a resource already in sync: applied again, the server is expected to change nothing."""


def _step_glyph(step: PlannedStep) -> glyphs.Glyph:
    if step.action is SyncAction.CONFIGURE and step.reason.startswith("synced"):
        return REAPPLY
    return STEP.get(str(step.action)) or glyphs.Glyph("·", str(step.action), "default")


def plan_headline(plan: SyncPlan) -> Text:
    text = Text()
    counts: dict[str, tuple[glyphs.Glyph, int]] = {}
    for step in [*plan.steps]:
        glyph = _step_glyph(step)
        counts[glyph.word] = (glyph, counts.get(glyph.word, (glyph, 0))[1] + 1)
    for word, (glyph, n) in counts.items():
        if text:
            text.append(" · ")
        text.append(f"{glyph.symbol} {n} {word}", style=glyph.style)
    if not text:
        text.append("nothing to apply", style="dim")
    return text


def _header(state: AppState) -> Table:
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    target = state.revision.short_sha if state.revision else state.spec.source.target_revision
    subject = f"  {state.revision.subject}" if state.revision else ""
    table.add_row("Revision", Text.assemble((target, "bold"), subject))
    dest = state.spec.destination
    table.add_row("Into", f"{dest.name or dest.server or '(default)'}  namespace {dest.namespace or '—'}")
    return table


def plan_renderable(state: AppState, plan: SyncPlan) -> RenderableType:
    """The header, then one block per (phase, wave) in the order the sync walks them."""
    parts: list[RenderableType] = [_header(state)]
    head = Text("Plan  ", style="bold")
    head.append_text(plan_headline(plan))
    parts.append(head)
    if plan.is_empty_prune_all:
        parts.append(Text("! Git holds no resource of this app: this sync would only delete", style=glyphs.ALARM.style))
    if plan.namespace_to_create:
        parts.append(
            Text(f"+ namespace {plan.namespace_to_create} created first if missing (CreateNamespace)", style="green")
        )
    steps = Table.grid(padding=(0, 1))
    keys = [display_key(step.key) for step in [*plan.steps, *plan.on_failure]]
    # The action and the resource whole; the reason gets what is left (cut, not wrapped, on a narrow screen).
    steps.add_column(no_wrap=True, min_width=13)
    steps.add_column(no_wrap=True, min_width=min(60, max(map(len, keys), default=0)))
    # Wrappable as a column (so it is the one narrowed: Rich widens min_width columns back after an even
    # cut, which clipped the row at the dialog's edge), yet each reason stays on one line, ending in "…".
    steps.add_column(overflow="ellipsis")
    shown = 0
    groups = plan.waves()
    for group in groups:
        steps.add_row(Text(f"{group.phase} · wave {group.wave}", style="bold underline"), "", "")
        for step in group.steps:
            if shown >= PLAN_LIMIT:
                break
            shown += 1
            glyph = _step_glyph(step)
            steps.add_row(
                Text(f"  {glyph.symbol} {glyph.word}", style=glyph.style),
                display_key(step.key),
                _reason(_detail(step)),
            )
    if len(plan.steps) > shown:
        steps.add_row("", Text(f"… and {len(plan.steps) - shown} more steps", style="dim"), "")
    if plan.on_failure:
        steps.add_row(Text("If the sync fails", style="bold underline"), "", "")
        for step in plan.on_failure[:PLAN_LIMIT]:
            steps.add_row(Text("  ⚓ SyncFail", style="cyan"), display_key(step.key), _reason(_detail(step)))
    parts.append(steps)
    if plan.skipped:
        parts.append(Text("Not in this sync", style="bold underline"))
        for skip in plan.skipped[:PLAN_LIMIT]:
            parts.append(Text(f"  · {display_key(skip.key)}  ({skip.reason})", style="dim"))
    for warning in plan.warnings:
        parts.append(Text(f"! {warning}", style=glyphs.CAUTION.style))
    return Group(*parts)


def _reason(text: str) -> Text:
    return Text(text, style="dim", no_wrap=True, overflow="ellipsis")


def _detail(step: PlannedStep) -> str:
    if step.action is SyncAction.HOOK:
        return ", ".join(step.hook_delete_policies) or step.reason
    if step.wave != step.declared_wave:
        return f"{step.reason} (moved from wave {step.declared_wave})"
    return step.reason


def state_plan_text(state: AppState, prune: bool, note: str = "") -> RenderableType:
    """Without a plan: what the compared state says a sync would apply and prune."""
    parts: list[RenderableType] = [_header(state)]
    if note:
        parts.append(Text(note, style=glyphs.CAUTION.style))
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")
    apply = [r for r in state.resources if r.sync is not SyncStatus.SYNCED and not r.requires_pruning]
    prunes = [r for r in state.resources if r.requires_pruning]
    if not apply and not (prune and prunes):
        table.add_row(glyphs.SYNC[SyncStatus.SYNCED].text(), "nothing differs: the sync re-applies and runs hooks")
    for resource in apply[:PLAN_LIMIT]:
        glyph = STEP["create" if not resource.in_cluster else "configure"]
        table.add_row(Text(f"{glyph.symbol} {glyph.word}", style=glyph.style), str(resource.key))
    for resource in prunes[:PLAN_LIMIT]:
        if prune:
            table.add_row(Text("✂ prune", style=glyphs.ALARM.style), str(resource.key))
        else:
            keep = Text(f"{resource.key} (not in Git; prune deletes it)", style="dim")
            table.add_row(Text("· keep", style="dim"), keep)
    parts.append(table)
    return Group(*parts)
