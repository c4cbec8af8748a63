"""Details of the selection: an app (source, destination, revisions, status with messages, auto-sync, the
running operation with per-resource progress), one resource (sync, health, reason, where it lives), or one
of its children (a ReplicaSet, a Pod: health with its reason, owner, recent events).

The first lines answer "what is wrong" (or "what is happening"): a running operation, errors and unhealthy
messages come before the configuration.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from gitops_tui.engine.resource_tree import TreeNode
from gitops_tui.model import (
    AppActivity,
    AppState,
    Event,
    HealthStatus,
    Operation,
    OperationPhase,
    ResourceKey,
    SyncStatus,
)
from gitops_tui.tui import glyphs
from gitops_tui.tui.widgets.operation_view import Wave, action_glyph, finished_summary, operation_block
from gitops_tui.tui.widgets.scroll_size import set_virtual_size
from gitops_tui.tui.widgets.timefmt import ago, date_time

TICK = 1.0
"""Seconds between redraws while an operation runs (its elapsed time moves)."""
EVENTS_SHOWN = 5


class DetailsHost(Protocol):
    """What the pane reads to describe the selection (the console app)."""

    selection: tuple[str, ResourceKey | None] | None
    operation_waves: dict[str, tuple[Wave, ...]]
    clock: Callable[[], datetime]
    source: Any

    @property
    def tree(self) -> Any: ...
    def _activity(self, app: str) -> AppActivity | None: ...


class DetailsPane(ScrollView, can_focus=True):
    """Scrolls when the details are longer than the pane (long error messages).

    A Line-API view of the rendered details, not a container of a Static: the details of an app under churn
    change several times a second, and a Static whose height changes makes Textual lay the whole screen
    out again (tens of ms beside a big tree). Here new details cost one render of their own lines, and a
    layout pass only when the scrollbar comes or goes (scroll_size.py).
    """

    ALLOW_MAXIMIZE = True  # z zooms it (Textual's scroll containers refuse to be maximized by default)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.content: RenderableType = Text("Select an app.", style="dim")
        """What the pane shows now, as given to `show`."""
        self._strips: list[Strip] = []
        self._strips_for: tuple[int, Style] | None = None
        """The width and base style the strips were rendered at."""

    _host: DetailsHost | None = None
    _ticking = False
    """An operation of the app on show runs: redraw every TICK (its elapsed time moves)."""

    def on_mount(self) -> None:
        self.set_interval(TICK, self._tick)

    def show(self, renderable: RenderableType) -> None:
        self.content = renderable
        self._strips_for = None
        self._fit()
        self.refresh()

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        """Render the content at the pane's width and make the scrollable height its number of lines."""
        width = self.scrollable_content_region.width
        if not width:
            return
        self._render_strips(width)
        set_virtual_size(self, Size(width, len(self._strips)))

    def _render_strips(self, width: int) -> None:
        style = self.rich_style
        if self._strips_for == (width, style):
            return
        self._strips_for = (width, style)
        console = self.app.console
        options = console.options.update(width=width, min_width=width, max_width=width, height=None, highlight=False)
        lines = console.render_lines(self.content, options, style=style, pad=True)
        self._strips = [Strip(line, width) for line in lines]

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if self._strips_for != (width, self.rich_style):  # the scrollbar came or went, a theme changed
            self._render_strips(width)
            self.call_later(self._fit)  # wrapped at the new width, the lines may be more or fewer
        index = round(self.scroll_y) + y
        if index >= len(self._strips):
            return Strip.blank(width, self.rich_style)
        return self._strips[index]

    def show_selection(self, host: DetailsHost) -> None:
        """Describe the host's selection: its app, one of its resources, or a child of one."""
        self._host = host
        self._ticking = False
        self.remove_class("-operation")
        if host.selection is None:
            return
        app, key = host.selection
        state = host.tree.states.get(app)
        if state is None:
            return
        if key is None:
            activity = host._activity(app)
            operation = activity.operation if activity else None
            self._ticking = operation is not None and not operation.phase.completed
            self.set_class(self._ticking, "-operation")  # app.tcss gives a running operation more room
            # The terminate key as the config file may have remapped it (keymap: binding id -> keys).
            key = (getattr(host, "keymap", None) or {}).get("terminate", "ctrl+k").split(",")[0]
            self.show(app_details(state, activity, host.clock(), host.operation_waves.get(app, ()), key))
            return
        operation = host.tree.operations.get(app)
        events = _events_about(host, app, key)
        resource = next((r for r in state.resources if r.key == key), None)
        node = _tree_node(host, app, key) if resource is None else None
        if node is not None:
            self.show(child_details(state, node, events, host.clock()))
        else:
            self.show(resource_details(state, key, events, operation, host.clock()))

    def _tick(self) -> None:
        if self._ticking and self._host is not None and self.is_attached:
            self.show_selection(self._host)


def _tree_node(host: DetailsHost, app: str, key: ResourceKey) -> TreeNode | None:
    for (owner_app, _root), nodes in host.tree.child_view.nodes.items():
        if owner_app == app:
            found = next((n for n in nodes if n.key == key), None)
            if found is not None:
                return found
    return None


def _events_about(host: DetailsHost, app: str, key: ResourceKey) -> list[Event]:
    """The app's recent console events that name this object (its kind and name, as health messages do)."""
    reader = getattr(host.source, "events", None)
    if reader is None:
        return []
    try:
        events: list[Event] = reader(0, app)
    except Exception:  # an app the reconciler no longer knows: no events to show
        return []
    return [e for e in events if key.name in e.message and key.kind in e.message][-EVENTS_SHOWN:]


def _fields() -> Table:
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    return table


def app_details(
    state: AppState,
    activity: AppActivity | None,
    now: datetime,
    waves: Sequence[Wave] = (),
    terminate_key: str = "ctrl+k",
) -> RenderableType:
    spec = state.spec
    table = _fields()
    operation = activity.operation if activity is not None else None
    running = operation if operation is not None and not operation.phase.completed else None
    # What is happening now comes before everything else (as its own block: it has lines of its own).
    block = operation_block(running, now, waves, terminate_key=terminate_key) if running is not None else None
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
            line.append(
                f" {resource.key}" + (f": {why}" if why and why != state.health.message else ""), style="default"
            )
            table.add_row("", line)
    target = spec.source.target_revision
    if state.revision is not None:
        rev = state.revision
        table.add_row("Target", Text.assemble((f"{target} → {rev.short_sha}", "bold"), f"  {rev.subject}"))
        table.add_row("", Text(f"{rev.author}, {date_time(rev.date, now.tzinfo)} ({ago(rev.date, now)})", style="dim"))
    else:
        table.add_row("Target", Text(f"{target} (not resolved yet)", style=glyphs.CAUTION.style))
    if activity is not None and running is None:
        table.add_row("Last sync", _operation_text(activity, now))
        summary = finished_summary(activity.operation) if activity.operation is not None else None
        if summary is not None:
            table.add_row("", summary)
    if activity is not None:
        table.add_row("Auto-sync", _auto_sync_text(state, activity))
    table.add_row("Source", f"{spec.source.repo_url}  path {spec.source.path}")
    dest = spec.destination
    table.add_row("Destination", f"{dest.name or dest.server or '(default)'}  namespace {dest.namespace or '—'}")
    table.add_row("Project", spec.project)
    if state.compared_at is not None:
        table.add_row("Compared", Text(ago(state.compared_at, now), style="dim"))
    title = Text(state.name, style="bold underline")
    if block is None:
        return Group(title, table)
    return Group(title, Text("Operation", style="bold"), Padding(block, (0, 0, 1, 2)), table)


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
    glyph = glyphs.auto_sync_glyph(policy.automated, policy.self_heal, activity.auto_sync, activity.auto_sync_by)
    text = glyph.text()
    if policy.automated:
        text.append(
            f"  prune {'on' if policy.prune else 'off'}, self-heal {'on' if policy.self_heal else 'off'}",
            style="default",
        )
    if activity.auto_sync_note:
        text.append(f"\n{activity.auto_sync_note}", style=glyphs.CAUTION.style if policy.automated else "dim")
    if policy.automated and not activity.auto_sync and not activity.auto_sync_by:  # not paused: run elsewhere
        text.append("\npress a to resume", style="dim")
    return text


def resource_details(
    state: AppState,
    key: ResourceKey,
    events: Sequence[Event] = (),
    operation: Operation | None = None,
    now: datetime | None = None,
) -> RenderableType:
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
        table.add_row(
            "Prune", Text("✂ not in Git any more: a sync with prune (S) deletes it", style=glyphs.CAUTION.style)
        )
    if resource.hook:
        table.add_row("Hook", "⚓ a sync hook (runs during sync, not compared)")
    table.add_row("In Git", "yes" if resource.in_git else Text("no", style=glyphs.CAUTION.style))
    table.add_row("In cluster", "yes" if resource.in_cluster else Text("no", style=glyphs.CAUTION.style))
    table.add_row("Kind", f"{key.kind}.{key.group}" if key.group else key.kind)
    table.add_row("Namespace", key.namespace or "(cluster-scoped)")
    table.add_row("App", state.name)
    if operation is not None:
        _add_operation_result(table, operation, key)
    _add_events(table, events, now)
    return Group(Text(f"{key.kind} {key.name}", style="bold underline"), table)


def _add_operation_result(table: Table, operation: Operation, key: ResourceKey) -> None:
    result = next((r for r in reversed(operation.results) if r.key == key), None)
    text = glyphs.OPERATION[operation.phase].text()
    text.append(f"  {operation.kind} #{operation.id}: ", style="default")
    if result is None:
        text.append("not reached yet", style="dim")
    else:
        glyph = action_glyph(result.action)
        text.append(f"{glyph.symbol} {glyph.word}", style=glyph.style)
        if result.message and result.message != glyph.word:
            text.append(f"  {result.message}", style="default")
    table.add_row("Sync now", text)


def _add_events(table: Table, events: Sequence[Event], now: datetime | None) -> None:
    for index, event in enumerate(events):
        glyph = glyphs.SEVERITY[event.severity]
        line = Text(f"{glyph.symbol} ", style=glyph.style)
        if now is not None:
            line.append(f"{ago(event.at, now)}  ", style="dim")
        line.append(event.message)
        table.add_row("Events" if index == 0 else "", line)


def child_details(state: AppState, node: TreeNode, events: Sequence[Event], now: datetime) -> RenderableType:
    """A ReplicaSet, Pod or Job a controller made: its health and why, what it belongs to, its events."""
    key = node.key
    table = _fields()
    health = glyphs.health_glyph(node.health.status if node.health else None).text()
    if node.health is not None and node.health.message:
        health.append(f"  {node.health.message}", style="default")
    table.add_row("Health", health)
    if node.facts:
        table.add_row("Status", node.facts)
    if node.retired:
        table.add_row("", Text("an old ReplicaSet scaled to 0: rollout history, kept for rollbacks", style="dim"))
    table.add_row("Owner", str(node.parent))
    table.add_row("Namespace", key.namespace or "(cluster-scoped)")
    table.add_row("App", Text(f"{state.name} (made by a controller: not in Git, not synced)", style="default"))
    _add_events(table, events, now)
    return Group(Text(f"{key.kind} {key.name}", style="bold underline"), table)
