"""The sync plan: what a sync will do, as a value, before anything is written.

`plan_sync` turns an app's desired objects, its live (tracked) objects and their diffs into a
`SyncPlan`: ordered steps the UI and CLI show ("what will this sync do?") and the executor
walks wave by wave. Argo CD's semantics (gitops-engine's sync tasks) are the reference:

- order: phase (PreSync, Sync, PostSync) → wave → kind order → name; SyncFail hooks apart,
  in `on_failure`, as what runs if the sync fails;
- inside one (phase, wave) prunes come first, then applies and hooks (gitops-engine runs a
  wave's prune tasks before its create/update tasks);
- a Namespace or CRD another step needs is hoisted into that step's phase and wave, and
  placed before it (gitops-engine's `adjustDeps`);
- prunes sit in phase Sync at the wave of the live object, with the prune waves mirrored
  (highest wave pruned in the lowest prune wave) so deletion undoes creation in reverse;
  PruneLast prunes go to one wave after every other Sync-phase wave.

Pure: no I/O, no clock. Naming hooks that only have `generateName` is left to the executor.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from gitops_tui.engine.diff import MODIFIED, ResourceDiff, compare_resource
from gitops_tui.engine.sync_order import (
    CLUSTER_SCOPED_KINDS,
    HookDeletePolicy,
    HookSpec,
    SyncPhase,
    crd_defines,
    has_option,
    hook_delete_policies,
    hook_spec,
    is_crd,
    kind_rank,
    resource_sync_options,
    sync_wave,
)
from gitops_tui.engine.sync_plan_model import (
    PlannedStep,
    SkippedResource,
    SyncAction,
    SyncOptions,
    SyncPlan,
    WaveGroup,
    WriteMode,
)
from gitops_tui.engine.sync_plan_text import display_key
from gitops_tui.model import AppSpec, ResourceKey, SyncStatus

__all__ = [
    "HookDeletePolicy",
    "PlannedStep",
    "SkippedResource",
    "SyncAction",
    "SyncOptions",
    "SyncPhase",
    "SyncPlan",
    "WaveGroup",
    "WriteMode",
    "plan_sync",
]


def plan_sync(
    app: AppSpec,
    desired: Sequence[Mapping[str, Any]],
    live: Mapping[ResourceKey, Mapping[str, Any]],
    diffs: Mapping[ResourceKey, ResourceDiff] | None = None,
    options: SyncOptions | None = None,
) -> SyncPlan:
    """`live` holds the objects tracked by this app, those no longer in Git included (the prune candidates).
    Without `diffs`, resources in both are compared here with the app's ignoreDifferences."""
    return _Planner(app, live, diffs, options or SyncOptions()).plan(desired)


class _Scopes:
    """Which kinds are cluster-scoped, for objects written without a namespace.

    Evidence, strongest first: the live objects (the server put them where they belong), the app's
    own CRDs (`spec.scope`), a small table of well-known cluster-scoped kinds; otherwise namespaced.
    """

    def __init__(self, desired: Sequence[Mapping[str, Any]], live: Mapping[ResourceKey, Mapping[str, Any]]) -> None:
        self._cluster: dict[tuple[str, str], bool] = {}
        for obj in desired:
            key = ResourceKey.of(obj)
            defines = crd_defines(obj) if is_crd(key.group, key.kind) else None
            if defines:
                self._cluster[defines[:2]] = defines[2]
        for key in live:
            self._cluster[(key.group, key.kind)] = not key.namespace

    def cluster_scoped(self, group: str, kind: str) -> bool:
        known = self._cluster.get((group, kind))
        return known if known is not None else (group, kind) in CLUSTER_SCOPED_KINDS


class _Planner:
    def __init__(
        self,
        app: AppSpec,
        live: Mapping[ResourceKey, Mapping[str, Any]],
        diffs: Mapping[ResourceKey, ResourceDiff] | None,
        options: SyncOptions,
    ) -> None:
        self.app = app
        self.live = live
        self.diffs = diffs
        self.options = options
        self.steps: list[PlannedStep] = []
        self.on_failure: list[PlannedStep] = []
        self.skipped: list[SkippedResource] = []
        self.warnings: list[str] = []
        self.prune_last: set[ResourceKey] = set()

    def plan(self, desired: Sequence[Mapping[str, Any]]) -> SyncPlan:
        entries = self._desired_entries(desired)
        for key, obj in entries:
            self._plan_desired(key, obj)
        desired_keys = {key for key, _ in entries}
        for key in sorted(self.live):
            if key not in desired_keys:
                self._plan_prune(key, self.live[key])
        steps, kind_ranks = _hoist_dependencies(self.steps)
        steps = self._order_prunes(steps)
        return SyncPlan(
            app=self.app.name,
            steps=tuple(sorted(steps, key=lambda step: _run_order(step, kind_ranks))),
            on_failure=tuple(sorted(self.on_failure, key=lambda step: _run_order(step, {}))),
            skipped=tuple(self.skipped),
            namespace_to_create=self._namespace_to_create(desired_keys),
            warnings=tuple(self.warnings),
            options=self.options,
            is_empty_prune_all=self._is_empty_prune_all(entries),
        )

    def _warn(self, key: ResourceKey, problems: Sequence[str]) -> None:
        self.warnings.extend(f"{display_key(key)}: {problem}" for problem in problems)

    def _desired_entries(self, desired: Sequence[Mapping[str, Any]]) -> list[tuple[ResourceKey, Mapping[str, Any]]]:
        scopes = _Scopes(desired, self.live)
        destination = self.app.destination.namespace
        entries: dict[ResourceKey, Mapping[str, Any]] = {}
        generated: list[tuple[ResourceKey, Mapping[str, Any]]] = []
        for raw in desired:
            key = ResourceKey.of(raw)
            metadata = raw.get("metadata") or {}
            name = key.name or str(metadata.get("generateName") or "")
            namespace = "" if scopes.cluster_scoped(key.group, key.kind) else (key.namespace or destination)
            key = key._replace(name=name, namespace=namespace)
            if not name:
                self.skipped.append(SkippedResource(key, "no metadata.name or generateName: cannot be applied"))
                continue
            if not namespace and not scopes.cluster_scoped(key.group, key.kind):
                self.warnings.append(f"{display_key(key)}: no namespace and the app has no destination namespace")
            obj = _with_namespace(raw, namespace)
            if not metadata.get("name"):
                generated.append((key, obj))  # generated names never collide, so no duplicate check
            elif key in entries:
                self.warnings.append(f"{display_key(key)}: defined more than once in Git; the last definition is used")
                entries[key] = obj
            else:
                entries[key] = obj
        return [*entries.items(), *generated]

    def _plan_desired(self, key: ResourceKey, obj: Mapping[str, Any]) -> None:
        wave, problems = sync_wave(obj)
        self._warn(key, problems)
        spec = hook_spec(obj)
        if spec is not None:
            self._warn(key, spec.problems)
            self._plan_hook(key, obj, spec, wave)
        elif self.options.resources is None or key in self.options.resources:
            self._plan_apply(key, obj, wave)

    def _plan_hook(self, key: ResourceKey, obj: Mapping[str, Any], spec: HookSpec, wave: int) -> None:
        reason = _hook_skip_reason(spec, self.options)
        if reason:
            self.skipped.append(SkippedResource(key, reason))
            return
        policies, problems = hook_delete_policies(obj)
        self._warn(key, problems)
        metadata = obj.get("metadata") or {}
        generate_name = "" if metadata.get("name") else str(metadata.get("generateName") or "")
        for phase in spec.phases:
            why = f"{phase} hook; delete policy {', '.join(policies)}"
            if generate_name:
                why += f"; named at sync from generateName {generate_name!r}"
            step = PlannedStep(
                key, SyncAction.HOOK, phase, wave, wave, why, obj, policies, resource_sync_options(obj), generate_name
            )
            (self.on_failure if phase is SyncPhase.SYNC_FAIL else self.steps).append(step)

    def _plan_apply(self, key: ResourceKey, obj: Mapping[str, Any], wave: int) -> None:
        live_obj = self.live.get(key)
        if live_obj is None:
            action, reason = SyncAction.CREATE, "missing from the cluster"
        else:
            status, why = self._compare(key, obj, live_obj)
            if status is SyncStatus.SYNCED and self.options.apply_out_of_sync_only:
                action, reason = SyncAction.UNCHANGED, "synced: not applied (ApplyOutOfSyncOnly)"
            elif status is SyncStatus.SYNCED:
                action, reason = SyncAction.CONFIGURE, "synced: applied again, no change expected"
            elif status is SyncStatus.OUT_OF_SYNC:
                action, reason = SyncAction.CONFIGURE, f"out of sync: {why or MODIFIED}"
            else:
                action, reason = SyncAction.CONFIGURE, f"sync status unknown: {why or 'not compared'}"
        options = resource_sync_options(obj)
        step = PlannedStep(key, action, SyncPhase.SYNC, wave, wave, reason, obj, sync_options=options)
        self.steps.append(_with_write_mode(step, self.options))

    def _compare(self, key: ResourceKey, obj: Mapping[str, Any], live_obj: Mapping[str, Any]) -> tuple[SyncStatus, str]:
        if self.diffs is None:
            diff = compare_resource(key, obj, live_obj, ignore=self.app.ignore_differences)
        else:
            diff = self.diffs.get(key) or ResourceDiff(key, SyncStatus.UNKNOWN, "no diff given for it")
        return diff.status, diff.reason

    def _plan_prune(self, key: ResourceKey, live_obj: Mapping[str, Any]) -> None:
        spec = hook_spec(live_obj)
        if spec is not None and not spec.skip:
            return  # hooks left by earlier syncs are cleaned by their delete policy, never pruned (as in Argo CD)
        if self.options.resources is not None and key not in self.options.resources:
            return
        options = resource_sync_options(live_obj)
        if has_option(options, "Prune=false"):
            self.skipped.append(SkippedResource(key, "Prune=false: kept"))
            return
        if has_option(options, "Delete=false"):
            self.skipped.append(SkippedResource(key, "Delete=false: kept"))
            return
        if not self.options.prune:
            self.skipped.append(SkippedResource(key, "requires pruning: run with prune"))
            return
        if has_option(options, "Prune=confirm"):
            self.warnings.append(f"{display_key(key)}: Prune=confirm: the prune needs confirming first")
        wave, problems = sync_wave(live_obj)
        self._warn(key, problems)
        if self.options.prune_last or has_option(options, "PruneLast=true"):
            self.prune_last.add(key)
        self.steps.append(
            PlannedStep(key, SyncAction.PRUNE, SyncPhase.SYNC, wave, wave, "not in Git (prune)", sync_options=options)
        )

    def _order_prunes(self, steps: list[PlannedStep]) -> list[PlannedStep]:
        """Mirror the prune waves (gitops-engine's symmetric swap), then move PruneLast prunes after the last wave.

        PruneLast prunes take no part in the mirror (in gitops-engine they do), so they never shift another
        prune's wave, and the last wave is one after every other Sync-phase step.
        """

        def pruned_last(step: PlannedStep) -> bool:
            return _prunes(step) and step.key in self.prune_last

        prune_waves = sorted({step.wave for step in steps if _prunes(step) and not pruned_last(step)})
        mirrored = dict(zip(prune_waves, reversed(prune_waves), strict=True))
        steps = [
            _move(step, mirrored[step.wave], "reverse wave order") if _prunes(step) and not pruned_last(step) else step
            for step in steps
        ]
        last = max([0, *(step.wave for step in steps if step.phase is SyncPhase.SYNC and not pruned_last(step))]) + 1
        return [_move(step, last, "PruneLast") if pruned_last(step) else step for step in steps]

    def _namespace_to_create(self, desired_keys: set[ResourceKey]) -> str | None:
        namespace = self.app.destination.namespace
        if not self.options.create_namespace or not namespace:
            return None
        return None if ResourceKey("", "Namespace", "", namespace) in desired_keys else namespace

    def _is_empty_prune_all(self, entries: list[tuple[ResourceKey, Mapping[str, Any]]]) -> bool:
        if any(hook_spec(obj) is None for _, obj in entries):
            return False
        return any(_prunable(obj) for obj in self.live.values())


def _with_write_mode(step: PlannedStep, options: SyncOptions) -> PlannedStep:
    """Say how the step writes when it is not the default server-side apply; Replace turns an update of a
    live object into a replace (or, with Force, a delete and create)."""
    mode = step.write_mode(options)
    if mode is WriteMode.SERVER_SIDE_APPLY or step.action is SyncAction.UNCHANGED:
        return step
    if step.action is SyncAction.CONFIGURE and mode is WriteMode.REPLACE:
        return dataclasses.replace(
            step,
            action=SyncAction.REPLACE,
            reason=f"{step.reason}; Replace=true: the whole object is replaced, fields other managers own included",
        )
    if step.action is SyncAction.CONFIGURE and mode is WriteMode.RECREATE:
        return dataclasses.replace(
            step,
            action=SyncAction.RECREATE,
            reason=f"{step.reason}; Force=true,Replace=true: deleted and created again",
        )
    if mode in (WriteMode.REPLACE, WriteMode.RECREATE):
        return dataclasses.replace(step, reason=f"{step.reason}; Replace=true: created")
    return dataclasses.replace(step, reason=f"{step.reason}; {mode.value}")


def _hook_skip_reason(spec: HookSpec, options: SyncOptions) -> str:
    if spec.skip:
        return "hook Skip: never applied"
    if not spec.phases:
        timing = ", ".join(spec.not_at_sync) or "no sync phase"
        return f"hook ({timing}): not run by a sync"
    if options.skip_hooks:
        return "hook: not run (sync without hooks)"
    if options.resources is not None:
        return "hook: hooks do not run in a selective sync"
    return ""


def _prunable(live_obj: Mapping[str, Any]) -> bool:
    spec = hook_spec(live_obj)
    return spec is None or spec.skip


def _prunes(step: PlannedStep) -> bool:
    return step.action is SyncAction.PRUNE


def _move(step: PlannedStep, wave: int, why: str) -> PlannedStep:
    if wave == step.wave:
        return step
    return dataclasses.replace(step, wave=wave, reason=f"{step.reason}; runs in wave {wave} ({why})")


def _dependents_matcher(step: PlannedStep) -> Callable[[ResourceKey], bool] | None:
    """For a Namespace or CRD being applied: which other resources need it to exist first."""
    if step.action not in (SyncAction.CREATE, SyncAction.CONFIGURE, SyncAction.REPLACE, SyncAction.RECREATE):
        return None
    if step.key.group == "" and step.key.kind == "Namespace":
        namespace = step.key.name
        return lambda key: key.namespace == namespace
    if is_crd(step.key.group, step.key.kind) and step.obj is not None:
        defines = crd_defines(step.obj)
        if defines:
            group_kind = defines[:2]
            return lambda key: (key.group, key.kind) == group_kind
    return None


def _hoist_dependencies(steps: list[PlannedStep]) -> tuple[list[PlannedStep], dict[ResourceKey, float]]:
    """Namespaces and CRDs run no later than the first step that needs them, and before it in its wave.

    Returns the steps (with moved phases and waves) and kind ranks that place a CRD just before the
    custom resources it defines, even where its kind order alone would not.
    """
    result = list(steps)
    ranks: dict[ResourceKey, float] = {}
    for index, dependency in enumerate(result):
        needs = _dependents_matcher(dependency)
        if needs is None:
            continue
        dependents = [s for s in result if s is not dependency and s.writes and not _prunes(s) and needs(s.key)]
        if not dependents:
            continue
        first = min(dependents, key=lambda s: (s.phase.order, s.wave))
        if (first.phase.order, first.wave) < (dependency.phase.order, dependency.wave):
            dependency = dataclasses.replace(
                dependency,
                phase=first.phase,
                wave=first.wave,
                reason=f"{dependency.reason}; moved to {first.phase} wave {first.wave}: "
                f"{display_key(first.key)} needs it",
            )
            result[index] = dependency
        together = [
            kind_rank(s.key.kind) for s in dependents if (s.phase, s.wave) == (dependency.phase, dependency.wave)
        ]
        if together and min(together) <= kind_rank(dependency.key.kind):
            ranks[dependency.key] = min(together) - 0.5
    return result, ranks


def _run_order(step: PlannedStep, kind_ranks: Mapping[ResourceKey, float]) -> tuple[Any, ...]:
    """Phase → wave → prunes before applies → kind order (reversed for prunes: dependants go first) → name."""
    key = step.key
    if _prunes(step):
        return (step.phase.order, step.wave, 0, -kind_rank(key.kind), key.name, key.namespace, key.group)
    rank = kind_ranks.get(key, kind_rank(key.kind))
    return (step.phase.order, step.wave, 1, rank, key.name, key.namespace, key.group, key.kind)


def _with_namespace(obj: Mapping[str, Any], namespace: str) -> Mapping[str, Any]:
    """A copy with metadata.namespace as the key says; the caller's object is never changed."""
    metadata = dict(obj.get("metadata") or {})
    if (metadata.get("namespace") or "") == namespace:
        return obj
    if namespace:
        metadata["namespace"] = namespace
    else:
        metadata.pop("namespace", None)  # a cluster-scoped object: the server ignores it, so should the key
    return {**obj, "metadata": metadata}
