"""`argocdCM:` in the configuration file names the argocd-cm whose Lua health checks every command uses."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_tui.cli import main
from tests.test_cli_health_lua import ARGOCD_CM, WIDGETS, health_rows


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("GITOPS_TUI_ARGOCD_CM", raising=False)
    (tmp_path / "argocd-cm.yaml").write_text(ARGOCD_CM)
    (tmp_path / "widgets.yaml").write_text(WIDGETS)
    path = tmp_path / "config" / "gitops-tui" / "config.yaml"
    path.parent.mkdir(parents=True)
    return path


def test_the_config_file_names_the_file_relative_to_itself(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config.write_text("argocdCM: ../../argocd-cm.yaml\n")
    assert main(["health", str(config.parents[2] / "widgets.yaml")]) == 0
    assert health_rows(capsys.readouterr().out)[0] == ["Widget/shop/ready", "Healthy", "Widget is ready"]


def test_the_option_wins_over_the_config_file(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config.write_text("argocdCM: nowhere.yaml\n")
    other = config.parents[2] / "other-cm.yaml"
    other.write_text("resource.customizations.health.example.com_Widget: return {status = 'Suspended'}\n")
    assert main(["health", "--argocd-cm", str(other), str(config.parents[2] / "widgets.yaml")]) == 0
    assert health_rows(capsys.readouterr().out)[0][:2] == ["Widget/shop/ready", "Suspended"]


def test_a_wrong_value_in_the_config_file_is_a_clear_error(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config.write_text("argocdCM: [a, b]\n")
    assert main(["health", str(config.parents[2] / "widgets.yaml")]) == 2
    assert f"error: {config}: 'argocdCM' must be the path of an argocd-cm ConfigMap file" in capsys.readouterr().err


def test_cluster_in_the_config_file_is_not_a_path(config: Path) -> None:
    from gitops_tui.config import load_settings

    config.write_text("argocdCM: cluster:argocd/argocd-cm\n")
    assert str(load_settings(config).argocd_cm) == "cluster:argocd/argocd-cm"
