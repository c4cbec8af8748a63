"""Kubeconfig merging (kubectl's rules) and Application destination → context mapping: pure, temp files only."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitops_tui.cluster.errors import DestinationError, KubeconfigError
from gitops_tui.cluster.kubeconfig import KubeConfig, kubeconfig_paths, load_kubeconfig, normalize_server


def write(
    path: Path,
    clusters: dict[str, str],
    contexts: dict[str, tuple[str, str]],
    users: dict[str, Any],
    current: str | None = None,
) -> Path:
    doc: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": n, "cluster": {"server": s}} for n, s in clusters.items()],
        "contexts": [{"name": n, "context": {"cluster": c, "user": u}} for n, (c, u) in contexts.items()],
        "users": [{"name": n, "user": u} for n, u in users.items()],
    }
    if current:
        doc["current-context"] = current
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(doc))
    return path


@pytest.fixture
def two_files(tmp_path: Path) -> tuple[Path, Path]:
    first = write(
        tmp_path / "a" / "config",
        {"prod": "https://prod.example.com:6443", "shared": "https://first.example.com"},
        {"prod-eu": ("prod", "alice"), "shared-ctx": ("shared", "alice")},
        {"alice": {"token": "from-first", "client-certificate": "certs/alice.crt"}},
    )
    second = write(
        tmp_path / "b" / "config",
        {"shared": "https://second.example.com", "staging": "https://staging.example.com/"},
        {"shared-ctx": ("staging", "bob"), "staging": ("staging", "bob")},
        {"alice": {"token": "from-second"}, "bob": {"token": "b"}},
        current="staging",
    )
    return first, second


def kubeconfig_env(*paths: Path) -> dict[str, str]:
    return {"KUBECONFIG": os.pathsep.join(str(p) for p in paths)}


def test_first_occurrence_of_each_name_wins(two_files: tuple[Path, Path]) -> None:
    config = load_kubeconfig(env=kubeconfig_env(*two_files))
    names = {c.name: c for c in config.contexts()}
    assert set(names) == {"prod-eu", "shared-ctx", "staging"}
    assert names["shared-ctx"].server == "https://first.example.com"  # cluster and context from file one
    assert names["shared-ctx"].user == "alice"
    users = {u["name"]: u["user"] for u in config.data["users"]}
    assert users["alice"]["token"] == "from-first"
    assert config.sources == tuple(str(p) for p in two_files)


def test_current_context_comes_from_the_first_file_that_sets_one(two_files: tuple[Path, Path], tmp_path: Path) -> None:
    assert load_kubeconfig(env=kubeconfig_env(*two_files)).current_context == "staging"
    third = write(tmp_path / "c" / "config", {}, {}, {}, current="prod-eu")
    assert load_kubeconfig(env=kubeconfig_env(third, *two_files)).current_context == "prod-eu"


def test_relative_paths_are_resolved_against_their_own_file(two_files: tuple[Path, Path]) -> None:
    config = load_kubeconfig(env=kubeconfig_env(*two_files))
    alice = next(u["user"] for u in config.data["users"] if u["name"] == "alice")
    assert alice["client-certificate"] == str((two_files[0].parent / "certs" / "alice.crt").resolve())


def test_missing_files_in_the_list_are_skipped_and_duplicates_count_once(
    two_files: tuple[Path, Path], tmp_path: Path
) -> None:
    env = kubeconfig_env(tmp_path / "nope", two_files[1], two_files[1])
    assert kubeconfig_paths(env=env) == [two_files[1]]


def test_explicit_path_beats_the_environment_and_must_exist(two_files: tuple[Path, Path], tmp_path: Path) -> None:
    config = load_kubeconfig(two_files[0], env=kubeconfig_env(two_files[1]))
    assert {c.name for c in config.contexts()} == {"prod-eu", "shared-ctx"}
    with pytest.raises(KubeconfigError, match="does not exist"):
        load_kubeconfig(tmp_path / "missing", env={})


def test_home_default_and_in_cluster_fallback(two_files: tuple[Path, Path], tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".kube").mkdir(parents=True)
    (home / ".kube" / "config").write_text(two_files[1].read_text())
    assert load_kubeconfig(env={}, home=home).current_context == "staging"
    empty_home = tmp_path / "empty"
    in_cluster = load_kubeconfig(env={"KUBERNETES_SERVICE_HOST": "10.0.0.1"}, home=empty_home)
    assert in_cluster.in_cluster and in_cluster.current_context == "in-cluster"
    with pytest.raises(KubeconfigError, match="no kubeconfig found"):
        load_kubeconfig(env={}, home=empty_home)


def test_context_flag_selects_and_is_validated(two_files: tuple[Path, Path]) -> None:
    env = kubeconfig_env(*two_files)
    assert load_kubeconfig(env=env, context="prod-eu").current_context == "prod-eu"
    with pytest.raises(KubeconfigError, match=r"context 'nope' not found.*known contexts: prod-eu"):
        load_kubeconfig(env=env, context="nope")


def test_unreadable_file_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.write_text("clusters: [unclosed")
    with pytest.raises(KubeconfigError, match=str(bad)):
        load_kubeconfig(bad, env={})


# ---- destinations ----------------------------------------------------------------------------------------


@pytest.fixture
def config(two_files: tuple[Path, Path]) -> KubeConfig:
    return load_kubeconfig(env=kubeconfig_env(*two_files))


def test_destination_server_maps_to_the_context_of_that_cluster(config: KubeConfig) -> None:
    assert config.context_for_destination(server="https://prod.example.com:6443") == "prod-eu"
    assert config.context_for_destination(server="https://PROD.example.com:6443/") == "prod-eu"


def test_shared_server_prefers_the_current_context_then_file_order() -> None:
    data = {
        "clusters": [{"name": "prod", "cluster": {"server": "https://prod.example.com"}}],
        "contexts": [
            {"name": "prod-view", "context": {"cluster": "prod", "user": "viewer"}},
            {"name": "prod-admin", "context": {"cluster": "prod", "user": "admin"}},
            {"name": "other", "context": {"cluster": "none", "user": "x"}},
        ],
        "users": [],
    }
    assert KubeConfig(data, "prod-admin").context_for_destination(server="https://prod.example.com") == "prod-admin"
    assert KubeConfig(data, "other").context_for_destination(server="https://prod.example.com") == "prod-view"
    assert KubeConfig(data, "prod-admin").context_for_destination(name="prod") == "prod-admin"


def test_in_cluster_server_means_the_current_context(config: KubeConfig) -> None:
    assert config.context_for_destination(server="https://kubernetes.default.svc") == "staging"
    assert (
        config.with_current_context("prod-eu").context_for_destination(server="https://kubernetes.default.svc/")
        == "prod-eu"
    )


def test_destination_name_matches_context_then_cluster(config: KubeConfig) -> None:
    assert config.context_for_destination(name="prod-eu") == "prod-eu"
    assert config.context_for_destination(name="prod") == "prod-eu"  # a cluster name
    assert config.context_for_destination(name="in-cluster") == "staging"


def test_unmappable_destinations_are_clear_errors(config: KubeConfig) -> None:
    with pytest.raises(DestinationError, match=r"no kubeconfig context for destination server https://x\.example"):
        config.context_for_destination(server="https://x.example")
    with pytest.raises(DestinationError, match="no kubeconfig context or cluster named 'mars'"):
        config.context_for_destination(name="mars")
    with pytest.raises(DestinationError, match="both server"):
        config.context_for_destination(server="https://prod.example.com:6443", name="prod-eu")


@pytest.mark.parametrize(
    ("url", "normal"),
    [
        ("https://Host.example:443/", "https://host.example"),
        ("https://host.example:6443", "https://host.example:6443"),
        ("http://127.0.0.1:80/base/", "http://127.0.0.1/base"),
    ],
)
def test_server_urls_are_normalised(url: str, normal: str) -> None:
    assert normalize_server(url) == normal
