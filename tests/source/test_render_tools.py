"""Kustomize and Helm apps: real kubectl/kustomize where installed, binaries looked up on a PATH we control."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitops_tui.model import (
    AppSource,
    AppSpec,
    Destination,
    HelmParameter,
    HelmSource,
    KustomizeSource,
)
from gitops_tui.source.git import MirrorPool
from gitops_tui.source.helm import helm_command
from gitops_tui.source.kustomize import parse_image
from gitops_tui.source.render import Renderer, RenderError
from gitops_tui.source.tools import ToolFailure
from tests.gitrepos import GitRemote, Symlink

HAS_KUSTOMIZE = bool(shutil.which("kustomize") or shutil.which("kubectl"))
needs_kustomize = pytest.mark.skipif(not HAS_KUSTOMIZE, reason="neither kustomize nor kubectl is installed")

BASE = {
    "base/kustomization.yaml": "resources:\n- deploy.yaml\n- svc.yaml\n",
    "base/deploy.yaml": (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n"
        "  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n"
        "    spec:\n      containers:\n      - {name: web, image: nginx:1.25}\n"
    ),
    "base/svc.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports: [{port: 80}]\n",
    "overlays/prod/kustomization.yaml": (
        "resources:\n- ../../base\nnamespace: prod\npatches:\n- target: {kind: Deployment, name: web}\n"
        "  patch: |\n    - op: replace\n      path: /spec/replicas\n      value: 3\n"
    ),
}
CHART = {
    "chart/Chart.yaml": "apiVersion: v2\nname: demo\nversion: 0.1.0\n",
    "chart/values.yaml": "replicas: 1\n",
    "chart/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n",
}


def make_app(remote: GitRemote, path: str, **source: Any) -> AppSpec:
    return AppSpec(
        name="web",
        source=AppSource(repo_url=remote.url, path=path, **source),
        destination=Destination(namespace="prod"),
    )


def commit_and_fetch(pool: MirrorPool, remote: GitRemote, files: dict[str, Any]) -> str:
    sha = remote.commit(files)
    pool.get(remote.url).fetch()
    return sha


@pytest.fixture
def empty_bin(tmp_path: Path) -> str:
    """A PATH with nothing on it: every tool is missing."""
    path = tmp_path / "empty-bin"
    path.mkdir()
    return str(path)


@needs_kustomize
class TestKustomize:
    def test_overlay_on_a_base(self, pool: MirrorPool, remote: GitRemote) -> None:
        sha = commit_and_fetch(pool, remote, BASE)
        result = Renderer(pool).render(make_app(remote, "overlays/prod"), sha)
        by_kind = {obj["kind"]: obj for obj in result.objects}
        assert set(by_kind) == {"Deployment", "Service"}
        assert by_kind["Deployment"]["spec"]["replicas"] == 3
        assert {obj["metadata"]["namespace"] for obj in result.objects} == {"prod"}
        assert result.source_type == "kustomize" and result.commit == sha

    def test_app_options(self, pool: MirrorPool, remote: GitRemote) -> None:
        sha = commit_and_fetch(pool, remote, BASE)
        options = KustomizeSource(
            name_prefix="p-", name_suffix="-s", common_labels={"team": "a"}, images=("nginx=registry.test/nginx:1.26",)
        )
        result = Renderer(pool).render(make_app(remote, "base", kustomize=options), sha)
        deploy = next(obj for obj in result.objects if obj["kind"] == "Deployment")
        assert deploy["metadata"]["name"] == "p-web-s"
        assert deploy["metadata"]["labels"] == {"team": "a"}
        assert deploy["spec"]["template"]["spec"]["containers"][0]["image"] == "registry.test/nginx:1.26"

    def test_kustomize_error_is_reported(self, pool: MirrorPool, remote: GitRemote) -> None:
        sha = commit_and_fetch(pool, remote, {"k/kustomization.yaml": "resources:\n- missing.yaml\n"})
        with pytest.raises(RenderError, match=r"^app 'web': (kubectl|kustomize) failed: "):
            Renderer(pool).render(make_app(remote, "k"), sha)

    def test_escaping_symlink_anywhere_in_the_tree_is_refused(self, pool: MirrorPool, remote: GitRemote) -> None:
        sha = commit_and_fetch(pool, remote, {**BASE, "elsewhere/steal.yaml": Symlink("/etc/passwd")})
        with pytest.raises(RenderError, match=r"symlink 'elsewhere/steal\.yaml' -> '/etc/passwd' points outside"):
            Renderer(pool).render(make_app(remote, "overlays/prod"), sha)

    def test_timeout(self, pool: MirrorPool, remote: GitRemote, tmp_path: Path) -> None:
        never = tmp_path / "never-written"
        os.mkfifo(never)
        bin_dir = tmp_path / "slow-bin"
        bin_dir.mkdir()
        slow = bin_dir / "kustomize"
        slow.write_text(f'#!/bin/sh\ncat "{never}"\n')
        slow.chmod(0o755)
        sha = commit_and_fetch(pool, remote, BASE)
        renderer = Renderer(pool, timeout=0.5, binaries_path=str(bin_dir))
        with pytest.raises(RenderError, match="kustomize did not finish within"):
            renderer.render(make_app(remote, "base"), sha)


def test_standalone_kustomize_is_preferred(pool: MirrorPool, remote: GitRemote, tmp_path: Path) -> None:
    bin_dir = tmp_path / "both-bin"
    bin_dir.mkdir()
    for name in ("kustomize", "kubectl"):
        tool = bin_dir / name
        tool.write_text(f"#!/bin/sh\necho 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: by-{name}'\n")
        tool.chmod(0o755)
    sha = commit_and_fetch(pool, remote, BASE)
    result = Renderer(pool, binaries_path=str(bin_dir)).render(make_app(remote, "base"), sha)
    assert [obj["metadata"]["name"] for obj in result.objects] == ["by-kustomize"]
    (bin_dir / "kustomize").unlink()
    result = Renderer(pool, binaries_path=str(bin_dir)).render(make_app(remote, "base"), sha)
    assert [obj["metadata"]["name"] for obj in result.objects] == ["by-kubectl"]


def test_kustomize_without_binaries(pool: MirrorPool, remote: GitRemote, empty_bin: str) -> None:
    sha = commit_and_fetch(pool, remote, BASE)
    with pytest.raises(RenderError) as caught:
        Renderer(pool, binaries_path=empty_bin).render(make_app(remote, "base"), sha)
    assert caught.value.message.startswith("app 'web': neither kustomize nor kubectl was found")
    assert "install kustomize" in caught.value.message


def test_helm_missing_is_a_clear_error(pool: MirrorPool, remote: GitRemote, empty_bin: str) -> None:
    sha = commit_and_fetch(pool, remote, CHART)
    with pytest.raises(RenderError) as caught:
        Renderer(pool, binaries_path=empty_bin).render(make_app(remote, "chart"), sha)
    message = caught.value.message
    assert message.startswith("app 'web': the Helm chart at 'chart' needs the helm binary")
    assert "install Helm 3 and put it on PATH" in message


def test_tool_output_is_parsed_and_capped(pool: MirrorPool, remote: GitRemote, tmp_path: Path) -> None:
    """A stand-in `helm` (a real program on a PATH we control) prints a manifest stream."""
    bin_dir = tmp_path / "fake-helm-bin"
    bin_dir.mkdir()
    helm = bin_dir / "helm"
    stream = "---\n# Source: demo/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"
    helm.write_text(f"#!/bin/sh\ncat <<'EOF'\n{stream}EOF\necho \"$@\" >&2\n")
    helm.chmod(0o755)
    sha = commit_and_fetch(pool, remote, CHART)
    result = Renderer(pool, binaries_path=str(bin_dir)).render(make_app(remote, "chart"), sha)
    assert [obj["metadata"]["name"] for obj in result.objects] == ["web"]
    assert result.source_type == "helm"
    with pytest.raises(RenderError, match="helm output is larger than"):
        Renderer(pool, binaries_path=str(bin_dir), max_output_bytes=10).render(make_app(remote, "chart"), sha)


class TestHelmCommand:
    def test_arguments(self, tmp_path: Path) -> None:
        tree, scratch = tmp_path / "tree", tmp_path / "scratch"
        (tree / "chart").mkdir(parents=True)
        scratch.mkdir()
        (tree / "chart/values-prod.yaml").write_text("a: 1\n")
        (tree / "shared.yaml").write_text("b: 1\n")
        source = HelmSource(
            value_files=("values-prod.yaml", "../shared.yaml", "https://example.test/v.yaml"),
            values="inline: true\n",
            values_object={"obj": {"x": 1}},
            parameters=(HelmParameter("image.tag", "1.2"), HelmParameter("port", "80", force_string=True)),
        )
        args = helm_command(
            "/bin/helm", release="web", namespace="prod", chart_path="chart", tree=tree, scratch=scratch, source=source
        )
        assert args == [
            "/bin/helm",
            "template",
            "web",
            str(tree / "chart"),
            "--include-crds",
            "--namespace=prod",
            f"--values={tree / 'chart/values-prod.yaml'}",
            f"--values={tree / 'shared.yaml'}",
            "--values=https://example.test/v.yaml",
            f"--values={scratch / 'values-object.json'}",
            "--set=image.tag=1.2",
            "--set-string=port=80",
        ]
        assert yaml.safe_load((scratch / "values-object.json").read_text()) == {"obj": {"x": 1}}

    def test_inline_values_without_values_object(self, tmp_path: Path) -> None:
        args = helm_command(
            "helm",
            release="web",
            namespace="",
            chart_path="",
            tree=tmp_path,
            scratch=tmp_path,
            source=HelmSource(values="a: 1\n"),
        )
        assert args[-1] == f"--values={tmp_path / 'values-inline.yaml'}"
        assert (tmp_path / "values-inline.yaml").read_text() == "a: 1\n"

    @pytest.mark.parametrize(
        ("source", "problem"),
        [
            (HelmSource(value_files=("../../../etc/passwd",)), "leaves the repository"),
            (HelmSource(value_files=("nope.yaml",)), "does not exist"),
            (HelmSource(release_name="--post-renderer=x"), "not a valid Helm release name"),
        ],
    )
    def test_refusals(self, tmp_path: Path, source: HelmSource, problem: str) -> None:
        with pytest.raises(ToolFailure, match=problem):
            helm_command(
                "helm",
                release=source.release_name or "web",
                namespace="",
                chart_path="chart",
                tree=tmp_path,
                scratch=tmp_path,
                source=source,
            )


@pytest.mark.parametrize(
    ("spec", "entry"),
    [
        ("nginx=registry.test/nginx:1.26", {"name": "nginx", "newName": "registry.test/nginx", "newTag": "1.26"}),
        ("nginx:1.26", {"name": "nginx", "newTag": "1.26"}),
        ("nginx@sha256:abc", {"name": "nginx", "digest": "sha256:abc"}),
        ("localhost:5000/app", {"name": "localhost:5000/app"}),
    ],
)
def test_parse_image(spec: str, entry: dict[str, str]) -> None:
    assert parse_image(spec) == entry
