"""DynamicClient discovery and CRUD, and CustomResourceDefinitions coming and going."""

from __future__ import annotations

import copy

import pytest
from kubernetes import client, dynamic
from kubernetes.dynamic.exceptions import NotFoundError, ResourceNotFoundError

from .objects import WIDGET_CRD, deployment


def test_discovery_documents(api: client.ApiClient) -> None:
    version = client.VersionApi(api).get_code()
    assert (version.major, version.minor) == ("1", "32")
    groups = {g.name: g for g in client.ApisApi(api).get_api_versions().groups}
    assert groups["apps"].preferred_version.group_version == "apps/v1"
    assert groups["autoscaling"].preferred_version.version == "v2"
    resources = {r.name: r for r in client.AppsV1Api(api).get_api_resources().resources}
    deployments = resources["deployments"]
    assert (deployments.kind, deployments.namespaced, deployments.short_names) == ("Deployment", True, ["deploy"])
    assert set(deployments.verbs) >= {"create", "get", "list", "watch", "patch", "update", "delete"}
    assert "deployments/status" in resources and resources["deployments/scale"].kind == "Scale"


def test_dynamic_client_crud(dyn: dynamic.DynamicClient) -> None:
    deployments = dyn.resources.get(api_version="apps/v1", kind="Deployment")
    created = deployments.create(body=deployment(), namespace="default")
    assert created.metadata.generation == 1
    listed = deployments.get(namespace="default", label_selector="app=web")
    assert [i.metadata.name for i in listed.items] == ["web"]
    leases = dyn.resources.get(api_version="coordination.k8s.io/v1", kind="Lease")
    leases.create(body={"metadata": {"name": "leader"}, "spec": {"holderIdentity": "me"}}, namespace="default")
    assert leases.get(name="leader", namespace="default").spec.holderIdentity == "me"
    deployments.delete(name="web", namespace="default")
    with pytest.raises(NotFoundError):
        deployments.get(name="web", namespace="default")


def test_hpa_is_served_in_v2_and_v1(dyn: dynamic.DynamicClient) -> None:
    v1 = dyn.resources.get(api_version="autoscaling/v1", kind="HorizontalPodAutoscaler")
    v1.create(
        namespace="default",
        body={
            "metadata": {"name": "web"},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                "minReplicas": 1,
                "maxReplicas": 5,
                "targetCPUUtilizationPercentage": 70,
            },
        },
    )
    v2 = dyn.resources.get(api_version="autoscaling/v2", kind="HorizontalPodAutoscaler")
    stored = v2.get(name="web", namespace="default")
    assert stored.apiVersion == "autoscaling/v2"
    assert stored.spec.metrics[0].resource.target.averageUtilization == 70
    assert v1.get(name="web", namespace="default").spec.targetCPUUtilizationPercentage == 70


def test_crd_lifecycle(api: client.ApiClient) -> None:
    dyn = dynamic.DynamicClient(api)
    crds = dyn.resources.get(api_version="apiextensions.k8s.io/v1", kind="CustomResourceDefinition")
    crd = crds.create(body=copy.deepcopy(WIDGET_CRD))
    assert {c.type for c in crd.status.conditions} >= {"Established", "NamesAccepted"}
    dyn = dynamic.DynamicClient(api)  # fresh discovery
    widgets = dyn.resources.get(api_version="example.com/v1", kind="Widget")
    assert widgets.namespaced and widgets.short_names == ["wd"]
    widget = widgets.create(
        namespace="default",
        body={"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"size": 3}},
    )
    assert widget.metadata.generation == 1
    beta = dyn.resources.get(api_version="example.com/v1beta1", kind="Widget")
    assert beta.get(name="w", namespace="default").apiVersion == "example.com/v1beta1"
    crds.delete(name="widgets.example.com")
    with pytest.raises(NotFoundError):
        crds.get(name="widgets.example.com")
    groups = {g.name for g in client.ApisApi(api).get_api_versions().groups}
    assert "example.com" not in groups
    dyn.resources.invalidate_cache()
    with pytest.raises(ResourceNotFoundError):
        dyn.resources.get(api_version="example.com/v1", kind="Widget")


def test_cluster_scoped_crd(dyn: dynamic.DynamicClient, api: client.ApiClient) -> None:
    body = copy.deepcopy(WIDGET_CRD)
    body["metadata"]["name"] = "gadgets.example.com"
    body["spec"]["scope"] = "Cluster"
    body["spec"]["names"] = {"plural": "gadgets", "kind": "Gadget"}
    dyn.resources.get(api_version="apiextensions.k8s.io/v1", kind="CustomResourceDefinition").create(body=body)
    gadgets = dynamic.DynamicClient(api).resources.get(api_version="example.com/v1", kind="Gadget")
    assert not gadgets.namespaced
    gadgets.create(body={"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": "g"}})
    assert gadgets.get(name="g").metadata.name == "g"


def test_invalid_crd_name_is_422(dyn: dynamic.DynamicClient) -> None:
    body = copy.deepcopy(WIDGET_CRD)
    body["metadata"]["name"] = "wrong.example.com"
    crds = dyn.resources.get(api_version="apiextensions.k8s.io/v1", kind="CustomResourceDefinition")
    with pytest.raises(dynamic.exceptions.UnprocessibleEntityError):
        crds.create(body=body)


def test_core_and_events_api_share_event_storage(api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    core.create_namespaced_event(
        "default",
        {
            "metadata": {"name": "web.1"},
            "involvedObject": {"kind": "Deployment", "name": "web", "namespace": "default"},
            "reason": "ScalingReplicaSet",
            "message": "Scaled up",
            "type": "Normal",
            "count": 2,
            "eventTime": "2026-01-01T00:00:00.000000Z",
            "reportingComponent": "deployment-controller",
            "reportingInstance": "cm-1",
            "action": "Scale",
            "source": {"component": "deployment-controller"},
        },
    )
    seen = client.EventsV1Api(api).read_namespaced_event("web.1", "default")
    assert (seen.note, seen.regarding.name, seen.deprecated_count) == ("Scaled up", "web", 2)
    assert seen.deprecated_source.component == "deployment-controller"
    client.EventsV1Api(api).create_namespaced_event(
        "default",
        {
            "metadata": {"name": "web.2"},
            "eventTime": "2026-01-01T00:00:00.000000Z",
            "reason": "Pulled",
            "note": "pulled image",
            "type": "Normal",
            "action": "Pull",
            "reportingController": "kubelet",
            "reportingInstance": "node-1",
            "regarding": {"kind": "Pod", "name": "web-1", "namespace": "default"},
        },
    )
    as_core = core.read_namespaced_event("web.2", "default")
    assert (as_core.message, as_core.involved_object.name) == ("pulled image", "web-1")
    assert {e.metadata.name for e in core.list_namespaced_event("default").items} == {"web.1", "web.2"}


def test_watch_of_custom_resources_ends_when_the_crd_goes(api: client.ApiClient) -> None:
    import time

    client.ApiextensionsV1Api(api).create_custom_resource_definition(copy.deepcopy(WIDGET_CRD))
    custom = client.CustomObjectsApi(api)
    response = custom.list_namespaced_custom_object(
        "example.com", "v1", "default", "widgets", watch=True, timeout_seconds=30, _preload_content=False
    )
    started = time.monotonic()
    client.ApiextensionsV1Api(api).delete_custom_resource_definition("widgets.example.com")
    assert response.read() == b""
    assert time.monotonic() - started < 10
