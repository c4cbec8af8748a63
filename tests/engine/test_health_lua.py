"""Argo CD-style custom Lua health checks: the argocd-cm forms, Argo CD's semantics, and a sandbox that
keeps a bad script to its own resource (Unknown, naming the check) without hurting the console."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gitops_tui.engine.health import (
    aggregate_health,
    assess_health,
    custom_checks_installed,
    has_health_check,
)
from gitops_tui.engine.health_lua import LuaHealthChecks
from gitops_tui.engine.health_lua_config import (
    HealthConfigError,
    HealthScript,
    load_health_scripts,
    parse_health_scripts,
)
from gitops_tui.model import Health, HealthStatus, ResourceKey

# The shape of check a cert-manager or Crossplane user writes: conditions first, then the phase.
WIDGET_CHECK = """\
hs = {}
if obj.status ~= nil then
  if obj.status.conditions ~= nil then
    for i, condition in ipairs(obj.status.conditions) do
      if condition.type == "Ready" and condition.status == "False" then
        hs.status = "Degraded"
        hs.message = condition.message
        return hs
      end
      if condition.type == "Ready" and condition.status == "True" then
        hs.status = "Healthy"
        hs.message = "Widget is ready"
        return hs
      end
    end
  end
end
hs.status = "Progressing"
hs.message = "Waiting for the widget"
return hs
"""


def widget(conditions: list[dict[str, Any]] | None = None, name: str = "w1", **extra: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": name, "namespace": "shop"},
        **extra,
    }
    if conditions is not None:
        obj["status"] = {"conditions": conditions}
    return obj


def checks(data: dict[str, Any]) -> LuaHealthChecks:
    return LuaHealthChecks(parse_health_scripts(data, "argocd-cm.yaml"))


def assess_with(data: dict[str, Any], obj: dict[str, Any]) -> Health | None:
    with custom_checks_installed(checks(data)):
        return assess_health(obj)


WIDGET_KEY = "resource.customizations.health.example.com_Widget"


@pytest.mark.parametrize(
    ("conditions", "expected"),
    [
        ([{"type": "Ready", "status": "True"}], Health(HealthStatus.HEALTHY, "Widget is ready")),
        (None, Health(HealthStatus.PROGRESSING, "Waiting for the widget")),
        ([{"type": "Synced", "status": "True"}], Health(HealthStatus.PROGRESSING, "Waiting for the widget")),
        (
            [{"type": "Ready", "status": "False", "message": "quota exceeded in shop"}],
            Health(HealthStatus.DEGRADED, "quota exceeded in shop"),
        ),
    ],
    ids=["healthy", "no-status", "not-ready-yet", "degraded"],
)
def test_custom_resource_follows_its_lua_check(conditions, expected) -> None:
    assert assess_with({WIDGET_KEY: WIDGET_CHECK}, widget(conditions)) == expected


def test_without_a_check_a_custom_resource_has_no_health() -> None:
    assert assess_health(widget([])) is None
    assert not has_health_check("example.com", "Widget")
    with custom_checks_installed(checks({WIDGET_KEY: WIDGET_CHECK})):
        assert has_health_check("example.com", "Widget")
    assert not has_health_check("example.com", "Widget")


def test_a_custom_resource_with_a_check_counts_toward_the_app_and_is_missing_until_created() -> None:
    key = ResourceKey("example.com", "Widget", "shop", "w1")
    with custom_checks_installed(checks({WIDGET_KEY: WIDGET_CHECK})):
        degraded = assess_health(widget([{"type": "Ready", "status": "False", "message": "broken"}]))
        app = aggregate_health([(key, degraded, widget())])
        assert app == Health(HealthStatus.DEGRADED, "Widget shop/w1: broken")
        other = ResourceKey("", "ConfigMap", "shop", "settings")
        missing = [(key, Health(HealthStatus.MISSING, "not created yet"), widget()), (other, None, {})]
        assert aggregate_health(missing).status is HealthStatus.MISSING


def test_overrides_the_built_in_check_of_its_kind() -> None:
    stuck = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "generation": 1},
        "spec": {"replicas": 2},
        "status": {"observedGeneration": 1, "replicas": 2, "updatedReplicas": 0},
    }
    assert assess_health(stuck).status is HealthStatus.PROGRESSING  # the built-in verdict
    script = 'return {status = "Healthy", message = "replicas " .. obj.spec.replicas}'
    assert assess_with({"resource.customizations.health.apps_Deployment": script}, stuck) == Health(
        HealthStatus.HEALTHY, "replicas 2"
    )


def test_core_group_kinds_are_keyed_by_kind_alone() -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "status": {"phase": "Pending"}}
    script = 'return {status = "Suspended", message = obj.status.phase}'
    for key in ("resource.customizations.health.Pod", "resource.customizations.health._Pod"):
        assert assess_with({key: script}, pod) == Health(HealthStatus.SUSPENDED, "Pending")


def test_wildcards_match_group_and_kind_and_an_exact_key_wins() -> None:
    data = {
        "resource.customizations.health.*.example.com_*": 'return {status = "Degraded", message = "wildcard"}',
        "resource.customizations.health.example.com_Widget": 'return {status = "Healthy", message = "exact"}',
    }
    gadget = {"apiVersion": "infra.example.com/v1", "kind": "Gadget", "metadata": {"name": "g"}}
    assert assess_with(data, gadget) == Health(HealthStatus.DEGRADED, "wildcard")
    assert assess_with(data, widget()) == Health(HealthStatus.HEALTHY, "exact")
    assert assess_with(data, {"apiVersion": "example.org/v1", "kind": "Gadget", "metadata": {"name": "g"}}) is None
    everything = {"resource.customizations.health.all": 'return {status = "Healthy", message = obj.kind}'}
    assert assess_with(everything, gadget) == Health(HealthStatus.HEALTHY, "Gadget")


@pytest.mark.parametrize(
    ("pattern", "matches", "misses"),
    [
        ("*.crossplane.io/*", ["ec2.aws.crossplane.io/Instance"], ["crossplane.io/Provider", "Pod"]),
        (
            "{cert-manager.io,acme.cert-manager.io}/*",
            ["acme.cert-manager.io/Order", "cert-manager.io/Issuer"],
            ["x.cert-manager.io/Order"],
        ),
        ("example.com/Widget?", ["example.com/Widgets"], ["example.com/Widget"]),
        ("example.com/[A-G]*", ["example.com/Gadget"], ["example.com/Widget"]),
        ("example.com/[!A-G]*", ["example.com/Widget"], ["example.com/Gadget"]),
        ("*/*", ["apps/Deployment"], ["Pod"]),  # Argo CD's key for core kinds has no group and no slash
    ],
)
def test_wildcards_follow_argo_cds_glob(pattern: str, matches: list[str], misses: list[str]) -> None:
    custom = LuaHealthChecks([HealthScript(pattern, 'return {status = "Healthy"}', False, "key")])
    for name in matches + misses:
        group, _, kind = name.rpartition("/")
        assert custom.covers(group, kind) is (name in matches), name


def test_syntax_error_is_unknown_naming_the_key_and_line() -> None:
    health = assess_with({WIDGET_KEY: 'hs = {}\nhs.status = = "Healthy"\nreturn hs'}, widget())
    assert health is not None and health.status is HealthStatus.UNKNOWN
    assert health.message == f"{WIDGET_KEY}: syntax error: line 2: unexpected symbol near '='"


def test_runtime_error_is_unknown_with_the_lua_error() -> None:
    health = assess_with({WIDGET_KEY: "return {status = obj.status.phase}"}, widget())
    assert health == Health(
        HealthStatus.UNKNOWN, f"{WIDGET_KEY}: line 1: attempt to index a nil value (field 'status')"
    )
    raised = assess_with({WIDGET_KEY: 'error("no phase yet")'}, widget())
    assert raised == Health(HealthStatus.UNKNOWN, f"{WIDGET_KEY}: line 1: no phase yet")


@pytest.mark.parametrize(
    ("script", "says"),
    [
        ('return {status = "Fine"}', "Lua returned an invalid health status ('Fine'; expected one of Healthy"),
        ("return {}", "Lua returned an invalid health status (nothing;"),
        ('return "Healthy"', "expected the script to return a table, not string"),
        ('hs = {status = "Healthy"}', "expected the script to return a table, not nil"),
    ],
)
def test_a_result_argo_cd_would_reject_is_unknown(script: str, says: str) -> None:
    health = assess_with({WIDGET_KEY: script}, widget())
    assert health is not None and health.status is HealthStatus.UNKNOWN
    assert health.message.startswith(f"{WIDGET_KEY}: {says}")


def test_an_endless_loop_is_stopped_and_the_check_switched_off() -> None:
    custom = checks({WIDGET_KEY: "while true do pcall(function() while true do end end) end"})
    with custom_checks_installed(custom):
        first = assess_health(widget(name="w1"))
        assert first is not None and first.status is HealthStatus.UNKNOWN
        assert first.message.startswith(f"{WIDGET_KEY}: switched off: gitops-tui stopped the script after 1,000,000")
        assert first.message.endswith("on Widget shop/w1; fix the script and restart")
        # Not run again: the words name the first object that hit the limit, for every object of the kind.
        assert assess_health(widget(name="w2")) == first


def test_memory_is_capped() -> None:
    health = assess_with({WIDGET_KEY: 'local t = {} for i = 1, 1e9 do t[i] = string.rep("x", 999) .. i end'}, widget())
    assert health is not None and health.status is HealthStatus.UNKNOWN
    assert "over the 64 MiB memory cap" in health.message


@pytest.mark.parametrize(
    ("expression", "error"),
    [
        ('os.execute("true")', "attempt to call a nil value (field 'execute')"),
        ('io.open("/etc/passwd")', "attempt to index a nil value (global 'io')"),
        ('require("io")', "module 'io' is not available to health checks without useOpenLibs"),
        ('load("return 1")', "attempt to call a nil value (global 'load')"),
        ('python.eval("1")', "attempt to index a nil value (global 'python')"),
    ],
)
def test_without_use_open_libs_the_script_cannot_reach_the_machine(expression: str, error: str) -> None:
    health = assess_with({WIDGET_KEY: f"local x = {expression}\nreturn {{status = 'Healthy'}}"}, widget())
    assert health == Health(HealthStatus.UNKNOWN, f"{WIDGET_KEY}: line 1: {error}")


def test_require_finds_the_safe_os_as_in_argo_cd() -> None:
    script = 'local os = require("os")\nreturn {status = "Healthy", message = os.date("!%Y", 86400 * 366)}'
    assert assess_with({WIDGET_KEY: script}, widget()) == Health(HealthStatus.HEALTHY, "1971")


def test_harmless_libraries_are_there_without_use_open_libs() -> None:
    script = (
        'return {status = "Healthy", message = string.upper(obj.kind) .. " " .. math.max(1, 2) .. " " .. '
        'table.concat({"a", "b"}, ",") .. " " .. os.date("!%Y", 0)}'
    )
    assert assess_with({WIDGET_KEY: script}, widget()) == Health(HealthStatus.HEALTHY, "WIDGET 2 a,b 1970")


def test_use_open_libs_opens_os_and_io_in_both_forms(tmp_path: Path) -> None:
    marker = tmp_path / "marker.txt"
    marker.write_text("from a file")
    script = (
        f'local f = io.open("{marker}")\nlocal text = f:read("a")\nf:close()\n'
        'return {status = "Healthy", message = text .. " at " .. type(os.getenv("HOME"))}'
    )
    expected = Health(HealthStatus.HEALTHY, "from a file at string")
    split = {WIDGET_KEY: script, "resource.customizations.useOpenLibs.example.com_Widget": "true"}
    assert assess_with(split, widget()) == expected
    nested = {
        "resource.customizations": "example.com/Widget:\n  health.lua.useOpenLibs: true\n  health.lua: |\n"
        + "".join(f"    {line}\n" for line in script.splitlines())
    }
    assert assess_with(nested, widget()) == expected
    closed = assess_with({**split, "resource.customizations.useOpenLibs.example.com_Widget": "false"}, widget())
    assert closed is not None and closed.status is HealthStatus.UNKNOWN and "global 'io'" in closed.message


def test_globals_of_one_run_do_not_leak_into_the_next() -> None:
    script = (
        'if seen then return {status = "Degraded", message = "stale"} end\nseen = true\nreturn {status = "Healthy"}'
    )
    with custom_checks_installed(checks({WIDGET_KEY: script})):
        assert [assess_health(widget(name=n)) for n in ("a", "b")] == [Health(HealthStatus.HEALTHY)] * 2


def test_a_check_that_matches_a_secret_sees_only_masks() -> None:
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "creds"},
        "data": {"password": "aHVudGVyMg=="},
        "stringData": {"token": "hunter2-very-secret"},
    }
    script = 'return {status = "Degraded", message = obj.data.password .. " " .. obj.stringData.token}'
    health = assess_with({"resource.customizations.health.Secret": script}, secret)
    assert health is not None and health.status is HealthStatus.DEGRADED
    assert "aHVudGVyMg==" not in health.message and "hunter2" not in health.message
    assert set(health.message.replace(" ", "")) == {"+"}


def test_yaml_timestamps_reach_the_script_as_strings() -> None:
    import datetime

    stamped = widget(extra_field=None, status={"at": datetime.datetime(2024, 5, 1, tzinfo=datetime.UTC)})
    script = 'return {status = "Healthy", message = type(obj.status.at) .. " " .. obj.status.at}'
    assert assess_with({WIDGET_KEY: script}, stamped) == Health(HealthStatus.HEALTHY, "string 2024-05-01T00:00:00Z")


def test_a_deleted_object_is_progressing_before_any_custom_check() -> None:
    going = widget(metadata={"name": "w1", "deletionTimestamp": "2024-05-01T00:00:00Z"})
    assert assess_with({WIDGET_KEY: 'return {status = "Healthy"}'}, going) == Health(
        HealthStatus.PROGRESSING, "Pending deletion"
    )


# ---- the argocd-cm file ---------------------------------------------------------------------------------

ARGOCD_CM = f"""\
apiVersion: v1
kind: ConfigMap
metadata: {{name: argocd-cm, namespace: argocd}}
data:
  url: https://argocd.example.com
  resource.customizations: |
    example.com/Widget:
      health.lua: |
        return {{status = "Degraded", message = "from the nested form"}}
    cert-manager.io/Certificate:
      health.lua.useOpenLibs: true
      health.lua: |
        return {{status = "Healthy"}}
    apps/Deployment:
      ignoreDifferences: |
        jsonPointers: [/spec/replicas]
  {WIDGET_KEY}: |
    return {{status = "Healthy", message = "from the per-kind key"}}
  resource.customizations.ignoreDifferences.apps_Deployment: "jsonPointers: [/spec/replicas]"
"""


def test_file_with_both_forms_the_per_kind_key_wins(tmp_path: Path) -> None:
    path = tmp_path / "argocd-cm.yaml"
    path.write_text(ARGOCD_CM)
    scripts = {s.pattern: s for s in load_health_scripts(path)}
    assert set(scripts) == {"example.com/Widget", "cert-manager.io/Certificate"}
    assert scripts["example.com/Widget"].source == WIDGET_KEY
    certificate = scripts["cert-manager.io/Certificate"]
    assert certificate.use_open_libs
    assert certificate.source == "resource.customizations cert-manager.io/Certificate health.lua"
    with custom_checks_installed(LuaHealthChecks(tuple(scripts.values()))):
        assert assess_health(widget()) == Health(HealthStatus.HEALTHY, "from the per-kind key")


def test_the_data_mapping_alone_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "data.yaml"
    path.write_text(f"{WIDGET_KEY}: |\n  return {{status = 'Healthy'}}\n")
    assert [s.pattern for s in load_health_scripts(path)] == ["example.com/Widget"]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("data: [oops\n", "line 2: invalid YAML"),
        ("kind: Secret\n", "expected the argocd-cm ConfigMap"),
        (
            "kind: ConfigMap\ndata:\n  resource.customizations.health.a_b_C: x\n",
            "resource.customizations.health.a_b_C: expected resource.customizations.health.<group>_<kind>",
        ),
        (
            "kind: ConfigMap\ndata:\n  resource.customizations.useOpenLibs.example.com_Widget: maybe\n",
            "resource.customizations.useOpenLibs.example.com_Widget: useOpenLibs must be true or false, got 'maybe'",
        ),
        (
            "kind: ConfigMap\ndata:\n  resource.customizations: |\n    example.com/Widget: [\n",
            "resource.customizations: line 2: invalid YAML",
        ),
        (
            "kind: ConfigMap\ndata:\n  resource.customizations: |\n    example.com/Widget:\n      health.lua: 3\n",
            "resource.customizations: example.com/Widget: health.lua must be a Lua script",
        ),
    ],
    ids=["yaml", "not-a-configmap", "key", "open-libs", "nested-yaml", "nested-script"],
)
def test_bad_files_are_clear_errors_naming_file_and_key(tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "argocd-cm.yaml"
    path.write_text(text)
    with pytest.raises(HealthConfigError) as caught:
        load_health_scripts(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert says in str(caught.value)


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(HealthConfigError, match=r"nope\.yaml: cannot read: No such file or directory"):
        load_health_scripts(tmp_path / "nope.yaml")
