"""`gitops-tui status` and `diff` on the sandbox with real Git repositories: no false alarms.

Objects are put in the cluster the way a sync puts them (server-side apply with our tracking
annotation), then changed with other clients, and the CLI is asked what it sees.
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
from gitops_tui.cluster.kubeconfig import load_kubeconfig
from gitops_tui.model import ResourceKey
from gitops_tui.sandbox import testing as sandbox_testing
from gitops_tui.sandbox.runtime import Sandbox
from tests.gitrepos import GitRemote

sandbox = sandbox_testing.sandbox

WEB = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: shop/web:1.0
          env: [{name: MODE, value: fast}]
          ports: [{containerPort: 8080}]
          resources: {requests: {cpu: 500m, memory: 64Mi}}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
"""
SETTINGS = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {LEVEL: info}\n"
SECRET = "apiVersion: v1\nkind: Secret\nmetadata: {name: creds}\nstringData: {password: hunter2-very-secret}\n"


class World:
    """A Git remote with two apps, a sandbox cluster, and the CLI pointed at both."""

    def __init__(self, tmp_path: Path, server: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys
        self.server = server
        self.remote = GitRemote.create(tmp_path / "repo")
        self.remote.commit(
            {"shop/web.yaml": WEB, "shop/settings.yaml": SETTINGS, "shop/secret.yaml": SECRET,
             "broken/bad.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [oops\n"},
            "shop and a broken app",
        )  # fmt: skip
        self.apps = tmp_path / "apps.yaml"
        self.write_apps("")
        self.client = ClusterClient.from_kubeconfig(
            load_kubeconfig(server.kubeconfig_path), settings=ClientSettings(read_timeout=10)
        )
        self.client.ensure_namespace("shop")

    def write_apps(self, shop_extra: str) -> None:
        def app(name: str, path: str, extra: str = "") -> str:
            return (
                f"apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {{name: {name}}}\nspec:\n"
                f"  source: {{repoURL: '{self.remote.url}', path: {path}}}\n"
                "  destination: {server: https://kubernetes.default.svc, namespace: shop}\n" + extra
            )

        self.apps.write_text(app("shop", "shop", shop_extra) + "---\n" + app("broken", "broken"))

    def deploy(self, text: str) -> None:
        """What a sync does: server-side apply as gitops-tui, tracked as the app's."""
        for doc in yaml.safe_load_all(text):
            doc["metadata"].setdefault("namespace", "shop")
            self.client.apply(doc, app="shop")

    def run(self, *args: str) -> tuple[int, str, str]:
        code = main([*args, "--apps", str(self.apps), "--kubeconfig", str(self.server.kubeconfig_path)])
        out, err = self.capsys.readouterr()
        return code, out, err

    def status(self, *names: str) -> dict[str, Any]:
        code, out, err = self.run("status", *(names or ("shop",)), "-o", "json")
        assert code == 0, err
        return {a["name"]: a for a in json.loads(out)["apps"]}


@pytest.fixture
def world(tmp_path: Path, sandbox: Sandbox, capsys, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # Git mirrors of this test only
    made = World(tmp_path, sandbox, capsys)
    made.deploy(WEB + "---\n" + SETTINGS + "---\n" + SECRET)
    yield made
    made.client.close()


def resource(app: dict[str, Any], kind: str, name: str) -> dict[str, Any]:
    return next(r for r in app["resources"] if (r["kind"], r["name"]) == (kind, name))


def test_applied_as_is_is_synced_despite_server_defaults(world: World) -> None:
    live = world.client.get(ResourceKey("apps", "Deployment", "shop", "web"))
    assert live is not None
    container = live["spec"]["template"]["spec"]["containers"][0]
    assert container["imagePullPolicy"] and container["terminationMessagePath"]  # really defaulted
    svc = world.client.get(ResourceKey("", "Service", "shop", "web"))
    assert svc is not None and svc["spec"]["clusterIP"] and svc["spec"]["ports"][0]["protocol"] == "TCP"
    shop = world.status()["shop"]
    assert shop["sync"] == "Synced", shop["resources"]
    assert {r["sync"] for r in shop["resources"]} == {"Synced"}
    code, out, _ = world.run("diff", "shop")
    assert (code, out) == (0, "")


def edit_deployment(world: World, change: Any) -> None:
    key = ResourceKey("apps", "Deployment", "shop", "web")
    live = world.client.get(key)
    assert live is not None
    change(live)
    live["metadata"].pop("managedFields", None)
    # Another client (kubectl edit, an operator at 3 a.m.) replaces the object.
    world.client.request_json(
        "PUT", "/apis/apps/v1/namespaces/shop/deployments/web", _target(), body=live,
        content_type="application/json", query=[("fieldManager", "kubectl-edit")],
    )  # fmt: skip


def _target() -> Any:
    from gitops_tui.cluster.errors import Target

    return Target("update", "deployments.apps", "web", "shop")


@pytest.mark.parametrize(
    ("change", "minus", "plus"),
    [
        (lambda d: d["spec"].__setitem__("replicas", 5), "-  replicas: 5", "+  replicas: 2"),
        (
            lambda d: d["spec"]["template"]["spec"]["containers"][0].__setitem__("image", "shop/web:9"),
            "-        image: shop/web:9",
            "+        image: shop/web:1.0",
        ),
        (
            lambda d: d["spec"]["template"]["spec"]["containers"][0]["env"][0].__setitem__("value", "slow"),
            "-          value: slow",
            "+          value: fast",
        ),
        (lambda d: d["metadata"]["labels"].__setitem__("app", "hacked"), "-    app: hacked", "+    app: web"),
    ],
    ids=["replicas", "image", "env", "label"],
)
def test_a_change_by_another_client_is_out_of_sync_and_diff_shows_exactly_it(world: World, change, minus, plus):
    edit_deployment(world, change)
    shop = world.status()["shop"]
    assert shop["sync"] == "OutOfSync"
    assert resource(shop, "Deployment", "web")["sync"] == "OutOfSync"
    assert resource(shop, "Service", "web")["sync"] == "Synced"
    code, out, _ = world.run("diff", "shop")
    assert code == 1
    changed = [line for line in out.splitlines() if line[:1] in "+-" and not line.startswith(("---", "+++"))]
    assert changed == [minus, plus]
    assert "# Deployment.apps shop/web: differs from Git" in out


def test_deleted_resource_is_missing(world: World) -> None:
    world.client.delete(ResourceKey("", "ConfigMap", "shop", "settings"), propagation="Background")
    shop = world.status()["shop"]
    settings = resource(shop, "ConfigMap", "settings")
    assert (shop["sync"], settings["sync"], settings["reason"]) == (
        "OutOfSync",
        "OutOfSync",
        "missing from the cluster",
    )
    code, out, _ = world.run("diff", "shop")
    assert code == 1 and "+  LEVEL: info" in out


def test_resource_removed_from_git_but_tracked_requires_pruning(world: World) -> None:
    world.remote.commit({"shop/settings.yaml": None}, "drop the settings ConfigMap")
    shop = world.status()["shop"]
    settings = resource(shop, "ConfigMap", "settings")
    assert settings["requiresPruning"] is True and settings["sync"] == "OutOfSync"
    assert shop["sync"] == "OutOfSync"
    # An untracked object with the same kind in the namespace is not the app's business.
    world.client.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "other", "namespace": "shop"}})
    assert all(r["name"] != "other" for r in world.status()["shop"]["resources"])


def test_ignore_differences_silence_exactly_what_they_name(world: World) -> None:
    edit_deployment(world, lambda d: (d["spec"].__setitem__("replicas", 7), d["metadata"]["labels"].update(app="x")))
    world.write_apps("  ignoreDifferences:\n    - {group: apps, kind: Deployment, jsonPointers: [/spec/replicas]}\n")
    code, out, _ = world.run("diff", "shop")
    assert code == 1 and "replicas" not in out and "-    app: x" in out
    world.write_apps(
        "  ignoreDifferences:\n    - {group: apps, kind: Deployment, jsonPointers: [/spec/replicas],"
        " jqPathExpressions: ['.metadata.labels.app']}\n"
    )
    assert world.run("diff", "shop")[0] == 0
    assert world.status()["shop"]["sync"] == "Synced"


def test_secret_values_never_appear(world: World) -> None:
    key = ResourceKey("", "Secret", "shop", "creds")
    live = world.client.get(key)
    assert live is not None
    live["data"]["password"] = "Y2hhbmdlZC1ieS1oYW5k"  # changed-by-hand
    live["metadata"].pop("managedFields", None)
    world.client.request_json(
        "PUT", "/api/v1/namespaces/shop/secrets/creds", _target(), body=live, content_type="application/json"
    )
    outputs = []
    for args in (
        ("status",),
        ("status", "-o", "json"),
        ("status", "-o", "yaml"),
        ("diff", "shop"),
        ("diff", "shop", "--side-by-side"),
    ):
        outputs.append("".join(map(str, world.run(*args))))
    everything = "\n".join(outputs)
    assert "password: +++" in everything  # the diff shows that it changed
    for secret in ("hunter2-very-secret", "aHVudGVyMi12ZXJ5LXNlY3JldA==", "changed-by-hand", "Y2hhbmdlZC1ieS1oYW5k"):
        assert secret not in everything


def test_broken_app_is_unknown_naming_the_file_while_others_are_fine(world: World) -> None:
    code, out, _ = world.run("status", "-o", "json")
    assert code == 2  # one app could not be compared at all: scripts must notice
    apps = {a["name"]: a for a in json.loads(out)["apps"]}
    assert apps["shop"]["sync"] == "Synced"
    broken = apps["broken"]
    assert broken["sync"] == "Unknown"
    assert "broken/bad.yaml line " in broken["error"]
    code, out, _ = world.run("status")
    assert code == 2 and "bad.yaml line " in out
    assert [line.split()[:2] for line in out.splitlines()[1:]] == [["broken", "Unknown"], ["shop", "Synced"]]
    code, _, err = world.run("diff", "broken")
    assert code == 2 and "bad.yaml" in err


def test_unreachable_cluster_is_a_clear_error(world: World, tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_bytes(world.server.kubeconfig_path.read_bytes())
    world.server.stop()
    code = main(["status", "shop", "--apps", str(world.apps), "--kubeconfig", str(kubeconfig)])
    out = world.capsys.readouterr().out
    assert code == 2
    (row,) = out.splitlines()[1:]
    assert row.split()[:2] == ["shop", "Unknown"] and "127.0.0.1" in row and "context sandbox" in row
