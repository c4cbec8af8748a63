"""`--argocd-cm FILE`: Argo CD's custom Lua health checks in `gitops-tui health` and `gitops-tui status`.

Offline on files, and end to end: a custom resource in a real Git repository, live in the sandbox, whose
app's health follows the Lua check as its status changes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitops_tui.cli import main
from gitops_tui.cluster.client import ClientSettings, ClusterClient
from gitops_tui.cluster.errors import Target
from gitops_tui.cluster.kubeconfig import load_kubeconfig
from gitops_tui.engine.health import assess_health
from gitops_tui.model import ResourceKey
from gitops_tui.sandbox import testing as sandbox_testing
from gitops_tui.sandbox.runtime import Sandbox
from tests.gitrepos import GitRemote

sandbox = sandbox_testing.sandbox

ARGOCD_CM = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: argocd-cm, namespace: argocd}
data:
  resource.customizations.health.example.com_Widget: |
    hs = {status = "Progressing", message = "Waiting for the widget"}
    if obj.status ~= nil and obj.status.conditions ~= nil then
      for _, condition in ipairs(obj.status.conditions) do
        if condition.type == "Ready" and condition.status == "True" then
          return {status = "Healthy", message = "Widget is ready"}
        end
        if condition.type == "Ready" and condition.status == "False" then
          return {status = "Degraded", message = condition.message}
        end
      end
    end
    return hs
  resource.customizations: |
    apps/Deployment:
      health.lua: |
        return {status = "Suspended", message = "deployments are judged by hand here"}
"""
WIDGETS = """\
apiVersion: example.com/v1
kind: Widget
metadata: {name: ready, namespace: shop}
status:
  conditions: [{type: Ready, status: "True"}]
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: broken, namespace: shop}
status:
  conditions: [{type: Ready, status: "False", message: quota exceeded}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec: {replicas: 1}
"""


def health_rows(out: str) -> list[list[str]]:
    return [line.split(None, 2) for line in out.splitlines()[1:]]


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # no config file of the machine's
    monkeypatch.delenv("GITOPS_TUI_ARGOCD_CM", raising=False)
    (tmp_path / "argocd-cm.yaml").write_text(ARGOCD_CM)
    (tmp_path / "widgets.yaml").write_text(WIDGETS)
    return tmp_path


def test_health_command_uses_the_lua_checks(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["health", "--argocd-cm", str(files / "argocd-cm.yaml"), str(files / "widgets.yaml")]) == 0
    assert health_rows(capsys.readouterr().out) == [
        ["Widget/shop/ready", "Healthy", "Widget is ready"],
        ["Widget/shop/broken", "Degraded", "quota exceeded"],
        ["Deployment/shop/web", "Suspended", "deployments are judged by hand here"],
    ]
    # The checks lived as long as the command: the next command in this process judges without them.
    assert assess_health({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}) is None


def test_without_the_option_custom_kinds_have_no_health(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["health", str(files / "widgets.yaml")]) == 0
    rows = health_rows(capsys.readouterr().out)
    assert rows[0] == ["Widget/shop/ready", "-", "no health check for this kind"]


def test_the_environment_variable_names_the_file(
    files: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITOPS_TUI_ARGOCD_CM", str(files / "argocd-cm.yaml"))
    assert main(["health", str(files / "widgets.yaml")]) == 0
    assert health_rows(capsys.readouterr().out)[1] == ["Widget/shop/broken", "Degraded", "quota exceeded"]


def test_a_bad_argocd_cm_stops_the_command_naming_file_and_key(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = files / "bad-cm.yaml"
    bad.write_text("kind: ConfigMap\ndata:\n  resource.customizations.useOpenLibs.example.com_Widget: yes please\n")
    assert main(["health", "--argocd-cm", str(bad), str(files / "widgets.yaml")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {bad}: resource.customizations.useOpenLibs.example.com_Widget: ")
    assert "useOpenLibs must be true or false" in err


def test_a_broken_script_makes_only_its_resources_unknown(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (files / "argocd-cm.yaml").write_text(
        "kind: ConfigMap\ndata:\n  resource.customizations.health.example.com_Widget: |\n    while true do end\n"
    )
    assert main(["health", "--argocd-cm", str(files / "argocd-cm.yaml"), str(files / "widgets.yaml")]) == 0
    rows = health_rows(capsys.readouterr().out)
    assert [row[1] for row in rows] == ["Unknown", "Unknown", "Progressing"]  # the Deployment keeps its own check
    assert rows[0][2].startswith("resource.customizations.health.example.com_Widget: switched off: ")


# ---- end to end: Git, the sandbox, `gitops-tui status` --------------------------------------------------

WIDGET_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {
        "group": "example.com",
        "scope": "Namespaced",
        "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
        "versions": [{"name": "v1", "served": True, "storage": True, "subresources": {"status": {}},
                      "schema": {"openAPIV3Schema": {"type": "object",
                                                     "x-kubernetes-preserve-unknown-fields": True}}}],
    },
}  # fmt: skip
GIT_WIDGET = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: gizmo}\nspec: {size: 3}\n"


class Shop:
    def __init__(self, tmp_path: Path, server: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys, self.server = capsys, server
        self.remote = GitRemote.create(tmp_path / "repo")
        self.remote.commit({"shop/widget.yaml": GIT_WIDGET}, "a widget")
        self.apps = tmp_path / "apps.yaml"
        self.apps.write_text(
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: shop}\nspec:\n"
            f"  source: {{repoURL: '{self.remote.url}', path: shop}}\n"
            "  destination: {server: https://kubernetes.default.svc, namespace: shop}\n"
        )
        self.argocd_cm = tmp_path / "argocd-cm.yaml"
        self.argocd_cm.write_text(ARGOCD_CM)
        self.client = ClusterClient.from_kubeconfig(
            load_kubeconfig(server.kubeconfig_path), settings=ClientSettings(read_timeout=10)
        )
        self.client.ensure_namespace("shop")
        self.client.apply(WIDGET_CRD)
        sandbox_testing.wait_until(lambda: self._served())
        widget = yaml.safe_load(GIT_WIDGET)
        widget["metadata"]["namespace"] = "shop"
        self.client.apply(widget, app="shop")  # as a sync would

    def _served(self) -> bool:
        try:
            self.client.mapper.resource_for("example.com/v1", "Widget")
        except Exception:
            return False
        return True

    def set_ready(self, status: str, message: str = "") -> None:
        condition = {"type": "Ready", "status": status, "message": message}
        self.client.request_json(
            "PATCH", "/apis/example.com/v1/namespaces/shop/widgets/gizmo/status",
            Target("patch", "widgets.example.com", "gizmo", "shop"),
            body={"status": {"conditions": [condition]}}, content_type="application/merge-patch+json",
        )  # fmt: skip

    def run(self, *extra: str) -> tuple[int, str, str]:
        code = main(["status", "shop", "-o", "json", "--apps", str(self.apps),
                     "--kubeconfig", str(self.server.kubeconfig_path), *extra])  # fmt: skip
        out, err = self.capsys.readouterr()
        return code, out, err

    def status(self, *extra: str) -> dict[str, Any]:
        code, out, err = self.run(*extra)
        assert code == 0, err
        return json.loads(out)["apps"][0]


@pytest.fixture
def shop(tmp_path: Path, sandbox: Sandbox, capsys, monkeypatch: pytest.MonkeyPatch) -> Iterator[Shop]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("GITOPS_TUI_NO_CONSOLE", "1")  # this process works it out, whatever else runs
    monkeypatch.delenv("GITOPS_TUI_ARGOCD_CM", raising=False)
    made = Shop(tmp_path, sandbox, capsys)
    yield made
    made.client.close()


def test_app_health_follows_the_lua_check_of_its_custom_resource(shop: Shop) -> None:
    # Without the check the widget has no health, so it does not count: the app is Healthy.
    assert shop.status()["health"]["status"] == "Healthy"
    cm = ("--argocd-cm", str(shop.argocd_cm))
    app = shop.status(*cm)
    assert app["sync"] == "Synced"
    assert app["health"] == {"status": "Progressing", "message": "Widget shop/gizmo: Waiting for the widget"}
    assert app["resources"][0]["health"] == "Progressing"

    shop.set_ready("False", "quota exceeded in shop")
    app = shop.status(*cm)
    assert app["health"] == {"status": "Degraded", "message": "Widget shop/gizmo: quota exceeded in shop"}
    assert app["sync"] == "Synced"  # status is the server's: a changed status is no drift

    shop.set_ready("True")
    assert shop.status(*cm)["health"]["status"] == "Healthy"


def test_a_missing_custom_resource_with_a_check_makes_the_app_missing(shop: Shop) -> None:
    shop.client.delete(ResourceKey("example.com", "Widget", "shop", "gizmo"))
    sandbox_testing.wait_until(lambda: shop.client.get(ResourceKey("example.com", "Widget", "shop", "gizmo")) is None)
    app = shop.status("--argocd-cm", str(shop.argocd_cm))
    assert app["health"]["status"] == "Missing"
    assert app["resources"][0]["health"] == "Missing"


def test_the_checks_can_come_from_the_argocd_cm_in_the_cluster(shop: Shop) -> None:
    code, _, err = shop.run("--argocd-cm", "cluster:")
    assert code == 2
    assert err.startswith("error: no ConfigMap argocd/argocd-cm (context ")
    shop.client.ensure_namespace("argocd")
    shop.client.apply(yaml.safe_load(ARGOCD_CM))
    assert shop.status("--argocd-cm", "cluster:")["health"]["status"] == "Progressing"
    assert shop.status("--argocd-cm", "cluster:argocd/argocd-cm")["health"]["status"] == "Progressing"
