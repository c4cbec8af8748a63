"""`python -m gitops_tui.tui.screenshots DIR`: the README's screenshots, from a fixed demo fleet.

The fleet is made of model values (AppStates, events, history) and real engine diffs of small manifests,
served by `StaticSource`, which answers the reconciler's public API from memory. The same fleet backs the
console's snapshot tests and benchmark, so what the README shows is what the tests check.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from gitops_tui.engine.diff import ResourceDiff, compare_resource
from gitops_tui.engine.masking import SecretMasker
from gitops_tui.engine.reconciler import ReadOnlyModeError, ReconcilerError, SyncRequest, UnknownAppError
from gitops_tui.engine.resource_tree import TreeNode
from gitops_tui.engine.sync_plan_model import SyncPlan
from gitops_tui.engine.sync_preview import preview_plan
from gitops_tui.model import (
    AppActivity,
    AppSource,
    AppSpec,
    AppState,
    Changes,
    ClusterFreshness,
    CommitInfo,
    Destination,
    Event,
    Health,
    HealthStatus,
    HistoryEntry,
    Operation,
    OperationPhase,
    ResourceKey,
    ResourceState,
    Severity,
    SyncPolicy,
    SyncStatus,
)

NOW = datetime(2026, 11, 26, 14, 30, 0, tzinfo=UTC)
REPO = "https://git.example.com/platform/deploy.git"


def fixed_clock() -> datetime:
    return NOW


@dataclass
class _Subscription:
    source: StaticSource
    callback: Callable[[Changes], None] | None

    def close(self) -> None:
        if self in self.source.subscriptions:
            self.source.subscriptions.remove(self)


@dataclass
class StaticSource:
    """The reconciler's public API over values held in memory (tests, screenshots, the benchmark)."""

    states: dict[str, AppState]
    event_log: list[Event] = field(default_factory=list)
    clusters: list[ClusterFreshness] = field(default_factory=list)
    objects: dict[tuple[str, ResourceKey], tuple[dict[str, Any] | None, dict[str, Any] | None]] = field(
        default_factory=dict)
    """(live, desired) per app and resource, for diffs."""
    histories: dict[str, list[HistoryEntry]] = field(default_factory=dict)
    revisions: dict[tuple[str, str], list[tuple[dict[str, Any] | None, dict[str, Any] | None]]] = field(
        default_factory=dict)
    """(live now, desired at that revision) per app and revision, for the rollback dialog's diff."""
    revisions_asked: list[str] = field(default_factory=list)
    """Revisions whose diff was asked for, in order (tests of the dialog's debounce)."""
    read_only: bool = False
    auto_off: set[str] = field(default_factory=set)
    operations: dict[str, Operation] = field(default_factory=dict)
    subscriptions: list[_Subscription] = field(default_factory=list)
    calls: list[tuple[str, ...]] = field(default_factory=list)
    """Commands received, for tests: ("sync", "web", "prune")."""
    trees: dict[tuple[str, ResourceKey], list[TreeNode]] = field(default_factory=dict)
    """What controllers made below a resource (ReplicaSets, Pods), per app and resource."""

    async def start(self) -> None: ...
    async def stop(self) -> None: ...

    def snapshot(self) -> Mapping[str, AppState]:
        return dict(self.states)

    def subscribe(self, callback: Callable[[Changes], None] | None = None) -> _Subscription:
        subscription = _Subscription(self, callback)
        self.subscriptions.append(subscription)
        return subscription

    def publish(self, states: Iterable[AppState] = (), events: Iterable[Event] = ()) -> None:
        """Change some apps and record events, then tell subscribers (as the reconciler's feed does)."""
        names = set()
        for state in states:
            self.states[state.name] = state
            names.add(state.name)
        fresh = list(events)
        for event in fresh:
            self.event_log.append(replace(event, seq=len(self.event_log) + 1))
        for subscription in list(self.subscriptions):
            if subscription.callback is not None:
                subscription.callback(Changes(frozenset(names), bool(fresh), False))

    def events(self, since: int = 0, app: str | None = None) -> list[Event]:
        return [e for e in self.event_log if e.seq > since and (app is None or e.app == app)]

    def freshness(self) -> list[ClusterFreshness]:
        return list(self.clusters)

    def _state(self, app: str) -> AppState:
        if app not in self.states:
            raise UnknownAppError(f"no app named {app!r}")
        return self.states[app]

    def activity(self, app: str) -> AppActivity:
        policy = self._state(app).spec.sync_policy
        note = "" if policy.automated else "automated sync is not configured"
        if app in self.auto_off:
            note = "automated sync switched off by the user"
        return AppActivity(NOW + timedelta(seconds=92), NOW - timedelta(seconds=28),
                           policy.automated and app not in self.auto_off, note, self.operations.get(app))

    async def diff(self, app: str, key: ResourceKey) -> ResourceDiff | None:
        live, desired = self.objects.get((app, key), (None, None))
        if live is None and desired is None:
            return None
        return compare_resource(key, desired, live, masker=SecretMasker())

    async def history(self, app: str) -> Sequence[HistoryEntry]:
        return list(self.histories.get(app, []))

    async def revision_diff(self, app: str, revision: str) -> list[ResourceDiff]:
        """What rolling back to `revision` changes: the engine's diff of each (live, desired then) pair."""
        self.revisions_asked.append(revision)
        pairs = self.revisions.get((app, revision))
        if pairs is None:
            raise ReconcilerError(f"{app}: cannot render revision {revision[:7]}: no such commit in the repository")
        diffs = [compare_resource(ResourceKey.of(desired or live or {}), desired, live, masker=SecretMasker())
                 for live, desired in pairs]
        return [d for d in diffs if d.status is not SyncStatus.SYNCED]

    def resource_tree(self, app: str, key: ResourceKey) -> list[TreeNode]:
        self._state(app)
        return list(self.trees.get((app, key), []))

    async def plan(self, app: str, request: SyncRequest | None = None) -> SyncPlan:
        """The engine's own plan over the fleet's objects (desired from Git, live from the cluster)."""
        state = self._state(app)
        pairs = [pair for (owner, _), pair in self.objects.items() if owner == app]
        desired = [dict(d) for _, d in pairs if d is not None]
        live = {ResourceKey.of(obj): obj for obj, _ in pairs if obj is not None}
        return preview_plan(state, desired, live, request or SyncRequest())

    def terminate(self, app: str) -> Operation | None:
        operation = self.operations.get(app)
        if operation is None or operation.phase.completed:
            return None
        self.calls.append(("terminate", app))
        stopping = replace(operation, phase=OperationPhase.TERMINATING, message="terminating: stops after the "
                                                                                 "current step")
        self.operations[app] = stopping
        self.publish([self._state(app)])
        return stopping

    def refresh(self, app: str, hard: bool = False) -> Awaitable[AppState]:
        self.calls.append(("refresh", app, "hard" if hard else ""))
        future: asyncio.Future[AppState] = asyncio.get_running_loop().create_future()
        future.set_result(self._state(app))
        return future

    async def sync(self, app: str, request: SyncRequest | None = None) -> Operation:
        request = request or SyncRequest()
        if self.read_only and not request.dry_run:
            raise ReadOnlyModeError(f"read-only mode: refusing to sync {app}")
        state = self._state(app)
        self.calls.append(("sync", app, "prune" if request.prune else ""))
        operation = Operation(len(self.calls), app, "sync", state.revision.sha if state.revision else "", "user",
                              NOW, prune=request.prune, dry_run=request.dry_run)
        self.operations[app] = operation
        self.publish([state])  # as the reconciler's feed says an operation started
        return operation

    async def rollback(self, app: str, history_id: int) -> Operation:
        if self.read_only:
            raise ReadOnlyModeError(f"read-only mode: refusing to roll {app} back")
        self.calls.append(("rollback", app, str(history_id)))
        self.auto_off.add(app)
        entry = next(e for e in self.histories.get(app, []) if e.id == history_id)
        operation = Operation(len(self.calls), app, "rollback", entry.revision, "user", NOW)
        self.operations[app] = operation
        return operation

    def set_auto_sync(self, app: str, enabled: bool) -> None:
        if self.read_only:
            raise ReadOnlyModeError(f"read-only mode: refusing to switch auto-sync for {app}")
        self.calls.append(("auto-sync", app, "on" if enabled else "off"))
        (self.auto_off.discard if enabled else self.auto_off.add)(app)


# ---- the demo fleet ----------------------------------------------------------------------------------------


def commit(n: int, subject: str, author: str = "Dana Ops") -> CommitInfo:
    sha = f"{n:02x}" + "7c1e9a04b2d5f3e6a8c0b1d2e3f4a5b6c7d8e9"[: 38]
    return CommitInfo(sha, author, "dana@example.com", NOW - timedelta(hours=n), subject)


def spec(name: str, namespace: str, *, automated: bool = True, self_heal: bool = False, prune: bool = False,
         path: str = "") -> AppSpec:
    return AppSpec(name, AppSource(REPO, path or f"apps/{name}", "main"),
                   Destination("https://kubernetes.default.svc", "", namespace),
                   sync_policy=SyncPolicy(automated=automated, self_heal=self_heal, prune=prune))


def deployment(name: str, namespace: str, image: str, replicas: int = 2) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": namespace, "labels": {"app": name}},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": name, "image": image,
                                                           "ports": [{"containerPort": 8080}],
                                                           "resources": {"limits": {"memory": "256Mi"}}}]}}}}


def config_map(name: str, namespace: str, data: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": namespace},
            "data": data}


def service(name: str, namespace: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": namespace},
            "spec": {"selector": {"app": name}, "ports": [{"port": 80, "targetPort": 8080}]}}


HEALTHY = Health(HealthStatus.HEALTHY)


def _resource(obj: dict[str, Any], sync: SyncStatus = SyncStatus.SYNCED, health: Health | None = HEALTHY,
              **flags: Any) -> ResourceState:
    checked = obj["kind"] not in ("ConfigMap", "Secret")
    return ResourceState(ResourceKey.of(obj), sync, health if checked else None, **flags)


class FleetBuilder:
    def __init__(self) -> None:
        self.source = StaticSource({}, clusters=[ClusterFreshness("prod-eu", True, 2.0, True)])

    def app(self, app_spec: AppSpec, revision: CommitInfo, resources: list[tuple[ResourceState, Any, Any]],
            *, error: str = "", health_message: str = "") -> None:
        states = tuple(r for r, _, _ in resources)
        sync = SyncStatus.OUT_OF_SYNC if any(r.sync is not SyncStatus.SYNCED for r in states) else SyncStatus.SYNCED
        worst = max((r.health.status for r in states if r.health), key=lambda s: s.severity,
                    default=HealthStatus.HEALTHY)
        if error:
            sync, worst = SyncStatus.UNKNOWN, HealthStatus.UNKNOWN
        self.source.states[app_spec.name] = AppState(app_spec, sync, Health(worst, health_message), revision, states,
                                                     error, NOW - timedelta(seconds=3))
        for state, live, desired in resources:
            self.source.objects[(app_spec.name, state.key)] = (live, desired)

    def event(self, minutes_ago: float, app: str, severity: Severity, message: str) -> None:
        log = self.source.event_log
        log.append(Event(NOW - timedelta(minutes=minutes_ago), app, severity, message, len(log) + 1))


def healthy_app(builder: FleetBuilder, name: str, namespace: str, n: int, **policy: Any) -> None:
    objs = [deployment(name, namespace, f"registry.example.com/{name}:1.{n}.0"), service(name, namespace),
            config_map(f"{name}-config", namespace, {"LOG_LEVEL": "info"})]
    builder.app(spec(name, namespace, **policy), commit(n, f"{name}: bump to 1.{n}.0"),
                [(_resource(o), o, o) for o in objs])


def demo_fleet(scenario: str = "mixed") -> StaticSource:
    """"healthy": every app in sync and healthy; "mixed": drift, a degraded app, a prune, a render error."""
    b = FleetBuilder()
    healthy_app(b, "guestbook", "guestbook", 3, self_heal=True)
    healthy_app(b, "checkout", "shop", 5, self_heal=True, prune=True)
    healthy_app(b, "ingress-nginx", "ingress", 9)
    if scenario == "healthy":
        healthy_app(b, "web", "web", 2)
        healthy_app(b, "payments", "payments", 4, automated=False)
        b.event(42, "web", Severity.INFO, "sync OutOfSync → Synced")
        b.event(12, "", Severity.INFO, "cluster prod-eu is reachable again")
        return b.source
    live_web = deployment("web", "web", "registry.example.com/web:2.3.1", replicas=3)
    git_web = deployment("web", "web", "registry.example.com/web:2.4.0", replicas=3)
    live_cfg = config_map("web-config", "web", {"LOG_LEVEL": "info", "FEATURE_CART": "false"})
    git_cfg = config_map("web-config", "web", {"LOG_LEVEL": "debug", "FEATURE_CART": "true"})
    old_job = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "web-cleanup", "namespace": "web"},
               "spec": {"schedule": "0 3 * * *"}}
    b.app(spec("web", "web", self_heal=False), commit(1, "web: release 2.4.0 with the new cart", "Sam Dev"), [
        (_resource(live_web, SyncStatus.OUT_OF_SYNC, reason="differs from Git"), live_web, git_web),
        (_resource(live_cfg, SyncStatus.OUT_OF_SYNC, reason="differs from Git"), live_cfg, git_cfg),
        (_resource(service("web", "web")), service("web", "web"), service("web", "web")),
        (_resource(old_job, SyncStatus.OUT_OF_SYNC, Health(HealthStatus.HEALTHY), requires_pruning=True,
                   in_git=False, reason="not in Git any more (requires pruning)"), old_job, None),
    ])
    pay = deployment("payments", "payments", "registry.example.com/payments:7.1.0")
    degraded = Health(HealthStatus.DEGRADED, 'Deployment "payments" exceeded its progress deadline')
    b.app(spec("payments", "payments", automated=False), commit(4, "payments: raise pool size"), [
        (_resource(pay, health=degraded), pay, pay),
        (_resource(service("payments", "payments")), service("payments", "payments"), service("payments", "payments")),
    ], health_message=degraded.message)
    mon = deployment("grafana", "monitoring", "grafana/grafana:11.2.0", replicas=1)
    b.app(spec("monitoring", "monitoring"), commit(6, "monitoring: add grafana"), [
        (_resource(mon, SyncStatus.OUT_OF_SYNC, Health(HealthStatus.MISSING), in_cluster=False,
                   reason="missing from the cluster"), None, mon),
    ])
    b.app(spec("reports", "reports", automated=False), commit(8, "reports: kustomize overlay for prod"), [],
          error="reports: apps/reports/kustomization.yaml: resource 'cronjob.yaml' not found")
    workload_trees(b.source)
    b.source.operations["checkout"] = Operation(7, "checkout", "sync", commit(5, "").sha, "automated",
                                                NOW - timedelta(minutes=9), OperationPhase.SUCCEEDED,
                                                finished_at=NOW - timedelta(minutes=9))
    b.source.histories["web"] = [
        HistoryEntry(3, commit(30, "").sha, NOW - timedelta(days=2), "user", "Sam Dev", "web: release 2.3.0"),
        HistoryEntry(4, commit(20, "").sha, NOW - timedelta(days=1), "automated", "Sam Dev", "web: release 2.3.1"),
    ]
    b.source.revisions[("web", commit(30, "").sha)] = [
        (live_web, deployment("web", "web", "registry.example.com/web:2.3.0", replicas=3)), (live_cfg, live_cfg)]
    b.source.revisions[("web", commit(20, "").sha)] = [(live_web, live_web), (live_cfg, live_cfg)]
    b.event(55, "payments", Severity.INFO, "payments: Synced (manual sync by user)")
    b.event(31, "payments", Severity.ERROR,
            'health Healthy → Degraded (Deployment "payments" exceeded its progress deadline)')
    b.event(20, "", Severity.WARNING, "cluster prod-eu: watch of apps/v1 Deployments lost, re-listing")
    b.event(19, "", Severity.INFO, "cluster prod-eu is reachable again")
    b.event(9, "checkout", Severity.INFO, "checkout: auto-sync to 057c1e9 succeeded")
    b.event(4, "web", Severity.WARNING, "sync Synced → OutOfSync")
    b.event(2, "monitoring", Severity.WARNING, "health Healthy → Missing")
    b.event(1, "reports", Severity.ERROR, "reports: apps/reports/kustomization.yaml: resource 'cronjob.yaml' not found")
    return b.source


def _rs(app: str, name: str, revision: int, ready: int, replicas: int, health: Health = HEALTHY) -> TreeNode:
    owner = ResourceKey("apps", "Deployment", app, app)
    facts = f"rev {revision} · {ready}/{replicas} ready"
    return TreeNode(ResourceKey("apps", "ReplicaSet", app, name), health, owner, 1, facts, retired=replicas == 0)


def _pod(app: str, replica_set: str, suffix: str, health: Health = HEALTHY, facts: str = "Running"
         ) -> TreeNode:
    return TreeNode(ResourceKey("", "Pod", app, f"{replica_set}-{suffix}"), health,
                    ResourceKey("apps", "ReplicaSet", app, replica_set), 2, facts)


def workload_trees(source: StaticSource) -> None:
    """ReplicaSets and Pods under the fleet's Deployments: web rolled out twice, payments crashlooping."""
    web = ResourceKey("apps", "Deployment", "web", "web")
    source.trees[("web", web)] = [
        _rs("web", "web-7c9f5d8b6", 3, 3, 3),
        *(_pod("web", "web-7c9f5d8b6", s) for s in ("4kq2x", "9wz7m", "tr5bn")),
        _rs("web", "web-5b8d4c7f9", 2, 0, 0),
        _rs("web", "web-64f7b9c5d", 1, 0, 0),
    ]
    payments = ResourceKey("apps", "Deployment", "payments", "payments")
    back_off = Health(HealthStatus.DEGRADED, "back-off 2m40s restarting failed container=payments "
                                             "pod=payments-6d5f9c7b8-k2x9p")
    source.trees[("payments", payments)] = [
        _rs("payments", "payments-6d5f9c7b8", 4, 0, 2, Health(HealthStatus.PROGRESSING, "Waiting for rollout to "
                                                                "finish: 0 out of 2 new replicas are available...")),
        _pod("payments", "payments-6d5f9c7b8", "k2x9p", back_off, "CrashLoopBackOff · 7 restarts"),
        _pod("payments", "payments-6d5f9c7b8", "m8v4d", replace(back_off, message=back_off.message.replace(
            "k2x9p", "m8v4d")), "CrashLoopBackOff · 6 restarts"),
        _rs("payments", "payments-84c6f7d9b", 3, 2, 2),
        *(_pod("payments", "payments-84c6f7d9b", s) for s in ("2bx8c", "zq6lp")),
    ]


# ---- the screenshots ---------------------------------------------------------------------------------------

SHOTS: list[tuple[str, str, tuple[int, int], tuple[str, ...]]] = [
    # (file, scenario, size, keys pressed before the shot)
    ("console-overview", "mixed", (120, 40), ("j", "j", "j", "j", "j", "j")),
    ("console-degraded", "mixed", (120, 40), ("j", "j", "j", "j", "l", "l", "j", "j")),
    ("console-diff", "mixed", (120, 40), ("j", "j", "j", "j", "j", "j", "d", "n")),
    ("console-healthy-80x24", "healthy", (80, 24), ()),
    ("console-help", "mixed", (120, 40), ("question_mark",)),
    ("console-sync-plan", "mixed", (120, 40), ("j", "j", "j", "j", "j", "j", "S")),
]


async def shoot(path: Path, scenario: str, size: tuple[int, int], keys: Sequence[str]) -> None:
    from gitops_tui.tui.app import GitOpsApp  # Textual loads only when screenshots are taken

    app = GitOpsApp(demo_fleet(scenario), clock=fixed_clock)
    async with app.run_test(size=size) as pilot:
        await pilot.press(*keys)
        for _ in range(100):  # the diff of the selection is computed after the cursor rests
            if app.selection is not None and app.diff_shown_for == app.selection:
                break
            await pilot.pause(0.02)
        await pilot.pause()
        path.write_text(app.export_screenshot(title="gitops-tui"), encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    out = Path(args[0] if args else "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    for name, scenario, size, keys in SHOTS:
        target = out / f"{name}.svg"
        asyncio.run(shoot(target, scenario, size, keys))
        print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
