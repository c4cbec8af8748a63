"""Details of the selection: an app (source, destination, revisions, status with messages, auto-sync) or
one resource (sync, health, reason, where it lives).

The first lines answer "what is wrong": errors and unhealthy messages come before the configuration.
"""

from __future__ import annotations

from datetime import datetime

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from gitops_tui.model import AppActivity, AppState, HealthStatus, OperationPhase, ResourceKey, SyncStatus
from gitops_tui.tui import glyphs
from gitops_tui.tui.widgets.timefmt import ago, date_time


class DetailsPane(VerticalScroll, can_focus=True):
    """Scrolls when the details are longer than the pane (long error messages)."""

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static(Text("Select an app.", style="dim"), id="details-body")

    def show(self, renderable: RenderableType) -> None:
        self.query_one("#details-body", Static).update(renderable)


def _fields() -> Table:
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    return table


def app_details(state: AppState, activity: AppActivity | None, now: datetime) -> RenderableType:
    spec = state.spec
    table = _fields()
    if state.error:
        table.add_row(Text("✗ Error", style=glyphs.ALARM.style), Text(state.error, style=glyphs.ALARM.style))
    sync_line = glyphs.SYNC[state.sync].text()
    out_of_sync = sum(r.sync is SyncStatus.OUT_OF_SYNC for r in state.resources)
    if out_of_sync:
        sync_line.append(f"  {out_of_sync} of {len(state.resources)} resources differ from Git", style="default")
    table.add_row("Sync", sync_line)
    health_line = glyphs.HEALTH[state.health.status].text()
    if state.health.message:
        health_line.append(f"  {state.health.message}", style="default")
    table.add_row("Health", health_line)
    for resource in state.resources:  # the resources that make the app unhealthy, with their reasons
        if resource.health and resource.health.status in (HealthStatus.DEGRADED, HealthStatus.MISSING):
            line = glyphs.HEALTH[resource.health.status].text()
            why = resource.health.message or resource.reason
            # The app's message usually is this resource's: say it once, name the resource.
            line.append(f" {resource.key}" + (f": {why}" if why and why != state.health.message else ""),
                        style="default")
            table.add_row("", line)
    target = spec.source.target_revision
    if state.revision is not None:
        rev = state.revision
        table.add_row("Target", Text.assemble((f"{target} → {rev.short_sha}", "bold"), f"  {rev.subject}"))
        table.add_row("", Text(f"{rev.author}, {date_time(rev.date, now.tzinfo)} ({ago(rev.date, now)})",
                               style="dim"))
    else:
        table.add_row("Target", Text(f"{target} (not resolved yet)", style=glyphs.CAUTION.style))
    if activity is not None:
        table.add_row("Last sync", _operation_text(activity, now))
        table.add_row("Auto-sync", _auto_sync_text(state, activity))
    table.add_row("Source", f"{spec.source.repo_url}  path {spec.source.path}")
    dest = spec.destination
    table.add_row("Destination", f"{dest.name or dest.server or '(default)'}  namespace {dest.namespace or '—'}")
    table.add_row("Project", spec.project)
    if state.compared_at is not None:
        table.add_row("Compared", Text(ago(state.compared_at, now), style="dim"))
    return Group(Text(state.name, style="bold underline"), table)


def _operation_text(activity: AppActivity, now: datetime) -> Text:
    op = activity.operation
    if op is None:
        return Text("none in this session", style="dim")
    text = glyphs.OPERATION[op.phase].text()
    rev = op.revision[:7] or "?"
    when = ago(op.finished_at or op.started_at, now)
    text.append(f"  {op.kind} to {rev} by {op.initiated_by}, {when}", style="default")
    if op.dry_run:
        text.append(" (dry run)", style="dim")
    if op.message and op.phase is not OperationPhase.SUCCEEDED:
        text.append(f"\n{op.message}", style="default")
    return text


def _auto_sync_text(state: AppState, activity: AppActivity) -> Text:
    policy = state.spec.sync_policy
    glyph = glyphs.auto_sync_glyph(policy.automated, policy.self_heal, activity.auto_sync)
    text = glyph.text()
    if policy.automated:
        text.append(f"  prune {'on' if policy.prune else 'off'}, self-heal {'on' if policy.self_heal else 'off'}",
                    style="default")
    if activity.auto_sync_note:
        text.append(f"\n{activity.auto_sync_note}", style=glyphs.CAUTION.style if policy.automated else "dim")
    if policy.automated and not activity.auto_sync:
        text.append("\npress a to resume", style="dim")
    return text


def resource_details(state: AppState, key: ResourceKey) -> RenderableType:
    resource = next((r for r in state.resources if r.key == key), None)
    if resource is None:
        return Text(f"{key} is no longer part of {state.name}.", style="dim")
    table = _fields()
    sync = glyphs.SYNC[resource.sync].text()
    if resource.reason:
        sync.append(f"  {resource.reason}", style="default")
    table.add_row("Sync", sync)
    health = glyphs.health_glyph(resource.health.status if resource.health else None).text()
    if resource.health is None:
        health = Text("· no health check for this kind", style="dim")
    elif resource.health.message:
        health.append(f"  {resource.health.message}", style="default")
    table.add_row("Health", health)
    if resource.requires_pruning:
        table.add_row("Prune", Text("✂ not in Git any more: a sync with prune (S) deletes it",
                                    style=glyphs.CAUTION.style))
    if resource.hook:
        table.add_row("Hook", "⚓ a sync hook (runs during sync, not compared)")
    table.add_row("In Git", "yes" if resource.in_git else Text("no", style=glyphs.CAUTION.style))
    table.add_row("In cluster", "yes" if resource.in_cluster else Text("no", style=glyphs.CAUTION.style))
    table.add_row("Kind", f"{key.kind}.{key.group}" if key.group else key.kind)
    table.add_row("Namespace", key.namespace or "(cluster-scoped)")
    table.add_row("App", state.name)
    return Group(Text(f"{key.kind} {key.name}", style="bold underline"), table)
