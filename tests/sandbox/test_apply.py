"""Server-side apply and managedFields bookkeeping, checked against what a real API server returns."""

from __future__ import annotations

import copy
import json

import pytest

from gitops_tui.sandbox.apply import (
    ApplyConflict,
    default_manager,
    owned_fields,
    record_update,
    server_side_apply,
)
from gitops_tui.sandbox.patching import PatchError

T0, T1, T2 = "2026-01-01T00:00:00Z", "2026-01-01T00:01:00Z", "2026-01-01T00:02:00Z"


def deployment(
    replicas: int | None = 2,
    image: str = "nginx:1.25",
    *,
    env: bool = True,
    sidecar: bool = False,
    labels: dict | None = None,
) -> dict:
    nginx: dict = {"name": "nginx", "image": image, "ports": [{"containerPort": 80}]}
    if env:
        nginx["env"] = [{"name": "MODE", "value": "prod"}]
    containers = [nginx] + ([{"name": "sidecar", "image": "busybox"}] if sidecar else [])
    spec: dict = {
        "selector": {"matchLabels": {"app": "web"}},
        "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": containers}},
    }
    if replicas is not None:
        spec = {"replicas": replicas, **spec}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "labels": labels if labels is not None else {"app": "web"}},
        "spec": spec,
    }


def as_stored(obj: dict, **server_fields: object) -> dict:
    """What the store would hold: the object plus fields the server sets (not owned by anyone)."""
    stored = copy.deepcopy(obj)
    stored["metadata"].update(uid="u-1", resourceVersion="1", creationTimestamp=T0, generation=1)
    for key, value in server_fields.items():
        stored[key] = value
    return stored


def entries(obj: dict) -> list[dict]:
    return obj["metadata"].get("managedFields", [])


def entry_of(obj: dict, manager: str, operation: str = "Apply") -> dict:
    [found] = [e for e in entries(obj) if e["manager"] == manager and e["operation"] == operation]
    return found


def spec_of(obj: dict) -> dict:
    return obj["spec"]


def containers(obj: dict) -> list[dict]:
    return obj["spec"]["template"]["spec"]["containers"]


EXPECTED_APPLY_FIELDS = {
    "f:metadata": {"f:labels": {"f:app": {}}},
    "f:spec": {
        "f:replicas": {},
        "f:selector": {},
        "f:template": {
            "f:metadata": {"f:labels": {"f:app": {}}},
            "f:spec": {
                "f:containers": {
                    'k:{"name":"nginx"}': {
                        ".": {},
                        "f:env": {'k:{"name":"MODE"}': {".": {}, "f:name": {}, "f:value": {}}},
                        "f:image": {},
                        "f:name": {},
                        "f:ports": {'k:{"containerPort":80,"protocol":"TCP"}': {".": {}, "f:containerPort": {}}},
                    }
                }
            },
        },
    },
}


@pytest.fixture
def applied() -> dict:
    return as_stored(server_side_apply(None, deployment(), "gitops-tui", False, T0))


# ---------------------------------------------------------------------------------------------------------
# Apply: creation, encoding, idempotence


def test_apply_creates_with_exact_fields_v1() -> None:
    config = deployment()
    before = copy.deepcopy(config)
    created = server_side_apply(None, config, "gitops-tui", False, T0)
    assert config == before, "inputs are never mutated"
    assert entries(created) == [
        {
            "manager": "gitops-tui",
            "operation": "Apply",
            "apiVersion": "apps/v1",
            "time": T0,
            "fieldsType": "FieldsV1",
            "fieldsV1": EXPECTED_APPLY_FIELDS,
        }
    ]
    without_managed = copy.deepcopy(created)
    del without_managed["metadata"]["managedFields"]
    assert without_managed == config


def test_reapplying_the_same_config_changes_nothing(applied: dict) -> None:
    again = server_side_apply(applied, deployment(), "gitops-tui", False, T1)
    assert again == applied, "not even the timestamp moves on a no-op apply"


def test_apply_keeps_server_owned_fields_and_status(applied: dict) -> None:
    live = copy.deepcopy(applied)
    live["status"] = {"replicas": 2}
    config = deployment(replicas=3)
    config["metadata"]["uid"] = "forged"
    config["status"] = {"replicas": 99}
    result = server_side_apply(live, config, "gitops-tui", False, T1)
    assert result["metadata"]["uid"] == "u-1"
    assert result["metadata"]["resourceVersion"] == "1"
    assert result["status"] == {"replicas": 2}
    assert result["spec"]["replicas"] == 3
    assert entry_of(result, "gitops-tui")["time"] == T1
    assert "f:status" not in entry_of(result, "gitops-tui")["fieldsV1"]


def test_unowned_defaulted_fields_survive_reapply(applied: dict) -> None:
    live = copy.deepcopy(applied)
    live["spec"]["revisionHistoryLimit"] = 10  # as defaulting would add it, owned by nobody
    result = server_side_apply(live, deployment(), "gitops-tui", False, T1)
    assert result["spec"]["revisionHistoryLimit"] == 10


# ---------------------------------------------------------------------------------------------------------
# Apply: conflicts and ownership


def test_second_applier_with_a_different_value_conflicts(applied: dict) -> None:
    with pytest.raises(ApplyConflict) as raised:
        server_side_apply(applied, deployment(replicas=5), "kubectl", False, T1)
    assert raised.value.message == 'Apply failed with 1 conflict: conflict with "gitops-tui": .spec.replicas'
    assert raised.value.conflicts == [("gitops-tui", ".spec.replicas")]
    assert raised.value.causes == [
        {"type": "FieldManagerConflict", "message": 'conflict with "gitops-tui"', "field": ".spec.replicas"}
    ]


def test_conflict_message_with_several_fields(applied: dict) -> None:
    with pytest.raises(ApplyConflict) as raised:
        server_side_apply(applied, deployment(replicas=5, image="nginx:2"), "kubectl", False, T1)
    assert raised.value.message == (
        'Apply failed with 2 conflicts: conflicts with "gitops-tui":\n'
        "- .spec.replicas\n"
        '- .spec.template.spec.containers[name="nginx"].image'
    )


def test_conflicts_grouped_by_manager_in_sorted_order(applied: dict) -> None:
    edited = copy.deepcopy(applied)
    edited["spec"]["replicas"] = 7
    live = record_update(applied, edited, "kubectl-edit", T1)
    with pytest.raises(ApplyConflict) as raised:
        server_side_apply(live, deployment(replicas=5, image="nginx:2"), "argocd", False, T2)
    assert raised.value.message == (
        'Apply failed with 2 conflicts: conflicts with "gitops-tui":\n'
        '- .spec.template.spec.containers[name="nginx"].image\n'
        'conflicts with "kubectl-edit" using apps/v1:\n'
        "- .spec.replicas"
    )


def test_force_transfers_ownership(applied: dict) -> None:
    result = server_side_apply(applied, deployment(replicas=5), "kubectl", True, T1)
    assert result["spec"]["replicas"] == 5
    assert ".spec.replicas" in owned_fields(result, "kubectl")
    assert ".spec.replicas" not in owned_fields(result, "gitops-tui")
    assert ".spec.selector" in owned_fields(result, "gitops-tui"), "only the conflicting field changes hands"
    assert entry_of(result, "gitops-tui")["time"] == T0, "losing a field does not touch the loser's time"


def test_equal_values_are_shared_without_conflict(applied: dict) -> None:
    result = server_side_apply(applied, deployment(), "kubectl", False, T1)
    assert ".spec.replicas" in owned_fields(result, "kubectl")
    assert ".spec.replicas" in owned_fields(result, "gitops-tui")
    assert spec_of(result) == spec_of(applied)


def test_update_then_apply_conflicts_with_the_updater(applied: dict) -> None:
    edited = copy.deepcopy(applied)
    edited["spec"]["replicas"] = 7
    live = record_update(applied, edited, "kubectl-edit", T1)
    assert entry_of(live, "kubectl-edit", "Update")["fieldsV1"] == {"f:spec": {"f:replicas": {}}}
    assert ".spec.replicas" not in owned_fields(live, "gitops-tui")
    with pytest.raises(ApplyConflict) as raised:
        server_side_apply(live, deployment(replicas=2), "gitops-tui", False, T2)
    assert raised.value.message == (
        'Apply failed with 1 conflict: conflict with "kubectl-edit" using apps/v1: .spec.replicas'
    )


def test_first_apply_on_a_created_object_conflicts_only_where_values_differ() -> None:
    live = as_stored(record_update(None, deployment(), "kubectl-create", T0))
    shared = server_side_apply(live, deployment(), "gitops-tui", False, T1)
    assert owned_fields(shared, "gitops-tui") >= {".spec.replicas", '.spec.template.spec.containers[name="nginx"]'}
    with pytest.raises(ApplyConflict, match=r'conflict with "kubectl-create" using apps/v1: \.spec\.replicas'):
        server_side_apply(live, deployment(replicas=1), "gitops-tui", False, T1)


# ---------------------------------------------------------------------------------------------------------
# Apply: removing what the applier stopped applying


def test_field_dropped_from_config_is_removed(applied: dict) -> None:
    config = deployment(replicas=None)
    del config["metadata"]["labels"]
    result = server_side_apply(applied, config, "gitops-tui", False, T1)
    assert "replicas" not in result["spec"]
    assert "labels" not in result["metadata"]
    assert ".spec.replicas" not in owned_fields(result, "gitops-tui")
    assert entry_of(result, "gitops-tui")["time"] == T1


def test_explicit_empty_map_is_owned_and_kept(applied: dict) -> None:
    result = server_side_apply(applied, deployment(labels={}), "gitops-tui", False, T1)
    assert result["metadata"]["labels"] == {}
    assert entry_of(result, "gitops-tui")["fieldsV1"]["f:metadata"] == {"f:labels": {}}


def test_field_dropped_but_co_owned_is_kept(applied: dict) -> None:
    shared = server_side_apply(applied, deployment(), "kubectl", False, T1)
    result = server_side_apply(shared, deployment(replicas=None), "gitops-tui", False, T2)
    assert result["spec"]["replicas"] == 2
    assert ".spec.replicas" in owned_fields(result, "kubectl")
    assert ".spec.replicas" not in owned_fields(result, "gitops-tui")


def test_field_dropped_but_owned_by_an_updater_is_kept(applied: dict) -> None:
    edited = copy.deepcopy(applied)
    edited["metadata"]["labels"]["team"] = "a"
    edited["metadata"]["labels"]["app"] = "web2"
    live = record_update(applied, edited, "kubectl-label", T1)
    result = server_side_apply(live, deployment(labels={}), "gitops-tui", False, T2)
    assert result["metadata"]["labels"] == {"team": "a", "app": "web2"}


def test_map_list_item_dropped_is_removed() -> None:
    live = as_stored(server_side_apply(None, deployment(sidecar=True), "gitops-tui", False, T0))
    result = server_side_apply(live, deployment(), "gitops-tui", False, T1)
    assert [c["name"] for c in containers(result)] == ["nginx"]
    assert entry_of(result, "gitops-tui")["fieldsV1"] == EXPECTED_APPLY_FIELDS


def test_nested_item_dropped_is_removed_and_defaulted_neighbours_stay(applied: dict) -> None:
    live = copy.deepcopy(applied)
    live["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] = "IfNotPresent"
    result = server_side_apply(live, deployment(env=False), "gitops-tui", False, T1)
    assert "env" not in containers(result)[0]
    assert containers(result)[0]["imagePullPolicy"] == "IfNotPresent"


def test_dropped_field_equal_to_a_default_is_still_removed() -> None:
    config = deployment()
    config["spec"]["revisionHistoryLimit"] = 10
    live = as_stored(server_side_apply(None, config, "gitops-tui", False, T0))
    result = server_side_apply(live, deployment(), "gitops-tui", False, T1)
    assert "revisionHistoryLimit" not in result["spec"], "defaulting, not apply, puts it back"


def test_struct_nobody_owns_anything_in_goes_as_a_whole() -> None:
    config = deployment()
    config["spec"]["strategy"] = {"rollingUpdate": {"maxSurge": 1}}
    live = as_stored(server_side_apply(None, config, "gitops-tui", False, T0))
    live["spec"]["strategy"]["type"] = "RollingUpdate"  # defaulted, owned by nobody
    result = server_side_apply(live, deployment(), "gitops-tui", False, T1)
    assert "strategy" not in result["spec"]


# ---------------------------------------------------------------------------------------------------------
# Apply: lists, subresources, errors


def test_live_only_items_keep_their_place() -> None:
    live = as_stored(server_side_apply(None, deployment(sidecar=True), "kubectl", False, T0))
    config = deployment()
    containers(config).insert(0, {"name": "first", "image": "f"})
    result = server_side_apply(live, config, "gitops-tui", False, T1)
    assert [c["name"] for c in containers(result)] == ["first", "nginx", "sidecar"]


def test_finalizers_are_a_set_and_service_ports_are_keyed_with_protocol() -> None:
    config = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "s", "finalizers": ["example.com/a"]},
        "spec": {"ports": [{"port": 80, "targetPort": 8080}], "selector": {"app": "web"}},
    }
    created = server_side_apply(None, config, "gitops-tui", False, T0)
    assert entry_of(created, "gitops-tui")["fieldsV1"] == {
        "f:metadata": {"f:finalizers": {'v:"example.com/a"': {}}},
        "f:spec": {
            "f:ports": {'k:{"port":80,"protocol":"TCP"}': {".": {}, "f:port": {}, "f:targetPort": {}}},
            "f:selector": {},
        },
    }
    other = copy.deepcopy(config)
    other["metadata"]["finalizers"] = ["example.com/b"]
    merged = server_side_apply(created, other, "other", False, T1)
    assert merged["metadata"]["finalizers"] == ["example.com/a", "example.com/b"]


def test_custom_resource_lists_are_atomic() -> None:
    config = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w"},
        "spec": {"items": [{"name": "a"}], "size": 1},
    }
    created = server_side_apply(None, config, "gitops-tui", False, T0)
    assert entry_of(created, "gitops-tui")["fieldsV1"] == {"f:spec": {"f:items": {}, "f:size": {}}}
    changed = copy.deepcopy(config)
    changed["spec"]["items"] = [{"name": "b"}]
    with pytest.raises(ApplyConflict, match=r"\.spec\.items$"):
        server_side_apply(created, changed, "other", False, T1)


def test_status_subresource_apply_leaves_spec_alone(applied: dict) -> None:
    config = deployment(replicas=9)
    config["status"] = {"replicas": 2, "conditions": [{"type": "Available", "status": "True"}]}
    result = server_side_apply(applied, config, "controller", False, T1, subresource="status")
    assert result["spec"] == applied["spec"]
    assert result["status"] == config["status"]
    status_entry = entry_of(result, "controller")
    assert status_entry["subresource"] == "status"
    assert status_entry["fieldsV1"] == {
        "f:status": {
            "f:conditions": {'k:{"type":"Available"}': {".": {}, "f:status": {}, "f:type": {}}},
            "f:replicas": {},
        }
    }
    # A later main-resource apply neither touches status nor conflicts with the status manager.
    again = server_side_apply(result, deployment(replicas=3), "gitops-tui", False, T2)
    assert again["status"] == config["status"]


def test_atomic_items_of_keyed_lists_are_owned_whole() -> None:
    config = deployment()
    config["metadata"]["ownerReferences"] = [{"apiVersion": "v1", "kind": "ConfigMap", "name": "o", "uid": "u-9"}]
    config["spec"]["template"]["spec"]["imagePullSecrets"] = [{"name": "regcred"}]
    fields = entry_of(server_side_apply(None, config, "gitops-tui", False, T0), "gitops-tui")["fieldsV1"]
    assert fields["f:metadata"]["f:ownerReferences"] == {'k:{"uid":"u-9"}': {}}
    assert fields["f:spec"]["f:template"]["f:spec"]["f:imagePullSecrets"] == {'k:{"name":"regcred"}': {}}


def test_applied_config_must_not_carry_managed_fields() -> None:
    config = deployment()
    config["metadata"]["managedFields"] = []
    with pytest.raises(PatchError) as raised:
        server_side_apply(None, config, "gitops-tui", False, T0)
    assert (raised.value.code, raised.value.message) == (400, "metadata.managedFields must be nil")


def test_keyed_item_without_its_key_is_rejected() -> None:
    config = deployment()
    containers(config).append({"image": "no-name"})
    with pytest.raises(PatchError) as raised:
        server_side_apply(None, config, "gitops-tui", False, T0)
    assert raised.value.code == 422
    assert 'omits key field "name"' in raised.value.message


def test_duplicate_keys_are_rejected() -> None:
    config = deployment()
    containers(config).append({"name": "nginx", "image": "again"})
    with pytest.raises(PatchError, match="duplicate entries"):
        server_side_apply(None, config, "gitops-tui", False, T0)


# ---------------------------------------------------------------------------------------------------------
# Updates (create, update, patch)


EXPECTED_CREATE_FIELDS = {
    "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
    "f:spec": {
        "f:replicas": {},
        "f:selector": {},
        "f:template": {
            "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
            "f:spec": {
                "f:containers": {
                    'k:{"name":"nginx"}': {
                        ".": {},
                        "f:env": {".": {}, 'k:{"name":"MODE"}': {".": {}, "f:name": {}, "f:value": {}}},
                        "f:image": {},
                        "f:name": {},
                        "f:ports": {
                            ".": {},
                            'k:{"containerPort":80,"protocol":"TCP"}': {".": {}, "f:containerPort": {}},
                        },
                    }
                }
            },
        },
    },
}


def test_create_owns_everything_set_with_dot_entries_for_new_objects() -> None:
    created = record_update(None, deployment(), "kubectl-create", T0)
    assert entries(created) == [
        {
            "manager": "kubectl-create",
            "operation": "Update",
            "apiVersion": "apps/v1",
            "time": T0,
            "fieldsType": "FieldsV1",
            "fieldsV1": EXPECTED_CREATE_FIELDS,
        }
    ]


def test_created_custom_resource_owns_spec_itself() -> None:
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"size": 1}}
    created = record_update(None, widget, "OpenAPI-Generator", T0)
    assert entries(created)[0]["fieldsV1"] == {"f:spec": {".": {}, "f:size": {}}}


def test_update_moves_changed_fields_and_drops_removed_ones() -> None:
    live = as_stored(record_update(None, deployment(), "kubectl-create", T0))
    edited = copy.deepcopy(live)
    edited["spec"]["replicas"] = 4
    del containers(edited)[0]["env"]
    result = record_update(live, edited, "kubectl-edit", T1)
    assert entry_of(result, "kubectl-edit", "Update")["fieldsV1"] == {"f:spec": {"f:replicas": {}}}
    creator = owned_fields(result, "kubectl-create")
    assert ".spec.replicas" not in creator
    assert not any(".env" in path for path in creator)
    assert entry_of(result, "kubectl-create", "Update")["time"] == T0


def test_updates_by_the_same_manager_merge_into_one_entry() -> None:
    live = as_stored(record_update(None, deployment(), "kubectl-create", T0))
    first = copy.deepcopy(live)
    first["spec"]["replicas"] = 4
    live = record_update(live, first, "kubectl-edit", T1)
    second = copy.deepcopy(live)
    containers(second)[0]["image"] = "nginx:2"
    live = record_update(live, second, "kubectl-edit", T2)
    edit = entry_of(live, "kubectl-edit", "Update")
    assert edit["time"] == T2
    assert owned_fields(live, "kubectl-edit") == {
        ".spec.replicas",
        '.spec.template.spec.containers[name="nginx"].image',
    }


def test_update_that_changes_nothing_keeps_entries_untouched() -> None:
    live = as_stored(record_update(None, deployment(), "kubectl-create", T0))
    assert record_update(live, copy.deepcopy(live), "kubectl-edit", T1)["metadata"]["managedFields"] == entries(live)


def test_status_update_owns_only_status() -> None:
    live = as_stored(record_update(None, deployment(), "kubectl-create", T0))
    new = copy.deepcopy(live)
    new["status"] = {"replicas": 2}
    new["spec"]["replicas"] = 50  # the server resets this on /status; it must not be owned either way
    result = record_update(live, new, "kube-controller-manager", T1, subresource="status")
    status_entry = entry_of(result, "kube-controller-manager", "Update")
    assert status_entry["subresource"] == "status"
    assert status_entry["fieldsV1"] == {"f:status": {".": {}, "f:replicas": {}}}
    assert ".spec.replicas" in owned_fields(result, "kubectl-create")


def test_managed_fields_sent_by_the_client_are_honoured_and_reset_with_an_empty_entry() -> None:
    live = as_stored(record_update(None, deployment(), "kubectl-create", T0))
    reset = copy.deepcopy(live)
    reset["metadata"]["managedFields"] = [{}]
    assert "managedFields" not in record_update(live, reset, "kubectl-edit", T1)["metadata"]


def test_update_of_an_untypable_object_clears_managed_fields_instead_of_failing() -> None:
    live = as_stored(record_update(None, deployment(), "kubectl-create", T0))
    broken = copy.deepcopy(live)
    containers(broken).append({"image": "nameless"})
    result = record_update(live, broken, "kubectl-edit", T1)
    assert "managedFields" not in result["metadata"]
    assert containers(result)[-1] == {"image": "nameless"}


def test_entries_are_ordered_apply_first_then_by_time(applied: dict) -> None:
    edited = copy.deepcopy(applied)
    edited["metadata"]["labels"]["x"] = "1"
    live = record_update(applied, edited, "kubectl-label", T1)
    live = server_side_apply(live, deployment(replicas=3), "argocd", True, T2)
    assert [(e["manager"], e["operation"]) for e in entries(live)] == [
        ("gitops-tui", "Apply"),
        ("argocd", "Apply"),
        ("kubectl-label", "Update"),
    ]


def test_a_no_op_apply_by_a_new_co_owner_records_no_time(applied: dict) -> None:
    """The real server stamps the applier's time only when the object changes."""
    shared = server_side_apply(applied, deployment(), "argocd", False, T1)
    assert "time" not in entry_of(shared, "argocd")
    assert [e["manager"] for e in entries(shared)] == ["argocd", "gitops-tui"], "no time sorts as oldest"


def test_more_than_ten_updaters_fold_into_ancient_changes() -> None:
    live = as_stored(record_update(None, deployment(), "creator", "2026-01-01T00:00:00Z"))
    for n in range(11):
        new = copy.deepcopy(live)
        new["metadata"]["labels"][f"l{n}"] = "x"
        live = record_update(live, new, f"m{n:02d}", f"2026-01-01T01:{n:02d}:00Z")
    managers = [e["manager"] for e in entries(live)]
    assert len(managers) == 10
    assert "ancient-changes" in managers and "creator" not in managers and "m00" not in managers
    assert {".metadata.labels.l0", ".spec.replicas"} <= owned_fields(live, "ancient-changes")


def test_later_folds_join_the_existing_ancient_changes_bucket() -> None:
    live = as_stored(record_update(None, deployment(), "creator", "2026-01-01T00:00:00Z"))
    for n in range(13):
        new = copy.deepcopy(live)
        new["metadata"]["labels"][f"l{n}"] = "x"
        live = record_update(live, new, f"m{n:02d}", f"2026-01-01T01:{n:02d}:00Z")
    managers = [e["manager"] for e in entries(live)]
    assert len(managers) == 10 and managers.count("ancient-changes") == 1
    assert {".metadata.labels.l0", ".metadata.labels.l2"} <= owned_fields(live, "ancient-changes")


@pytest.mark.parametrize(
    ("user_agent", "manager"),
    [
        ("kubectl/v1.32.0 (linux/amd64) kubernetes/70d3cc9", "kubectl"),
        ("OpenAPI-Generator/31.0.0/python", "OpenAPI-Generator"),
        ("argocd-controller/v2.10", "argocd-controller"),
        ("no slash here", "no slash here"),
        ("tab\there/1", "tabhere"),
        ("x" * 200, "x" * 128),
        ("é" * 100, "é" * 64),  # the limit is 128 bytes of UTF-8
        ("a\u00a0b", "ab"),  # only the ASCII space counts as printable space
    ],
)
def test_default_manager_is_the_user_agent_product(user_agent: str, manager: str) -> None:
    assert default_manager(user_agent) == manager


# ---------------------------------------------------------------------------------------------------------
# Client-side apply interplay (the last-applied annotation)

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def client_side_applied(config: dict) -> dict:
    """What ``kubectl apply`` (client-side) creates: the annotation plus an Update entry."""
    annotated = copy.deepcopy(config)
    annotated["metadata"]["annotations"] = {LAST_APPLIED: json.dumps(config)}
    return as_stored(record_update(None, annotated, "kubectl-client-side-apply", T0))


def test_kubectl_server_side_apply_rewrites_the_last_applied_annotation() -> None:
    live = client_side_applied(deployment())
    config = deployment(replicas=2, image="nginx:<2>")
    result = server_side_apply(live, config, "kubectl", False, T1)
    annotation = result["metadata"]["annotations"][LAST_APPLIED]
    assert annotation.endswith("}\n")
    assert '"image":"nginx:\\u003c2\\u003e"' in annotation, "Go's encoder escapes <, > and &"
    assert json.loads(annotation) == config
    assert annotation.index('"apiVersion"') < annotation.index('"kind"') < annotation.index('"metadata"')


def test_other_managers_leave_the_last_applied_annotation_alone() -> None:
    live = client_side_applied(deployment())
    result = server_side_apply(live, deployment(), "gitops-tui", False, T1)
    assert result["metadata"]["annotations"] == live["metadata"]["annotations"]


def test_kubectl_conflicts_on_client_side_applied_fields_are_forgiven() -> None:
    live = client_side_applied(deployment())
    result = server_side_apply(live, deployment(replicas=5), "kubectl", False, T1)
    assert result["spec"]["replicas"] == 5
    assert ".spec.replicas" in owned_fields(result, "kubectl")
    assert ".spec.replicas" not in owned_fields(result, "kubectl-client-side-apply")


def test_only_kubectl_gets_the_client_side_apply_upgrade_path() -> None:
    live = client_side_applied(deployment())
    with pytest.raises(ApplyConflict, match=r'"kubectl-client-side-apply" using apps/v1: \.spec\.replicas$'):
        server_side_apply(live, deployment(replicas=5), "gitops-tui", False, T1)


def test_conflicts_on_fields_changed_since_client_side_apply_stand_alone() -> None:
    live = client_side_applied(deployment())
    edited = copy.deepcopy(live)
    edited["spec"]["replicas"] = 9
    live = record_update(live, edited, "kubectl-edit", T1)
    with pytest.raises(ApplyConflict) as raised:
        server_side_apply(live, deployment(replicas=5, image="nginx:2"), "kubectl", False, T2)
    assert raised.value.message == (
        'Apply failed with 1 conflict: conflict with "kubectl-edit" using apps/v1: .spec.replicas'
    ), "the forgiven image conflict is not reported"


# ---------------------------------------------------------------------------------------------------------
# End to end through kubectl and the sandbox server (skipped where kubectl is missing)

MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
  labels: {app: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
        ports: [{containerPort: 80}]
"""


def live_deployment(kubectl) -> dict:
    return json.loads(
        kubectl("get", "deployment", "web", "-n", "default", "-o", "json", "--show-managed-fields").stdout
    )


def test_kubectl_server_side_apply_conflicts_and_force(kubectl) -> None:
    assert "serverside-applied" in kubectl("apply", "--server-side", "-f", "-", stdin=MANIFEST).stdout
    first = live_deployment(kubectl)
    kubectl("apply", "--server-side", "-f", "-", stdin=MANIFEST)
    assert live_deployment(kubectl)["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]

    scaled = MANIFEST.replace("replicas: 2", "replicas: 3")
    refused = kubectl("apply", "--server-side", "--field-manager", "other", "-f", "-", stdin=scaled, check=False)
    assert refused.returncode != 0
    assert 'Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas' in refused.stderr

    kubectl("apply", "--server-side", "--field-manager", "other", "--force-conflicts", "-f", "-", stdin=scaled)
    forced = live_deployment(kubectl)
    assert forced["spec"]["replicas"] == 3
    assert ".spec.replicas" in owned_fields(forced, "other")
    assert ".spec.replicas" not in owned_fields(forced, "kubectl")
    assert forced["spec"]["revisionHistoryLimit"] == 10, "defaulting still runs after apply"


def test_kubectl_client_side_apply_twice_then_unchanged(kubectl) -> None:
    assert "created" in kubectl("apply", "-f", "-", stdin=MANIFEST).stdout
    updated = MANIFEST.replace("nginx:1.25", "nginx:1.26")
    assert "configured" in kubectl("apply", "-f", "-", stdin=updated).stdout
    assert "unchanged" in kubectl("apply", "-f", "-", stdin=updated).stdout
    live = live_deployment(kubectl)
    assert live["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.26"
    assert [(e["manager"], e["operation"]) for e in live["metadata"]["managedFields"]] == [
        ("kubectl-client-side-apply", "Update")
    ]
    diff = kubectl("diff", "-f", "-", stdin=MANIFEST.replace("nginx:1.25", "nginx:1.27"), check=False)
    assert diff.returncode == 1 and "+      - image: nginx:1.27" in diff.stdout


def test_kubectl_scale_and_label_are_tracked_then_server_side_diff(kubectl) -> None:
    kubectl("apply", "--server-side", "--field-manager", "gitops-tui", "-f", "-", stdin=MANIFEST)
    kubectl("scale", "deployment", "web", "-n", "default", "--replicas", "4")
    kubectl("label", "deployment", "web", "-n", "default", "team=a")
    live = live_deployment(kubectl)
    scale_entries = [e for e in live["metadata"]["managedFields"] if e.get("subresource") == "scale"]
    assert [e["fieldsV1"] for e in scale_entries] == [{"f:spec": {"f:replicas": {}}}]
    assert ".metadata.labels.team" in owned_fields(live, "kubectl-label")
    assert ".spec.replicas" not in owned_fields(live, "gitops-tui")
    diff = kubectl(
        "diff",
        "--server-side",
        "--field-manager",
        "gitops-tui",
        "--force-conflicts",
        "-f",
        "-",
        stdin=MANIFEST.replace("nginx:1.25", "nginx:1.26"),
        check=False,
    )
    assert diff.returncode == 1, diff.stderr
    assert "-        image: nginx:1.25" in diff.stdout or "-      - image: nginx:1.25" in diff.stdout
