"""What the console needs of the reconciler, and the messages that carry its news into the app."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol

from textual.message import Message

from gitops_tui.engine.diff import ResourceDiff
from gitops_tui.engine.reconciler import SyncRequest
from gitops_tui.engine.resource_tree import TreeNode
from gitops_tui.engine.sync_plan_model import SyncPlan
from gitops_tui.model import (
    AppActivity,
    AppState,
    Changes,
    ClusterFreshness,
    Event,
    HistoryEntry,
    Operation,
    ResourceKey,
)


class ConsoleSource(Protocol):
    """What the console needs of the reconciler (its public API, DESIGN.md)."""

    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    def snapshot(self) -> Mapping[str, AppState]: ...
    def subscribe(self, callback: Callable[[Changes], None] | None = None) -> Any: ...
    def events(self, since: int = 0, app: str | None = None) -> list[Event]: ...
    def freshness(self) -> list[ClusterFreshness]: ...
    def activity(self, app: str) -> AppActivity: ...
    async def diff(self, app: str, key: ResourceKey) -> ResourceDiff | None: ...
    async def history(self, app: str) -> Sequence[HistoryEntry]: ...
    async def revision_diff(self, app: str, revision: str) -> list[ResourceDiff]: ...
    def refresh(self, app: str, hard: bool = False) -> Awaitable[AppState]: ...
    async def sync(self, app: str, request: SyncRequest | None = None) -> Operation: ...
    async def rollback(self, app: str, history_id: int) -> Operation: ...
    def set_auto_sync(self, app: str, enabled: bool) -> None: ...
    def resource_tree(self, app: str, key: ResourceKey) -> list[TreeNode]: ...
    async def plan(self, app: str, request: SyncRequest | None = None) -> SyncPlan: ...
    def terminate(self, app: str) -> Operation | None: ...


class ReconcilerChanged(Message):
    def __init__(self, changes: Changes) -> None:
        super().__init__()
        self.changes = changes


class DiffLoaded(Message):
    def __init__(
        self, selection: tuple[str, ResourceKey | None], diffs: list[ResourceDiff], note: str, keep_scroll: bool = False
    ) -> None:
        super().__init__()
        self.keep_scroll = keep_scroll
        self.selection = selection
        self.diffs = diffs
        self.note = note
