"""Server-side defaulting and quantity canonicalisation, table-driven against Kubernetes behaviour."""

from __future__ import annotations

import copy
from fractions import Fraction
from typing import Any

import pytest

from gitops_tui.sandbox.defaults import SequentialServiceAllocator, apply_defaults, image_pull_policy
from gitops_tui.sandbox.quantity import (
    QuantityError,
    canonicalize,
    parse_quantity,
    quantities_equal,
)


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("1000m", "1"),
        ("1024Mi", "1Gi"),
        ("0.5", "500m"),
        ("1000", "1k"),
        # A decimal exponent keeps its format, as apimachinery does ("1e3" stays "1e3").
        ("1e3", "1e3"),
        ("1E6", "1e6"),
        ("12e1", "120"),
        ("1e-3", "1e-3"),
        ("1500m", "1500m"),
        ("1.5", "1500m"),
        ("1.08", "1080m"),
        ("0.5Gi", "512Mi"),
        ("1536Mi", "1536Mi"),
        ("300Mi", "300Mi"),
        ("307200Ki", "300Mi"),
        ("0.5Ki", "512"),
        ("1.5Ki", "1536"),
        ("1Ki", "1Ki"),
        (".001Ki", "1024m"),
        (".000000000001Ki", "2n"),  # rounded up to nano, never down to zero
        ("0.1n", "1n"),
        ("1000M", "1G"),
        ("0.001T", "1G"),
        ("0", "0"),
        ("00", "0"),
        ("0Gi", "0"),
        ("-1000m", "-1"),
        ("+1", "1"),
        ("5.", "5"),
        (".5", "500m"),
        (2, "2"),
        (0.25, "250m"),
    ],
)
def test_quantities_are_canonicalised_as_the_api_server_does(given: Any, canonical: str) -> None:
    assert canonicalize(given) == canonical


@pytest.mark.parametrize("invalid", ["1.1.M", "1+1.0M", "0.1mi", "aoeu", ".5i", "1i", "-3.01e-", "", "."])
def test_invalid_quantities_are_rejected(invalid: str) -> None:
    with pytest.raises(QuantityError):
        parse_quantity(invalid)


def test_quantities_compare_by_value() -> None:
    assert quantities_equal("1Gi", "1073741824")
    assert quantities_equal("0.5", "500m")
    assert not quantities_equal("1G", "1Gi")
    assert parse_quantity("250m").value == Fraction(1, 4)


@pytest.mark.parametrize(
    ("image", "policy"),
    [
        ("nginx", "Always"),
        ("nginx:latest", "Always"),
        ("nginx:1.27", "IfNotPresent"),
        ("registry.local:5000/team/app", "Always"),
        ("registry.local:5000/team/app:v2", "IfNotPresent"),
        ("nginx@sha256:" + "a" * 64, "IfNotPresent"),
    ],
)
def test_image_pull_policy_follows_the_tag(image: str, policy: str) -> None:
    assert image_pull_policy(image) == policy


def _template(**container: Any) -> dict[str, Any]:
    return {
        "metadata": {"labels": {"app": "web"}},
        "spec": {"containers": [{"name": "app", "image": "web:1.0", **container}]},
    }


def _workload(kind: str, api_version: str = "apps/v1", **spec: Any) -> dict[str, Any]:
    return {"apiVersion": api_version, "kind": kind, "metadata": {"name": "web"}, "spec": spec}


def _get(obj: Any, path: str) -> Any:
    for part in path.split("."):
        obj = obj[int(part)] if isinstance(obj, list) else obj[part]
    return obj


DEPLOYMENT = _workload("Deployment", template=_template())
STATEFUL_SET = _workload(
    "StatefulSet",
    template=_template(),
    volumeClaimTemplates=[{"metadata": {"name": "data"}, "spec": {"resources": {"requests": {"storage": "1024Mi"}}}}],
)
DAEMON_SET = _workload("DaemonSet", template=_template())
JOB = _workload("Job", "batch/v1", template=_template())
CRON_JOB = _workload("CronJob", "batch/v1", schedule="*/5 * * * *", jobTemplate={"spec": {"template": _template()}})
POD_CONTAINER = "spec.template.spec.containers.0"


@pytest.mark.parametrize(
    ("obj", "path", "expected"),
    [
        (DEPLOYMENT, "spec.replicas", 1),
        (
            DEPLOYMENT,
            "spec.strategy",
            {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
        ),
        (DEPLOYMENT, "spec.revisionHistoryLimit", 10),
        (DEPLOYMENT, "spec.progressDeadlineSeconds", 600),
        (DEPLOYMENT, "spec.template.metadata.creationTimestamp", None),
        (DEPLOYMENT, "spec.template.spec.restartPolicy", "Always"),
        (DEPLOYMENT, "spec.template.spec.dnsPolicy", "ClusterFirst"),
        (DEPLOYMENT, "spec.template.spec.schedulerName", "default-scheduler"),
        (DEPLOYMENT, "spec.template.spec.securityContext", {}),
        (DEPLOYMENT, "spec.template.spec.terminationGracePeriodSeconds", 30),
        (DEPLOYMENT, f"{POD_CONTAINER}.imagePullPolicy", "IfNotPresent"),
        (DEPLOYMENT, f"{POD_CONTAINER}.terminationMessagePath", "/dev/termination-log"),
        (DEPLOYMENT, f"{POD_CONTAINER}.terminationMessagePolicy", "File"),
        (DEPLOYMENT, f"{POD_CONTAINER}.resources", {}),
        (
            _workload("Deployment", strategy={"type": "Recreate"}, template=_template()),
            "spec.strategy",
            {"type": "Recreate"},
        ),
        (_workload("ReplicaSet", template=_template()), "spec.replicas", 1),
        (STATEFUL_SET, "spec.podManagementPolicy", "OrderedReady"),
        (STATEFUL_SET, "spec.updateStrategy", {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}),
        (STATEFUL_SET, "spec.revisionHistoryLimit", 10),
        (STATEFUL_SET, "spec.persistentVolumeClaimRetentionPolicy", {"whenDeleted": "Retain", "whenScaled": "Retain"}),
        (STATEFUL_SET, "spec.volumeClaimTemplates.0.spec.volumeMode", "Filesystem"),
        (STATEFUL_SET, "spec.volumeClaimTemplates.0.spec.resources.requests.storage", "1Gi"),
        (STATEFUL_SET, "spec.volumeClaimTemplates.0.status", {"phase": "Pending"}),
        (
            DAEMON_SET,
            "spec.updateStrategy",
            {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}},
        ),
        (DAEMON_SET, "spec.revisionHistoryLimit", 10),
        (JOB, "spec.backoffLimit", 6),
        (JOB, "spec.completions", 1),
        (JOB, "spec.parallelism", 1),
        (JOB, "spec.completionMode", "NonIndexed"),
        (JOB, "spec.suspend", False),
        (JOB, "spec.podReplacementPolicy", "TerminatingOrFailed"),
        (JOB, "spec.template.spec.restartPolicy", "Always"),
        (_workload("Job", "batch/v1", parallelism=3, template=_template()), "spec.parallelism", 3),
        (CRON_JOB, "spec.concurrencyPolicy", "Allow"),
        (CRON_JOB, "spec.suspend", False),
        (CRON_JOB, "spec.successfulJobsHistoryLimit", 3),
        (CRON_JOB, "spec.failedJobsHistoryLimit", 1),
        (CRON_JOB, "spec.jobTemplate.spec.template.spec.dnsPolicy", "ClusterFirst"),
    ],
)
def test_workload_defaults(obj: dict[str, Any], path: str, expected: Any) -> None:
    assert _get(apply_defaults(obj), path) == expected


def test_job_completions_stay_unset_when_only_parallelism_is_given() -> None:
    job = apply_defaults(_workload("Job", "batch/v1", parallelism=3, template=_template()))
    assert "completions" not in job["spec"]


def test_job_selector_is_generated_from_its_uid() -> None:
    job = _workload("Job", "batch/v1", template=_template())
    job["metadata"]["uid"] = "1234"
    defaulted = apply_defaults(job)
    assert defaulted["spec"]["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": "1234"}}
    assert defaulted["spec"]["template"]["metadata"]["labels"]["batch.kubernetes.io/job-name"] == "web"


@pytest.mark.parametrize(
    ("container", "path", "expected"),
    [
        ({"image": "web"}, "imagePullPolicy", "Always"),
        ({"imagePullPolicy": "Never"}, "imagePullPolicy", "Never"),
        ({"ports": [{"containerPort": 80}]}, "ports.0.protocol", "TCP"),
        ({"ports": [{"containerPort": 53, "protocol": "UDP"}]}, "ports.0.protocol", "UDP"),
        (
            {"livenessProbe": {"httpGet": {"port": 80}}},
            "livenessProbe",
            {
                "httpGet": {"port": 80, "path": "/", "scheme": "HTTP"},
                "timeoutSeconds": 1,
                "periodSeconds": 10,
                "successThreshold": 1,
                "failureThreshold": 3,
            },
        ),
        ({"readinessProbe": {"tcpSocket": {"port": 80}, "periodSeconds": 5}}, "readinessProbe.periodSeconds", 5),
        (
            {"env": [{"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]},
            "env.0.valueFrom.fieldRef.apiVersion",
            "v1",
        ),
        (
            {"resources": {"requests": {"cpu": "0.5", "memory": "1024Mi"}, "limits": {"cpu": "1000m"}}},
            "resources",
            {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "1"}},
        ),
    ],
)
def test_container_defaults(container: dict[str, Any], path: str, expected: Any) -> None:
    defaulted = apply_defaults(_workload("Deployment", template=_template(**container)))
    assert _get(defaulted, f"{POD_CONTAINER}.{path}") == expected


def test_volume_defaults() -> None:
    template = _template()
    template["spec"]["volumes"] = [
        {"name": "cfg", "configMap": {"name": "cfg"}},
        {"name": "tls", "secret": {"secretName": "tls"}},
        {"name": "scratch"},
    ]
    volumes = apply_defaults(_workload("Deployment", template=template))["spec"]["template"]["spec"]["volumes"]
    assert volumes[0]["configMap"]["defaultMode"] == 420
    assert volumes[1]["secret"]["defaultMode"] == 420
    assert volumes[2] == {"name": "scratch", "emptyDir": {}}


def test_pod_defaults_include_admission_and_requests_from_limits() -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "c", "image": "x:1", "resources": {"limits": {"cpu": "1000m"}}}]},
    }
    defaulted = apply_defaults(pod)
    spec = defaulted["spec"]
    assert spec["containers"][0]["resources"] == {"limits": {"cpu": "1"}, "requests": {"cpu": "1"}}
    assert spec["enableServiceLinks"] is True
    assert spec["serviceAccountName"] == "default"
    assert {t["key"] for t in spec["tolerations"]} == {"node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"}
    assert defaulted["status"] == {"phase": "Pending", "qosClass": "Burstable"}


def _service(**spec: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": spec}


def test_cluster_ip_service_defaults() -> None:
    spec = apply_defaults(_service(selector={"app": "web"}, ports=[{"port": 80}]), SequentialServiceAllocator())["spec"]
    assert spec == {
        "selector": {"app": "web"},
        "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}],
        "type": "ClusterIP",
        "sessionAffinity": "None",
        "internalTrafficPolicy": "Cluster",
        "clusterIP": spec["clusterIP"],
        "clusterIPs": [spec["clusterIP"]],
        "ipFamilies": ["IPv4"],
        "ipFamilyPolicy": "SingleStack",
    }
    assert spec["clusterIP"].startswith("10.")


def test_headless_service_keeps_none() -> None:
    spec = apply_defaults(_service(clusterIP="None", selector={"app": "web"}), SequentialServiceAllocator())["spec"]
    assert spec["clusterIP"] == "None"
    assert spec["clusterIPs"] == ["None"]


def test_load_balancer_allocates_node_ports_and_keeps_them_on_update() -> None:
    allocator = SequentialServiceAllocator()
    manifest = _service(type="LoadBalancer", ports=[{"port": 443, "targetPort": "https"}])
    created = apply_defaults(manifest, allocator)
    spec = created["spec"]
    assert spec["externalTrafficPolicy"] == "Cluster"
    assert spec["allocateLoadBalancerNodePorts"] is True
    assert 30000 <= spec["ports"][0]["nodePort"] <= 32767
    assert spec["ports"][0]["targetPort"] == "https"
    updated = apply_defaults(manifest, allocator, previous=created)
    assert updated["spec"]["clusterIP"] == spec["clusterIP"]
    assert updated["spec"]["ports"][0]["nodePort"] == spec["ports"][0]["nodePort"]


def test_allocator_never_hands_out_an_address_twice() -> None:
    allocator = SequentialServiceAllocator()
    ips = {allocator.allocate_cluster_ip() for _ in range(50)}
    ports = {allocator.allocate_node_port() for _ in range(50)}
    assert len(ips) == 50
    assert len(ports) == 50


@pytest.mark.parametrize(
    ("obj", "path", "expected"),
    [
        ({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}}, "type", "Opaque"),
        (
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}},
            "metadata.labels",
            {"kubernetes.io/metadata.name": "shop"},
        ),
        ({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}, "spec.finalizers", ["kubernetes"]),
        (
            {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "metadata": {"name": "d"},
                "spec": {"resources": {"requests": {"storage": "2048Mi"}}},
            },
            "spec",
            {"resources": {"requests": {"storage": "2Gi"}}, "volumeMode": "Filesystem"},
        ),
        (
            {
                "apiVersion": "autoscaling/v2",
                "kind": "HorizontalPodAutoscaler",
                "metadata": {"name": "h"},
                "spec": {"maxReplicas": 5},
            },
            "spec.minReplicas",
            1,
        ),
        (
            {
                "apiVersion": "autoscaling/v2",
                "kind": "HorizontalPodAutoscaler",
                "metadata": {"name": "h"},
                "spec": {"maxReplicas": 5, "behavior": {"scaleDown": {"policies": []}}},
            },
            "spec.behavior.scaleDown.stabilizationWindowSeconds",
            300,
        ),
        ({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1"}}, "data", {"a": "1"}),
    ],
)
def test_core_object_defaults(obj: dict[str, Any], path: str, expected: Any) -> None:
    assert _get(apply_defaults(obj), path) == expected


def test_apply_defaults_never_mutates_its_input() -> None:
    original = copy.deepcopy(DEPLOYMENT)
    apply_defaults(DEPLOYMENT)
    assert original == DEPLOYMENT


def test_defaulting_is_idempotent() -> None:
    for obj in (DEPLOYMENT, STATEFUL_SET, DAEMON_SET, JOB, CRON_JOB):
        once = apply_defaults(obj)
        assert apply_defaults(once) == once
