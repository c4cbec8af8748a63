"""The world the sync execution, history and lease tests share (no tests here).

A sandbox cluster with simulated controllers (fast: speed 40), a real Git remote with the app's
manifests, a writable client, and `SyncWorld.sync(...)`: render the app at a revision, read what it has
in the cluster, and run the executor the way the reconciler does, recording every progress report.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from gitops_tui.cluster.client import ClientSettings, ClusterClient
from gitops_tui.cluster.kubeconfig import load_kubeconfig
from gitops_tui.cluster.tracking import DEFAULT_TRACKING_ANNOTATION, tracked_apps
from gitops_tui.engine.app_compare import place_in_namespace
from gitops_tui.engine.oneshot import LEFTOVER_KINDS, OneShotComparer
from gitops_tui.engine.operations import SyncJob, SyncRequest
from gitops_tui.engine.sync import SyncRunner, SyncSettings
from gitops_tui.engine.sync_waits import WaitSettings
from gitops_tui.model import (
    AppSource,
    AppSpec,
    CommitInfo,
    Destination,
    Operation,
    ResourceKey,
    ResourceResult,
    RetryStrategy,
    SyncPolicy,
)
from gitops_tui.sandbox.runtime import Sandbox
from gitops_tui.source.git import MirrorPool
from tests.gitrepos import GitRemote

NAMESPACE = "shop"
FAST_WAIT = WaitSettings(timeout=20.0, poll_interval=0.05)


def deployment(name: str, image: str = "shop/web:1.0", *, wave: int | None = None, extra: str = "") -> str:
    annotations = f"\n  annotations: {{argocd.argoproj.io/sync-wave: '{wave}'}}" if wave is not None else ""
    return f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}{annotations}
spec:
  replicas: 1
  progressDeadlineSeconds: 20
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers: [{{name: main, image: "{image}"}}]
{extra}"""


def configmap(name: str, *, options: str = "", wave: int | None = None, **data: str) -> str:
    notes = {}
    if options:
        notes["argocd.argoproj.io/sync-options"] = options
    if wave is not None:
        notes["argocd.argoproj.io/sync-wave"] = str(wave)
    annotations = f"\n  annotations: {notes!r}" if notes else ""
    body = ", ".join(f"{k}: '{v}'" for k, v in (data or {"k": "v"}).items())
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}{annotations}\ndata: {{{body}}}\n"


def hook_job(name: str, phase: str = "PreSync", policy: str = "HookSucceeded", image: str = "shop/migrate:1") -> str:
    return f"""\
apiVersion: batch/v1
kind: Job
metadata:
  name: {name}
  annotations: {{argocd.argoproj.io/hook: {phase}, argocd.argoproj.io/hook-delete-policy: {policy}}}
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers: [{{name: main, image: "{image}"}}]
"""


class Recorder:
    """The progress callback: every Operation reported, in order."""

    def __init__(self) -> None:
        self.updates: list[Operation] = []
        self.on_update: Callable[[Operation], None] | None = None

    def __call__(self, operation: Operation) -> None:
        self.updates.append(operation)
        if self.on_update is not None:
            self.on_update(operation)

    @property
    def phases(self) -> list[str]:
        return [u.phase.value for u in self.updates]


class SyncWorld:
    def __init__(self, tmp_path: Path, sandbox: Sandbox) -> None:
        self.tmp_path = tmp_path
        self.sandbox = sandbox
        self.remote = GitRemote.create(tmp_path / "repo")
        self.kubeconfig = load_kubeconfig(sandbox.kubeconfig_path)
        self.client = self.new_client()
        self.comparer = OneShotComparer(self.kubeconfig, MirrorPool(tmp_path / "mirrors"))
        self.runner = SyncRunner(settings=SyncSettings(wait=FAST_WAIT))
        self._ids = itertools.count(1)
        self.client.ensure_namespace(NAMESPACE)

    def new_client(self, **settings: Any) -> ClusterClient:
        base = {"connect_timeout": 2.0, "read_timeout": 10.0, **settings}
        return ClusterClient.from_kubeconfig(self.kubeconfig, settings=ClientSettings(**base))

    def app(
        self,
        name: str = "shop",
        *,
        path: str = "shop",
        retry: RetryStrategy | None = None,
        sync_options: tuple[str, ...] = (),
        history_limit: int = 10,
        namespace: str = NAMESPACE,
    ) -> AppSpec:
        return AppSpec(
            name,
            AppSource(self.remote.url, path),
            Destination("https://kubernetes.default.svc", "", namespace),
            sync_policy=SyncPolicy(retry=retry, sync_options=sync_options),
            revision_history_limit=history_limit,
        )

    def commit(self, files: Mapping[str, str | None], message: str = "change") -> str:
        return self.remote.commit(files, message)

    def live(self, app: AppSpec, desired_keys: set[ResourceKey], client: ClusterClient | None = None) -> dict:
        """What the reconciler's cache would hand over: objects at desired keys and those tracked as the app's."""
        client = client or self.client
        found: dict[ResourceKey, Any] = {}
        kinds = {(k.group, k.kind) for k in desired_keys} | set(LEFTOVER_KINDS)
        for group, kind in sorted(kinds):
            resource = client.mapper.find_group_kind(group, kind)
            if resource is None:
                continue
            for obj in client.list(resource, app.destination.namespace if resource.namespaced else "").items:
                key = ResourceKey.of(obj)
                if key in desired_keys or app.name in tracked_apps(obj, key, (DEFAULT_TRACKING_ANNOTATION,)):
                    found[key] = obj
        return found

    def job(
        self,
        app: AppSpec,
        request: SyncRequest | None = None,
        *,
        kind: str = "sync",
        revision: str = "",
        client: ClusterClient | None = None,
        recorder: Recorder | None = None,
    ) -> tuple[SyncJob, Recorder]:
        request = request or SyncRequest()
        target = self.comparer.render(app, revision or request.revision or None)
        desired = place_in_namespace(target.objects, app)
        client = client or self.client
        live = self.live(app, {d.key for d in desired}, client)
        operation = Operation(
            next(self._ids),
            app.name,
            kind,
            target.commit.sha,
            request.initiated_by,
            datetime.now(UTC),
            dry_run=request.dry_run,
            prune=request.prune,
        )
        recorder = recorder or Recorder()
        return SyncJob(operation, app, target.commit, tuple(desired), live, request, client, recorder), recorder

    async def sync(
        self, app: AppSpec, request: SyncRequest | None = None, *, runner: SyncRunner | None = None, **kwargs: Any
    ) -> tuple[Operation, Recorder]:
        job, recorder = self.job(app, request, **kwargs)
        done = await (runner or self.runner).run(job)
        return done, recorder

    def get(self, kind: str, name: str, group: str = "", namespace: str = NAMESPACE) -> dict[str, Any] | None:
        return self.client.get(ResourceKey(group, kind, namespace, name))

    def close(self) -> None:
        self.comparer.close()
        self.client.close()


def result_for(operation: Operation, kind: str, name: str) -> ResourceResult:
    found = [
        r
        for r in operation.results
        if (r.key.kind, r.key.name) == (kind, name) or (r.key.kind == kind and r.key.name.startswith(name) and r.hook)
    ]
    assert found, f"no result for {kind} {name} in {[(r.key.kind, r.key.name) for r in operation.results]}"
    return found[-1]


def commit_info(world: SyncWorld, sha: str) -> CommitInfo:
    return world.comparer.render(world.app(), sha).commit


@pytest.fixture
def cluster() -> Iterator[Sandbox]:
    with Sandbox(controllers=True, speed=40, bookmark_interval=0.2) as running:
        yield running


@pytest.fixture
def world(tmp_path: Path, cluster: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Iterator[SyncWorld]:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    made = SyncWorld(tmp_path, cluster)
    yield made
    made.close()
