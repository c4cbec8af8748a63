"""One app's comparison: desired objects and live objects in, an `AppState` and its diffs out.

Pure: the caller brings the live objects (from the cache or a one-shot read) and, where it has
them, the server's predictions. The reconciler and the one-shot CLI commands share this, so
`gitops-tui status` and the console never disagree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from gitops_tui.engine.diff import ResourceDiff, compare_resource
from gitops_tui.engine.health import aggregate_health, assess_health, has_health_check, is_hook
from gitops_tui.engine.masking import SecretMasker
from gitops_tui.engine.sync_order import CLUSTER_SCOPED_KINDS
from gitops_tui.model import AppSpec, AppState, CommitInfo, Health, HealthStatus, ResourceKey, ResourceState, SyncStatus


@dataclass(frozen=True)
class DesiredObject:
    key: ResourceKey
    obj: Mapping[str, Any]


@dataclass(frozen=True)
class AppComparison:
    state: AppState
    diffs: Mapping[ResourceKey, ResourceDiff] = field(default_factory=dict)


def place_in_namespace(
    objects: Sequence[Mapping[str, Any]], app: AppSpec, is_namespaced: Any = None
) -> list[DesiredObject]:
    """Give namespaced objects without a namespace the app's destination namespace, as Argo CD does.

    `is_namespaced(group, kind) -> bool | None` answers from the cluster's discovery; None means unknown,
    and then only the well-known cluster-scoped kinds are taken as such.
    """
    placed = []
    for obj in objects:
        key = ResourceKey.of(obj)
        namespaced = is_namespaced(key.group, key.kind) if is_namespaced else None
        if namespaced is None:
            namespaced = (key.group, key.kind) not in CLUSTER_SCOPED_KINDS
        if namespaced and not key.namespace and app.destination.namespace:
            obj = {**obj, "metadata": {**(obj.get("metadata") or {}), "namespace": app.destination.namespace}}
            key = ResourceKey.of(obj)
        elif not namespaced and key.namespace:
            metadata = {k: v for k, v in (obj.get("metadata") or {}).items() if k != "namespace"}
            obj = {**obj, "metadata": metadata}
            key = ResourceKey.of(obj)
        placed.append(DesiredObject(key, obj))
    return placed


def compare_app(
    app: AppSpec,
    desired: Sequence[DesiredObject],
    live: Mapping[ResourceKey, Mapping[str, Any]],
    *,
    revision: CommitInfo | None = None,
    predicted: Mapping[ResourceKey, Mapping[str, Any]] | None = None,
    resource_errors: Mapping[ResourceKey, str] | None = None,
    now: datetime | None = None,
) -> AppComparison:
    """`live` holds the app's live objects: those of desired keys and those tracked as the app's."""
    predicted = predicted or {}
    resource_errors = resource_errors or {}
    masker = SecretMasker()  # one per app: equal values across its resources get equal masks
    desired_keys = {d.key for d in desired}
    states: list[ResourceState] = []
    diffs: dict[ResourceKey, ResourceDiff] = {}
    health_inputs: list[tuple[ResourceKey, Health | None, Mapping[str, Any] | None]] = []

    for item in desired:
        live_obj = live.get(item.key)
        hook = is_hook(item.obj)
        health = _health_of(live_obj, item.obj)
        health_inputs.append((item.key, health, live_obj or item.obj))
        if item.key in resource_errors:
            states.append(
                ResourceState(
                    item.key,
                    SyncStatus.UNKNOWN,
                    health,
                    resource_errors[item.key],
                    hook=hook,
                    in_cluster=live_obj is not None,
                )
            )
            continue
        if hook:  # hooks run during a sync; they are never compared
            states.append(
                ResourceState(item.key, SyncStatus.SYNCED, health, hook=True, in_cluster=live_obj is not None)
            )
            continue
        diff = compare_resource(
            item.key,
            item.obj,
            live_obj,
            predicted=predicted.get(item.key),
            ignore=app.ignore_differences,
            masker=masker,
        )
        diffs[item.key] = diff
        states.append(ResourceState(item.key, diff.status, health, diff.reason, in_cluster=live_obj is not None))

    for key, live_obj in live.items():
        if key in desired_keys or is_hook(live_obj):
            continue
        diff = compare_resource(key, None, live_obj, masker=masker)
        diffs[key] = diff
        health = assess_health(live_obj)
        health_inputs.append((key, health, live_obj))
        states.append(ResourceState(key, diff.status, health, diff.reason, requires_pruning=True, in_git=False))

    states.sort(key=lambda s: (s.key.group, s.key.kind, s.key.namespace, s.key.name))
    state = AppState(
        spec=app,
        sync=app_sync_status(states),
        health=aggregate_health(health_inputs),
        revision=revision,
        resources=tuple(states),
        compared_at=now or datetime.now(UTC),
    )
    return AppComparison(state, diffs)


def failed_state(
    app: AppSpec, error: str, revision: CommitInfo | None = None, previous: AppState | None = None
) -> AppState:
    """The app could not be compared: Unknown, saying why, keeping the last known resources on show."""
    return AppState(
        spec=app,
        sync=SyncStatus.UNKNOWN,
        health=previous.health if previous else Health(HealthStatus.UNKNOWN, error),
        revision=revision or (previous.revision if previous else None),
        resources=previous.resources if previous else (),
        error=error,
        compared_at=datetime.now(UTC),
    )


def app_sync_status(resources: Sequence[ResourceState]) -> SyncStatus:
    compared = [r for r in resources if not r.hook]
    if any(r.sync is SyncStatus.OUT_OF_SYNC for r in compared):
        return SyncStatus.OUT_OF_SYNC
    if any(r.sync is SyncStatus.UNKNOWN for r in compared):
        return SyncStatus.UNKNOWN
    return SyncStatus.SYNCED


def _health_of(live_obj: Mapping[str, Any] | None, desired_obj: Mapping[str, Any]) -> Health | None:
    if live_obj is not None:
        return assess_health(live_obj)
    # In Git, not in the cluster: Missing, but only for kinds that have health at all.
    key = ResourceKey.of(desired_obj)
    if not has_health_check(key.group, key.kind):
        return None
    return Health(HealthStatus.MISSING, "not created yet")
