"""What a console's answer to `diff` / `status` holds, and a one-shot command prints: plain data from states.

Both paths build their answers here (the console in query_server.py, the one-shot command in
cli/cluster_commands.py) and print them with one printer (cli/answers.py), so their output cannot drift
apart. Diffs arrive masked by the engine: Secret values never appear in an answer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Protocol

from gitops_tui.model import AppSpec, AppState, Origin, ResourceKey, ResourceState, SyncStatus


class DiffLike(Protocol):
    """What an answer needs of an engine ResourceDiff (structural: the one-shot path need not import engine.diff)."""

    @property
    def reason(self) -> str: ...
    @property
    def in_sync(self) -> bool: ...
    @property
    def live_yaml(self) -> str: ...
    @property
    def desired_yaml(self) -> str: ...


def spec_fingerprint(spec: AppSpec) -> str:
    """The same definition on both sides gives the same fingerprint, whatever path it was read from."""
    return hashlib.sha256(repr(replace(spec, origin=Origin(""))).encode()).hexdigest()[:32]


def resource_path(key: ResourceKey) -> str:
    group = key.group or "core"
    return "/".join(p for p in (group, key.kind, key.namespace, key.name) if p)


def status_entry(state: AppState) -> dict[str, Any]:
    """One app's line of `status` (table row and document); `failed` when no answer about it was possible."""
    revision = f"{state.revision.short_sha} {state.revision.subject}" if state.revision else "-"
    message = state.error or state.health.message
    row = [state.name, state.sync.value, state.health.status.value, revision[:50], message]
    return {"row": row, "document": state_document(state), "failed": bool(state.error and not state.resources)}


def state_document(state: AppState) -> dict[str, Any]:
    revision = state.revision
    return {
        "name": state.name,
        "targetRevision": state.spec.source.target_revision,
        "revision": {"sha": revision.sha, "subject": revision.subject, "author": revision.author} if revision else None,
        "sync": state.sync.value,
        "health": {"status": state.health.status.value, "message": state.health.message},
        "error": state.error,
        "resources": [_resource_document(r) for r in state.resources],
    }


def _resource_document(resource: ResourceState) -> dict[str, Any]:
    key = resource.key
    return {
        "group": key.group, "kind": key.kind, "namespace": key.namespace, "name": key.name,
        "sync": resource.sync.value,
        "health": resource.health.status.value if resource.health else None,
        "message": resource.health.message if resource.health else "",
        "reason": resource.reason,
        "requiresPruning": resource.requires_pruning,
        "hook": resource.hook,
    }  # fmt: skip


def drifted(state: AppState) -> list[ResourceState]:
    """The resources whose diff `diff` shows: out of sync (Unknown ones are reported, not diffed)."""
    return [r for r in state.resources if r.sync is SyncStatus.OUT_OF_SYNC]


def diff_answer(state: AppState, diffs: Mapping[ResourceKey, DiffLike]) -> dict[str, Any]:
    """`diff APP`: the app's error, or per resource that needs saying its diff (live → desired, masked)."""
    resources = []
    for resource in state.resources:
        entry: dict[str, Any] = {"key": str(resource.key), "path": resource_path(resource.key),
                                 "sync": resource.sync.value, "reason": resource.reason, "diff": None}  # fmt: skip
        diff = diffs.get(resource.key)
        if diff is not None and not diff.in_sync:
            entry["diff"] = {"reason": diff.reason, "live": diff.live_yaml, "desired": diff.desired_yaml}
        if entry["diff"] is not None or resource.sync is SyncStatus.UNKNOWN:
            resources.append(entry)
    return {"app": state.name, "error": state.error, "resources": resources}
