"""What a sync would do, asked before it runs (the console's sync dialog): a `SyncPlan`, computed without a write.

The plan is `plan_sync` over the same inputs the executor uses (the rendered desired objects, the cached
live ones the app tracks) with the request's options, so the waves, hooks and prunes shown are the ones the
sync will walk. Where the executor compares locally, the preview uses the reconciler's last verdicts per
resource, which come from the server's dry-run prediction when it is on: "configure" then means the server
expects a change, "synced: applied again, no change expected" that it does not. No dry-run sync is started
for it: that would take the app's one operation slot and record an operation and events for a mere look.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from gitops_tui.engine.diff import ResourceDiff
from gitops_tui.engine.operations import SyncRequest
from gitops_tui.engine.sync_plan import SyncOptions, SyncPlan, plan_sync
from gitops_tui.model import AppSpec, AppState, ResourceKey


def request_options(app: AppSpec, request: SyncRequest, *, rollback: bool = False) -> SyncOptions:
    """The plan options a request means, as engine/sync.py's `sync_options` derives them for a job."""
    base = SyncOptions.from_app(app, automated=request.initiated_by == "automated")
    return dataclasses.replace(
        base,
        prune=request.prune,
        dry_run=request.dry_run,
        force=request.force or request.self_heal,
        apply_out_of_sync_only=base.apply_out_of_sync_only or request.apply_out_of_sync_only,
        resources=request.resources,
        skip_hooks=rollback,
    )


def preview_plan(
    state: AppState, desired: list[dict[str, Any]], live: Mapping[ResourceKey, Mapping[str, Any]], request: SyncRequest
) -> SyncPlan:
    """Pure: the plan for `request` given the app's last compared state and its desired and live objects."""
    verdicts = {r.key: ResourceDiff(r.key, r.sync, r.reason) for r in state.resources if r.in_git and r.in_cluster}
    diffs = verdicts if verdicts else None  # never compared yet: let the planner compare locally
    return plan_sync(state.spec, desired, live, diffs, request_options(state.spec, request))
