"""A console's check that its files still say what it watches (cli/console_definitions.py), on real files:
the answer a one-shot command would read, spelled as it would spell it, or a refusal that says why."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from gitops_tui.cli.common import load_apps
from gitops_tui.cli.console_address import address_of
from gitops_tui.cli.console_definitions import DefinitionsChanged, WatchedDefinitions
from gitops_tui.cluster.kubeconfig import load_kubeconfig

KUBECONFIG = """\
apiVersion: v1
kind: Config
clusters:
  - {name: prod, cluster: {server: "https://prod.example:6443"}}
  - {name: dev, cluster: {server: "https://dev.example:6443"}}
contexts:
  - {name: prod, context: {cluster: prod, user: me}}
  - {name: dev, context: {cluster: dev, user: me}}
users:
  - {name: me, user: {token: TOKEN}}
current-context: prod
"""
SHOP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: shop}
spec:
  source: {repoURL: 'https://example.test/repo.git', path: shop}
  destination: {server: "https://prod.example:6443", namespace: shop}
"""
STRAY = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: stray}\n"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    for name in ("GITOPS_TUI_APPS", "GITOPS_TUI_ARGOCD_CM", "KUBECONFIG"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "apps").mkdir()
    (tmp_path / "apps" / "shop.yaml").write_text(SHOP + "---\n" + STRAY)
    (tmp_path / "kubeconfig").write_text(KUBECONFIG)
    return tmp_path


def watched(apps: list[str], argocd_cm: str | None = None, context: str | None = None) -> WatchedDefinitions:
    args = argparse.Namespace(apps=apps, kubeconfig="kubeconfig", context=context, argocd_cm=argocd_cm)
    return WatchedDefinitions.of_options(args, load_kubeconfig("kubeconfig", context=context))


def test_problems_are_spelled_as_the_command_spells_them(home: Path) -> None:
    definitions = watched(["apps"]).current()
    assert [a.name for a in definitions.apps] == ["shop"]
    assert definitions.warnings == load_apps(["apps"]).warnings  # "apps/shop.yaml#2: skipped, ..."
    assert definitions.warnings[0].startswith("apps/shop.yaml")


def test_the_same_key_for_the_same_unread_inputs(home: Path) -> None:
    console = watched(["apps"])
    assert console.key == address_of(["apps"], "kubeconfig").key == address_of([str(home / "apps")], "kubeconfig").key
    assert console.key != address_of(["apps"], "kubeconfig", "dev").key
    assert console.key != address_of(["apps"], "kubeconfig", argocd_cm="cm.yaml").key


def test_edits_are_read_again_and_a_changed_cluster_is_refused(home: Path) -> None:
    console = watched(["apps"])
    first = console.current()
    assert console.current() is first  # nothing changed: nothing parsed again
    (home / "apps" / "shop.yaml").write_text(SHOP.replace("path: shop", "path: shop2"))
    again = console.current()
    assert again is not first and again.apps[0].source.path == "shop2" and again.warnings == ()
    # A refreshed token rewrites the kubeconfig, but names the same clusters: still answered.
    (home / "kubeconfig").write_text(KUBECONFIG.replace("TOKEN", "ROTATED"))
    assert console.current().apps == again.apps
    # Another current context means other clusters for `https://kubernetes.default.svc`: refused, and said why.
    (home / "kubeconfig").write_text(KUBECONFIG.replace("current-context: prod", "current-context: dev"))
    with pytest.raises(DefinitionsChanged, match="another current context"):
        console.current()
    (home / "kubeconfig").write_text(KUBECONFIG)
    assert console.current().apps == again.apps


def test_health_checks_named_by_the_config_file_must_be_the_consoles(home: Path) -> None:
    console = watched(["apps"])
    console.current()
    (home / "config" / "gitops-tui").mkdir(parents=True)
    (home / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: argocd-cm}\ndata: {}\n")
    (home / "config" / "gitops-tui" / "config.yaml").write_text(f"argocdCM: {home / 'cm.yaml'}\n")
    with pytest.raises(DefinitionsChanged, match="custom health checks"):
        console.current()
    (home / "config" / "gitops-tui" / "config.yaml").write_text("{}\n")
    assert [a.name for a in console.current().apps] == ["shop"]


def test_a_command_is_answered_for_the_context_it_would_use(home: Path) -> None:
    console = watched(["apps"], context="prod")  # prod is also the kubeconfig's current context
    assert [a.name for a in console.current("").apps] == ["shop"]  # no --context: the current one, prod
    assert [a.name for a in console.current("prod").apps] == ["shop"]
    with pytest.raises(DefinitionsChanged, match="the command would use context dev; this console watches prod"):
        console.current("dev")
    # The file names dev current now: a command without --context would use dev. Its --context prod: still prod.
    (home / "kubeconfig").write_text(KUBECONFIG.replace("current-context: prod", "current-context: dev"))
    with pytest.raises(DefinitionsChanged, match="would use context dev"):
        console.current("")
    assert [a.name for a in console.current("prod").apps] == ["shop"]
    # A console without --context watches the current context (prod), and answers --context prod too.
    (home / "kubeconfig").write_text(KUBECONFIG)
    without = watched(["apps"])
    assert [a.name for a in without.current("prod").apps] == ["shop"]
    with pytest.raises(DefinitionsChanged, match="would use context dev"):
        without.current("dev")
