"""The wire between a running console and `gitops-tui diff` / `status`: where the socket is, what is said on it.

Both sides import this module, and the CLI does so on its fast path, so it needs only the standard library
and the model: no kubernetes client, no GitPython, no textual.

One request per connection, one JSON document per line each way:

    → {"protocol": 1, "version": "0.1.0", "identity": "<key>", "query": "diff", "apps": {"shop": "<fingerprint>"}}
    ← {"ok": true, "answer": {...}}          or      ← {"ok": false, "reason": "why the console cannot answer"}

A console answers only for the same apps source and kubeconfig/context it watches (the socket's name is a
hash of them, and the request repeats the key), with the same app definitions (a fingerprint per app), and
only from a state that is current; everything else is `ok: false`, and the CLI works it out by itself.
The answers carry what the CLI prints, already masked by the engine: Secret values never travel.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from gitops_tui import __version__
from gitops_tui.model import AppSpec, AppState, Origin, ResourceKey, ResourceState, SyncStatus

PROTOCOL = 1
MAX_REQUEST_BYTES = 1 << 20
NO_CONSOLE_ENV = "GITOPS_TUI_NO_CONSOLE"
_SOCKET_PATH_LIMIT = 100
"""sun_path holds 108 bytes on Linux (104 on the BSDs): longer paths go to a short directory instead."""


class DiffLike(Protocol):
    """What an answer needs of an engine ResourceDiff (kept structural so this module stays light)."""

    @property
    def reason(self) -> str: ...
    @property
    def in_sync(self) -> bool: ...
    @property
    def live_yaml(self) -> str: ...
    @property
    def desired_yaml(self) -> str: ...


# ---- who may answer whom --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsoleIdentity:
    """What a console watches: the apps source (absolute paths) and the clusters its kubeconfig/context names."""

    apps: tuple[str, ...]
    kubeconfig: tuple[str, ...]
    context: str
    clusters: str
    """A digest of the kubeconfig's clusters and contexts: a destination means the same cluster on both sides."""
    health_checks: str = ""
    """Where custom health checks come from (argocd-cm), if anywhere: health is judged alike on both sides."""

    @classmethod
    def of(
        cls, app_paths: Iterable[Path | str], kubeconfig: Any, health_checks: Path | str | None = None
    ) -> ConsoleIdentity:
        """`kubeconfig` is a cluster.kubeconfig.KubeConfig (duck-typed: data, current_context, sources)."""
        data = kubeconfig.data or {}
        shape = json.dumps(
            [data.get("clusters") or [], data.get("contexts") or [], bool(getattr(kubeconfig, "in_cluster", False))],
            sort_keys=True, default=str,
        )  # fmt: skip
        return cls(
            apps=tuple(str(Path(p).expanduser().absolute()) for p in app_paths),
            kubeconfig=tuple(str(Path(p).expanduser().absolute()) for p in kubeconfig.sources),
            context=str(kubeconfig.current_context or ""),
            clusters=hashlib.sha256(shape.encode()).hexdigest(),
            health_checks=_health_checks_source(health_checks),
        )

    @property
    def key(self) -> str:
        text = json.dumps([self.apps, self.kubeconfig, self.context, self.clusters, self.health_checks])
        return hashlib.sha256(text.encode()).hexdigest()[:32]


def _health_checks_source(source: Path | str | None) -> str:
    """A file by its absolute path; `cluster:NAMESPACE/NAME` (the ConfigMap in the cluster) as it is."""
    if not source:
        return ""
    if str(source).startswith("cluster:"):
        return str(source)
    return str(Path(source).expanduser().absolute())


def spec_fingerprint(spec: AppSpec) -> str:
    """The same definition on both sides gives the same fingerprint, whatever path it was read from."""
    return hashlib.sha256(repr(replace(spec, origin=Origin(""))).encode()).hexdigest()[:32]


def console_disabled(environ: Mapping[str, str] = os.environ) -> bool:
    return environ.get(NO_CONSOLE_ENV, "").strip().lower() not in ("", "0", "false", "no")


# ---- where the socket lives ---------------------------------------------------------------------------------


def socket_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """$XDG_RUNTIME_DIR/gitops-tui (per user, 0700 by systemd), else a 0700 directory under the state dir."""
    runtime = environ.get("XDG_RUNTIME_DIR", "").strip()
    if runtime and Path(runtime).is_absolute():
        return Path(runtime) / "gitops-tui"
    from gitops_tui.config.settings import state_home

    return state_home() / "run"


def socket_path(identity: ConsoleIdentity, environ: Mapping[str, str] = os.environ) -> Path:
    name = f"console-{identity.key[:24]}.sock"
    path = socket_dir(environ) / name
    if len(str(path)) > _SOCKET_PATH_LIMIT:
        import tempfile  # rarely needed, and it imports shutil and random

        path = Path(tempfile.gettempdir()) / f"gitops-tui-{os.getuid()}" / name
    return path


def private_dir_problem(directory: Path) -> str:
    """Why `directory` may not hold a console socket ("" when it may): it must be ours and closed to others."""
    try:
        info = directory.lstat()
    except OSError as exc:
        return f"{directory}: {exc.strerror}"
    if not stat.S_ISDIR(info.st_mode):
        return f"{directory} is not a directory"
    if info.st_uid != os.getuid():
        return f"{directory} belongs to another user"
    if info.st_mode & 0o077:
        return f"{directory} is open to other users (mode {stat.S_IMODE(info.st_mode):o}; expected 700)"
    return ""


def make_private_dir(directory: Path) -> str:
    """Create `directory` 0700 if missing; the reason it cannot be used, or ""."""
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        return f"cannot create {directory}: {exc.strerror}"
    return private_dir_problem(directory)


# ---- messages ---------------------------------------------------------------------------------------------


def request(identity: ConsoleIdentity, query: str, specs: Sequence[AppSpec]) -> dict[str, Any]:
    return {"protocol": PROTOCOL, "version": __version__, "identity": identity.key, "query": query,
            "apps": {spec.name: spec_fingerprint(spec) for spec in specs}}  # fmt: skip


def encode(message: Mapping[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode() + b"\n"


def decode(line: bytes) -> dict[str, Any]:
    message = json.loads(line)
    if not isinstance(message, dict):
        raise ValueError("a message is a JSON object")
    return message


def unavailable(reason: str) -> dict[str, Any]:
    return {"ok": False, "reason": reason}


def answered(answer: Mapping[str, Any]) -> dict[str, Any]:
    return {"ok": True, "answer": answer}


# ---- answers: what the CLI prints, from either path ---------------------------------------------------------


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
