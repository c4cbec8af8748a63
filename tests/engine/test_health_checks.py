"""Per-kind health checks against live objects as API servers and controllers write them.

The cases live in fixtures/health/*.yaml: each gives a live object and the exact status and
message Argo CD's check gives it (or, where we depart on purpose, what we give and why).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitops_tui.engine.health import HEALTH_CHECKS, assess_health
from gitops_tui.model import Health, HealthStatus, ResourceKey

FIXTURES = Path(__file__).parent / "fixtures" / "health"


def _load_cases() -> list[Any]:
    cases = []
    for path in sorted(FIXTURES.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text()):
            cases.append(pytest.param(case, id=f"{path.stem}: {case['case']}"))
    return cases


CASES = _load_cases()


@pytest.mark.parametrize("case", CASES)
def test_live_object_health(case: dict[str, Any]) -> None:
    expected = Health(HealthStatus(case["expect"]["status"]), case["expect"]["message"])
    assert assess_health(case["object"]) == expected


def test_every_kind_with_a_check_has_cases() -> None:
    covered = {(ResourceKey.of(p.values[0]["object"]).group, p.values[0]["object"]["kind"]) for p in CASES}
    assert set(HEALTH_CHECKS) - covered == set()


def test_the_table_holds_argo_cds_kinds() -> None:
    assert set(HEALTH_CHECKS) == {
        ("apps", "Deployment"),
        ("apps", "StatefulSet"),
        ("apps", "DaemonSet"),
        ("apps", "ReplicaSet"),
        ("", "Pod"),
        ("", "Service"),
        ("", "PersistentVolumeClaim"),
        ("batch", "Job"),
        ("batch", "CronJob"),
        ("networking.k8s.io", "Ingress"),
        ("extensions", "Ingress"),
        ("autoscaling", "HorizontalPodAutoscaler"),
        ("policy", "PodDisruptionBudget"),
        ("apiregistration.k8s.io", "APIService"),
        ("argoproj.io", "Application"),
    }


@pytest.mark.parametrize(
    "obj",
    [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web-config", "namespace": "guestbook"}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "shop"}, "type": "Opaque"},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "reader"}},
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}, "status": {"phase": "Active"}},
        # A custom resource that happens to share a built-in kind name is not that kind.
        {"apiVersion": "example.com/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": {"paused": True}},
        {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": {"name": "web"}},
    ],
    ids=lambda obj: f"{obj['apiVersion']} {obj['kind']}",
)
def test_kinds_without_a_check_have_no_health(obj: dict[str, Any]) -> None:
    assert assess_health(obj) is None


def test_deletion_is_reported_for_every_kind() -> None:
    # As in Argo CD: deletion is judged before the kind, so a ConfigMap stuck on a finalizer counts.
    config_map = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "web-config",
            "deletionTimestamp": "2024-05-01T11:00:00Z",
            "finalizers": ["example.com/x"],
        },
    }
    assert assess_health(config_map) == Health(HealthStatus.PROGRESSING, "Pending deletion")


@pytest.mark.parametrize(
    ("obj", "complaint"),
    [
        ({"apiVersion": "apps/v1", "kind": "Deployment", "status": "broken"}, "expected an object at status"),
        (
            {"apiVersion": "apps/v1", "kind": "Deployment", "status": {"observedGeneration": 1, "replicas": []}},
            "expected an integer",
        ),
        ({"apiVersion": "v1", "kind": "Pod", "status": {"phase": "Running", "containerStatuses": "web"}}, "a list"),
        (
            {"apiVersion": "batch/v1", "kind": "CronJob", "status": {"lastScheduleTime": "yesterday"}},
            "Invalid isoformat",
        ),
    ],
    ids=["status not an object", "counter not a number", "list not a list", "bad timestamp"],
)
def test_malformed_objects_are_unknown_with_the_reason(obj: dict[str, Any], complaint: str) -> None:
    health = assess_health(obj)
    assert health is not None
    assert health.status is HealthStatus.UNKNOWN
    assert complaint in health.message


def test_assessing_does_not_change_the_object() -> None:
    pod = next(p.values[0]["object"] for p in CASES if p.values[0]["case"] == "crash looping")
    before = copy.deepcopy(pod)
    assess_health(pod)
    assert pod == before
