"""Deletion: propagation policies, garbage collection, finalizers, namespaces."""

from __future__ import annotations

import json

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from gitops_tui.sandbox import Sandbox
from gitops_tui.sandbox.testing import wait_until

from .objects import configmap, deployment


def _owned_replicaset(apps: client.AppsV1Api, owner: client.V1Deployment, name: str = "web-1") -> None:
    ref = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": owner.metadata.name,
        "uid": owner.metadata.uid,
        "controller": True,
        "blockOwnerDeletion": True,
    }
    body = deployment(name)
    body.update(kind="ReplicaSet", metadata={"name": name, "ownerReferences": [ref], "labels": {"app": "web"}})
    apps.create_namespaced_replica_set("default", body)


def _replicasets(apps: client.AppsV1Api) -> list:
    return apps.list_namespaced_replica_set("default").items


def test_background_deletion_collects_dependents(apps: client.AppsV1Api) -> None:
    owner = apps.create_namespaced_deployment("default", deployment())
    _owned_replicaset(apps, owner)
    status = apps.delete_namespaced_deployment("web", "default", propagation_policy="Background")
    # kubernetes 37 types DELETE answers as plain objects: a Status when gone, the object when lingering.
    assert status["status"] == "Success" and status["details"]["uid"] == owner.metadata.uid
    wait_until(lambda: _replicasets(apps) == [])


def test_orphan_deletion_keeps_dependents_without_owner_reference(apps: client.AppsV1Api) -> None:
    owner = apps.create_namespaced_deployment("default", deployment())
    _owned_replicaset(apps, owner)
    lingering = apps.delete_namespaced_deployment("web", "default", propagation_policy="Orphan")
    assert lingering["metadata"]["finalizers"] == ["orphan"]  # until the collector has orphaned the RS
    wait_until(lambda: not _replicasets(apps)[0].metadata.owner_references)
    wait_until(lambda: not apps.list_namespaced_deployment("default").items)


def test_foreground_deletion_waits_for_blocking_dependents(apps: client.AppsV1Api) -> None:
    owner = apps.create_namespaced_deployment("default", deployment())
    _owned_replicaset(apps, owner)
    rs = apps.read_namespaced_replica_set("web-1", "default")
    rs.metadata.finalizers = ["example.com/hold"]
    apps.replace_namespaced_replica_set("web-1", "default", rs)
    lingering = apps.delete_namespaced_deployment("web", "default", propagation_policy="Foreground")
    meta = lingering["metadata"]
    assert meta["deletionTimestamp"] and "foregroundDeletion" in meta["finalizers"]
    wait_until(lambda: apps.read_namespaced_replica_set("web-1", "default").metadata.deletion_timestamp)
    assert apps.read_namespaced_deployment("web", "default").metadata.deletion_timestamp
    # A patch, not a read-modify-replace: the collector may be touching the RS's finalizers meanwhile.
    apps.patch_namespaced_replica_set("web-1", "default", {"metadata": {"finalizers": None}})
    wait_until(lambda: _replicasets(apps) == [])
    wait_until(lambda: not apps.list_namespaced_deployment("default").items)


def test_finalizers_hold_an_object_until_removed(core: client.CoreV1Api) -> None:
    core.create_namespaced_config_map(
        "default", {**configmap("held"), "metadata": {"name": "held", "finalizers": ["example.com/hold"]}}
    )
    lingering = core.delete_namespaced_config_map("held", "default")
    assert lingering["metadata"]["deletionTimestamp"]
    current = core.read_namespaced_config_map("held", "default")
    current.metadata.finalizers.append("example.com/another")
    with pytest.raises(ApiException) as info:
        core.replace_namespaced_config_map("held", "default", current)
    assert info.value.status == 422
    core.patch_namespaced_config_map("held", "default", {"metadata": {"finalizers": None}})
    with pytest.raises(ApiException):
        core.read_namespaced_config_map("held", "default")


def test_namespace_deletion_removes_contents_and_terminating_namespace_refuses_creates(
    core: client.CoreV1Api,
) -> None:
    core.create_namespace({"metadata": {"name": "doomed"}})
    core.create_namespaced_config_map("doomed", configmap("plain"))
    core.create_namespaced_config_map(
        "doomed", {**configmap("held"), "metadata": {"name": "held", "finalizers": ["example.com/hold"]}}
    )
    core.delete_namespace("doomed")
    namespace = core.read_namespace("doomed")
    assert namespace.status.phase == "Terminating"
    wait_until(lambda: [c.metadata.name for c in core.list_namespaced_config_map("doomed").items] == ["held"])
    with pytest.raises(ApiException) as info:
        core.create_namespaced_config_map("doomed", configmap("late"))
    body = json.loads(info.value.body)
    assert info.value.status == 403 and body["reason"] == "Forbidden"
    assert body["message"] == (
        'configmaps "late" is forbidden: unable to create new content in namespace doomed '
        "because it is being terminated"
    )
    core.patch_namespaced_config_map("held", "doomed", {"metadata": {"finalizers": None}})
    wait_until(lambda: "doomed" not in {n.metadata.name for n in core.list_namespace().items})


def test_delete_collection_with_selector(core: client.CoreV1Api) -> None:
    core.create_namespaced_config_map("default", configmap("x1", {"batch": "1"}))
    core.create_namespaced_config_map("default", configmap("x2", {"batch": "1"}))
    core.create_namespaced_config_map("default", configmap("keep"))
    core.delete_collection_namespaced_config_map("default", label_selector="batch=1")
    assert [c.metadata.name for c in core.list_namespaced_config_map("default").items] == ["keep"]


def test_delete_precondition_conflict(core: client.CoreV1Api) -> None:
    core.create_namespaced_config_map("default", configmap("pre"))
    body = client.V1DeleteOptions(preconditions=client.V1Preconditions(uid="not-the-uid"))
    with pytest.raises(ApiException) as info:
        core.delete_namespaced_config_map("pre", "default", body=body)
    assert info.value.status == 409


def test_deleting_a_missing_object_is_404(sandbox: Sandbox, core: client.CoreV1Api) -> None:
    with pytest.raises(ApiException) as info:
        core.delete_namespaced_config_map("ghost", "default")
    assert json.loads(info.value.body)["message"] == 'configmaps "ghost" not found'


def _pod(name: str, node: str | None) -> dict:
    spec: dict = {"containers": [{"name": "c", "image": "nginx"}]}
    if node:
        spec["nodeName"] = node
    return {"metadata": {"name": name}, "spec": spec}


def test_scheduled_pods_terminate_gracefully(core: client.CoreV1Api) -> None:
    core.create_namespaced_pod("default", _pod("on-node", "node-1"))
    terminating = core.delete_namespaced_pod("on-node", "default")  # pods answer with the pod, not a Status
    assert terminating.metadata.deletion_grace_period_seconds == 30
    assert core.read_namespaced_pod("on-node", "default").metadata.deletion_timestamp  # Terminating...
    wait_until(lambda: not core.list_namespaced_pod("default").items)  # ...until the kubelet confirms


def test_unscheduled_and_forced_pod_deletions_are_immediate(core: client.CoreV1Api) -> None:
    core.create_namespaced_pod("default", _pod("pending", None))
    core.create_namespaced_pod("default", _pod("forced", "node-1"))
    assert core.delete_namespaced_pod("pending", "default").metadata.name == "pending"
    assert core.delete_namespaced_pod("forced", "default", grace_period_seconds=0).metadata.name == "forced"
    assert core.list_namespaced_pod("default").items == []


def test_system_namespaces_may_not_be_deleted(core: client.CoreV1Api) -> None:
    with pytest.raises(ApiException) as info:
        core.delete_namespace("default")
    assert info.value.status == 403
    message = json.loads(info.value.body)["message"]
    assert message == 'namespaces "default" is forbidden: this namespace may not be deleted'
