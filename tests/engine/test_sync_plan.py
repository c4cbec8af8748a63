"""The sync plan: Argo CD's order (phase, wave, kind, name), hooks, prunes and options, as a pure value."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitops_tui.engine.diff import MISSING, MODIFIED, ResourceDiff
from gitops_tui.engine.sync_plan import (
    HookDeletePolicy,
    PlannedStep,
    SyncAction,
    SyncOptions,
    SyncPhase,
    SyncPlan,
    plan_sync,
)
from gitops_tui.model import AppSource, AppSpec, Destination, ResourceKey, SyncPolicy, SyncStatus

NS = "shop"
WAVES_DEMO = Path(__file__).resolve().parents[2] / "gitops_tui" / "sandbox" / "demo_repo" / "waves"

HOOK = "argocd.argoproj.io/hook"
DELETE_POLICY = "argocd.argoproj.io/hook-delete-policy"
WAVE = "argocd.argoproj.io/sync-wave"
OPTIONS = "argocd.argoproj.io/sync-options"
HELM_HOOK = "helm.sh/hook"
HELM_WEIGHT = "helm.sh/hook-weight"
HELM_DELETE_POLICY = "helm.sh/hook-delete-policy"

API_VERSIONS = {
    "Namespace": "v1",
    "ConfigMap": "v1",
    "Secret": "v1",
    "Service": "v1",
    "ServiceAccount": "v1",
    "PersistentVolumeClaim": "v1",
    "Deployment": "apps/v1",
    "StatefulSet": "apps/v1",
    "Job": "batch/v1",
    "CronJob": "batch/v1",
    "Ingress": "networking.k8s.io/v1",
    "ClusterRole": "rbac.authorization.k8s.io/v1",
    "RoleBinding": "rbac.authorization.k8s.io/v1",
    "CustomResourceDefinition": "apiextensions.k8s.io/v1",
    "Widget": "example.com/v1",
}


def res(kind: str, name: str, annotations: Mapping[str, str] | None = None, namespace: str | None = NS) -> dict:
    metadata: dict[str, Any] = {"name": name}
    if namespace and kind not in ("Namespace", "ClusterRole", "CustomResourceDefinition"):
        metadata["namespace"] = namespace
    if annotations:
        metadata["annotations"] = dict(annotations)
    return {"apiVersion": API_VERSIONS.get(kind, "example.com/v1"), "kind": kind, "metadata": metadata}


def crd(kind: str, group: str = "example.com", scope: str = "Namespaced", wave: int | None = None) -> dict:
    obj = res("CustomResourceDefinition", f"{kind.lower()}s.{group}", {WAVE: str(wave)} if wave is not None else None)
    obj["spec"] = {"group": group, "names": {"kind": kind, "plural": f"{kind.lower()}s"}, "scope": scope}
    return obj


def app(*sync_options: str, namespace: str = NS, prune: bool = False) -> AppSpec:
    return AppSpec(
        "shop",
        AppSource("https://git.example.com/shop.git", "deploy"),
        Destination(server="https://kubernetes.default.svc", namespace=namespace),
        sync_policy=SyncPolicy(automated=prune, prune=prune, sync_options=sync_options),
    )


def live_of(*objs: dict) -> dict[ResourceKey, dict]:
    return {ResourceKey.of(obj): obj for obj in objs}


def synced(*objs: dict) -> dict[ResourceKey, ResourceDiff]:
    return {ResourceKey.of(obj): ResourceDiff(ResourceKey.of(obj), SyncStatus.SYNCED) for obj in objs}


def plan(
    desired: Sequence[dict],
    live: Mapping[ResourceKey, dict] | None = None,
    options: SyncOptions | None = None,
    spec: AppSpec | None = None,
    diffs: Mapping[ResourceKey, ResourceDiff] | None = None,
) -> SyncPlan:
    return plan_sync(spec or app(), desired, live or {}, diffs, options or SyncOptions())


def order(steps: Sequence[PlannedStep]) -> list[tuple[str, int, str, str, str]]:
    return [(s.phase.value, s.wave, s.action.value, s.key.kind, s.key.name) for s in steps]


def skipped(result: SyncPlan) -> dict[str, str]:
    return {skip.key.name: skip.reason for skip in result.skipped}


# --- order -------------------------------------------------------------------------------------------------


def test_order_is_phase_then_wave_then_kind_then_name() -> None:
    desired = [
        res("Deployment", "web-b"),
        res("Deployment", "web-a"),
        res("Widget", "gadget"),  # a custom resource: after every known kind
        res("Service", "web"),
        res("ConfigMap", "settings"),
        res("Secret", "creds", {WAVE: "1"}),
        res("Job", "smoke", {HOOK: "PostSync"}),
        res("Job", "migrate", {HOOK: "PreSync"}),
        res("Job", "warm", {HOOK: "Sync"}),
        res("ServiceAccount", "runner", {WAVE: "-1"}),
        res("Job", "notify", {HOOK: "SyncFail"}),
    ]
    result = plan(desired)
    assert order(result.steps) == [
        ("PreSync", 0, "hook", "Job", "migrate"),
        ("Sync", -1, "create", "ServiceAccount", "runner"),
        ("Sync", 0, "create", "ConfigMap", "settings"),
        ("Sync", 0, "create", "Service", "web"),
        ("Sync", 0, "create", "Deployment", "web-a"),
        ("Sync", 0, "create", "Deployment", "web-b"),
        ("Sync", 0, "hook", "Job", "warm"),
        ("Sync", 0, "create", "Widget", "gadget"),
        ("Sync", 1, "create", "Secret", "creds"),
        ("PostSync", 0, "hook", "Job", "smoke"),
    ]
    assert order(result.on_failure) == [("SyncFail", 0, "hook", "Job", "notify")]
    assert [(g.phase, g.wave, len(g.steps)) for g in result.waves()] == [
        (SyncPhase.PRE_SYNC, 0, 1),
        (SyncPhase.SYNC, -1, 1),
        (SyncPhase.SYNC, 0, 6),
        (SyncPhase.SYNC, 1, 1),
        (SyncPhase.POST_SYNC, 0, 1),
    ]


def test_negative_waves_run_first_and_a_later_wave_beats_kind_order() -> None:
    desired = [
        res("Namespace", "late", {WAVE: "3"}),
        res("Deployment", "zero"),
        res("ConfigMap", "minus-one", {WAVE: "-1"}),
        res("Deployment", "minus-five", {WAVE: "-5"}),
        res("Secret", "plus", {WAVE: "+2"}),
    ]
    assert [(s.wave, s.key.name) for s in plan(desired).steps] == [
        (-5, "minus-five"),
        (-1, "minus-one"),
        (0, "zero"),
        (2, "plus"),
        (3, "late"),
    ]


@pytest.mark.parametrize(
    ("first", "then"),
    [
        ("Namespace", "ConfigMap"),
        ("ServiceAccount", "Secret"),
        ("Secret", "ConfigMap"),
        ("ConfigMap", "PersistentVolumeClaim"),
        ("PersistentVolumeClaim", "CustomResourceDefinition"),
        ("ClusterRole", "RoleBinding"),
        ("RoleBinding", "Service"),
        ("Service", "Deployment"),
        ("Deployment", "StatefulSet"),
        ("StatefulSet", "Job"),
        ("Job", "CronJob"),
        ("CronJob", "Ingress"),
        ("Ingress", "Widget"),
    ],
)
def test_kind_order_inside_a_wave(first: str, then: str) -> None:
    # Names chosen against the expected order, so only the kind can put `first` first.
    result = plan([res(then, "a"), res(first, "z")])
    assert [s.key.kind for s in result.steps] == [first, then]


# --- hooks ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("annotations", "phases"),
    [
        ({HOOK: "PreSync"}, ["PreSync"]),
        ({HOOK: "Sync"}, ["Sync"]),
        ({HOOK: "PostSync"}, ["PostSync"]),
        ({HOOK: "PostSync, PreSync"}, ["PreSync", "PostSync"]),
        ({HELM_HOOK: "pre-install"}, ["PreSync"]),
        ({HELM_HOOK: "pre-install,pre-upgrade"}, ["PreSync"]),
        ({HELM_HOOK: "post-install,post-upgrade"}, ["PostSync"]),
        ({HELM_HOOK: "pre-upgrade,post-upgrade"}, ["PreSync", "PostSync"]),
        ({HOOK: "PostSync", HELM_HOOK: "pre-install"}, ["PostSync"]),  # an Argo CD hook annotation wins
    ],
)
def test_hook_phases_from_annotations(annotations: dict[str, str], phases: list[str]) -> None:
    result = plan([res("Job", "hook", annotations)])
    assert [(s.phase.value, s.action) for s in result.steps] == [(p, SyncAction.HOOK) for p in phases]
    assert not result.skipped


@pytest.mark.parametrize(
    ("annotations", "reason"),
    [
        ({HOOK: "Skip"}, "hook Skip: never applied"),
        ({HOOK: "Skip,PreSync"}, "hook Skip: never applied"),
        ({HOOK: "PostDelete"}, "hook (PostDelete): not run by a sync"),
        ({HELM_HOOK: "test"}, "hook (helm test): not run by a sync"),
        ({HELM_HOOK: "pre-delete"}, "hook (helm pre-delete): not run by a sync"),
    ],
)
def test_hooks_a_sync_never_applies(annotations: dict[str, str], reason: str) -> None:
    result = plan([res("Job", "hook", annotations)])
    assert result.steps == ()
    assert skipped(result) == {"hook": reason}


def test_helm_crd_install_is_an_ordinary_resource() -> None:
    result = plan([res("ConfigMap", "c", {HELM_HOOK: "crd-install"})])
    assert order(result.steps) == [("Sync", 0, "create", "ConfigMap", "c")]


def test_hooks_run_even_when_synced_and_are_not_compared() -> None:
    job = res("Job", "migrate", {HOOK: "PreSync"})
    result = plan([job], live_of(job), SyncOptions(apply_out_of_sync_only=True), diffs=synced(job))
    assert order(result.steps) == [("PreSync", 0, "hook", "Job", "migrate")]


@pytest.mark.parametrize(
    ("annotations", "wave"),
    [
        ({HOOK: "PreSync", WAVE: "-2"}, -2),
        ({HELM_HOOK: "pre-install", HELM_WEIGHT: "5"}, 5),
        ({HELM_HOOK: "pre-install", HELM_WEIGHT: "5", WAVE: "1"}, 1),  # Argo CD's wave first
        ({HELM_HOOK: "pre-install", HELM_WEIGHT: "x", WAVE: "1"}, 1),
        ({HELM_HOOK: "pre-install", HELM_WEIGHT: "7", WAVE: "one"}, 7),  # an invalid wave falls back
    ],
)
def test_hook_waves(annotations: dict[str, str], wave: int) -> None:
    (step,) = plan([res("Job", "hook", annotations)]).steps
    assert step.wave == wave


@pytest.mark.parametrize(
    ("annotations", "policies"),
    [
        ({}, ("BeforeHookCreation",)),
        ({DELETE_POLICY: "HookSucceeded"}, ("HookSucceeded",)),
        ({DELETE_POLICY: "HookSucceeded,HookFailed"}, ("HookSucceeded", "HookFailed")),
        ({HELM_DELETE_POLICY: "hook-succeeded,before-hook-creation"}, ("HookSucceeded", "BeforeHookCreation")),
        (
            {DELETE_POLICY: "HookFailed", HELM_DELETE_POLICY: "hook-failed,hook-succeeded"},
            ("HookFailed", "HookSucceeded"),
        ),
        ({DELETE_POLICY: "WhenDone"}, ("BeforeHookCreation",)),
    ],
)
def test_hook_delete_policies(annotations: dict[str, str], policies: tuple[str, ...]) -> None:
    result = plan([res("Job", "hook", {HOOK: "PreSync", **annotations})])
    (step,) = result.steps
    assert step.hook_delete_policies == tuple(HookDeletePolicy(p) for p in policies)
    assert bool(result.warnings) == ("WhenDone" in str(annotations))


def test_a_hook_named_by_generate_name_is_keyed_by_its_prefix() -> None:
    job = res("Job", "x", {HOOK: "PostSync"})
    del job["metadata"]["name"]
    job["metadata"]["generateName"] = "smoke-"
    result = plan([job, dict(job)])  # the same generateName twice is two runs, not a duplicate
    assert [(s.key.name, s.generate_name) for s in result.steps] == [("smoke-", "smoke-"), ("smoke-", "smoke-")]
    assert not result.warnings
    assert "generateName 'smoke-'" in result.describe()


def test_live_hooks_are_never_pruned() -> None:
    old_run = res("Job", "migrate-abc123", {HOOK: "PreSync"})
    result = plan([], live_of(old_run), SyncOptions(prune=True))
    assert result.steps == () and result.skipped == ()


# --- prunes --------------------------------------------------------------------------------------------------


def test_prune_needs_the_prune_option() -> None:
    gone = res("ConfigMap", "gone")
    kept = plan([res("Deployment", "web")], live_of(gone))
    assert [s.action for s in kept.steps] == [SyncAction.CREATE]
    assert skipped(kept) == {"gone": "requires pruning: run with prune"}

    pruned = plan([res("Deployment", "web")], live_of(gone), SyncOptions(prune=True))
    assert order(pruned.prunes) == [("Sync", 0, "prune", "ConfigMap", "gone")]
    assert pruned.prunes[0].obj is None
    assert pruned.skipped == ()


@pytest.mark.parametrize(
    ("option", "reason"),
    [
        ("Prune=false", "Prune=false: kept"),
        ("Delete=false", "Delete=false: kept"),
        ("prune=False", "Prune=false: kept"),
    ],
)
def test_resources_that_refuse_pruning_are_kept_with_the_reason(option: str, reason: str) -> None:
    result = plan([], live_of(res("Secret", "keep", {OPTIONS: f"Replace=true, {option}"})), SyncOptions(prune=True))
    assert result.prunes == ()
    assert skipped(result) == {"keep": reason}


def test_prunes_run_in_reverse_wave_order_before_the_applies_of_their_wave() -> None:
    desired = [res("ConfigMap", "new", {WAVE: "-1"}), res("Deployment", "web")]
    live = live_of(
        res("ConfigMap", "old-minus-one", {WAVE: "-1"}),
        res("ConfigMap", "old-zero"),
        res("Service", "old-two", {WAVE: "2"}),
        res("Deployment", "old-five", {WAVE: "5"}),
    )
    result = plan(desired, live, SyncOptions(prune=True))
    assert [(s.wave, s.action.value, s.key.name) for s in result.steps] == [
        (-1, "prune", "old-five"),
        (-1, "create", "new"),
        (0, "prune", "old-two"),
        (0, "create", "web"),
        (2, "prune", "old-zero"),
        (5, "prune", "old-minus-one"),
    ]
    assert {s.key.name: s.declared_wave for s in result.prunes}["old-five"] == 5


def test_prunes_in_one_wave_delete_dependants_first() -> None:
    live = live_of(res("ConfigMap", "a"), res("Deployment", "b"), res("Service", "c"))
    assert [s.key.kind for s in plan([], live, SyncOptions(prune=True)).steps] == ["Deployment", "Service", "ConfigMap"]


def test_prune_last_from_the_app_runs_every_prune_after_every_sync_wave_and_before_post_sync() -> None:
    desired = [res("Deployment", "web", {WAVE: "3"}), res("Job", "smoke", {HOOK: "PostSync"})]
    live = live_of(res("ConfigMap", "old", {WAVE: "-4"}), res("Secret", "also-old"))
    result = plan(desired, live, SyncOptions.from_app(app("PruneLast=true"), prune=True))
    assert order(result.steps) == [
        ("Sync", 3, "create", "Deployment", "web"),
        ("Sync", 4, "prune", "ConfigMap", "old"),
        ("Sync", 4, "prune", "Secret", "also-old"),
        ("PostSync", 0, "hook", "Job", "smoke"),
    ]
    assert all("runs in wave 4 (PruneLast)" in step.reason for step in result.prunes)


def test_prune_last_annotation_moves_only_its_resource_and_leaves_the_others_waves_alone() -> None:
    desired = [res("Deployment", "web", {WAVE: "3"})]
    live = live_of(
        res("ConfigMap", "old", {WAVE: "-4", OPTIONS: "PruneLast=true"}),
        res("Secret", "also-old"),
        res("Service", "older", {WAVE: "1"}),
    )
    result = plan(desired, live, SyncOptions(prune=True))
    assert order(result.steps) == [
        ("Sync", 0, "prune", "Service", "older"),
        ("Sync", 1, "prune", "Secret", "also-old"),
        ("Sync", 3, "create", "Deployment", "web"),
        ("Sync", 4, "prune", "ConfigMap", "old"),
    ]


def test_prune_last_with_only_negative_waves_still_goes_after_wave_zero() -> None:
    result = plan(
        [res("ConfigMap", "c", {WAVE: "-3"})], live_of(res("Secret", "s")), SyncOptions(prune=True, prune_last=True)
    )
    assert [(s.wave, s.action.value) for s in result.steps] == [(-3, "create"), (1, "prune")]


# --- options -------------------------------------------------------------------------------------------------


def test_apply_out_of_sync_only() -> None:
    same, drifted, missing = res("ConfigMap", "same"), res("Deployment", "drifted"), res("Service", "missing")
    live = live_of(same, drifted)
    diffs = {
        **synced(same),
        ResourceKey.of(drifted): ResourceDiff(ResourceKey.of(drifted), SyncStatus.OUT_OF_SYNC, MODIFIED),
        ResourceKey.of(missing): ResourceDiff(ResourceKey.of(missing), SyncStatus.OUT_OF_SYNC, MISSING),
    }
    only = plan([same, drifted, missing], live, SyncOptions(apply_out_of_sync_only=True), diffs=diffs)
    assert {s.key.name: (s.action, s.writes) for s in only.steps} == {
        "same": (SyncAction.UNCHANGED, False),
        "drifted": (SyncAction.CONFIGURE, True),
        "missing": (SyncAction.CREATE, True),
    }
    assert {s.key.name for s in only.writes} == {"drifted", "missing"}
    assert next(s.reason for s in only.steps if s.key.name == "drifted") == "out of sync: differs from Git"

    everything = plan([same, drifted, missing], live, SyncOptions(), diffs=diffs)
    assert [s.action for s in everything.steps] == [SyncAction.CONFIGURE, SyncAction.CREATE, SyncAction.CONFIGURE]


def test_without_diffs_the_plan_compares_with_the_apps_rules() -> None:
    desired = res("ConfigMap", "c")
    desired["data"] = {"a": "1"}
    live_same = {**desired, "metadata": {**desired["metadata"], "resourceVersion": "7", "uid": "u"}}
    result = plan([desired], live_of(live_same), SyncOptions(apply_out_of_sync_only=True))
    assert [s.action for s in result.steps] == [SyncAction.UNCHANGED]
    drifted = {**live_same, "data": {"a": "2"}}
    assert [s.action for s in plan([desired], live_of(drifted), SyncOptions(apply_out_of_sync_only=True)).steps] == [
        SyncAction.CONFIGURE
    ]


def test_selective_sync_takes_only_the_selected_and_runs_no_hooks() -> None:
    web, api = res("Deployment", "web"), res("Deployment", "api")
    old_selected, old_other = res("ConfigMap", "old-selected"), res("ConfigMap", "old-other")
    hook = res("Job", "migrate", {HOOK: "PreSync"})
    selection = frozenset({ResourceKey.of(web), ResourceKey.of(old_selected)})
    result = plan([web, api, hook], live_of(old_selected, old_other), SyncOptions(prune=True, resources=selection))
    assert {(s.action.value, s.key.name) for s in result.steps} == {("create", "web"), ("prune", "old-selected")}
    assert skipped(result) == {"migrate": "hook: hooks do not run in a selective sync"}
    assert result.options.selective


def test_sync_without_hooks() -> None:
    result = plan(
        [res("Job", "migrate", {HOOK: "PreSync"}), res("ConfigMap", "c")], options=SyncOptions(skip_hooks=True)
    )
    assert [s.key.name for s in result.steps] == ["c"]
    assert skipped(result) == {"migrate": "hook: not run (sync without hooks)"}


@pytest.mark.parametrize(
    ("spec", "desired", "expected"),
    [
        (app("CreateNamespace=true"), [res("ConfigMap", "c")], NS),
        (app("createnamespace=true"), [res("ConfigMap", "c")], NS),
        (app(), [res("ConfigMap", "c")], None),
        (app("CreateNamespace=true"), [res("Namespace", NS), res("ConfigMap", "c")], None),
        (app("CreateNamespace=true", namespace=""), [res("ClusterRole", "r")], None),
    ],
)
def test_create_namespace(spec: AppSpec, desired: list[dict], expected: str | None) -> None:
    assert plan(desired, options=SyncOptions.from_app(spec), spec=spec).namespace_to_create == expected


def test_options_from_the_app() -> None:
    spec = app("ApplyOutOfSyncOnly=true", "PruneLast=true", prune=True)
    assert SyncOptions.from_app(spec) == SyncOptions(apply_out_of_sync_only=True, prune_last=True)
    assert SyncOptions.from_app(spec, automated=True).prune
    assert SyncOptions.from_app(spec, dry_run=True).dry_run


def test_per_resource_options_pass_through_to_the_step() -> None:
    (step,) = plan([res("Deployment", "web", {OPTIONS: "ServerSideApply=true,Replace=true"})]).steps
    assert step.sync_options == ("ServerSideApply=true", "Replace=true")
    assert step.has_option("replace=true") and not step.has_option("Force=true")


# --- dependencies and scope ----------------------------------------------------------------------------------


def test_crd_before_its_custom_resources_in_the_same_wave() -> None:
    result = plan([res("Widget", "a-widget"), crd("Widget"), res("Deployment", "web")])
    assert [s.key.kind for s in result.steps] == ["CustomResourceDefinition", "Deployment", "Widget"]


def test_crd_in_a_later_wave_is_hoisted_to_its_first_custom_resource() -> None:
    result = plan([res("Widget", "w", {WAVE: "-2"}), crd("Widget", wave=5), res("Deployment", "web", {WAVE: "-2"})])
    assert [(s.wave, s.key.kind) for s in result.steps] == [
        (-2, "CustomResourceDefinition"),
        (-2, "Deployment"),
        (-2, "Widget"),
    ]
    assert result.steps[0].declared_wave == 5
    assert "Widget shop/w needs it" in result.steps[0].reason


def test_crd_comes_before_a_custom_kind_that_shares_a_builtin_name() -> None:
    # Kind order alone would put `Secret` (a built-in name) before CustomResourceDefinition.
    custom_secret = {"apiVersion": "vault.example.com/v1", "kind": "Secret", "metadata": {"name": "a", "namespace": NS}}
    result = plan([custom_secret, crd("Secret", group="vault.example.com")])
    assert [s.key.kind for s in result.steps] == ["CustomResourceDefinition", "Secret"]


def test_namespace_is_hoisted_before_a_pre_sync_hook_in_it() -> None:
    result = plan([res("Namespace", "jobs", {WAVE: "2"}), res("Job", "migrate", {HOOK: "PreSync"}, namespace="jobs")])
    assert order(result.steps) == [
        ("PreSync", 0, "create", "Namespace", "jobs"),
        ("PreSync", 0, "hook", "Job", "migrate"),
    ]


def test_namespaces_are_filled_in_by_scope() -> None:
    desired = [
        res("ConfigMap", "no-ns", namespace=None),
        res("ClusterRole", "reader"),
        {"apiVersion": "example.com/v1", "kind": "Gizmo", "metadata": {"name": "g"}},
        crd("Gizmo", scope="Cluster"),
        {"apiVersion": "example.com/v1", "kind": "Thing", "metadata": {"name": "t"}},
    ]
    live = live_of({"apiVersion": "example.com/v1", "kind": "Thing", "metadata": {"name": "other"}})
    keys = {s.key.name: s.key.namespace for s in plan(desired, live).steps}
    assert keys == {"no-ns": NS, "reader": "", "g": "", "gizmos.example.com": "", "t": ""}
    step = next(s for s in plan(desired).steps if s.key.name == "no-ns")
    assert step.obj is not None and step.obj["metadata"]["namespace"] == NS
    assert "namespace" not in desired[0]["metadata"]  # the caller's object is left alone


# --- warnings and guards -------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["abc", " 1", "1.5", "", "1_0"])
def test_an_invalid_wave_is_a_warning_naming_the_resource(bad: str) -> None:
    result = plan([res("ConfigMap", "settings", {WAVE: bad})])
    assert [s.wave for s in result.steps] == [0]
    assert len(result.warnings) == 1
    assert result.warnings[0].startswith("ConfigMap shop/settings: invalid argocd.argoproj.io/sync-wave")
    assert "using wave 0" in result.warnings[0]


def test_a_resource_defined_twice_is_a_warning() -> None:
    result = plan([res("ConfigMap", "c"), res("ConfigMap", "c")])
    assert len(result.steps) == 1
    assert result.warnings == ("ConfigMap shop/c: defined more than once in Git; the last definition is used",)


@pytest.mark.parametrize(
    ("desired", "live", "expected"),
    [
        ([], [res("Deployment", "web")], True),
        ([res("Job", "migrate", {HOOK: "PreSync"})], [res("Deployment", "web")], True),
        ([res("Deployment", "web")], [res("Deployment", "web"), res("ConfigMap", "old")], False),
        ([], [], False),
        ([], [res("Job", "migrate-1", {HOOK: "PreSync"})], False),
    ],
)
def test_the_prune_everything_guard(desired: list[dict], live: list[dict], expected: bool) -> None:
    for options in (SyncOptions(), SyncOptions(prune=True)):
        assert plan(desired, live_of(*live), options).is_empty_prune_all is expected


# --- the demo app, as the CLI prints it ----------------------------------------------------------------------


def demo_documents() -> list[dict]:
    return [
        doc
        for path in sorted(WAVES_DEMO.glob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8"))
        if doc
    ]


def test_describe_the_demo_waves_app() -> None:
    spec = AppSpec(
        "orders",
        AppSource("https://git.example.com/demo.git", "waves"),
        Destination(namespace="orders"),
        sync_policy=SyncPolicy(sync_options=("CreateNamespace=true", "ApplyOutOfSyncOnly=true")),
    )
    documents = demo_documents()
    settings = next(d for d in documents if d["metadata"]["name"] == "orders-settings")
    api = next(d for d in documents if d["kind"] == "Deployment" and d["metadata"]["name"] == "orders-api")
    settings_live = {**settings, "metadata": {**settings["metadata"], "namespace": "orders", "uid": "1"}}
    api_live = {**api, "metadata": {**api["metadata"], "namespace": "orders"}, "spec": {**api["spec"], "replicas": 5}}
    retired = res("ConfigMap", "orders-legacy", {WAVE: "2"}, namespace="orders")
    pinned = res("Secret", "orders-db", {OPTIONS: "Prune=false"}, namespace="orders")
    live = live_of(settings_live, api_live, retired, pinned)
    options = SyncOptions.from_app(spec, prune=True)
    result = plan_sync(spec, documents, live, None, options)
    assert result.lines() == [
        "Sync plan for orders [prune]: 1 configure, 2 create, 1 hook, 1 prune, 1 unchanged",
        "Namespace orders: created first if missing (CreateNamespace=true)",
        "PreSync  wave 0   hook       Job orders/schema-migrate  (BeforeHookCreation)",
        "Sync     wave -1  unchanged  ConfigMap orders/orders-settings  (synced: not applied (ApplyOutOfSyncOnly))",
        "Sync     wave 0   configure  Deployment orders/orders-api  (out of sync: differs from Git)",
        "Sync     wave 1   create     Service orders/orders-api  (missing from the cluster)",
        "Sync     wave 1   create     Deployment orders/orders-worker  (missing from the cluster)",
        "Sync     wave 2   prune      ConfigMap orders/orders-legacy  (not in Git (prune))",
        "Skipped:",
        "  Secret orders/orders-db  (Prune=false: kept)",
    ]
    assert result.describe() == "\n".join(result.lines())
    assert not result.is_noop and not result.is_empty_prune_all


def test_an_unknown_hook_type_is_a_warning() -> None:
    result = plan([res("Job", "hook", {HOOK: "PreSync,Sometimes"})])
    assert [s.phase for s in result.steps] == [SyncPhase.PRE_SYNC]
    assert result.warnings == ("Job shop/hook: unknown hook type 'Sometimes' in argocd.argoproj.io/hook",)


def test_a_namespaced_object_with_nowhere_to_go_is_a_warning() -> None:
    result = plan([res("ConfigMap", "c", namespace=None)], spec=app(namespace=""))
    assert result.warnings == ("ConfigMap c: no namespace and the app has no destination namespace",)


def test_a_plan_with_only_unchanged_steps_is_a_no_op() -> None:
    same = res("ConfigMap", "same")
    result = plan([same], live_of(same), SyncOptions(apply_out_of_sync_only=True), diffs=synced(same))
    assert result.is_noop
    assert not plan([same], live_of(same), SyncOptions(), diffs=synced(same)).is_noop
