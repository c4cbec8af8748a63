"""Where each app's rows lie in the tree, so that a batch of changed apps is patched into the rows in place.

Under churn (a hundred live changes a second) nearly every batch changes apps whose rows keep their place:
same position in the sort order, same rows (an app row, and its kinds and resources when expanded), only
their states differ. Rebuilding, sorting and filtering all 1,000 apps for that is most of what the console
spent per batch; `patch` instead rebuilds the changed apps' own rows and swaps them in. Anything that
would move or add or hide a row answers None, and the tree builds every row again (tree_rows.build_rows).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from gitops_tui.model import AppState, SyncStatus
from gitops_tui.tui.widgets.tree_children import ChildrenView
from gitops_tui.tui.widgets.tree_rows import SORT_KEYS, RowFilter, RowKind, SortOrder, TreeRow, build_rows


class AppSpans:
    """Each shown app's rows as (first index, end index) in the tree's row list."""

    def __init__(self) -> None:
        self.spans: dict[str, tuple[int, int]] = {}

    def index(self, rows: Sequence[TreeRow]) -> None:
        """Learn the spans again after the rows were built from scratch."""
        self.spans = {}
        start, app = 0, ""
        for position, row in enumerate(rows):
            if row.kind is RowKind.APP:
                if app:
                    self.spans[app] = (start, position)
                start, app = position, row.app
        if app:
            self.spans[app] = (start, len(rows))

    def patch(
        self,
        rows: list[TreeRow],
        changed: Mapping[str, AppState],
        before: Mapping[str, AppState | None],
        order: SortOrder,
        row_filter: RowFilter,
        expanded: set[str],
        collapsed_groups: set[tuple[str, str]],
        children: ChildrenView,
    ) -> bool:
        """Put the changed apps' new rows in place of their old ones; False (rows untouched) when a row would
        move, appear or vanish, or when a changed app shows child objects (their facts size a column)."""
        sort_key = SORT_KEYS[order]
        patches: list[tuple[int, list[TreeRow]]] = []
        for name, state in changed.items():
            old = before.get(name)
            if old is None:
                return False  # a new app: it takes a place of its own
            block = build_rows({name: state}, order, row_filter, expanded, collapsed_groups, children)
            span = self.spans.get(name)
            if span is None:
                if block:
                    return False  # the filter shows it now
                continue  # hidden by the filter before and after
            start, end = span
            if sort_key(old) != sort_key(state) or len(block) != end - start:
                return False
            if any(row.kind is RowKind.CHILD for row in block):
                return False
            if any(new.identity != was.identity for new, was in zip(block, rows[start:end], strict=True)):
                return False
            patches.append((start, block))
        for start, block in patches:
            rows[start : start + len(block)] = block
        return True


class DriftCounts:
    """How many apps are OutOfSync and how many are not healthy, kept up to date change by change."""

    def __init__(self) -> None:
        self.out_of_sync = 0
        self.unhealthy = 0

    def recount(self, states: Mapping[str, AppState]) -> None:
        self.out_of_sync = sum(s.sync is SyncStatus.OUT_OF_SYNC for s in states.values())
        self.unhealthy = sum(s.health.status.severity > 0 for s in states.values())

    def replace(self, old: AppState | None, new: AppState | None) -> None:
        for state, sign in ((old, -1), (new, 1)):
            if state is not None:
                self.out_of_sync += sign * (state.sync is SyncStatus.OUT_OF_SYNC)
                self.unhealthy += sign * (state.health.status.severity > 0)
