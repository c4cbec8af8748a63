"""Compare without false alarms: server defaults never count, user changes always do.

Live objects here are made by the sandbox's own defaulting code, which models what a real API
server adds, so the tests see the fields that make naive diffs lie.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from gitops_tui.engine.diff import EXTRANEOUS, MISSING, compare_resource, predict_locally
from gitops_tui.engine.masking import SecretMasker
from gitops_tui.model import IgnoreDifference, ResourceKey, SyncStatus
from gitops_tui.sandbox.defaults import apply_defaults

DEPLOYMENT = yaml.safe_load("""
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: shop/web:1.0
          ports: [{containerPort: 8080}]
          env: [{name: MODE, value: fast}]
          resources: {requests: {cpu: 1000m, memory: 1024Mi}}
""")


def as_live(desired: dict[str, Any]) -> dict[str, Any]:
    """What a server stores: defaults, canonical quantities, metadata and status of its own."""
    live = apply_defaults(copy.deepcopy(desired))
    live["metadata"].update(
        uid="0b7c",
        resourceVersion="42",
        generation=3,
        creationTimestamp="2026-11-26T10:00:00Z",
        annotations={"gitops-tui.dev/tracking-id": "shop:apps/Deployment:shop/web"},
        managedFields=[{"manager": "gitops-tui", "operation": "Apply", "fieldsV1": {"f:spec": {}}}],
    )
    live["status"] = {"replicas": 2, "readyReplicas": 2}
    return live


def key(obj: dict[str, Any]) -> ResourceKey:
    return ResourceKey.of(obj)


def test_server_defaults_and_canonical_quantities_are_not_drift() -> None:
    live = as_live(DEPLOYMENT)
    container = live["spec"]["template"]["spec"]["containers"][0]
    assert container["imagePullPolicy"] == "IfNotPresent"  # the fixture really is defaulted
    assert container["resources"]["requests"] == {"cpu": "1", "memory": "1Gi"}
    result = compare_resource(key(DEPLOYMENT), DEPLOYMENT, live)
    assert result.status is SyncStatus.SYNCED, result.changes
    assert result.changes == ()


@pytest.mark.parametrize(
    ("edit", "path", "live_value", "desired_value"),
    [
        (lambda o: o["spec"].__setitem__("replicas", 5), "spec.replicas", 5, 2),
        (
            lambda o: o["spec"]["template"]["spec"]["containers"][0].__setitem__("image", "shop/web:2.0"),
            "spec.template.spec.containers[web].image",
            "shop/web:2.0",
            "shop/web:1.0",
        ),
        (
            lambda o: o["spec"]["template"]["spec"]["containers"][0]["env"][0].__setitem__("value", "slow"),
            "spec.template.spec.containers[web].env[MODE].value",
            "slow",
            "fast",
        ),
        (lambda o: o["metadata"]["labels"].__setitem__("app", "other"), "metadata.labels.app", "other", "web"),
        (
            lambda o: o["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"].__setitem__("cpu", "2"),
            "spec.template.spec.containers[web].resources.requests.cpu",
            "2",
            "1000m",
        ),
    ],
    ids=["replicas", "image", "env", "label", "quantity"],
)
def test_a_user_change_is_drift_and_names_exactly_that_field(edit, path, live_value, desired_value) -> None:
    live = as_live(DEPLOYMENT)
    edit(live)
    result = compare_resource(key(DEPLOYMENT), DEPLOYMENT, live)
    assert result.status is SyncStatus.OUT_OF_SYNC
    assert [(c.path, c.live, c.desired) for c in result.changes] == [(path, live_value, desired_value)]
    assert f"{path.rsplit('.', 1)[-1]}: " in result.live_yaml


def test_missing_and_extraneous() -> None:
    missing = compare_resource(key(DEPLOYMENT), DEPLOYMENT, None)
    assert (missing.status, missing.reason) == (SyncStatus.OUT_OF_SYNC, MISSING)
    assert "image: shop/web:1.0" in missing.desired_yaml
    extra = compare_resource(key(DEPLOYMENT), None, as_live(DEPLOYMENT))
    assert (extra.status, extra.reason) == (SyncStatus.OUT_OF_SYNC, EXTRANEOUS)


def test_server_prediction_is_used_when_given() -> None:
    live = as_live(DEPLOYMENT)
    predicted = copy.deepcopy(live)
    predicted["spec"]["replicas"] = 7  # the server says applying would change replicas
    result = compare_resource(key(DEPLOYMENT), DEPLOYMENT, live, predicted=predicted)
    assert [(c.path, c.live, c.desired) for c in result.changes] == [("spec.replicas", 2, 7)]


def test_fields_set_by_others_outside_git_are_not_drift() -> None:
    live = as_live(DEPLOYMENT)
    live["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = "3"
    live["spec"]["template"]["spec"]["containers"].append({"name": "istio-proxy", "image": "istio/proxy:1.20"})
    assert compare_resource(key(DEPLOYMENT), DEPLOYMENT, live).status is SyncStatus.SYNCED


def test_ignore_differences_silence_exactly_what_they_name() -> None:
    live = as_live(DEPLOYMENT)
    live["spec"]["replicas"] = 9
    live["metadata"]["labels"]["app"] = "changed"
    rules = (IgnoreDifference(group="apps", kind="Deployment", json_pointers=("/spec/replicas",)),)
    result = compare_resource(key(DEPLOYMENT), DEPLOYMENT, live, ignore=rules)
    assert [c.path for c in result.changes] == ["metadata.labels.app"]
    jq_rules = (IgnoreDifference(kind="Deployment", group="apps", jq_path_expressions=(".metadata.labels.app",)),)
    result = compare_resource(key(DEPLOYMENT), DEPLOYMENT, live, ignore=rules + jq_rules)
    assert result.status is SyncStatus.SYNCED
    other_name = (IgnoreDifference(group="apps", kind="Deployment", name="api", json_pointers=("/spec/replicas",)),)
    assert "spec.replicas" in [
        c.path for c in compare_resource(key(DEPLOYMENT), DEPLOYMENT, live, ignore=other_name).changes
    ]


def test_managed_fields_managers_keep_their_fields() -> None:
    live = as_live(DEPLOYMENT)
    live["spec"]["replicas"] = 6
    live["metadata"]["managedFields"].append(
        {"manager": "kube-controller-manager", "operation": "Update", "fieldsV1": {"f:spec": {"f:replicas": {}}}}
    )
    rules = (IgnoreDifference(group="apps", kind="Deployment", managed_fields_managers=("kube-controller-manager",)),)
    assert compare_resource(key(DEPLOYMENT), DEPLOYMENT, live, ignore=rules).status is SyncStatus.SYNCED
    assert compare_resource(key(DEPLOYMENT), DEPLOYMENT, live).status is SyncStatus.OUT_OF_SYNC


def test_secret_string_data_matches_base64_data_and_values_are_masked() -> None:
    desired = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "db", "namespace": "shop"},
        "stringData": {"password": "hunter2", "user": "app"},
    }
    live = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "db", "namespace": "shop", "uid": "1"},
        "type": "Opaque",
        "data": {"password": "aHVudGVyMg==", "user": "YXBw"},
    }
    desired_with_type = {**desired, "type": "Opaque"}
    assert compare_resource(key(desired), desired_with_type, live).status is SyncStatus.SYNCED
    live["data"]["password"] = "b3RoZXI="  # "other"
    result = compare_resource(key(desired), desired_with_type, live)
    assert result.status is SyncStatus.OUT_OF_SYNC
    shown = result.live_yaml + result.desired_yaml + repr(result.changes)
    for secret in ("hunter2", "aHVudGVyMg==", "b3RoZXI=", "YXBw", "other"):
        assert secret not in shown
    (change,) = result.changes
    assert change.path == "data.password" and change.live != change.desired and set(change.live) == {"+"}


def test_equal_secret_values_share_a_mask_and_distinct_ones_do_not() -> None:
    masker = SecretMasker()
    a = masker.mask({"apiVersion": "v1", "kind": "Secret", "data": {"x": "c2FtZQ==", "y": "c2FtZQ==", "z": "b3RoZXI="}})
    assert a["data"]["x"] == a["data"]["y"] != a["data"]["z"]


def test_local_prediction_replaces_atomic_lists_and_merges_keyed_ones() -> None:
    live = {"spec": {"args": ["a", "b"], "containers": [{"name": "x", "image": "1", "tty": True}]}}
    desired = {"spec": {"args": ["c"], "containers": [{"name": "x", "image": "2"}]}}
    assert predict_locally(live, desired) == {
        "spec": {"args": ["c"], "containers": [{"name": "x", "image": "2", "tty": True}]}
    }
