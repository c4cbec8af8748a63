"""What rolling back to a revision would change in the cluster: the rollback dialog's diff.

The revision is rendered the way a rollback renders it (`OperationsRunner.desired_at`, the same path
`rollback` syncs from), then every resource is compared with what is live now, so the diff shows what
the rollback would write, not what differs between two commits. Hooks are left out (a rollback runs
none). Secret values are masked by `compare_resource`, as in every other diff.

Moving the cursor through the history asks for one revision after another, and back again: renders are
kept per (app, revision) and finished diffs per (app, revision, live resourceVersions), so the second
visit to an entry costs a dictionary lookup while nothing changed in the cluster.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Generic, TypeVar

from gitops_tui.cluster.store import CachedObject
from gitops_tui.engine.app_worker import AppWorker, Pools, run_in
from gitops_tui.engine.desired import DesiredItem, DesiredSet
from gitops_tui.engine.diff import EXTRANEOUS, ResourceDiff, compare_resource
from gitops_tui.engine.health import is_hook
from gitops_tui.engine.live_compare import Prediction
from gitops_tui.engine.operations import ReconcilerError
from gitops_tui.model import AppSpec, ResourceKey, SyncStatus

if TYPE_CHECKING:
    from gitops_tui.engine.operations_runner import OperationsRunner

NOT_IN_REVISION = "not in this revision (stays: a rollback prunes nothing)"
RENDERS_KEPT = 8
DIFFS_KEPT = 16

V = TypeVar("V")


class _Lru(Generic[V]):
    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[Hashable, V] = OrderedDict()

    def get(self, key: Hashable) -> V | None:
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
        return found

    def put(self, key: Hashable, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self._size:
            self._items.popitem(last=False)


LiveEntries = Mapping[ResourceKey, CachedObject]


class RevisionDiffs:
    """The reconciler's cache of rendered revisions and their diffs against the live cluster."""

    def __init__(self) -> None:
        self._renders: _Lru[DesiredSet] = _Lru(RENDERS_KEPT)
        self._diffs: _Lru[list[ResourceDiff]] = _Lru(DIFFS_KEPT)

    async def of(
        self, worker: AppWorker, revision: str, ops: OperationsRunner, pools: Pools | None
    ) -> list[ResourceDiff]:
        """`Reconciler.revision_diff`: the revision rendered on the git pool by the very path a rollback syncs
        from, compared on the compute pool, against the app's live objects in the watch cache."""
        app, runtime = worker.name, worker.runtime
        if runtime is None or pools is None:
            raise ReconcilerError(worker.destination_error or f"{app}: no cluster to compare with yet")

        async def render() -> DesiredSet:
            try:
                return await ops.desired_at(worker, revision)
            except ReconcilerError as exc:
                raise ReconcilerError(f"{app}: cannot render revision {revision[:7]}: {exc.message}") from exc

        def live(keys: frozenset[ResourceKey]) -> dict[ResourceKey, CachedObject]:
            store = runtime.cache.store
            return {key: found for key in keys | store.keys_by_app(app) if (found := store.entry(key)) is not None}

        compute = pools.compute
        return await self.diff(
            worker.spec, revision, render, live, lambda work: run_in(compute, work), worker.comparer.prediction_for
        )

    async def diff(
        self,
        app: AppSpec,
        revision: str,
        render: Callable[[], Awaitable[DesiredSet]],
        live_entries: Callable[[frozenset[ResourceKey]], LiveEntries],
        compute: Callable[[Callable[[], list[ResourceDiff]]], Awaitable[list[ResourceDiff]]],
        prediction_for: Callable[[ResourceKey], Prediction | None] = lambda _key: None,
    ) -> list[ResourceDiff]:
        """`render` renders the revision (on the git pool); `live_entries` reads the cache for the keys (the
        loop); `compute` runs the comparison off the loop; `prediction_for` is the compare's cached server
        prediction of a key. Errors of `render` pass through unchanged."""
        desired = self._renders.get((app.name, revision))
        if desired is None:
            desired = await render()
            self._renders.put((app.name, revision), desired)
        live = live_entries(desired.keys)
        versions = frozenset((key, entry.resource_version) for key, entry in live.items())
        predicted = server_predictions(desired.items, live, prediction_for)
        cache_key = (app.name, desired.revision.sha, versions, frozenset(predicted))
        found = self._diffs.get(cache_key)
        if found is None:
            found = await compute(lambda: changed_resources(app, desired.items, live, predicted))
            self._diffs.put(cache_key, found)
        return list(found)


def server_predictions(
    items: Sequence[DesiredItem], live: LiveEntries, prediction_for: Callable[[ResourceKey], Prediction | None]
) -> dict[ResourceKey, bytes]:
    """The server's predictions that still hold for these very objects: a resource the revision has exactly
    as Git has it now, against the same live version. The diff then agrees with the main diff pane (and
    with what the server would make of the apply); other resources are predicted locally."""
    usable: dict[ResourceKey, bytes] = {}
    for item in items:
        prediction, entry = prediction_for(item.key), live.get(item.key)
        if prediction is None or entry is None or prediction.raw is None or prediction.error:
            continue
        if (prediction.digest, prediction.version) == (item.digest, entry.resource_version):
            usable[item.key] = prediction.raw
    return usable


def changed_resources(
    app: AppSpec, items: Sequence[DesiredItem], live: LiveEntries, predicted: Mapping[ResourceKey, bytes] | None = None
) -> list[ResourceDiff]:
    """Every resource the revision would change (desired against live, through the server's prediction where
    one holds), then the live resources it does not have (NOT_IN_REVISION: a rollback leaves them; it prunes
    only when asked)."""
    diffs: list[ResourceDiff] = []
    desired_keys = set()
    for item in sorted(items, key=lambda i: _order(i.key)):
        desired_keys.add(item.key)
        if item.hook:
            continue
        entry = live.get(item.key)
        raw = predicted.get(item.key) if predicted else None
        diff = compare_resource(
            item.key,
            item.obj,
            entry.parse() if entry is not None else None,
            predicted=json.loads(raw) if raw is not None else None,
            ignore=app.ignore_differences,
        )
        if diff.status is not SyncStatus.SYNCED:
            diffs.append(diff)
    for key in sorted((k for k in live if k not in desired_keys), key=_order):
        obj = live[key].parse()
        if is_hook(obj):  # hooks of past syncs: a rollback neither runs nor removes them
            continue
        diff = compare_resource(key, None, obj, ignore=app.ignore_differences)
        if diff.reason == EXTRANEOUS:
            diffs.append(replace(diff, reason=NOT_IN_REVISION))
    return diffs


def _order(key: ResourceKey) -> tuple[str, str, str, str]:
    return (key.kind, key.namespace, key.name, key.group)
