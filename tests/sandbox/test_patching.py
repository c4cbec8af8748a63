"""JSON patch, JSON merge patch and strategic merge patch, as the real API server applies them."""

from __future__ import annotations

import copy
import json

import pytest

from gitops_tui.sandbox.patching import PatchError, json_patch, merge_patch, strategic_merge_patch


def _deployment(containers: list[dict] | None = None, **spec: object) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": containers or [{"name": "nginx", "image": "nginx:1.25"}]},
            },
            **spec,
        },
    }


def _containers(obj: dict) -> list[dict]:
    return obj["spec"]["template"]["spec"]["containers"]


def _pod_spec_patch(**fields: object) -> dict:
    return {"spec": {"template": {"spec": fields}}}


# ---------------------------------------------------------------------------------------------------------
# JSON patch (RFC 6902)

DOC = {"metadata": {"name": "a", "annotations": {"example.com/x": "1", "t~": "2"}}, "list": [1, 2, 3]}

JSON_PATCH_CASES = [
    (
        "add field",
        [{"op": "add", "path": "/metadata/labels", "value": {"a": "b"}}],
        {**DOC, "metadata": {**DOC["metadata"], "labels": {"a": "b"}}},
    ),
    (
        "add replaces existing member",
        [{"op": "add", "path": "/metadata/name", "value": "b"}],
        {**DOC, "metadata": {**DOC["metadata"], "name": "b"}},
    ),
    ("add inserts into array", [{"op": "add", "path": "/list/1", "value": 9}], {**DOC, "list": [1, 9, 2, 3]}),
    ("add appends with dash", [{"op": "add", "path": "/list/-", "value": 4}], {**DOC, "list": [1, 2, 3, 4]}),
    ("add at array end index", [{"op": "add", "path": "/list/3", "value": 4}], {**DOC, "list": [1, 2, 3, 4]}),
    ("remove array item", [{"op": "remove", "path": "/list/0"}], {**DOC, "list": [2, 3]}),
    (
        "remove with ~1 escape",
        [{"op": "remove", "path": "/metadata/annotations/example.com~1x"}],
        {**DOC, "metadata": {"name": "a", "annotations": {"t~": "2"}}},
    ),
    (
        "replace with ~0 escape",
        [{"op": "replace", "path": "/metadata/annotations/t~0", "value": "3"}],
        {**DOC, "metadata": {"name": "a", "annotations": {"example.com/x": "1", "t~": "3"}}},
    ),
    ("replace array item", [{"op": "replace", "path": "/list/2", "value": 0}], {**DOC, "list": [1, 2, 0]}),
    (
        "move",
        [{"op": "move", "from": "/metadata/name", "path": "/name"}],
        {**DOC, "name": "a", "metadata": {"annotations": DOC["metadata"]["annotations"]}},
    ),
    ("copy", [{"op": "copy", "from": "/list/0", "path": "/list/-"}], {**DOC, "list": [1, 2, 3, 1]}),
    (
        "test then replace",
        [{"op": "test", "path": "/list", "value": [1, 2, 3]}, {"op": "replace", "path": "/list", "value": []}],
        {**DOC, "list": []},
    ),
    # Quirks of evanphx/json-patch v4, which the real server uses:
    ("replace of a missing member adds it", [{"op": "replace", "path": "/x", "value": 1}], {**DOC, "x": 1}),
    ("negative index counts from the end", [{"op": "remove", "path": "/list/-1"}], {**DOC, "list": [1, 2]}),
    (
        "leading zeros are read as a number",
        [{"op": "replace", "path": "/list/01", "value": 0}],
        {**DOC, "list": [1, 0, 3]},
    ),
    ("test of a missing member against null passes", [{"op": "test", "path": "/nope", "value": None}], DOC),
    ("add without a value adds null", [{"op": "add", "path": "/x"}], {**DOC, "x": None}),
]


@pytest.mark.parametrize(
    ("operations", "expected"), [c[1:] for c in JSON_PATCH_CASES], ids=[c[0] for c in JSON_PATCH_CASES]
)
def test_json_patch_operations(operations: list, expected: dict) -> None:
    before = copy.deepcopy(DOC)
    assert json_patch(DOC, operations) == expected
    assert before == DOC, "the input must not be mutated"


JSON_PATCH_ERRORS = [
    (
        "add under missing parent",
        [{"op": "add", "path": "/spec/replicas", "value": 1}],
        422,
        'add operation does not apply: doc is missing path: "/spec/replicas": missing value',
    ),
    (
        "replace under missing parent",
        [{"op": "replace", "path": "/spec/replicas", "value": 1}],
        422,
        "replace operation does not apply: doc is missing path: /spec/replicas: missing value",
    ),
    (
        "replace index out of range",
        [{"op": "replace", "path": "/list/3", "value": 1}],
        422,
        "replace operation does not apply: doc is missing key: /list/3: missing value",
    ),
    (
        "remove missing key",
        [{"op": "remove", "path": "/metadata/labels"}],
        422,
        "error in remove for path: '/metadata/labels': Unable to remove nonexistent key: labels: missing value",
    ),
    (
        "remove index out of range",
        [{"op": "remove", "path": "/list/3"}],
        422,
        "error in remove for path: '/list/3': Unable to access invalid index: 3: invalid index referenced",
    ),
    (
        "add index past end",
        [{"op": "add", "path": "/list/5", "value": 1}],
        422,
        "error in add for path: '/list/5': Unable to access invalid index: 5: invalid index referenced",
    ),
    (
        "failed test",
        [{"op": "test", "path": "/metadata/name", "value": "b"}],
        422,
        "testing value /metadata/name failed: test failed",
    ),
    (
        "test distinguishes true from 1",
        [{"op": "test", "path": "/list/0", "value": True}],
        422,
        "testing value /list/0 failed: test failed",
    ),
    (
        "move from a missing member",
        [{"op": "move", "from": "/nope", "path": "/x"}],
        422,
        "error in move for path: 'nope': Unable to remove nonexistent key: nope: missing value",
    ),
    (
        "move into own child",
        [{"op": "move", "from": "/metadata", "path": "/metadata/x"}],
        422,
        "move operation does not apply: doc is missing destination path: /metadata/x: missing value",
    ),
    ("unknown op", [{"op": "frobnicate", "path": "/x"}], 422, "Unexpected kind: frobnicate"),
    ("not a list of operations", {"op": "add"}, 400, None),
    ("operation not an object", ["add"], 400, None),
]


@pytest.mark.parametrize(
    ("operations", "code", "message"), [c[1:] for c in JSON_PATCH_ERRORS], ids=[c[0] for c in JSON_PATCH_ERRORS]
)
def test_json_patch_errors(operations: list, code: int, message: str | None) -> None:
    with pytest.raises(PatchError) as raised:
        json_patch(DOC, operations)
    assert raised.value.code == code
    if message is not None:
        assert raised.value.message == message


def test_json_patch_is_all_or_nothing() -> None:
    before = copy.deepcopy(DOC)
    with pytest.raises(PatchError):
        json_patch(DOC, [{"op": "add", "path": "/x", "value": 1}, {"op": "remove", "path": "/nope"}])
    assert before == DOC


def test_json_patch_failed_test_message_names_the_path() -> None:
    with pytest.raises(PatchError, match="/metadata/name"):
        json_patch(DOC, [{"op": "test", "path": "/metadata/name", "value": "zzz"}])


# ---------------------------------------------------------------------------------------------------------
# JSON merge patch (RFC 7386)

MERGE_CASES = [
    ("null deletes", {"a": 1, "b": 2}, {"a": None}, {"b": 2}),
    ("nested merge", {"m": {"x": 1, "y": 2}}, {"m": {"y": 3, "z": 4}}, {"m": {"x": 1, "y": 3, "z": 4}}),
    ("lists replaced", {"l": [1, 2, 3]}, {"l": [4]}, {"l": [4]}),
    ("object replaces scalar", {"a": 1}, {"a": {"b": None, "c": 1}}, {"a": {"c": 1}}),
    ("scalar replaces object", {"a": {"b": 1}}, {"a": "x"}, {"a": "x"}),
    ("deleting a missing key is fine", {"a": 1}, {"zz": None}, {"a": 1}),
    (
        "keyed lists are still replaced",
        _deployment(),
        _pod_spec_patch(containers=[{"name": "side", "image": "b"}]),
        _deployment([{"name": "side", "image": "b"}]),
    ),
]


@pytest.mark.parametrize(
    ("original", "patch", "expected"), [c[1:] for c in MERGE_CASES], ids=[c[0] for c in MERGE_CASES]
)
def test_merge_patch(original: dict, patch: dict, expected: dict) -> None:
    before = copy.deepcopy(original)
    assert merge_patch(original, patch) == expected
    assert before == original


def test_merge_patch_rejects_non_object() -> None:
    with pytest.raises(PatchError) as raised:
        merge_patch({}, [1])  # type: ignore[arg-type]
    assert raised.value.code == 400


# ---------------------------------------------------------------------------------------------------------
# Strategic merge patch

NGINX = {
    "name": "nginx",
    "image": "nginx:1.25",
    "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
    "ports": [{"containerPort": 80, "protocol": "TCP"}],
    "args": ["--a", "--b"],
}
SIDECAR = {"name": "sidecar", "image": "busybox"}
BASE = _deployment(
    [copy.deepcopy(NGINX), copy.deepcopy(SIDECAR)], strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}
)
BASE["metadata"]["finalizers"] = ["a", "b"]
BASE["spec"]["template"]["spec"]["tolerations"] = [{"key": "k1", "operator": "Exists"}]


def _with_containers(*containers: dict) -> list[dict]:
    return [copy.deepcopy(c) for c in containers]


SMP_CASES = [
    (
        "containers merge by name",
        _pod_spec_patch(containers=[{"name": "nginx", "image": "nginx:1.26"}]),
        lambda o: _containers(o)[0].update(image="nginx:1.26"),
    ),
    (
        # The real server puts items new to the list before the ones only it has.
        "new container goes first",
        _pod_spec_patch(containers=[{"name": "third", "image": "x", "env": [{"name": "E", "value": None}]}]),
        lambda o: _containers(o).insert(0, {"name": "third", "image": "x", "env": [{"name": "E"}]}),
    ),
    (
        "env merges by name",
        _pod_spec_patch(containers=[{"name": "nginx", "env": [{"name": "B", "value": "3"}, {"name": "C"}]}]),
        lambda o: _containers(o)[0].update(
            env=[{"name": "A", "value": "1"}, {"name": "B", "value": "3"}, {"name": "C"}]
        ),
    ),
    (
        "null deletes a field of a list item",
        _pod_spec_patch(containers=[{"name": "nginx", "env": [{"name": "B", "value": None}]}]),
        lambda o: _containers(o)[0].update(env=[{"name": "A", "value": "1"}, {"name": "B"}]),
    ),
    (
        "ports merge by containerPort",
        _pod_spec_patch(
            containers=[{"name": "nginx", "ports": [{"containerPort": 80, "name": "http"}, {"containerPort": 443}]}]
        ),
        lambda o: _containers(o)[0].update(
            ports=[{"containerPort": 80, "protocol": "TCP", "name": "http"}, {"containerPort": 443}]
        ),
    ),
    (
        "$patch delete removes a container",
        _pod_spec_patch(containers=[{"name": "sidecar", "$patch": "delete"}]),
        lambda o: _containers(o).pop(),
    ),
    (
        "$patch replace on a list",
        _pod_spec_patch(containers=[{"$patch": "replace"}, {"name": "only", "image": "o"}]),
        lambda o: o["spec"]["template"]["spec"].update(containers=[{"name": "only", "image": "o"}]),
    ),
    (
        "$patch replace on an object",
        {"metadata": {"labels": {"$patch": "replace", "new": "1"}}},
        lambda o: o["metadata"].update(labels={"new": "1"}),
    ),
    (
        "$patch delete on an object leaves it empty",
        {"spec": {"strategy": {"$patch": "delete"}}},
        lambda o: o["spec"].update(strategy={}),
    ),
    (
        "$retainKeys clears fields not listed",
        {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate", "rollingUpdate": None}}},
        lambda o: o["spec"].update(strategy={"type": "Recreate"}),
    ),
    (
        "$deleteFromPrimitiveList",
        {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}},
        lambda o: o["metadata"].update(finalizers=["b"]),
    ),
    (
        "finalizers merge as a set",
        {"metadata": {"finalizers": ["b", "c"]}},
        lambda o: o["metadata"].update(finalizers=["a", "b", "c"]),
    ),
    (
        "tolerations are atomic",
        _pod_spec_patch(tolerations=[{"key": "k2", "operator": "Exists"}]),
        lambda o: o["spec"]["template"]["spec"].update(tolerations=[{"key": "k2", "operator": "Exists"}]),
    ),
    (
        "args are atomic",
        _pod_spec_patch(containers=[{"name": "nginx", "args": ["--c"]}]),
        lambda o: _containers(o)[0].update(args=["--c"]),
    ),
    (
        "null deletes a field",
        {"spec": {"replicas": None}, "metadata": {"labels": {"app": None}}},
        lambda o: (o["spec"].pop("replicas"), o["metadata"].update(labels={})),
    ),
    (
        "$setElementOrder reorders containers",
        _pod_spec_patch(
            **{
                "$setElementOrder/containers": [{"name": "sidecar"}, {"name": "nginx"}],
                "containers": [{"name": "nginx", "image": "nginx:2"}],
            }
        ),
        lambda o: o["spec"]["template"]["spec"].update(containers=[SIDECAR, {**NGINX, "image": "nginx:2"}]),
    ),
    (
        "$setElementOrder places a new container where asked",
        _pod_spec_patch(
            **{
                "$setElementOrder/containers": [{"name": "nginx"}, {"name": "new"}, {"name": "sidecar"}],
                "containers": [{"name": "new", "image": "n"}],
            }
        ),
        lambda o: o["spec"]["template"]["spec"].update(containers=[NGINX, {"name": "new", "image": "n"}, SIDECAR]),
    ),
    (
        "$setElementOrder on env of a container (what client-side apply sends)",
        _pod_spec_patch(
            **{
                "$setElementOrder/containers": [{"name": "nginx"}, {"name": "sidecar"}],
                "containers": [
                    {
                        "name": "nginx",
                        "$setElementOrder/env": [{"name": "B"}, {"name": "A"}],
                        "env": [{"name": "A", "value": "9"}],
                    }
                ],
            }
        ),
        lambda o: _containers(o)[0].update(env=[{"name": "B", "value": "2"}, {"name": "A", "value": "9"}]),
    ),
    (
        "$setElementOrder on a primitive list",
        {"metadata": {"$setElementOrder/finalizers": ["c", "b", "a"], "finalizers": ["c"]}},
        lambda o: o["metadata"].update(finalizers=["c", "b", "a"]),
    ),
]


@pytest.mark.parametrize(("patch", "edit"), [c[1:] for c in SMP_CASES], ids=[c[0] for c in SMP_CASES])
def test_strategic_merge_patch(patch: dict, edit) -> None:
    expected = copy.deepcopy(BASE)
    edit(expected)
    before = copy.deepcopy(BASE)
    assert strategic_merge_patch(BASE, patch) == expected
    assert before == BASE, "the input must not be mutated"


@pytest.mark.parametrize(
    ("live", "order", "added", "expected"),
    [
        # Items the server alone has keep their place relative to the ordered ones.
        (["nginx", "sidecar", "extra"], ["nginx", "new"], ["new"], ["nginx", "new", "sidecar", "extra"]),
        (["extra", "nginx"], ["nginx"], [], ["extra", "nginx"]),
        (["nginx", "extra", "sidecar"], ["sidecar", "nginx"], [], ["extra", "sidecar", "nginx"]),
    ],
)
def test_set_element_order_with_server_only_items(
    live: list[str], order: list[str], added: list[str], expected: list[str]
) -> None:
    obj = _deployment([{"name": name, "image": name} for name in live])
    patch = _pod_spec_patch(
        **{
            "$setElementOrder/containers": [{"name": name} for name in order],
            "containers": [{"name": name, "image": name} for name in added],
        }
    )
    assert [c["name"] for c in _containers(strategic_merge_patch(obj, patch))] == expected


def test_missing_merge_key_message_prints_the_item_as_go_does() -> None:
    with pytest.raises(PatchError) as raised:
        strategic_merge_patch(BASE, _pod_spec_patch(containers=[{"volumeMounts": [{"path": "/v"}], "n": 1.0}]))
    assert raised.value.message == "map: map[n:1 volumeMounts:[map[path:/v]]] does not contain declared merge key: name"


def test_a_list_the_original_lacks_is_taken_without_merge_key_checks() -> None:
    patched = strategic_merge_patch(BASE, _pod_spec_patch(volumes=[{"emptyDir": {}, "$patch": "merge"}]))
    assert patched["spec"]["template"]["spec"]["volumes"] == [{"emptyDir": {}}]


@pytest.mark.parametrize(
    ("live", "patched", "expected"),
    [
        (["a", "b", "c"], ["c", "a"], ["b", "c", "a"]),  # patch order wins, b stays before c
        (["a", "b"], ["b", "new"], ["a", "b", "new"]),
        (["a", "b"], ["new", "a"], ["new", "a", "b"]),
    ],
)
def test_merged_list_takes_the_patch_order(live: list[str], patched: list[str], expected: list[str]) -> None:
    obj = _deployment([{"name": name, "image": name} for name in live])
    patch = _pod_spec_patch(containers=[{"name": name} for name in patched])
    assert [c["name"] for c in _containers(strategic_merge_patch(obj, patch))] == expected


def test_service_ports_merge_by_port() -> None:
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "s"},
        "spec": {"ports": [{"port": 80, "targetPort": 8080}, {"port": 443}], "selector": {"a": "1"}},
    }
    patched = strategic_merge_patch(service, {"spec": {"ports": [{"port": 80, "targetPort": 9090}]}})
    assert patched["spec"]["ports"] == [{"port": 80, "targetPort": 9090}, {"port": 443}]


def test_custom_resource_lists_are_replaced() -> None:
    widget = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w", "finalizers": ["x"]},
        "spec": {"containers": [{"name": "a", "v": 1}, {"name": "b"}]},
    }
    patched = strategic_merge_patch(
        widget, {"metadata": {"finalizers": ["y"]}, "spec": {"containers": [{"name": "a", "v": 2}]}}
    )
    assert patched["spec"]["containers"] == [{"name": "a", "v": 2}]
    assert patched["metadata"]["finalizers"] == ["y", "x"], "ObjectMeta keeps its semantics on every kind"


def test_kubectl_client_side_apply_patch() -> None:
    """The three-way patch kubectl apply sends when the image changes and a container was added."""
    last = json.dumps(_deployment())
    patch = {
        "metadata": {"annotations": {"kubectl.kubernetes.io/last-applied-configuration": last}},
        "spec": {
            "template": {
                "spec": {
                    "$setElementOrder/containers": [{"name": "nginx"}, {"name": "sidecar"}],
                    "containers": [{"image": "nginx:1.26", "name": "nginx"}, {"image": "busybox", "name": "sidecar"}],
                }
            }
        },
    }
    patched = strategic_merge_patch(_deployment(), patch)
    assert _containers(patched) == [{"name": "nginx", "image": "nginx:1.26"}, {"name": "sidecar", "image": "busybox"}]
    assert patched["metadata"]["annotations"] == {"kubectl.kubernetes.io/last-applied-configuration": last}


SMP_ERRORS = [
    ("missing merge key", _pod_spec_patch(containers=[{"image": "x"}]), 500),
    (
        "retainKeys does not cover the patch",
        {"spec": {"strategy": {"$retainKeys": ["type"], "rollingUpdate": {}}}},
        400,
    ),
    ("retainKeys not a list", {"spec": {"strategy": {"$retainKeys": "type"}}}, 400),
    ("deleteFromPrimitiveList not a list", {"metadata": {"$deleteFromPrimitiveList/finalizers": "a"}}, 400),
    ("setElementOrder not a list", _pod_spec_patch(**{"$setElementOrder/containers": {}}), 400),
    ("unknown $patch", {"metadata": {"labels": {"$patch": "explode"}}}, 500),
    ("$patch merge on an object", {"metadata": {"labels": {"$patch": "merge"}}}, 500),
    ("$patch merge in a list", _pod_spec_patch(containers=[{"$patch": "merge", "name": "nginx"}]), 500),
    ("$patch delete without the merge key", _pod_spec_patch(containers=[{"$patch": "delete"}]), 500),
]


@pytest.mark.parametrize(("patch", "code"), [c[1:] for c in SMP_ERRORS], ids=[c[0] for c in SMP_ERRORS])
def test_strategic_merge_patch_errors(patch: dict, code: int) -> None:
    with pytest.raises(PatchError) as raised:
        strategic_merge_patch(BASE, patch)
    assert raised.value.code == code
