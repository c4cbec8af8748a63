"""Incremental comparison of one app: only resources whose desired digest or live resourceVersion changed
are compared again; the rest keep their last verdict. A steady-state pass reads no object and calls no API.

The steps, split by where they may run:

- `plan` (the loop, cheap): which keys changed since the last pass, by (digest, resourceVersion);
- `wanted_predictions` (the loop) lists the server dry-runs the cache cannot answer; `predict` (a thread)
  asks the server, and its answers are kept by (digest, resourceVersion), so a steady state costs nothing;
- `compute` (a thread): parse the changed live objects and run `compare_app` on them alone;
- `assemble` (the loop): merge the new verdicts with the remembered ones into an `AppState`.

The app's sync and health come from `app_sync_status` and `aggregate_health`, as `compare_app` computes
them, so the console and `gitops-tui status` agree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from gitops_tui.cluster import json_codec
from gitops_tui.cluster.cache import LiveCache
from gitops_tui.cluster.client import ClusterClient
from gitops_tui.cluster.errors import ClusterError, ConnectionFailedError, ForbiddenError, InvalidError
from gitops_tui.cluster.store import CachedObject, ObjectStore
from gitops_tui.engine.app_compare import DesiredObject, app_sync_status, compare_app
from gitops_tui.engine.desired import DesiredItem, DesiredSet
from gitops_tui.engine.diff import ResourceDiff, compare_resource
from gitops_tui.engine.health import aggregate_flagged_health, assess_health, health_flags
from gitops_tui.engine.known_missing import missing_checker, read_unless_known_missing
from gitops_tui.engine.prediction_carry import carried_prediction
from gitops_tui.model import AppSpec, AppState, Health, ResourceKey, ResourceState, SyncStatus


@dataclass(frozen=True, slots=True)
class Prediction:
    digest: int
    version: str
    raw: bytes | None
    """The server's predicted object as JSON; None when the server gave none (compare locally)."""
    error: str = ""
    """The server refused the object (invalid): the resource is Unknown with this reason."""


@dataclass(slots=True)
class _Verdict:
    item: DesiredItem | None
    entry: CachedObject | None
    """What the verdict was reached on. The store replaces an entry whenever the object changes, so the
    same entry object (identity, the cheapest test there is) means the same live object."""
    state: ResourceState | None
    """None for a live hook Git does not have: hooks come and go with syncs and are not shown."""
    hook: bool
    ignores_health: bool
    """What `aggregate_health` reads of the object's annotations, read once when the verdict is reached."""


@dataclass(frozen=True, slots=True)
class Pending:
    key: ResourceKey
    item: DesiredItem | None
    live: CachedObject | None
    prediction: Prediction | None = None


@dataclass
class ComparePlan:
    desired: DesiredSet
    keys: frozenset[ResourceKey]
    """Every key of the app now: desired, plus live objects tracked as the app's."""
    changed: list[Pending]
    computed: dict[ResourceKey, _Verdict] = field(default_factory=dict)


class IncrementalComparer:
    def __init__(self, app: AppSpec) -> None:
        self.app = app
        self._verdicts: dict[ResourceKey, _Verdict] = {}
        self._predictions: dict[ResourceKey, Prediction] = {}
        self._order: list[ResourceKey] = []
        """The verdicts' keys sorted, as the app state lists its resources: sorted again only when keys come or go."""

    def forget(self) -> None:
        """Compare everything again at the next pass (a hard refresh); server predictions stay valid."""
        self._verdicts.clear()

    # ---- the loop -----------------------------------------------------------------------------------

    def plan(self, desired: DesiredSet, store: ObjectStore, previous: AppState | None) -> ComparePlan | None:
        """What changed since the last pass; None when nothing did and `previous` still stands.

        The hot path of a steady state: one store lookup and two comparisons per resource, no parsing.
        """
        verdicts = self._verdicts
        entry_of = store.entry
        changed: list[Pending] = []
        for item in desired.items:
            entry = entry_of(item.key)
            verdict = verdicts.get(item.key)
            if verdict is None or not (verdict.entry is entry or _same_version(verdict.entry, entry)):
                changed.append(Pending(item.key, item, entry))
            elif verdict.item is not item:
                if verdict.item is None or verdict.item.digest != item.digest:
                    changed.append(Pending(item.key, item, entry))
                else:
                    verdict.item = item  # rendered again, unchanged: identity serves the next pass
            elif verdict.entry is not entry:
                verdict.entry = entry
        extra = store.keys_by_app(self.app.name)
        extra.difference_update(desired.keys)  # tracked, but no longer (or never) in Git
        for key in extra:
            entry = entry_of(key)
            verdict = verdicts.get(key)
            if (
                verdict is None
                or verdict.item is not None
                or not (verdict.entry is entry or _same_version(verdict.entry, entry))
            ):
                changed.append(Pending(key, None, entry))
        # With nothing changed every current key has its verdict, so any verdict more is of a key now gone.
        gone = len(verdicts) != len(desired.items) + len(extra)
        if (
            not changed
            and not gone
            and previous is not None
            and not previous.error
            and previous.revision == desired.revision
        ):
            return None
        keys = desired.keys | extra
        return ComparePlan(desired, keys, changed)

    def wanted_predictions(self, plan: ComparePlan, cache: LiveCache | None = None) -> list[Pending]:
        """Changed resources in Git whose server answer is not cached (a prediction where the object is live,
        a read probe where it is not); the cached ones are attached to the plan. With the app's `cache`, an
        object it does not hold is known missing without a probe where the cache can tell (known_missing.py)."""
        wanted = []
        known_missing: Callable[[ResourceKey], bool] | None = None
        for index, pending in enumerate(plan.changed):
            item, live = pending.item, pending.live
            if item is None or item.hook or item.error:
                continue
            cached = self._predictions.get(pending.key)
            version = live.resource_version if live is not None else ""
            if cached is not None and cached.digest == item.digest:
                if cached.version != version and live is not None:
                    cached = _carried_over(cached, live, item.obj)
                    if cached is not None:
                        self._predictions[pending.key] = cached
                if cached is not None:
                    plan.changed[index] = Pending(pending.key, item, live, cached)
                    continue
            if live is None and cache is not None:
                known_missing = known_missing or missing_checker(cache)
                if known_missing(pending.key):
                    found = self._predictions[pending.key] = Prediction(item.digest, "", None)
                    plan.changed[index] = Pending(pending.key, item, None, found)
                    continue
            wanted.append(pending)
        return wanted

    def remember_predictions(self, plan: ComparePlan, predictions: Mapping[ResourceKey, Prediction]) -> None:
        for index, pending in enumerate(plan.changed):
            found = predictions.get(pending.key)
            if found is not None:
                self._predictions[pending.key] = found
                plan.changed[index] = Pending(pending.key, pending.item, pending.live, found)

    def assemble(self, plan: ComparePlan, now: datetime | None = None) -> AppState:
        verdicts = self._verdicts
        gone = verdicts.keys() - plan.keys
        for key in gone:
            del verdicts[key]
            self._predictions.pop(key, None)
        arrived = not verdicts.keys() >= plan.computed.keys()
        verdicts.update(plan.computed)
        if gone or arrived:
            self._order = sorted(verdicts)
        states: list[ResourceState] = []
        health: list[tuple[ResourceKey, Health | None, bool, bool]] = []
        for key in self._order:
            verdict = verdicts[key]
            state = verdict.state
            if state is not None:
                states.append(state)
                health.append((key, state.health, verdict.hook, verdict.ignores_health))
        return AppState(
            spec=self.app,
            sync=app_sync_status(states),
            health=aggregate_flagged_health(health),
            revision=plan.desired.revision,
            resources=tuple(states),
            compared_at=now or datetime.now(UTC),
        )

    def prediction_for(self, key: ResourceKey) -> Prediction | None:
        return self._predictions.get(key)

    def remember_written(self, key: ResourceKey, digest: int, written: Mapping[str, Any]) -> None:
        """A sync's server-side apply of the desired object with `digest` returned `written`. Applying the same
        object again (the dry-run a compare makes) would predict exactly that, so the compare after a sync
        needs no request for it until the object changes again."""
        version = str((written.get("metadata") or {}).get("resourceVersion") or "")
        if version:
            self._predictions[key] = Prediction(digest, version, json_codec.dumps(written))

    # ---- threads ------------------------------------------------------------------------------------

    def compute(self, plan: ComparePlan) -> ComparePlan:
        """Compare the changed resources (CPU-bound, no shared state written): compare_pass runs it on the
        compute threads unless the plan is one or two small objects (app_worker.INLINE_COMPARE)."""
        desired: list[DesiredObject] = []
        live: dict[ResourceKey, dict[str, Any]] = {}
        predicted: dict[ResourceKey, Any] = {}
        errors: dict[ResourceKey, str] = {}
        for pending in plan.changed:
            if _applies_as_is(pending):
                assert pending.live is not None
                shown = pending.live.parse()
                hook, ignores_health = health_flags(shown)
                state = ResourceState(pending.key, SyncStatus.SYNCED, assess_health(shown))
                plan.computed[pending.key] = _Verdict(pending.item, pending.live, state, hook, ignores_health)
                continue
            if pending.item is not None:
                desired.append(pending.item.as_desired_object())
                if pending.item.error:
                    errors[pending.key] = pending.item.error
            if pending.live is not None:
                live[pending.key] = pending.live.parse()
            prediction = pending.prediction
            if prediction is not None and prediction.error:
                errors[pending.key] = prediction.error
            elif prediction is not None and prediction.raw is not None:
                predicted[pending.key] = json_codec.loads(prediction.raw)
        if not desired and not live:
            return plan  # every change was an object the server predicts as it is
        result = compare_app(
            self.app, desired, live, revision=plan.desired.revision, predicted=predicted, resource_errors=errors
        )
        states = {state.key: state for state in result.state.resources}
        desired_by_key = {d.key: d.obj for d in desired}
        for pending in plan.changed:
            key = pending.key
            if key in plan.computed:
                continue
            state = states.get(key)
            hook, ignores_health = health_flags(live.get(key) or desired_by_key.get(key))
            plan.computed[key] = _Verdict(pending.item, pending.live, state, hook, ignores_health)
        return plan


def _applies_as_is(pending: Pending) -> bool:
    """The server predicts the live object exactly as it is (the usual news: only its status moved): Synced,
    with no comparison to make; the state is what `compare_app` would give it."""
    item, live, prediction = pending.item, pending.live, pending.prediction
    return (
        item is not None
        and live is not None
        and prediction is not None
        and not item.hook
        and not item.error
        and not prediction.error
        and prediction.raw is not None
        and prediction.raw == live.raw
    )


def predict(client: ClusterClient, app: AppSpec, item: DesiredItem, live: CachedObject | None) -> Prediction:
    """The server's dry-run apply of one desired object (blocking). Raises ConnectionFailedError only.

    For an object the cache does not hold, a read instead: "missing" is only true where the console may look.
    A forbidden namespace (or kind) makes the resource Unknown, saying so, rather than Missing.
    """
    if live is None:
        try:
            read_unless_known_missing(client, item.key)
        except ForbiddenError as exc:
            return Prediction(item.digest, "", None, f"cannot tell whether it exists: {exc.message}")
        except ConnectionFailedError:
            raise
        except ClusterError:
            pass  # an unknown kind, a timeout...: the compare says Missing, as the cache does
        return Prediction(item.digest, "", None)
    version = live.resource_version
    try:
        predicted = client.apply(item.obj, app=app.name, dry_run=True, force=True)
    except InvalidError as exc:
        return Prediction(item.digest, version, None, f"the cluster rejects it: {exc.message}")
    except ConnectionFailedError:
        raise
    except ClusterError:
        # Forbidden to patch (even as a dry run), a namespace not created yet...: predict locally.
        return Prediction(item.digest, version, None)
    return Prediction(item.digest, version, json_codec.dumps(predicted))


def diff_resource(
    app: AppSpec, item: DesiredItem | None, live: Mapping[str, Any] | None, prediction: Prediction | None
) -> ResourceDiff:
    """One resource's diff for the diff view, with the cached server prediction where there is one."""
    predicted = json_codec.loads(prediction.raw) if prediction is not None and prediction.raw is not None else None
    return compare_resource(
        item.key if item else _key_of(live),
        item.obj if item else None,
        live,
        predicted=predicted,
        ignore=app.ignore_differences,
    )


def _carried_over(cached: Prediction, live: CachedObject, desired: Mapping[str, Any]) -> Prediction | None:
    """The server's prediction for `live` where the last one still tells it (prediction_carry.py); None: ask."""
    if cached.raw is None or cached.error:
        return None
    carried = carried_prediction(cached.raw, live.parse(), live.raw, desired)
    return Prediction(cached.digest, live.resource_version, carried) if carried is not None else None


def _same_version(a: CachedObject | None, b: CachedObject | None) -> bool:
    if a is None or b is None:
        return a is b
    return a.resource_version == b.resource_version


def _key_of(obj: Mapping[str, Any] | None) -> ResourceKey:
    return ResourceKey.of(obj or {})
