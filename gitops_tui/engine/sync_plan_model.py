"""The sync plan's value types: steps, options, the plan itself. `sync_plan` builds them.

Frozen values, so the UI can show a plan while the executor walks the very same one.
"""

from __future__ import annotations

import dataclasses
import enum
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gitops_tui.engine.sync_order import HookDeletePolicy, SyncPhase, has_option
from gitops_tui.engine.sync_plan_text import plan_lines
from gitops_tui.model import AppSpec, ResourceKey


class SyncAction(enum.StrEnum):
    CREATE = "create"
    CONFIGURE = "configure"
    UNCHANGED = "unchanged"
    """Shown, not applied: Synced under ApplyOutOfSyncOnly."""
    PRUNE = "prune"
    HOOK = "hook"
    """Run a hook: (re)create it, honouring its delete policies."""
    REPLACE = "replace"
    """Replace=true on a live object: PUT the whole object (`kubectl replace`), whoever owns its fields."""
    RECREATE = "recreate"
    """Force=true,Replace=true on a live object: delete it, wait until it is gone, create it again."""


class WriteMode(enum.StrEnum):
    """How a step that creates or updates an object writes it (Argo CD's sync options, per app or resource)."""

    SERVER_SIDE_APPLY = "server-side apply"
    CLIENT_SIDE_APPLY = "client-side apply"
    """ServerSideApply=false: a three-way merge patch with the last-applied-configuration annotation."""
    REPLACE = "replace"
    RECREATE = "delete and create"


@dataclass(frozen=True)
class PlannedStep:
    key: ResourceKey
    action: SyncAction
    phase: SyncPhase
    wave: int
    """The wave it runs in; differs from `declared_wave` for mirrored prunes, PruneLast and hoisted dependencies."""
    declared_wave: int
    reason: str
    obj: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)
    """The desired object to apply (namespace filled in); None for a prune."""
    hook_delete_policies: tuple[HookDeletePolicy, ...] = ()
    sync_options: tuple[str, ...] = ()
    """Per-resource `argocd.argoproj.io/sync-options` (ServerSideApply=true, Replace=true, ...) for the executor."""
    generate_name: str = ""
    """Set for hooks named by `generateName` only: the key's name is this prefix; the executor completes it."""

    @property
    def writes(self) -> bool:
        return self.action is not SyncAction.UNCHANGED

    def has_option(self, option: str) -> bool:
        return has_option(self.sync_options, option)

    def write_mode(self, app_options: SyncOptions) -> WriteMode:
        """The resource's annotation wins over the app's syncOptions, as in Argo CD; Replace before
        ServerSideApply; Force=true (named by the user, never implied by a forced sync) only with Replace."""

        def chosen(name: str, app_value: bool) -> bool:
            if self.has_option(f"{name}=true"):
                return True
            return False if self.has_option(f"{name}=false") else app_value

        if chosen("Replace", app_options.replace):
            return WriteMode.RECREATE if chosen("Force", app_options.force_replace) else WriteMode.REPLACE
        if not chosen("ServerSideApply", app_options.server_side_apply):
            return WriteMode.CLIENT_SIDE_APPLY
        return WriteMode.SERVER_SIDE_APPLY

    def validates(self, app_options: SyncOptions) -> bool:
        """Validate=false lets fields the server does not know through (fieldValidation=Ignore)."""
        if self.has_option("Validate=false"):
            return False
        return True if self.has_option("Validate=true") else app_options.validate


@dataclass(frozen=True)
class SkippedResource:
    key: ResourceKey
    reason: str


@dataclass(frozen=True)
class WaveGroup:
    phase: SyncPhase
    wave: int
    steps: tuple[PlannedStep, ...]


@dataclass(frozen=True)
class SyncOptions:
    prune: bool = False
    dry_run: bool = False
    force: bool = False
    apply_out_of_sync_only: bool = False
    resources: frozenset[ResourceKey] | None = None
    """Selective sync: only these. Hooks do not run in a selective sync."""
    skip_hooks: bool = False
    """Sync without hooks (Argo CD's apply strategy; rollbacks)."""
    create_namespace: bool = False
    prune_last: bool = False
    replace: bool = False
    """Replace=true for every resource (a resource's own sync-options annotation may say otherwise)."""
    force_replace: bool = False
    """Force=true in the app's syncOptions: with Replace, delete and create instead of replacing."""
    server_side_apply: bool = True
    """ServerSideApply=false in the app's syncOptions: client-side apply (we apply server-side by default)."""
    validate: bool = True

    @property
    def selective(self) -> bool:
        return self.resources is not None

    @classmethod
    def from_app(cls, app: AppSpec, *, automated: bool = False, **overrides: Any) -> SyncOptions:
        """The app's `syncOptions`; prune comes from `automated.prune` only for automated syncs, as in Argo CD
        (a manual sync prunes only when asked). `overrides` are field values the request sets."""
        policy = app.sync_policy
        options = cls(
            prune=policy.prune if automated else False,
            apply_out_of_sync_only=policy.has_option("ApplyOutOfSyncOnly=true"),
            create_namespace=policy.has_option("CreateNamespace=true"),
            prune_last=policy.has_option("PruneLast=true"),
            replace=policy.has_option("Replace=true"),
            force_replace=policy.has_option("Force=true"),
            server_side_apply=not policy.has_option("ServerSideApply=false"),
            validate=not policy.has_option("Validate=false"),
        )
        return dataclasses.replace(options, **overrides)


@dataclass(frozen=True)
class SyncPlan:
    app: str
    steps: tuple[PlannedStep, ...]
    """PreSync, Sync and PostSync steps in the order they run (UNCHANGED ones included, for display)."""
    on_failure: tuple[PlannedStep, ...] = ()
    """SyncFail hooks, in order: run only if the sync fails."""
    skipped: tuple[SkippedResource, ...] = ()
    namespace_to_create: str | None = None
    """CreateNamespace=true: the executor ensures this namespace exists before anything else."""
    warnings: tuple[str, ...] = ()
    options: SyncOptions = field(default_factory=SyncOptions)
    is_empty_prune_all: bool = False
    """Git holds no resource of the app while the cluster still does: syncing would only delete.
    Judged on the whole app, whatever the options, like Argo CD's allowEmpty guard for automated syncs."""

    def waves(self) -> tuple[WaveGroup, ...]:
        grouped = itertools.groupby(self.steps, key=lambda step: (step.phase, step.wave))
        return tuple(WaveGroup(phase, wave, tuple(steps)) for (phase, wave), steps in grouped)

    @property
    def prunes(self) -> tuple[PlannedStep, ...]:
        return tuple(step for step in self.steps if step.action is SyncAction.PRUNE)

    @property
    def writes(self) -> tuple[PlannedStep, ...]:
        return tuple(step for step in self.steps if step.writes)

    @property
    def is_noop(self) -> bool:
        return not self.writes and self.namespace_to_create is None

    def lines(self) -> list[str]:
        return plan_lines(self)

    def describe(self) -> str:
        return "\n".join(self.lines())
