"""PATCH over HTTP in each content type, and server-side apply conflicts, through the official client."""

from __future__ import annotations

import json

import pytest
import yaml
from kubernetes import client
from kubernetes.client.rest import ApiException

from .objects import configmap, deployment


def _patch(api: client.ApiClient, path: str, body: object, content_type: str, **query: str) -> dict:
    """A raw PATCH through the official client's transport (its typed methods pick content types)."""
    method, url, headers, payload, _ = api.param_serialize(
        "PATCH",
        path,
        query_params=list(query.items()),
        body=body,
        auth_settings=["BearerToken"],
        header_params={"Content-Type": content_type, "Accept": "application/json"},
    )
    response = api.call_api(method, url, header_params=headers, body=payload)
    response.read()
    if response.status >= 400:
        raise ApiException(status=response.status, reason=response.reason, body=response.data.decode())
    return json.loads(response.data)


PATH = "/api/v1/namespaces/default/configmaps/c"


def test_json_merge_and_strategic_patches(api: client.ApiClient, core: client.CoreV1Api) -> None:
    core.create_namespaced_config_map("default", configmap("c", {"a": "1"}, {"x": "1", "y": "2"}))
    merged = _patch(api, PATH, {"data": {"y": None, "z": "3"}}, "application/merge-patch+json")
    assert merged["data"] == {"x": "1", "z": "3"}
    patched = _patch(api, PATH, [{"op": "replace", "path": "/data/x", "value": "9"}], "application/json-patch+json")
    assert patched["data"]["x"] == "9"
    strategic = _patch(api, PATH, {"metadata": {"labels": {"b": "2"}}}, "application/strategic-merge-patch+json")
    assert strategic["metadata"]["labels"] == {"a": "1", "b": "2"}
    assert int(strategic["metadata"]["resourceVersion"]) > int(merged["metadata"]["resourceVersion"])


def test_failed_json_patch_test_op_changes_nothing(api: client.ApiClient, core: client.CoreV1Api) -> None:
    core.create_namespaced_config_map("default", configmap("c"))
    with pytest.raises(ApiException) as info:
        _patch(
            api,
            PATH,
            [{"op": "test", "path": "/data/k", "value": "other"}, {"op": "replace", "path": "/data/k", "value": "new"}],
            "application/json-patch+json",
        )
    assert info.value.status == 422
    assert core.read_namespaced_config_map("c", "default").data == {"k": "v"}


def test_patch_with_stale_resource_version_conflicts(api: client.ApiClient, core: client.CoreV1Api) -> None:
    created = core.create_namespaced_config_map("default", configmap("c"))
    core.patch_namespaced_config_map("c", "default", {"data": {"k": "2"}})
    with pytest.raises(ApiException) as info:
        _patch(
            api,
            PATH,
            {"metadata": {"resourceVersion": created.metadata.resource_version}, "data": {"k": "3"}},
            "application/merge-patch+json",
        )
    assert info.value.status == 409


def test_strategic_merge_patch_is_refused_for_custom_resources(api: client.ApiClient) -> None:
    from .objects import WIDGET_CRD

    client.ApiextensionsV1Api(api).create_custom_resource_definition(WIDGET_CRD)
    custom = client.CustomObjectsApi(api)
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    custom.create_namespaced_custom_object("example.com", "v1", "default", "widgets", widget)
    with pytest.raises(ApiException) as info:
        _patch(
            api,
            "/apis/example.com/v1/namespaces/default/widgets/w",
            {"spec": {"a": 1}},
            "application/strategic-merge-patch+json",
        )
    assert info.value.status == 415
    merged = _patch(
        api, "/apis/example.com/v1/namespaces/default/widgets/w", {"spec": {"a": 1}}, "application/merge-patch+json"
    )
    assert merged["spec"] == {"a": 1} and merged["metadata"]["generation"] == 2


def test_server_side_apply_create_conflict_and_force(api: client.ApiClient) -> None:
    path = "/apis/apps/v1/namespaces/default/deployments/web"
    manifest = deployment()
    created = _patch(api, path, yaml.safe_dump(manifest), "application/apply-patch+yaml", fieldManager="alpha")
    assert {e["manager"] for e in created["metadata"]["managedFields"]} == {"alpha"}
    manifest["spec"]["replicas"] = 5
    with pytest.raises(ApiException) as info:
        _patch(api, path, yaml.safe_dump(manifest), "application/apply-patch+yaml", fieldManager="beta")
    body = json.loads(info.value.body)
    assert info.value.status == 409 and body["reason"] == "Conflict"
    assert {"reason": "FieldManagerConflict", "field": ".spec.replicas"}.items() <= body["details"]["causes"][0].items()
    forced = _patch(
        api, path, yaml.safe_dump(manifest), "application/apply-patch+yaml", fieldManager="beta", force="true"
    )
    assert forced["spec"]["replicas"] == 5
    dry = _patch(
        api,
        path,
        yaml.safe_dump({**manifest, "spec": {**manifest["spec"], "replicas": 8}}),
        "application/apply-patch+yaml",
        fieldManager="beta",
        dryRun="All",
    )
    assert dry["spec"]["replicas"] == 8
    assert client.AppsV1Api(api).read_namespaced_deployment("web", "default").spec.replicas == 5


def test_apply_requires_field_manager(api: client.ApiClient) -> None:
    with pytest.raises(ApiException) as info:
        _patch(
            api,
            "/apis/apps/v1/namespaces/default/deployments/web",
            yaml.safe_dump(deployment()),
            "application/apply-patch+yaml",
        )
    assert info.value.status == 400
