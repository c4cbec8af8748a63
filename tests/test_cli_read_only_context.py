"""The one-shot write commands honour the config file's read-only contexts, as the console does."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gitops_tui.sandbox.runtime import Sandbox
from tests.test_cli_sync import World, configmap


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    with Sandbox() as sandbox:
        built = World(tmp_path, sandbox)
        yield built
        built.client.close()


def read_only_sandbox(tmp_path: Path) -> Path:
    path = tmp_path / "config" / "gitops-tui" / "config.yaml"
    path.parent.mkdir(parents=True)
    path.write_text("contexts:\n  sandbox: {readOnly: true}\n")  # the sandbox kubeconfig's context
    return path


def test_sync_and_autosync_refuse_on_a_read_only_context(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world.remote.commit({"shop/settings.yaml": configmap("settings", "info")}, "info level")
    config = read_only_sandbox(tmp_path)
    why = f"read-only: context sandbox is read-only in {config}"

    code, _, err = world.run(capsys, "sync", "shop")
    assert code == 2 and err.startswith(f"error: {why}: refusing to sync shop")
    assert world.level() is None

    code, _, err = world.run(capsys, "autosync", "shop", "off")
    assert code == 2 and err.startswith(f"error: {why}: refusing to switch auto-sync off for shop")

    code, _, _ = world.run(capsys, "sync", "shop", "--dry-run")  # a dry run writes nothing: allowed
    assert code == 0 and world.level() is None

    config.write_text("contexts:\n  sandbox: {readOnly: false}\n")
    code, _, _ = world.run(capsys, "sync", "shop")
    assert code == 0 and world.level() == "info"
