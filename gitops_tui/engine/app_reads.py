"""What the UI asks of one app that takes a computation: the sync plan it would run, one resource's diff.

Both run on the compute threads (a plan or a diff of big objects takes milliseconds) and read only what
the app's worker holds: its rendered objects, its cluster's cache and the server predictions it keeps.
"""

from __future__ import annotations

from gitops_tui.engine.app_worker import AppWorker, Pools, run_in
from gitops_tui.engine.diff import ResourceDiff
from gitops_tui.engine.live_compare import diff_resource
from gitops_tui.engine.operations import ReconcilerError, SyncRequest
from gitops_tui.engine.sync_plan import SyncPlan
from gitops_tui.engine.sync_preview import preview_plan
from gitops_tui.model import ResourceKey


async def preview_sync(worker: AppWorker, pools: Pools | None, request: SyncRequest) -> SyncPlan:
    """What a sync of the app with `request` would do now; writes nothing."""
    app = worker.name
    if worker.desired is None or worker.runtime is None or pools is None:
        raise ReconcilerError(worker.source_error or worker.destination_error or f"{app}: not compared yet")
    cache = worker.runtime.cache
    keys = worker.desired.keys | cache.store.keys_by_app(app)
    live = {key: obj for key in keys if (obj := cache.get(key)) is not None}
    desired = [item.obj for item in worker.desired.items]
    return await run_in(pools.compute, preview_plan, worker.state, desired, live, request)


async def view_diff(worker: AppWorker, pools: Pools | None, key: ResourceKey) -> ResourceDiff | None:
    """One resource's diff (desired against predicted live); None when neither side knows it."""
    item = worker.desired.by_key().get(key) if worker.desired is not None else None
    live = worker.runtime.cache.get(key) if worker.runtime is not None else None
    if (item is None and live is None) or pools is None:
        return None
    prediction = worker.comparer.prediction_for(key)
    version = str(((live or {}).get("metadata") or {}).get("resourceVersion") or "")
    if prediction is not None and (item is None or (prediction.digest, prediction.version) != (item.digest, version)):
        prediction = None  # made for another version of either side: predict locally instead
    return await run_in(pools.compute, diff_resource, worker.spec, item, live, prediction)
