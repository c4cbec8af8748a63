"""What a sync would do, asked before it runs (the console's sync dialog): a `SyncPlan`, computed without a write.

The plan is `plan_sync` over the same inputs the executor uses (the rendered desired objects, the cached
live ones the app tracks) with the request's options, so the waves, hooks and prunes shown are the ones the
sync will walk. Where the executor compares locally, the preview uses the reconciler's last verdicts per
resource, which come from the server's dry-run prediction when it is on: "configure" then means the server
expects a change, "synced: applied again, no change expected" that it does not. No dry-run sync is started
for it: that would take the app's one operation slot and record an operation and events for a mere look.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gitops_tui.engine.diff import ResourceDiff
from gitops_tui.engine.operations import SyncRequest
from gitops_tui.engine.sync import request_options
from gitops_tui.engine.sync_plan import SyncPlan, plan_sync
from gitops_tui.model import AppState, ResourceKey


def preview_plan(
    state: AppState, desired: list[dict[str, Any]], live: Mapping[ResourceKey, Mapping[str, Any]], request: SyncRequest
) -> SyncPlan:
    """Pure: the plan for `request` given the app's last compared state and its desired and live objects."""
    verdicts = {r.key: ResourceDiff(r.key, r.sync, r.reason) for r in state.resources if r.in_git and r.in_cluster}
    diffs = verdicts if verdicts else None  # never compared yet: let the planner compare locally
    return plan_sync(state.spec, desired, live, diffs, request_options(state.spec, request))
