"""`gitops-tui manifests`: what an app renders to at a revision, from a real Git repository."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from gitops_tui.cli import main
from tests.gitrepos import GitRemote

CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {LEVEL: %s}\n"
SECRET = "apiVersion: v1\nkind: Secret\nmetadata: {name: creds}\nstringData: {password: s3cr3t-value}\n"


@pytest.fixture
def app_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[GitRemote, Path]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    remote = GitRemote.create(tmp_path / "repo")
    remote.commit({"web/config.yaml": CONFIGMAP % "info", "web/secret.yaml": SECRET}, "first")
    remote.tag("v1")
    remote.commit({"web/config.yaml": CONFIGMAP % "debug"}, "debug logging")
    apps = tmp_path / "apps.yaml"
    apps.write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: web}\n"
        f"spec:\n  source: {{repoURL: '{remote.url}', path: web, targetRevision: main}}\n"
        "  destination: {server: https://kubernetes.default.svc, namespace: web}\n"
    )
    return remote, apps


def test_renders_target_revision_with_secrets_masked(app_repo, capsys: pytest.CaptureFixture[str]) -> None:
    _, apps = app_repo
    assert main(["manifests", "web", "--apps", str(apps)]) == 0
    out, err = capsys.readouterr()
    docs = list(yaml.safe_load_all(out))
    assert [d["kind"] for d in docs] == ["ConfigMap", "Secret"]
    assert docs[0]["data"] == {"LEVEL": "debug"}
    assert "s3cr3t-value" not in out and docs[1]["stringData"]["password"] == "++++++++"
    assert "2 objects from" in err and "debug logging" in err


def test_renders_another_revision_as_json(app_repo, capsys: pytest.CaptureFixture[str]) -> None:
    _, apps = app_repo
    assert main(["manifests", "web", "--apps", str(apps), "--revision", "v1", "-o", "json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert listing["kind"] == "List"
    assert listing["items"][0]["data"] == {"LEVEL": "info"}


def test_broken_yaml_names_file_and_line(app_repo, capsys: pytest.CaptureFixture[str]) -> None:
    remote, apps = app_repo
    remote.commit({"web/config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [x\n"}, "oops")
    assert main(["manifests", "web", "--apps", str(apps)]) == 2
    err = capsys.readouterr().err
    assert "error: app 'web'" in err and "config.yaml" in err and "line" in err


def test_unknown_revision_is_a_clear_error(app_repo, capsys: pytest.CaptureFixture[str]) -> None:
    _, apps = app_repo
    assert main(["manifests", "web", "--apps", str(apps), "--revision", "no-such-branch"]) == 2
    assert "unknown revision 'no-such-branch'" in capsys.readouterr().err
