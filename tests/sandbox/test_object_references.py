"""References to ConfigMaps and Secrets survive every write path, as on a real API server.

``configMapRef``, ``secretKeyRef``, a ``configMap`` volume and the like embed Go's
``LocalObjectReference``, so their ``name`` sits inline in JSON but in a nested message in the
protobuf schema. The sandbox once pruned it as an unknown field: ``envFrom: [{configMapRef: {}}]``
live, a Deployment that would start without its settings.
"""

from __future__ import annotations

import copy
import json

import pytest
import yaml
from kubernetes import client

from .conftest import Kubectl

NAMESPACE = "default"

# Every struct here that embeds LocalObjectReference, in lists with and without merge keys.
REFERENCING_POD_SPEC: dict = {
    "containers": [
        {
            "name": "api",
            "image": "ghcr.io/example/orders-api:2.3.0",
            "envFrom": [
                {"configMapRef": {"name": "orders-settings"}},
                {"secretRef": {"name": "orders-credentials", "optional": True}, "prefix": "DB_"},
                {"configMapRef": {"name": "orders-flags", "optional": True}},
            ],
            "env": [
                {"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": "orders-settings", "key": "mode"}}},
                {
                    "name": "TOKEN",
                    "valueFrom": {"secretKeyRef": {"name": "orders-credentials", "key": "token", "optional": True}},
                },
            ],
            "volumeMounts": [
                {"name": "settings", "mountPath": "/etc/orders"},
                {"name": "bundle", "mountPath": "/etc/bundle"},
            ],
        }
    ],
    "volumes": [
        {
            "name": "settings",
            "configMap": {"name": "orders-settings", "items": [{"key": "app.yaml", "path": "app.yaml"}]},
        },
        {
            "name": "bundle",
            "projected": {
                "sources": [
                    {"configMap": {"name": "orders-flags", "optional": True}},
                    {"secret": {"name": "orders-credentials", "items": [{"key": "token", "path": "token"}]}},
                ]
            },
        },
    ],
    "imagePullSecrets": [{"name": "registry-login"}],
}


def deployment(name: str, pod_spec: dict) -> dict:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": copy.deepcopy(pod_spec)},
        },
    }


def assert_kept(sent: object, live: object, where: str = "spec.template.spec") -> None:
    """Everything sent is live (the server may add defaults such as a volume's defaultMode)."""
    if isinstance(sent, dict):
        assert isinstance(live, dict), f"{where}: sent an object, live is {live!r}"
        for key, value in sent.items():
            assert key in live, f"{where}.{key} was dropped: live {where} is {live!r}"
            assert_kept(value, live[key], f"{where}.{key}")
    elif isinstance(sent, list):
        assert isinstance(live, list) and len(live) == len(sent), f"{where}: sent {sent!r}, live is {live!r}"
        for index, (item, live_item) in enumerate(zip(sent, live, strict=True)):
            assert_kept(item, live_item, f"{where}[{index}]")
    else:
        assert live == sent, f"{where}: sent {sent!r}, live is {live!r}"


def live_pod_spec(apps: client.AppsV1Api, name: str) -> dict:
    live = apps.api_client.sanitize_for_serialization(apps.read_namespaced_deployment(name, NAMESPACE))
    return live["spec"]["template"]["spec"]


def test_server_side_apply_keeps_references(apps: client.AppsV1Api) -> None:
    # Strict: the request fails outright if the server takes any of these fields for unknown ones.
    for _ in range(2):  # the second apply merges into the live object instead of creating it
        apps.patch_namespaced_deployment(
            "orders-api",
            NAMESPACE,
            deployment("orders-api", REFERENCING_POD_SPEC),
            field_manager="gitops-tui",
            field_validation="Strict",
            _content_type="application/apply-patch+yaml",
        )
        assert_kept(REFERENCING_POD_SPEC, live_pod_spec(apps, "orders-api"))


def test_strategic_merge_patch_keeps_references(apps: client.AppsV1Api) -> None:
    bare = {"containers": [{"name": "api", "image": "ghcr.io/example/orders-api:2.3.0"}]}
    apps.create_namespaced_deployment(NAMESPACE, deployment("orders-api", bare), field_validation="Strict")
    patch = {"spec": {"template": {"spec": REFERENCING_POD_SPEC}}}
    apps.patch_namespaced_deployment(
        "orders-api",
        NAMESPACE,
        patch,
        field_validation="Strict",
        _content_type="application/strategic-merge-patch+json",
    )
    assert_kept(REFERENCING_POD_SPEC, live_pod_spec(apps, "orders-api"))


def test_create_and_update_keep_references(apps: client.AppsV1Api) -> None:
    apps.create_namespaced_deployment(
        NAMESPACE, deployment("orders-api", REFERENCING_POD_SPEC), field_validation="Strict"
    )
    assert_kept(REFERENCING_POD_SPEC, live_pod_spec(apps, "orders-api"))
    live = apps.api_client.sanitize_for_serialization(apps.read_namespaced_deployment("orders-api", NAMESPACE))
    live["spec"]["replicas"] = 2
    apps.replace_namespaced_deployment("orders-api", NAMESPACE, live, field_validation="Strict")
    assert_kept(REFERENCING_POD_SPEC, live_pod_spec(apps, "orders-api"))


@pytest.mark.parametrize(
    "command", [("apply",), ("apply", "--server-side"), ("create",)], ids=["apply", "server-side", "create"]
)
def test_kubectl_keeps_references(kubectl: Kubectl, command: tuple[str, ...]) -> None:
    # kubectl validates strictly by default, and may send protobuf, a second decoding path.
    kubectl(*command, "-f", "-", stdin=yaml.safe_dump(deployment("orders-api", REFERENCING_POD_SPEC)))
    live = json.loads(kubectl("get", "deployment", "orders-api", "-o", "json").stdout)
    assert_kept(REFERENCING_POD_SPEC, live["spec"]["template"]["spec"])
