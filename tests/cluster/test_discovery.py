"""The REST mapper against the sandbox's discovery documents, including a CRD created at run time."""

from __future__ import annotations

from typing import Any

import pytest

from gitops_tui.cluster.client import ClusterClient
from gitops_tui.cluster.errors import UnknownKindError
from gitops_tui.model import ResourceKey


def widget_crd(scope: str = "Namespaced") -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "scope": scope,
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
                }
            ],
        },
    }


def widget(name: str = "gear") -> dict[str, Any]:
    return {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"teeth": 12},
    }


def test_built_in_kinds_map_to_plural_and_scope(client: ClusterClient) -> None:
    deployments = client.mapper.resource_for("apps/v1", "Deployment")
    assert (deployments.plural, deployments.namespaced) == ("deployments", True)
    assert deployments.path("prod", "web") == "/apis/apps/v1/namespaces/prod/deployments/web"
    namespaces = client.mapper.resource_for("v1", "Namespace")
    assert (namespaces.plural, namespaces.namespaced, namespaces.path()) == ("namespaces", False, "/api/v1/namespaces")
    assert client.mapper.resource_for_group_kind("", "Pod").path("a") == "/api/v1/namespaces/a/pods"
    # The preferred version wins where a group serves several (autoscaling v2 over v1).
    assert client.mapper.resource_for_group_kind("autoscaling", "HorizontalPodAutoscaler").version == "v2"
    assert all("/" not in r.plural for r in client.mapper.resources())  # no subresources


def test_unknown_kind_is_an_error_naming_the_cluster_not_a_crash(client: ClusterClient) -> None:
    with pytest.raises(UnknownKindError, match=r"^no resource type Widget.example.com/v1 on cluster sandbox$"):
        client.apply(widget())


def test_crd_created_at_run_time_is_found_by_the_next_lookup(client: ClusterClient) -> None:
    client.mapper.refresh()
    assert client.mapper.find_group_kind("example.com", "Widget") is None
    client.apply(widget_crd())
    live = client.apply(widget(), app="toys")  # the miss refreshes discovery
    assert live["spec"] == {"teeth": 12}
    assert client.get(ResourceKey("example.com", "Widget", "default", "gear")) is not None
    assert client.mapper.find_group_kind("example.com", "Widget") is not None


def test_repeated_misses_do_not_hammer_discovery(client: ClusterClient) -> None:
    client.mapper.refresh()
    before = client.mapper._snapshot.fetched_at
    for _ in range(5):
        with pytest.raises(UnknownKindError):
            client.mapper.resource_for("example.com/v1", "Gadget")
    after_first = client.mapper._snapshot.fetched_at
    assert after_first > before  # the first miss refreshed...
    with pytest.raises(UnknownKindError):
        client.mapper.resource_for("example.com/v1", "Gadget")
    assert client.mapper._snapshot.fetched_at == after_first  # ...the next ones, within a moment, did not
