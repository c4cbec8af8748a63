"""The demo fleet: apps in sync, drifted, degraded, pruning and failing to render, as model values with
real engine diffs of small manifests, served by a StaticSource. The README's screenshots, the console's
snapshot tests and its benchmark all show this fleet.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from gitops_tui.engine.resource_tree import TreeNode
from gitops_tui.model import (
    AppSource,
    AppSpec,
    AppState,
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
from gitops_tui.tui.static_source import NOW, StaticSource

REPO = "https://git.example.com/platform/deploy.git"


def commit(n: int, subject: str, author: str = "Dana Ops") -> CommitInfo:
    sha = f"{n:02x}" + "7c1e9a04b2d5f3e6a8c0b1d2e3f4a5b6c7d8e9"[:38]
    return CommitInfo(sha, author, "dana@example.com", NOW - timedelta(hours=n), subject)


def spec(
    name: str, namespace: str, *, automated: bool = True, self_heal: bool = False, prune: bool = False, path: str = ""
) -> AppSpec:
    return AppSpec(
        name,
        AppSource(REPO, path or f"apps/{name}", "main"),
        Destination("https://kubernetes.default.svc", "", namespace),
        sync_policy=SyncPolicy(automated=automated, self_heal=self_heal, prune=prune),
    )


def deployment(name: str, namespace: str, image: str, replicas: int = 2) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [
                        {
                            "name": name,
                            "image": image,
                            "ports": [{"containerPort": 8080}],
                            "resources": {"limits": {"memory": "256Mi"}},
                        }
                    ]
                },
            },
        },
    }


def config_map(name: str, namespace: str, data: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": namespace}, "data": data}


def service(name: str, namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"selector": {"app": name}, "ports": [{"port": 80, "targetPort": 8080}]},
    }


HEALTHY = Health(HealthStatus.HEALTHY)


def _resource(
    obj: dict[str, Any], sync: SyncStatus = SyncStatus.SYNCED, health: Health | None = HEALTHY, **flags: Any
) -> ResourceState:
    checked = obj["kind"] not in ("ConfigMap", "Secret")
    return ResourceState(ResourceKey.of(obj), sync, health if checked else None, **flags)


class FleetBuilder:
    def __init__(self) -> None:
        self.source = StaticSource({}, clusters=[ClusterFreshness("prod-eu", True, 2.0, True)])

    def app(
        self,
        app_spec: AppSpec,
        revision: CommitInfo,
        resources: list[tuple[ResourceState, Any, Any]],
        *,
        error: str = "",
        health_message: str = "",
    ) -> None:
        states = tuple(r for r, _, _ in resources)
        sync = SyncStatus.OUT_OF_SYNC if any(r.sync is not SyncStatus.SYNCED for r in states) else SyncStatus.SYNCED
        worst = max(
            (r.health.status for r in states if r.health), key=lambda s: s.severity, default=HealthStatus.HEALTHY
        )
        if error:
            sync, worst = SyncStatus.UNKNOWN, HealthStatus.UNKNOWN
        self.source.states[app_spec.name] = AppState(
            app_spec, sync, Health(worst, health_message), revision, states, error, NOW - timedelta(seconds=3)
        )
        for state, live, desired in resources:
            self.source.objects[(app_spec.name, state.key)] = (live, desired)

    def event(self, minutes_ago: float, app: str, severity: Severity, message: str) -> None:
        log = self.source.event_log
        log.append(Event(NOW - timedelta(minutes=minutes_ago), app, severity, message, len(log) + 1))


def healthy_app(builder: FleetBuilder, name: str, namespace: str, n: int, **policy: Any) -> None:
    objs = [
        deployment(name, namespace, f"registry.example.com/{name}:1.{n}.0"),
        service(name, namespace),
        config_map(f"{name}-config", namespace, {"LOG_LEVEL": "info"}),
    ]
    builder.app(
        spec(name, namespace, **policy), commit(n, f"{name}: bump to 1.{n}.0"), [(_resource(o), o, o) for o in objs]
    )


def demo_fleet(scenario: str = "mixed") -> StaticSource:
    """ "healthy": every app in sync and healthy; "mixed": drift, a degraded app, a prune, a render error."""
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
    old_job = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "web-cleanup", "namespace": "web"},
        "spec": {"schedule": "0 3 * * *"},
    }
    b.app(
        spec("web", "web", self_heal=False),
        commit(1, "web: release 2.4.0 with the new cart", "Sam Dev"),
        [
            (_resource(live_web, SyncStatus.OUT_OF_SYNC, reason="differs from Git"), live_web, git_web),
            (_resource(live_cfg, SyncStatus.OUT_OF_SYNC, reason="differs from Git"), live_cfg, git_cfg),
            (_resource(service("web", "web")), service("web", "web"), service("web", "web")),
            (
                _resource(
                    old_job,
                    SyncStatus.OUT_OF_SYNC,
                    Health(HealthStatus.HEALTHY),
                    requires_pruning=True,
                    in_git=False,
                    reason="not in Git any more (requires pruning)",
                ),
                old_job,
                None,
            ),
        ],
    )
    pay = deployment("payments", "payments", "registry.example.com/payments:7.1.0")
    degraded = Health(HealthStatus.DEGRADED, 'Deployment "payments" exceeded its progress deadline')
    b.app(
        spec("payments", "payments", automated=False),
        commit(4, "payments: raise pool size"),
        [
            (_resource(pay, health=degraded), pay, pay),
            (
                _resource(service("payments", "payments")),
                service("payments", "payments"),
                service("payments", "payments"),
            ),
        ],
        health_message=degraded.message,
    )
    mon = deployment("grafana", "monitoring", "grafana/grafana:11.2.0", replicas=1)
    b.app(
        spec("monitoring", "monitoring"),
        commit(6, "monitoring: add grafana"),
        [
            (
                _resource(
                    mon,
                    SyncStatus.OUT_OF_SYNC,
                    Health(HealthStatus.MISSING),
                    in_cluster=False,
                    reason="missing from the cluster",
                ),
                None,
                mon,
            ),
        ],
    )
    b.app(
        spec("reports", "reports", automated=False),
        commit(8, "reports: kustomize overlay for prod"),
        [],
        error="reports: apps/reports/kustomization.yaml: resource 'cronjob.yaml' not found",
    )
    workload_trees(b.source)
    b.source.operations["checkout"] = Operation(
        7,
        "checkout",
        "sync",
        commit(5, "").sha,
        "automated",
        NOW - timedelta(minutes=9),
        OperationPhase.SUCCEEDED,
        finished_at=NOW - timedelta(minutes=9),
    )
    b.source.histories["web"] = [
        HistoryEntry(3, commit(30, "").sha, NOW - timedelta(days=2), "user", "Sam Dev", "web: release 2.3.0"),
        HistoryEntry(4, commit(20, "").sha, NOW - timedelta(days=1), "automated", "Sam Dev", "web: release 2.3.1"),
    ]
    b.source.revisions[("web", commit(30, "").sha)] = [
        (live_web, deployment("web", "web", "registry.example.com/web:2.3.0", replicas=3)),
        (live_cfg, live_cfg),
    ]
    b.source.revisions[("web", commit(20, "").sha)] = [(live_web, live_web), (live_cfg, live_cfg)]
    b.event(55, "payments", Severity.INFO, "payments: Synced (manual sync by user)")
    b.event(
        31,
        "payments",
        Severity.ERROR,
        'health Healthy → Degraded (Deployment "payments" exceeded its progress deadline)',
    )
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


def _pod(app: str, replica_set: str, suffix: str, health: Health = HEALTHY, facts: str = "Running") -> TreeNode:
    return TreeNode(
        ResourceKey("", "Pod", app, f"{replica_set}-{suffix}"),
        health,
        ResourceKey("apps", "ReplicaSet", app, replica_set),
        2,
        facts,
    )


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
    back_off = Health(
        HealthStatus.DEGRADED, "back-off 2m40s restarting failed container=payments pod=payments-6d5f9c7b8-k2x9p"
    )
    source.trees[("payments", payments)] = [
        _rs(
            "payments",
            "payments-6d5f9c7b8",
            4,
            0,
            2,
            Health(HealthStatus.PROGRESSING, "Waiting for rollout to finish: 0 out of 2 new replicas are available..."),
        ),
        _pod("payments", "payments-6d5f9c7b8", "k2x9p", back_off, "CrashLoopBackOff · 7 restarts"),
        _pod(
            "payments",
            "payments-6d5f9c7b8",
            "m8v4d",
            replace(back_off, message=back_off.message.replace("k2x9p", "m8v4d")),
            "CrashLoopBackOff · 6 restarts",
        ),
        _rs("payments", "payments-84c6f7d9b", 3, 2, 2),
        *(_pod("payments", "payments-84c6f7d9b", s) for s in ("2bx8c", "zq6lp")),
    ]
