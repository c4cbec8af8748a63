"""App health from its resources' health: worst wins, with Argo CD's exclusions."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

import pytest

from gitops_tui.engine.health import aggregate_health
from gitops_tui.model import Health, HealthStatus, ResourceKey

HEALTHY = Health(HealthStatus.HEALTHY)
MISSING = Health(HealthStatus.MISSING)
DEADLINE = Health(HealthStatus.DEGRADED, 'Deployment "web" exceeded its progress deadline')

Entry = tuple[ResourceKey, Health | None, Mapping[str, Any] | None]


def obj(api_version: str, kind: str, name: str, namespace: str = "guestbook", **annotations: str) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    if annotations:
        metadata["annotations"] = annotations
    return {"apiVersion": api_version, "kind": kind, "metadata": metadata}


def entry(health: Health | None, manifest: dict[str, Any]) -> Entry:
    return ResourceKey.of(manifest), health, manifest


def deployment(name: str = "web", **annotations: str) -> dict[str, Any]:
    return obj("apps/v1", "Deployment", name, **annotations)


def service(name: str = "web", **annotations: str) -> dict[str, Any]:
    return obj("v1", "Service", name, **annotations)


def config_map(name: str = "web-config") -> dict[str, Any]:
    return obj("v1", "ConfigMap", name)


def job(name: str, **annotations: str) -> dict[str, Any]:
    return obj("batch/v1", "Job", name, **annotations)


def test_no_resources_is_healthy() -> None:
    assert aggregate_health([]) == Health(HealthStatus.HEALTHY, "")


def test_all_healthy_is_healthy_without_a_message() -> None:
    assert aggregate_health([entry(HEALTHY, deployment()), entry(HEALTHY, service())]) == HEALTHY


def test_only_kinds_without_health_is_healthy() -> None:
    assert aggregate_health([entry(None, config_map()), entry(None, obj("v1", "Secret", "db"))]) == HEALTHY


ORDER = list(HealthStatus)


@pytest.mark.parametrize(
    ("better", "worse"),
    list(itertools.combinations(ORDER, 2)),
    ids=lambda status: status.value,
)
def test_the_worst_status_wins_in_argo_cds_order(better: HealthStatus, worse: HealthStatus) -> None:
    resources = [
        entry(Health(better, "better"), deployment("a")),
        entry(Health(worse, "worse"), deployment("b")),
        entry(HEALTHY, service()),
    ]
    for ordering in (resources, list(reversed(resources))):
        assert aggregate_health(ordering).status is worse


def test_order_is_healthy_suspended_progressing_missing_degraded_unknown() -> None:
    assert [s.value for s in ORDER] == ["Healthy", "Suspended", "Progressing", "Missing", "Degraded", "Unknown"]


def test_message_names_the_worst_resource_and_its_reason() -> None:
    health = aggregate_health(
        [
            entry(
                Health(HealthStatus.PROGRESSING, "Waiting for 1 pods to be ready..."),
                obj("apps/v1", "StatefulSet", "db"),
            ),
            entry(DEADLINE, deployment()),
            entry(HEALTHY, service()),
        ]
    )
    assert health == Health(
        HealthStatus.DEGRADED, 'Deployment guestbook/web: Deployment "web" exceeded its progress deadline'
    )


def test_message_names_up_to_three_worst_resources_then_counts_the_rest() -> None:
    names = ["e", "b", "d", "a", "c"]
    health = aggregate_health(
        [entry(Health(HealthStatus.DEGRADED, f"{name} is down"), deployment(name)) for name in names]
        + [entry(Health(HealthStatus.PROGRESSING, "not named"), deployment("z"))]
    )
    assert health.status is HealthStatus.DEGRADED
    assert health.message == (
        "Deployment guestbook/a: a is down; Deployment guestbook/b: b is down; "
        "Deployment guestbook/c: c is down; and 2 more"
    )


def test_message_falls_back_to_the_status_and_handles_cluster_scoped_resources() -> None:
    lb = entry(Health(HealthStatus.PROGRESSING), obj("v1", "Service", "web-public"))
    api = entry(
        Health(HealthStatus.PROGRESSING, "FailedDiscoveryCheck: no response"),
        obj("apiregistration.k8s.io/v1", "APIService", "v1beta1.metrics.k8s.io", namespace=""),
    )
    assert aggregate_health([lb, api]).message == (
        # Ordered by key (core group first), so the message does not flicker between refreshes.
        "Service guestbook/web-public: Progressing; "
        "APIService v1beta1.metrics.k8s.io: FailedDiscoveryCheck: no response"
    )


@pytest.mark.parametrize(
    "annotations",
    [
        {"argocd.argoproj.io/hook": "PreSync"},
        {"argocd.argoproj.io/hook": "PostSync,SyncFail"},
        {"argocd.argoproj.io/hook": "Skip"},
        {"helm.sh/hook": "pre-install,pre-upgrade"},
        {"helm.sh/hook": "test"},
    ],
    ids=lambda annotations: ",".join(f"{k}={v}" for k, v in annotations.items()),
)
def test_hooks_do_not_count(annotations: dict[str, str]) -> None:
    failed_hook = entry(Health(HealthStatus.DEGRADED, "BackoffLimitExceeded"), job("db-migrate", **annotations))
    assert aggregate_health([failed_hook, entry(HEALTHY, deployment())]) == HEALTHY


def test_a_hook_alone_leaves_the_app_healthy() -> None:
    running_hook = entry(Health(HealthStatus.PROGRESSING), job("db-migrate", **{"argocd.argoproj.io/hook": "Sync"}))
    assert aggregate_health([running_hook]) == HEALTHY


def test_helm_crd_install_is_not_a_hook() -> None:
    crd_marked = entry(Health(HealthStatus.DEGRADED, "failed"), job("setup", **{"helm.sh/hook": "crd-install"}))
    assert aggregate_health([crd_marked]).status is HealthStatus.DEGRADED


def test_ignore_healthcheck_true_is_left_out() -> None:
    ignored = entry(DEADLINE, deployment("web", **{"argocd.argoproj.io/ignore-healthcheck": "true"}))
    counted = entry(Health(HealthStatus.PROGRESSING, "Waiting"), deployment("api"))
    assert aggregate_health([ignored, counted]) == Health(HealthStatus.PROGRESSING, "Deployment guestbook/api: Waiting")


def test_ignore_healthcheck_other_values_still_count() -> None:
    kept = entry(DEADLINE, deployment("web", **{"argocd.argoproj.io/ignore-healthcheck": "false"}))
    assert aggregate_health([kept]).status is HealthStatus.DEGRADED


def test_kinds_without_health_are_ignored_beside_others() -> None:
    assert aggregate_health([entry(None, config_map()), entry(HEALTHY, deployment())]) == HEALTHY


def test_a_missing_resource_with_a_check_makes_the_app_missing() -> None:
    health = aggregate_health([entry(MISSING, deployment()), entry(HEALTHY, service()), entry(None, config_map())])
    assert health == Health(HealthStatus.MISSING, "Deployment guestbook/web: Missing")


def test_degraded_outranks_missing() -> None:
    health = aggregate_health([entry(MISSING, deployment("api")), entry(DEADLINE, deployment("web"))])
    assert health.status is HealthStatus.DEGRADED


def test_a_missing_resource_without_a_check_does_not_count() -> None:
    # Argo CD: its absence already shows as OutOfSync; a ConfigMap has no health to lose.
    assert aggregate_health([entry(MISSING, config_map()), entry(HEALTHY, deployment())]) == HEALTHY


def test_nothing_in_the_cluster_yet_is_missing() -> None:
    health = aggregate_health([entry(MISSING, config_map()), entry(MISSING, obj("v1", "Secret", "db"))])
    assert health == Health(HealthStatus.MISSING, "none of the app's resources exist in the cluster")


def test_missing_hooks_do_not_make_the_app_missing() -> None:
    hook = entry(MISSING, job("db-migrate", **{"argocd.argoproj.io/hook": "PreSync"}))
    assert aggregate_health([hook, entry(HEALTHY, deployment())]) == HEALTHY


def test_resources_without_an_object_still_count() -> None:
    key = ResourceKey("apps", "Deployment", "guestbook", "web")
    assert aggregate_health([(key, DEADLINE, None)]).status is HealthStatus.DEGRADED
