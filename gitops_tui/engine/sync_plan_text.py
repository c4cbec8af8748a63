"""A sync plan in words, as the CLI prints it and the UI shows it before a sync.

One line per step, columns aligned across the whole plan, action always as a word (never by
colour alone): `PreSync   wave 0   hook       Job orders/schema-migrate  (BeforeHookCreation)`.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from gitops_tui.model import ResourceKey

if TYPE_CHECKING:
    from gitops_tui.engine.sync_plan import PlannedStep, SyncPlan


def plan_lines(plan: SyncPlan) -> list[str]:
    lines = [_headline(plan)]
    if plan.is_empty_prune_all:
        lines.append("! Git holds no resource of this app: the sync would only delete (allowEmpty guard)")
    if plan.namespace_to_create:
        lines.append(f"Namespace {plan.namespace_to_create}: created first if missing (CreateNamespace=true)")
    every_step = [*plan.steps, *plan.on_failure]
    widths = _column_widths(every_step)
    lines.extend(_step_line(step, widths) for step in plan.steps)
    if not plan.steps:
        lines.append("nothing to apply")
    if plan.on_failure:
        lines.append("If the sync fails:")
        lines.extend(_step_line(step, widths) for step in plan.on_failure)
    if plan.skipped:
        lines.append("Skipped:")
        lines.extend(
            f"  {display_key(skip.key)}  ({skip.reason})" for skip in sorted(plan.skipped, key=lambda s: s.key)
        )
    if plan.warnings:
        lines.append("Warnings:")
        lines.extend(f"  ! {warning}" for warning in plan.warnings)
    return lines


def _headline(plan: SyncPlan) -> str:
    counts = Counter(step.action.value for step in plan.steps)
    parts = [f"{count} {action}" for action, count in sorted(counts.items())]
    modes = [
        name
        for name, on in (
            ("dry run", plan.options.dry_run),
            ("prune", plan.options.prune),
            ("selective", plan.options.selective),
            ("force", plan.options.force),
            ("no hooks", plan.options.skip_hooks),
        )
        if on
    ]
    mode = f" [{', '.join(modes)}]" if modes else ""
    return f"Sync plan for {plan.app}{mode}: {', '.join(parts) or 'no steps'}"


def _column_widths(steps: list[PlannedStep]) -> tuple[int, int, int]:
    if not steps:
        return 0, 0, 0
    return (
        max(len(step.phase.value) for step in steps),
        max(len(f"wave {step.wave}") for step in steps),
        max(len(step.action.value) for step in steps),
    )


def _step_line(step: PlannedStep, widths: tuple[int, int, int]) -> str:
    phase_width, wave_width, action_width = widths
    columns = (
        step.phase.value.ljust(phase_width),
        f"wave {step.wave}".ljust(wave_width),
        step.action.value.ljust(action_width),
        f"{display_key(step.key)}  ({_detail(step)})",
    )
    return "  ".join(columns)


def _detail(step: PlannedStep) -> str:
    """For a hook, what matters before it runs is its delete policy; for the rest, why it is in the plan."""
    if not step.hook_delete_policies:
        return step.reason
    detail = ", ".join(step.hook_delete_policies)
    if step.generate_name:
        detail += f"; named from generateName {step.generate_name!r}"
    return detail


def display_key(key: ResourceKey) -> str:
    """`Job orders/schema-migrate`: the kind and where, as the health messages write it."""
    where = f"{key.namespace}/{key.name}" if key.namespace else key.name
    return f"{key.kind} {where}"
