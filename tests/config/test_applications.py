"""Loading Argo CD Application definitions: what a user sees for good and bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gitops_tui.config import load_applications, load_settings, resolve_app_paths
from gitops_tui.config.settings import APPS_ENV, SettingsError

WEB = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web
  namespace: argocd
  labels: {team: storefront}
spec:
  project: shop
  source:
    repoURL: https://git.example.com/shop.git
    targetRevision: release-1.4
    path: deploy/web
    directory:
      recurse: true
      include: '*.yaml'
      exclude: '{secret*,tmp/*}'
  destination:
    server: https://kubernetes.default.svc
    namespace: web
  syncPolicy:
    automated:
      prune: true
      selfHeal: true
    syncOptions: [CreateNamespace=true, PruneLast=true]
    retry:
      limit: 3
      backoff: {duration: 10s, factor: 3, maxDuration: 1h30m}
  ignoreDifferences:
    - group: apps
      kind: Deployment
      jsonPointers: [/spec/replicas]
  revisionHistoryLimit: 5
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_full_application_is_parsed(tmp_path: Path) -> None:
    result = load_applications([write(tmp_path, "web.yaml", WEB)])
    assert result.errors == ()
    (app,) = result.apps
    assert (app.name, app.namespace, app.project) == ("web", "argocd", "shop")
    assert app.source.repo_url == "https://git.example.com/shop.git"
    assert (app.source.target_revision, app.source.path) == ("release-1.4", "deploy/web")
    assert app.source.directory is not None and app.source.directory.recurse
    assert app.source.directory.exclude == "{secret*,tmp/*}"
    assert (app.destination.server, app.destination.namespace) == ("https://kubernetes.default.svc", "web")
    policy = app.sync_policy
    assert policy.automated and policy.prune and policy.self_heal and not policy.allow_empty
    assert policy.has_option("prunelast=true")
    assert policy.retry is not None and policy.retry.limit == 3
    assert policy.retry.backoff_duration_seconds == 10 and policy.retry.backoff_max_duration_seconds == 5400
    assert app.ignore_differences[0].json_pointers == ("/spec/replicas",)
    assert app.revision_history_limit == 5
    # Unknown fields are kept, not dropped.
    assert app.manifest["metadata"]["labels"] == {"team": "storefront"}


def test_defaults_follow_argo_cd(tmp_path: Path) -> None:
    text = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: minimal}
spec:
  source: {repoURL: file:///repo.git}
  destination: {name: in-cluster}
"""
    (app,) = load_applications([write(tmp_path, "a.yml", text)]).apps
    assert app.source.target_revision == "HEAD"
    assert app.source.path == "."
    assert app.project == "default"
    assert app.revision_history_limit == 10
    assert not app.sync_policy.automated
    assert app.source.directory is None and app.source.helm is None


def test_errors_name_file_document_app_and_field(tmp_path: Path) -> None:
    text = (
        WEB
        + "---\n"
        + WEB.replace("name: web", "name: api").replace("repoURL: https://git.example.com/shop.git", "path2: x")
    )
    path = write(tmp_path, "apps/prod.yaml", text)
    result = load_applications([path])
    assert [a.name for a in result.apps] == ["web"]
    assert result.errors == (f"{path}#2 app 'api': spec.source.repoURL is required",)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("recurse: true", "recurse: yes-please"), "spec.source.directory.recurse must be true or false"),
        (
            ("revisionHistoryLimit: 5", "revisionHistoryLimit: true"),
            "spec.revisionHistoryLimit must be a whole",
        ),
        (("duration: 10s", "duration: soon"), "spec.syncPolicy.retry.backoff.duration must be a duration"),
        (("name: web\n", "name: Web_App\n"), "metadata.name 'Web_App' is not a valid name"),
        (("    namespace: web\n", "    namespace: web\n    name: prod\n"), "server or name, not both"),
        (
            ("syncOptions: [CreateNamespace=true, PruneLast=true]", "syncOptions: [1]"),
            "spec.syncPolicy.syncOptions[0] must be a string",
        ),
    ],
)
def test_invalid_fields_are_reported_with_their_path(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    old, new = change
    assert old in WEB
    result = load_applications([write(tmp_path, "web.yaml", WEB.replace(old, new, 1))])
    assert result.apps == ()
    assert len(result.errors) == 1 and message in result.errors[0], result.errors


def test_malformed_yaml_names_file_and_line_and_keeps_other_files(tmp_path: Path) -> None:
    write(tmp_path, "dir/good.yaml", WEB)
    bad = write(tmp_path, "dir/bad.yaml", "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: [\n")
    result = load_applications([tmp_path / "dir"])
    assert [a.name for a in result.apps] == ["web"]
    (error,) = result.errors
    assert error.startswith(f"{bad}#1: line 4: invalid YAML")


def test_duplicate_names_name_both_files(tmp_path: Path) -> None:
    first = write(tmp_path, "a/web.yaml", WEB)
    second = write(tmp_path, "b/web-copy.yaml", WEB)
    result = load_applications([tmp_path])
    assert len(result.apps) == 1
    (error,) = result.errors
    assert str(second) in error and f"{first}#1" in error


def test_non_applications_are_skipped_with_a_warning(tmp_path: Path) -> None:
    text = WEB + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\n"
    result = load_applications([write(tmp_path, "mixed.yaml", text)])
    assert [a.name for a in result.apps] == ["web"]
    assert result.errors == ()
    assert any("#2: skipped, not an Argo CD Application (ConfigMap, v1)" in w for w in result.warnings)


def test_json_definitions_and_json_errors(tmp_path: Path) -> None:
    import yaml

    doc = yaml.safe_load(WEB)
    write(tmp_path, "web.json", json.dumps(doc, indent=2))
    bad = write(tmp_path, "broken.json", '{\n  "kind": "Application",\n  "spec": }\n')
    result = load_applications([tmp_path])
    assert [a.name for a in result.apps] == ["web"]
    assert result.errors == (f"{bad}#1: line 3: invalid JSON: Expecting value",)


def test_unsupported_fields_are_reported_once_naming_the_apps(tmp_path: Path) -> None:
    extra = "  info:\n    - {name: docs, value: https://wiki}\n"
    write(tmp_path, "a.yaml", WEB + extra)
    write(tmp_path, "b.yaml", WEB.replace("name: web", "name: api") + extra)
    result = load_applications([tmp_path])
    assert result.errors == ()
    assert [w for w in result.warnings if "spec.info" in w] == ["spec.info is not acted on yet (apps: api, web)"]


def test_multi_source_apps_are_refused_clearly(tmp_path: Path) -> None:
    text = WEB.replace("  source:\n", "  sources:\n  - \n", 1)
    text = "\n".join(line for line in text.splitlines())
    result = load_applications([write(tmp_path, "m.yaml", text)])
    assert result.apps == ()
    assert "spec.sources (several sources) is not supported yet" in result.errors[0]


def test_missing_path_is_an_error_not_a_crash(tmp_path: Path) -> None:
    result = load_applications([tmp_path / "nope"])
    assert result.errors == (f"{tmp_path / 'nope'}: no such file or directory (given as an apps path)",)


def test_where_definitions_come_from(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Environment and working directory are process state, not a client: setting them is the test.
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(APPS_ENV, raising=False)
    config = write(tmp_path, "xdg/gitops-tui/config.yaml", "apps:\n  - ../../from-config\n")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert resolve_app_paths() == (config.parent / "../../from-config",)
    (tmp_path / "apps").mkdir()
    assert resolve_app_paths() == (Path("apps"),)
    monkeypatch.setenv(APPS_ENV, "/one:/two")
    assert resolve_app_paths() == (Path("/one"), Path("/two"))
    assert resolve_app_paths(["cli"]) == (Path("cli"),)


def test_bad_config_file_is_a_clear_error(tmp_path: Path) -> None:
    path = write(tmp_path, "config.yaml", "apps: {a: 1}\n")
    with pytest.raises(SettingsError, match="'apps' must be a path or a list of paths"):
        load_settings(path)
    write(tmp_path, "config.yaml", "apps: [\n")
    with pytest.raises(SettingsError, match="line 2: invalid YAML"):
        load_settings(path)
