"""Create / get / list / update / delete through the official client's typed APIs."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from gitops_tui.sandbox import Sandbox

from .objects import configmap, deployment


def status_of(exc: ApiException) -> dict:
    return json.loads(exc.body)


def test_create_get_and_server_metadata(core: client.CoreV1Api) -> None:
    created = core.create_namespaced_config_map("default", configmap("one"))
    meta = created.metadata
    assert meta.uid and meta.creation_timestamp
    assert int(meta.resource_version) > 0
    fetched = core.read_namespaced_config_map("one", "default")
    assert fetched.metadata.uid == meta.uid
    assert fetched.data == {"k": "v"}


def test_resource_versions_are_cluster_wide_and_increasing(core: client.CoreV1Api) -> None:
    first = core.create_namespaced_config_map("default", configmap("a"))
    second = core.create_namespaced_secret("default", {"metadata": {"name": "s"}, "stringData": {"x": "y"}})
    third = core.create_namespaced_config_map("kube-system", configmap("b"))
    versions = [int(o.metadata.resource_version) for o in (first, second, third)]
    assert versions == sorted(versions) and len(set(versions)) == 3


def test_generate_name(core: client.CoreV1Api) -> None:
    created = core.create_namespaced_config_map("default", {"metadata": {"generateName": "gen-"}})
    assert created.metadata.name.startswith("gen-") and len(created.metadata.name) == len("gen-") + 5


def test_already_exists_status(core: client.CoreV1Api) -> None:
    core.create_namespaced_config_map("default", configmap("dup"))
    with pytest.raises(ApiException) as info:
        core.create_namespaced_config_map("default", configmap("dup"))
    assert info.value.status == 409
    body = status_of(info.value)
    assert body["reason"] == "AlreadyExists"
    assert body["message"] == 'configmaps "dup" already exists'
    assert body["details"] == {"name": "dup", "kind": "configmaps"}


def test_not_found_status_has_real_wording(apps: client.AppsV1Api) -> None:
    with pytest.raises(ApiException) as info:
        apps.read_namespaced_deployment("web", "default")
    body = status_of(info.value)
    assert info.value.status == 404
    assert body == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'deployments.apps "web" not found',
        "reason": "NotFound",
        "details": {"name": "web", "group": "apps", "kind": "deployments"},
        "code": 404,
    }


def test_create_in_missing_namespace_is_404(core: client.CoreV1Api) -> None:
    with pytest.raises(ApiException) as info:
        core.create_namespaced_config_map("nowhere", configmap("x"))
    body = status_of(info.value)
    assert (info.value.status, body["message"]) == (404, 'namespaces "nowhere" not found')


def test_update_conflict_on_stale_resource_version(apps: client.AppsV1Api) -> None:
    created = apps.create_namespaced_deployment("default", deployment())
    created.spec.replicas = 3
    updated = apps.replace_namespaced_deployment("web", "default", created)
    assert updated.metadata.generation == 2
    created.spec.replicas = 4  # still carries the old resourceVersion
    with pytest.raises(ApiException) as info:
        apps.replace_namespaced_deployment("web", "default", created)
    body = status_of(info.value)
    assert info.value.status == 409 and body["reason"] == "Conflict"
    assert body["message"] == (
        'Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply '
        "your changes to the latest version and try again"
    )


def test_generation_bumps_on_spec_changes_only(apps: client.AppsV1Api) -> None:
    created = apps.create_namespaced_deployment("default", deployment())
    assert created.metadata.generation == 1
    created.metadata.labels["extra"] = "yes"
    relabelled = apps.replace_namespaced_deployment("web", "default", created)
    assert relabelled.metadata.generation == 1
    assert int(relabelled.metadata.resource_version) > int(created.metadata.resource_version)


def test_noop_update_keeps_resource_version(core: client.CoreV1Api) -> None:
    created = core.create_namespaced_config_map("default", configmap("same"))
    again = core.replace_namespaced_config_map("same", "default", created)
    assert again.metadata.resource_version == created.metadata.resource_version


def test_status_subresource_separation(apps: client.AppsV1Api) -> None:
    created = apps.create_namespaced_deployment("default", {**deployment(), "status": {"replicas": 9}})
    assert not (created.status and created.status.replicas)
    body = apps.read_namespaced_deployment("web", "default").to_dict()
    status_write = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "resourceVersion": body["metadata"]["resource_version"]},
        "spec": {**deployment()["spec"], "replicas": 7},
        "status": {"replicas": 2, "readyReplicas": 1},
    }
    after_status = apps.replace_namespaced_deployment_status("web", "default", status_write)
    assert after_status.status.replicas == 2 and after_status.spec.replicas == 2  # spec ignored
    main_write = apps.read_namespaced_deployment("web", "default")
    main_write.status.replicas = 50
    main_write.spec.replicas = 5
    after_main = apps.replace_namespaced_deployment("web", "default", main_write)
    assert after_main.spec.replicas == 5 and after_main.status.replicas == 2  # status ignored


def test_scale_subresource(apps: client.AppsV1Api) -> None:
    apps.create_namespaced_deployment("default", deployment())
    scale = apps.read_namespaced_deployment_scale("web", "default")
    assert scale.spec.replicas == 2 and scale.status.selector == "app=web"
    scale.spec.replicas = 6
    apps.replace_namespaced_deployment_scale("web", "default", scale)
    assert apps.read_namespaced_deployment("web", "default").spec.replicas == 6


def test_dry_run_create_update_delete_store_nothing(core: client.CoreV1Api) -> None:
    predicted = core.create_namespaced_config_map("default", configmap("dry"), dry_run="All")
    assert predicted.metadata.name == "dry" and predicted.metadata.uid
    with pytest.raises(ApiException):
        core.read_namespaced_config_map("dry", "default")
    real = core.create_namespaced_config_map("default", configmap("dry"))
    real.data = {"k": "changed"}
    predicted = core.replace_namespaced_config_map("dry", "default", real, dry_run="All")
    assert predicted.data == {"k": "changed"}
    assert core.read_namespaced_config_map("dry", "default").data == {"k": "v"}
    core.delete_namespaced_config_map("dry", "default", dry_run="All")
    assert core.read_namespaced_config_map("dry", "default").data == {"k": "v"}


def test_validation_errors_are_422_with_causes(core: client.CoreV1Api) -> None:
    with pytest.raises(ApiException) as info:
        core.create_namespaced_config_map("default", configmap("Bad_Name"))
    body = status_of(info.value)
    assert info.value.status == 422 and body["reason"] == "Invalid"
    assert body["message"].startswith(
        'ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain'
    )
    assert body["details"]["causes"][0]["field"] == "metadata.name"
    assert body["details"]["kind"] == "ConfigMap"
    with pytest.raises(ApiException) as info:
        core.create_namespaced_config_map("default", {"metadata": {}})
    body = status_of(info.value)
    assert body["details"]["causes"] == [
        {
            "reason": "FieldValueRequired",
            "field": "metadata.name",
            "message": "Required value: name or generateName is required",
        }
    ]


def test_namespace_and_kind_mismatch_are_refused(core: client.CoreV1Api) -> None:
    with pytest.raises(ApiException) as info:
        elsewhere = {**configmap("x"), "metadata": {"name": "x", "namespace": "kube-system"}}
        core.create_namespaced_config_map("default", elsewhere)
    assert info.value.status == 400
    assert "does not match the namespace" in status_of(info.value)["message"]
    with pytest.raises(ApiException) as info:
        core.create_namespaced_config_map("default", {**configmap("x"), "apiVersion": "apps/v1"})
    assert info.value.status == 400


def test_cluster_scoped_and_all_namespace_lists(core: client.CoreV1Api) -> None:
    core.create_namespace({"metadata": {"name": "team-a"}})
    core.create_namespaced_config_map("team-a", configmap("a"))
    core.create_namespaced_config_map("default", configmap("b"))
    names = {(c.metadata.namespace, c.metadata.name) for c in core.list_config_map_for_all_namespaces().items}
    assert {("team-a", "a"), ("default", "b")} <= names
    namespace = core.read_namespace("team-a")
    assert namespace.status.phase == "Active"
    assert namespace.metadata.labels["kubernetes.io/metadata.name"] == "team-a"


def test_put_creates_only_where_real_registries_allow_it(api: client.ApiClient) -> None:
    coordination = client.CoordinationV1Api(api)
    lease = {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": "leader"},
        "spec": {"holderIdentity": "a"},
    }
    created = coordination.replace_namespaced_lease("leader", "default", lease)
    assert created.spec.holder_identity == "a"
    with pytest.raises(ApiException) as info:
        client.CoreV1Api(api).replace_namespaced_config_map("absent", "default", configmap("absent"))
    assert info.value.status == 404


def test_immutable_fields_are_refused_like_real_servers(apps: client.AppsV1Api, core: client.CoreV1Api) -> None:
    created = apps.create_namespaced_deployment("default", deployment())
    created.spec.selector.match_labels = {"app": "other"}
    created.spec.template.metadata.labels = {"app": "other"}
    with pytest.raises(ApiException) as info:
        apps.replace_namespaced_deployment("web", "default", created)
    body = status_of(info.value)
    assert info.value.status == 422
    assert body["message"] == (
        'Deployment.apps "web" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:'
        'map[string]string{"app":"other"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable'
    )
    core.create_namespaced_config_map("default", {**configmap("frozen"), "immutable": True})
    with pytest.raises(ApiException) as info:
        core.patch_namespaced_config_map("frozen", "default", {"data": {"k": "new"}})
    assert status_of(info.value)["details"]["causes"][0] == {
        "reason": "FieldValueForbidden",
        "field": "data",
        "message": "Forbidden: field is immutable when `immutable` is set",
    }


def test_unknown_fields_are_dropped_warned_or_refused(sandbox: Sandbox, apps: client.AppsV1Api) -> None:
    """Raw HTTP: the official client's models refuse unknown fields before sending them."""
    body = deployment()
    body["spec"]["replcas"] = 3

    def post(validation: str, name: str) -> urllib.request.Request:
        payload = json.dumps({**body, "metadata": {"name": name}}).encode()
        return urllib.request.Request(
            f"{sandbox.url}/apis/apps/v1/namespaces/default/deployments?fieldValidation={validation}",
            data=payload,
            headers={"Content-Type": "application/json"},
            method="POST",
        )

    with urllib.request.urlopen(post("Warn", "web")) as response:
        assert response.headers.get_all("Warning") == ['299 - "unknown field \\"spec.replcas\\""']
    assert apps.read_namespaced_deployment("web", "default").spec.replicas == 2
    stored = json.loads(apps.read_namespaced_deployment("web", "default", _preload_content=False).data)
    assert "replcas" not in stored["spec"]
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(post("Strict", "strict"))
    assert info.value.code == 400
    assert json.load(info.value)["message"] == 'strict decoding error: unknown field "spec.replcas"'
