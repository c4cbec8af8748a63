"""Simulated volume, Service, Ingress and HPA controllers, through the official client."""

from __future__ import annotations

from typing import Any

from kubernetes import client

from tests.sandbox.test_controllers import cluster, conditions_of, deployment, progressing, wait_for  # noqa: F401


def claim(name: str, storage_class: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1024Mi"}}}
    if storage_class:
        spec["storageClassName"] = storage_class
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name}, "spec": spec}


def test_claims_bind_unless_their_class_is_unavailable(cluster: client.ApiClient) -> None:  # noqa: F811
    core = client.CoreV1Api(cluster)
    core.create_namespaced_persistent_volume_claim("default", claim("data"))
    core.create_namespaced_persistent_volume_claim("default", claim("stuck", "unavailable"))
    bound = wait_for(
        lambda: (
            (c := core.read_namespaced_persistent_volume_claim("data", "default")) and c.status.phase == "Bound" and c
        ),
        "the claim to bind",
    )
    assert bound.status.capacity == {"storage": "1Gi"}
    volume = core.read_persistent_volume(bound.spec.volume_name)
    assert volume.status.phase == "Bound"
    assert volume.spec.claim_ref.name == "data"
    assert core.read_namespaced_persistent_volume_claim("stuck", "default").status.phase == "Pending"
    warnings = wait_for(
        lambda: [e for e in core.list_namespaced_event("default").items if e.reason == "ProvisioningFailed"],
        "the provisioning warning",
    )
    assert warnings[0].involved_object.name == "stuck"


def test_a_pod_waits_for_its_claim(cluster: client.ApiClient) -> None:  # noqa: F811
    core = client.CoreV1Api(cluster)
    core.create_namespaced_persistent_volume_claim("default", claim("stuck", "unavailable"))
    core.create_namespaced_pod(
        "default",
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "p"},
            "spec": {
                "containers": [{"name": "c", "image": "app:1"}],
                "volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": "stuck"}}],
            },
        },
    )
    pod = wait_for(
        lambda: (p := core.read_namespaced_pod("p", "default")) and p.status.conditions and p, "the scheduling verdict"
    )
    (scheduled,) = pod.status.conditions
    assert (scheduled.type, scheduled.status, scheduled.reason) == ("PodScheduled", "False", "Unschedulable")
    assert "unbound immediate PersistentVolumeClaims" in scheduled.message
    assert pod.status.phase == "Pending"


def test_endpoints_follow_ready_pods(cluster: client.ApiClient) -> None:  # noqa: F811
    apps, core = client.AppsV1Api(cluster), client.CoreV1Api(cluster)
    apps.create_namespaced_deployment("default", deployment(replicas=3))
    core.create_namespaced_service(
        "default",
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web"},
            "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]},
        },
    )

    def addresses(count: int) -> Any:
        found = core.list_namespaced_endpoints("default", field_selector="metadata.name=web").items
        if not found:
            return None
        subsets = found[0].subsets or []
        ready = [a for s in subsets for a in s.addresses or []]
        return subsets if len(ready) == count and not any(s.not_ready_addresses for s in subsets) else None

    (subset,) = wait_for(lambda: addresses(3), "three ready addresses")
    assert [(p.name, p.port, p.protocol) for p in subset.ports] == [("http", 8080, "TCP")]
    pod_ips = {p.status.pod_ip for p in core.list_namespaced_pod("default", label_selector="app=web").items}
    assert {a.ip for a in subset.addresses} == pod_ips
    assert all(a.target_ref.kind == "Pod" for a in subset.addresses)

    apps.patch_namespaced_deployment_scale("web", "default", {"spec": {"replicas": 1}})
    wait_for(lambda: addresses(1), "one address after scaling down")


def test_load_balancer_and_ingress_get_addresses(cluster: client.ApiClient) -> None:  # noqa: F811
    core, networking = client.CoreV1Api(cluster), client.NetworkingV1Api(cluster)
    core.create_namespaced_service(
        "default",
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "edge"},
            "spec": {"type": "LoadBalancer", "selector": {"app": "edge"}, "ports": [{"port": 443}]},
        },
    )
    networking.create_namespaced_ingress(
        "default",
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {"name": "site"},
            "spec": {
                "rules": [
                    {
                        "host": "shop.example",
                        "http": {
                            "paths": [
                                {
                                    "path": "/",
                                    "pathType": "Prefix",
                                    "backend": {"service": {"name": "edge", "port": {"number": 443}}},
                                }
                            ]
                        },
                    }
                ]
            },
        },
    )
    service = wait_for(
        lambda: (
            (s := core.read_namespaced_service_status("edge", "default"))
            and s.status
            and s.status.load_balancer.ingress
            and s
        ),
        "the load balancer address",
    )
    assert service.status.load_balancer.ingress[0].ip.startswith("172.18.")
    ingress = wait_for(
        lambda: (
            (i := networking.read_namespaced_ingress_status("site", "default"))
            and i.status
            and i.status.load_balancer.ingress
            and i
        ),
        "the ingress address",
    )
    assert ingress.status.load_balancer.ingress[0].ip.startswith("172.18.")


def test_hpa_enforces_its_minimum(cluster: client.ApiClient) -> None:  # noqa: F811
    apps, autoscaling = client.AppsV1Api(cluster), client.AutoscalingV2Api(cluster)
    apps.create_namespaced_deployment("default", deployment(replicas=1))
    autoscaling.create_namespaced_horizontal_pod_autoscaler(
        "default",
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "web"},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                "minReplicas": 3,
                "maxReplicas": 5,
            },
        },
    )
    wait_for(
        lambda: apps.read_namespaced_deployment_status("web", "default").status.available_replicas == 3,
        "the HPA to scale the Deployment to its minimum",
    )
    hpa = wait_for(
        lambda: (
            (h := autoscaling.read_namespaced_horizontal_pod_autoscaler_status("web", "default"))
            and h.status.current_replicas == 3
            and h
        ),
        "the HPA to see three replicas",
    )
    conditions = conditions_of(hpa)
    assert conditions["AbleToScale"].status == "True"
    assert conditions["ScalingActive"].reason == "ValidMetricFound"
    assert conditions["ScalingLimited"].reason in ("TooFewReplicas", "DesiredWithinRange")
    assert hpa.status.desired_replicas == 3
