"""The console predicts an apply onto a changed object from the server's last prediction where that is
exact, and asks the server otherwise. Each case checks the carried prediction against what the sandbox's
own server-side dry-run answers for the same object, over real HTTP."""

from __future__ import annotations

import copy
import json
import zlib
from collections.abc import Iterator
from typing import Any

import pytest

from gitops_tui.cluster.client import ClusterClient
from gitops_tui.cluster.errors import Target
from gitops_tui.cluster.kubeconfig import load_kubeconfig
from gitops_tui.engine.normalize import normalize
from gitops_tui.engine.prediction_carry import carried_prediction
from gitops_tui.sandbox.testing import Sandbox, sandbox_session

__all__ = ["sandbox_session"]  # a fixture, re-exported for pytest

PATH = "/apis/apps/v1/namespaces/{namespace}/deployments/{name}"


def deployment(name: str, namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": {"team": "shop"}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [
                        {
                            "name": "main",
                            "image": "shop/web:1.0",
                            "args": ["--port", "8080"],
                            "env": [{"name": "LEVEL", "value": "info"}],
                            "resources": {"requests": {"cpu": "0.5"}},
                        }
                    ]
                },
            },
        },
    }


class Cluster:
    def __init__(self, client: ClusterClient, namespace: str, name: str) -> None:
        self.client, self.namespace, self.name = client, namespace, name
        self.desired = deployment(name, namespace)
        self.path = PATH.format(namespace=namespace, name=name)

    def predict(self) -> bytes:
        predicted = self.client.apply(self.desired, app="web", dry_run=True, force=True)
        return json.dumps(predicted).encode()

    def live(self) -> tuple[dict[str, Any], bytes]:
        raw = self.client.request("GET", self.path, Target("get", "deployments.apps", self.name)).data
        return json.loads(raw), raw

    def edit(self, patch: list[dict[str, Any]]) -> None:
        """Another client (kubectl patch --type json) changes the live object."""
        target = Target("patch", "deployments.apps", self.name, self.namespace)
        self.client.request_json("PATCH", self.path, target, body=patch, content_type="application/json-patch+json")

    def carried(self, predicted: bytes) -> bytes | None:
        live, raw = self.live()
        return carried_prediction(predicted, live, raw, self.desired)


@pytest.fixture
def cluster(sandbox_session: Sandbox, request: pytest.FixtureRequest) -> Iterator[Cluster]:
    client = ClusterClient.from_kubeconfig(load_kubeconfig(sandbox_session.kubeconfig_path))
    namespace = "carry"
    client.ensure_namespace(namespace)
    made = Cluster(client, namespace, f"web-{zlib.crc32(request.node.nodeid.encode()):08x}")
    client.apply(made.desired, app="web")
    yield made
    client.close()


def same_content(carried: bytes, server: bytes) -> bool:
    return normalize(json.loads(carried)) == normalize(json.loads(server))


def test_an_edit_of_what_git_declares_is_predicted_exactly(cluster: Cluster) -> None:
    predicted = cluster.predict()
    cluster.edit([{"op": "replace", "path": "/spec/replicas", "value": 5}])
    carried = cluster.carried(predicted)
    assert carried is not None
    assert json.loads(carried)["spec"]["replicas"] == 2  # the apply puts Git's value back
    assert same_content(carried, cluster.predict())


def test_an_image_changed_inside_a_container_is_predicted_exactly(cluster: Cluster) -> None:
    predicted = cluster.predict()
    container = "/spec/template/spec/containers/0"
    cluster.edit([
        {"op": "replace", "path": f"{container}/image", "value": "shop/web:6.6"},
        {"op": "replace", "path": f"{container}/env/0/value", "value": "debug"},
    ])  # fmt: skip
    carried = cluster.carried(predicted)
    assert carried is not None
    assert same_content(carried, cluster.predict())


def test_a_change_undone_is_the_live_object_itself(cluster: Cluster) -> None:
    cluster.edit([{"op": "replace", "path": "/spec/replicas", "value": 3}])
    predicted = cluster.predict()
    cluster.edit([{"op": "replace", "path": "/spec/replicas", "value": 2}])  # back as Git has it
    carried = cluster.carried(predicted)
    assert carried is not None
    # A carried prediction chains: the one made from the last carried prediction is exact too.
    live, raw = cluster.live()
    assert same_content(carried, cluster.predict())
    assert carried_prediction(carried, live, raw, cluster.desired) == raw


@pytest.mark.parametrize(
    "patch",
    [
        # a field Git does not set: the server keeps or defaults it, only it knows
        [{"op": "replace", "path": "/spec/progressDeadlineSeconds", "value": 60}],
        # a value the server rewrote (0.5 is stored as 500m): what it writes back is the server's to say
        [{"op": "replace", "path": "/spec/template/spec/containers/0/resources/requests/cpu", "value": "2"}],
        # a container added beside Git's: lists that change length are merged by the server
        [{"op": "add", "path": "/spec/template/spec/containers/-", "value": {"name": "side", "image": "x:1"}}],
        # the item at Git's index is another container now
        [{"op": "replace", "path": "/spec/template/spec/containers/0/name", "value": "renamed"}],
        # an item of a list of plain values: atomic lists are written back whole, sets are merged
        [{"op": "replace", "path": "/spec/template/spec/containers/0/args/1", "value": "9090"}],
        # a label Git does not declare
        [{"op": "add", "path": "/metadata/labels/extra", "value": "yes"}],
    ],
    ids=["unset-field", "normalized-value", "list-grew", "item-renamed", "plain-list-item", "foreign-label"],
)
def test_changes_only_the_server_can_predict_ask_it(cluster: Cluster, patch: list[dict[str, Any]]) -> None:
    predicted = cluster.predict()
    cluster.edit(copy.deepcopy(patch))
    assert cluster.carried(predicted) is None
