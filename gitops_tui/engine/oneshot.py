"""One-shot comparison for the CLI (`status`, `diff`): read Git and the cluster once, compare, done.

No loop: the kinds an app renders or could have left behind are listed once (the desired objects
and what it tracks but Git no longer has), and the server is asked to predict (a server-side dry-run
apply) only the objects that differ locally. Requests run in a small thread pool, so a 200-resource
app costs a few round trips of wall time, not 400. The CLI's comparer (`one_shot_settings`) starts from
discovery on disk when it is recent (cluster/discovery_cache.py, as kubectl keeps it); if the server shows
it out of date, the app is compared again with a fresh one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from gitops_tui.cluster.client import ClientSettings, ClusterClient
from gitops_tui.cluster.errors import ClusterError, ConnectionFailedError, InvalidError, UnknownKindError
from gitops_tui.cluster.kubeconfig import KubeConfig
from gitops_tui.cluster.tracking import ARGOCD_TRACKING_ANNOTATION, tracked_apps
from gitops_tui.engine.app_compare import (
    AppComparison,
    DesiredObject,
    app_sync_status,
    compare_app,
    failed_state,
    place_in_namespace,
)
from gitops_tui.engine.diff import compare_resource
from gitops_tui.engine.health import is_hook
from gitops_tui.engine.prediction import needs_server_prediction
from gitops_tui.model import AppSpec, CommitInfo, ResourceKey
from gitops_tui.source.cachedir import mirror_key
from gitops_tui.source.errors import GitError, RenderError
from gitops_tui.source.git import MirrorPool
from gitops_tui.source.render import Renderer

T = TypeVar("T")
R = TypeVar("R")

# Kinds listed to find objects an app tracks but no longer renders (beyond the kinds it renders now).
LEFTOVER_KINDS = (
    ("", "ConfigMap"), ("", "Secret"), ("", "Service"), ("", "ServiceAccount"), ("", "PersistentVolumeClaim"),
    ("apps", "Deployment"), ("apps", "StatefulSet"), ("apps", "DaemonSet"), ("batch", "Job"), ("batch", "CronJob"),
    ("networking.k8s.io", "Ingress"), ("networking.k8s.io", "NetworkPolicy"),
    ("autoscaling", "HorizontalPodAutoscaler"), ("policy", "PodDisruptionBudget"),
    ("rbac.authorization.k8s.io", "Role"), ("rbac.authorization.k8s.io", "RoleBinding"),
)  # fmt: skip
WORKERS = 16


def one_shot_settings() -> ClientSettings:
    """A one-shot command's client: read-only, discovery kept on disk between commands as kubectl keeps it."""
    from gitops_tui.cluster.discovery_cache import TTL_SECONDS

    return ClientSettings(read_only=True, discovery_on_disk=True, discovery_ttl=TTL_SECONDS)


class _DiscoveryOutOfDate(Exception):
    """A list answered 404 during a comparison: a kind of the discovery used is no longer served."""


@dataclass(frozen=True)
class RenderedTarget:
    commit: CommitInfo
    objects: tuple[dict[str, Any], ...]


class OneShotComparer:
    def __init__(
        self,
        kubeconfig: KubeConfig,
        pool: MirrorPool | None = None,
        settings: ClientSettings | None = None,
        fetches: Mapping[str, Future[None]] | None = None,
    ) -> None:
        """`fetches`: fetches of `pool`'s mirrors already started (oneshot_prefetch.py), by mirror key."""
        self.kubeconfig = kubeconfig
        self.pool = pool or MirrorPool()
        self._fetches = dict(fetches or {})
        self.renderer = Renderer(self.pool)
        self.settings = settings or ClientSettings(read_only=True)
        self._clients: dict[str, ClusterClient] = {}
        self._executor = ThreadPoolExecutor(WORKERS, thread_name_prefix="oneshot")

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        for client in self._clients.values():
            client.close()

    def __enter__(self) -> OneShotComparer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def client_for(self, app: AppSpec) -> ClusterClient:
        context = self.kubeconfig.context_for_destination(app.destination.server, app.destination.name)
        if context not in self._clients:
            self._clients[context] = ClusterClient.from_kubeconfig(self.kubeconfig, context, self.settings)
        return self._clients[context]

    def render(self, app: AppSpec, revision: str | None = None) -> RenderedTarget:
        mirror = self.pool.get(app.source.repo_url)
        started = self._fetches.pop(mirror_key(app.source.repo_url), None)
        if started is not None:
            started.result()  # raises the fetch's GitError, as fetch() would
        else:
            mirror.fetch()
        commit = mirror.resolve(revision or app.source.target_revision)
        return RenderedTarget(commit, self.renderer.render(app, commit.sha).objects)

    def compare(self, app: AppSpec, revision: str | None = None) -> AppComparison:
        """Never raises for a problem of the app's own: the state says what went wrong."""
        try:
            target = self.render(app, revision)
        except (GitError, RenderError) as exc:
            return AppComparison(failed_state(app, exc.message))
        try:
            client = self.client_for(app)
            invalidations = client.mapper.invalidations
            try:
                return self._compare_live(app, client, target, retry_on=invalidations)
            except _DiscoveryOutOfDate:
                # A kind of the (disk) discovery is no longer served: compare again on what the server says now.
                client.mapper.refresh()
                return self._compare_live(app, client, target)
        except ClusterError as exc:
            return AppComparison(failed_state(app, exc.message, target.commit))

    def _compare_live(self, app: AppSpec, client: ClusterClient, target: RenderedTarget,
                      retry_on: int | None = None) -> AppComparison:  # fmt: skip
        """With `retry_on` (the mapper's invalidation count before), raises _DiscoveryOutOfDate instead of
        answering (or failing) when the server showed discovery out of date meanwhile."""
        try:
            comparison = self._compare_live_once(app, client, target)
        except ClusterError:
            if retry_on is None or client.mapper.invalidations == retry_on:
                raise
            raise _DiscoveryOutOfDate() from None
        if retry_on is not None and client.mapper.invalidations != retry_on:
            raise _DiscoveryOutOfDate()
        return comparison

    def _compare_live_once(self, app: AppSpec, client: ClusterClient, target: RenderedTarget) -> AppComparison:
        errors: dict[ResourceKey, str] = {}
        scopes: dict[tuple[str, str], bool] = {}
        unknown: dict[tuple[str, str], str] = {}
        for obj in target.objects:
            api_version, kind = str(obj.get("apiVersion") or ""), str(obj.get("kind") or "")
            group = api_version.rpartition("/")[0]
            try:  # discovery is refreshed once when a kind is new to us (a CRD created by a sync)
                scopes[(group, kind)] = client.mapper.resource_for(api_version, kind).namespaced
            except UnknownKindError as exc:
                unknown[(group, kind)] = exc.message
        desired = place_in_namespace(target.objects, app, lambda group, kind: scopes.get((group, kind)))
        known: list[DesiredObject] = []
        for item in desired:
            problem = unknown.get((item.key.group, item.key.kind))
            if problem:
                errors[item.key] = problem
            else:
                known.append(item)
        live = self._read_live(app, client, desired, known)
        # Local predictions first; the server is asked only where it could say something new.
        local = compare_app(app, desired, live, revision=target.commit, resource_errors=errors)
        candidates = [
            d for d in known
            if not is_hook(d.obj) and d.key in local.diffs
            and needs_server_prediction(local.diffs[d.key], d.obj, live.get(d.key), client.settings.field_manager)
        ]  # fmt: skip
        predicted: dict[ResourceKey, dict[str, Any]] = {}
        if not candidates:
            return _secrets_masked_alone(app, local, desired, live, predicted)
        for key, outcome in self._map(lambda d: (d.key, self._predict(client, app, d)), candidates):
            if isinstance(outcome, str):
                errors[key] = outcome
            elif outcome is not None:
                predicted[key] = outcome
        # Only the resources the server was asked about can change verdict: compare them again, keep the rest.
        keys = {d.key for d in candidates}
        again = compare_app(
            app,
            candidates,
            {k: live[k] for k in keys if k in live},
            revision=target.commit,
            predicted=predicted,
            resource_errors={k: errors[k] for k in keys if k in errors},
        )
        return _secrets_masked_alone(app, _merged(local, again), desired, live, predicted)

    def _predict(self, client: ClusterClient, app: AppSpec, item: DesiredObject) -> dict[str, Any] | str | None:
        """The server's dry-run result; a message when the server rejects the object; None to predict locally."""
        try:
            return client.apply(item.obj, app=app.name, dry_run=True, force=True)
        except InvalidError as exc:
            return f"the cluster rejects it: {exc.message}"
        except ConnectionFailedError:
            raise
        except ClusterError:
            return None  # e.g. forbidden to patch, even as a dry run: compare against the local prediction

    def _read_live(
        self, app: AppSpec, client: ClusterClient, desired: list[DesiredObject], known: list[DesiredObject]
    ) -> dict[ResourceKey, Any]:
        """The objects at the desired keys, and those the app tracks but no longer renders.

        One list per kind and namespace serves both, instead of a GET per object; a GET is used
        only where listing was not possible (forbidden, say).
        """
        kinds = {(d.key.group, d.key.kind) for d in known} | set(LEFTOVER_KINDS)
        namespaces = {d.key.namespace for d in desired if d.key.namespace} | {app.destination.namespace or ""}
        jobs = []
        for group, kind in sorted(kinds):
            resource = client.mapper.find_group_kind(group, kind)  # discovery was read by _compare_live
            if resource is None or "list" not in resource.verbs:
                continue
            scopes = sorted(namespaces - {""}) if resource.namespaced else [""]
            jobs.extend((resource, ns) for ns in scopes)
        annotations = (client.settings.tracking_annotation, ARGOCD_TRACKING_ANNOTATION)
        wanted = {d.key for d in known}
        found: dict[ResourceKey, Any] = {}
        listed: set[tuple[str, str, str]] = set()
        for (resource, namespace), items in zip(
            jobs, self._map(lambda job: _list_or_none(client, *job), jobs), strict=True
        ):
            if items is None:
                continue
            listed.add((resource.group, resource.kind, namespace))
            for obj in items:
                key = ResourceKey.of(obj)
                if key in wanted or app.name in tracked_apps(obj, key, annotations):
                    found[key] = obj
        unlisted = [d for d in known if (d.key.group, d.key.kind, d.key.namespace) not in listed]
        found.update({k: v for k, v in self._map(lambda d: (d.key, client.get(d.key)), unlisted) if v is not None})
        return found

    def _map(self, func: Callable[[T], R], items: Iterable[T]) -> list[R]:
        return list(self._executor.map(func, items))


def _merged(first: AppComparison, again: AppComparison) -> AppComparison:
    """`first` with the verdicts of `again` (a comparison of some of its resources) in their place."""
    redone = {r.key: r for r in again.state.resources}
    resources = tuple(redone.get(r.key, r) for r in first.state.resources)
    # Health reads only the live objects, which did not change between the two comparisons.
    state = dataclasses.replace(first.state, resources=resources, sync=app_sync_status(resources))
    return AppComparison(state, {**first.diffs, **again.diffs})


def _secrets_masked_alone(
    app: AppSpec,
    comparison: AppComparison,
    desired: list[DesiredObject],
    live: Mapping[ResourceKey, Any],
    predicted: Mapping[ResourceKey, Any],
) -> AppComparison:
    """Each Secret's diff masked on its own, as the console's diff view (and a console answering `diff`) masks
    it: the masks of one Secret then do not depend on the other Secrets of the app."""
    secrets = [key for key, diff in comparison.diffs.items() if key.kind == "Secret" and not key.group
               and not diff.in_sync]  # fmt: skip
    if not secrets:
        return comparison
    objects = {d.key: d.obj for d in desired}
    diffs = dict(comparison.diffs)
    for key in secrets:
        diffs[key] = compare_resource(
            key, objects.get(key), live.get(key), predicted=predicted.get(key), ignore=app.ignore_differences
        )
    return AppComparison(comparison.state, diffs)


def _list_or_none(client: ClusterClient, resource: Any, namespace: str) -> list[Mapping[str, Any]] | None:
    try:
        return client.list(resource, namespace).items
    except ConnectionFailedError:
        raise
    except ClusterError:
        return None  # a kind we may not list (403): read its objects one by one instead
