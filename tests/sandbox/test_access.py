"""Authentication (bearer token) and configurable 403 rules."""

from __future__ import annotations

import json

import pytest
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from gitops_tui.sandbox import ForbidRule, Sandbox
from gitops_tui.sandbox.access import only_namespaces, read_only

from .objects import configmap, deployment


def test_token_required_when_configured(tmp_path) -> None:
    with Sandbox(token="s3cret") as sandbox:
        good = config.new_client_from_config(config_file=str(sandbox.kubeconfig_path))
        assert client.CoreV1Api(good).list_namespace().items
        bad = client.ApiClient(client.Configuration(host=sandbox.url))
        with pytest.raises(ApiException) as info:
            client.CoreV1Api(bad).list_namespace()
        assert info.value.status == 401
        assert json.loads(info.value.body)["reason"] == "Unauthorized"


def test_forbid_rule_message_at_cluster_scope() -> None:
    with Sandbox(forbid=[ForbidRule(verbs={"list"}, resource="deployments", namespace="*")]) as sandbox:
        apps = client.AppsV1Api(config.new_client_from_config(config_file=str(sandbox.kubeconfig_path)))
        with pytest.raises(ApiException) as info:
            apps.list_deployment_for_all_namespaces()
        body = json.loads(info.value.body)
        assert info.value.status == 403
        assert body["message"] == (
            'deployments.apps is forbidden: User "sandbox-user" cannot list resource '
            '"deployments" in API group "apps" at the cluster scope'
        )
        assert body["details"] == {"group": "apps", "kind": "deployments"}
        with pytest.raises(ApiException) as info:
            apps.list_namespaced_deployment("default")
        assert 'in the namespace "default"' in json.loads(info.value.body)["message"]
        apps.create_namespaced_deployment("default", deployment("ok"))


def test_rules_change_at_run_time(sandbox: Sandbox, core: client.CoreV1Api) -> None:
    sandbox.set_forbid_rules(read_only())
    assert core.list_namespaced_config_map("default").items == []
    with pytest.raises(ApiException) as info:
        core.create_namespaced_config_map("default", configmap("x"))
    assert info.value.status == 403
    assert json.loads(info.value.body)["message"] == (
        'configmaps is forbidden: User "sandbox-user" cannot create resource "configmaps" in API group "" in '
        'the namespace "default"'
    )
    sandbox.allow_all()
    core.create_namespaced_config_map("default", configmap("x"))
    sandbox.set_forbid_rules(only_namespaces("default"))
    core.read_namespaced_config_map("x", "default")
    with pytest.raises(ApiException):
        core.list_config_map_for_all_namespaces()
    with pytest.raises(ApiException) as info:
        core.read_namespaced_config_map("y", "kube-system")
    assert json.loads(info.value.body)["message"].startswith(
        'configmaps "y" is forbidden: User "sandbox-user" cannot get resource "configmaps"'
    )


def test_self_subject_access_review_follows_the_rules(sandbox: Sandbox, api: client.ApiClient) -> None:
    sandbox.forbid(ForbidRule(verbs={"delete"}, resource="deployments", namespace="prod"))
    authz = client.AuthorizationV1Api(api)

    def allowed(verb: str, namespace: str) -> bool:
        review = {
            "spec": {
                "resourceAttributes": {"verb": verb, "group": "apps", "resource": "deployments", "namespace": namespace}
            }
        }
        return authz.create_self_subject_access_review(review).status.allowed

    assert not allowed("delete", "prod")
    assert allowed("delete", "dev") and allowed("get", "prod")


def test_kubectl_auth_can_i(sandbox: Sandbox, kubectl) -> None:
    sandbox.forbid(*read_only())
    assert kubectl("auth", "can-i", "list", "pods").stdout.strip() == "yes"
    denied = kubectl("auth", "can-i", "create", "configmaps", check=False)
    assert denied.returncode == 1 and denied.stdout.startswith("no")
