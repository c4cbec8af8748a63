"""The write commands end to end: `sync`, `history`, `rollback`, `watch` on a sandbox with controllers and a
real Git repository, through `main([...])` as a user would type them (in-process, so output is captured)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gitops_tui.cli import main
from gitops_tui.cluster.client import ClientSettings, ClusterClient
from gitops_tui.cluster.kubeconfig import load_kubeconfig
from gitops_tui.model import ResourceKey
from gitops_tui.sandbox.runtime import Sandbox
from tests.gitrepos import GitRemote

NAMESPACE = "shop"


def configmap(name: str, level: str) -> str:
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata: {{LEVEL: '{level}'}}\n"


def application(name: str, url: str, path: str = "shop") -> str:
    return f"""\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {{name: {name}}}
spec:
  source: {{repoURL: '{url}', targetRevision: main, path: {path}}}
  destination: {{server: https://kubernetes.default.svc, namespace: {NAMESPACE}}}
"""


class World:
    def __init__(self, tmp_path: Path, sandbox: Sandbox) -> None:
        self.remote = GitRemote.create(tmp_path / "repo")
        self.kubeconfig = str(sandbox.kubeconfig_path)
        self.apps = tmp_path / "apps"
        self.apps.mkdir()
        (self.apps / "shop.yaml").write_text(application("shop", self.remote.url))
        self.client = ClusterClient.from_kubeconfig(
            load_kubeconfig(sandbox.kubeconfig_path), settings=ClientSettings(connect_timeout=2.0, read_timeout=10.0)
        )
        self.client.ensure_namespace(NAMESPACE)

    def run(self, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
        code = main([*args, "--apps", str(self.apps), "--kubeconfig", self.kubeconfig])
        out, err = capsys.readouterr()
        return code, out, err

    def level(self, name: str = "settings") -> Any:
        found = self.client.get(ResourceKey("", "ConfigMap", NAMESPACE, name))
        return found["data"]["LEVEL"] if found else None


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    # Mirrors, local locks and history fall back under these: keep them in the test's own directory.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    with Sandbox(controllers=True, speed=40, bookmark_interval=0.2) as sandbox:
        built = World(tmp_path, sandbox)
        yield built
        built.client.close()


def test_sync_dry_run_history_and_rollback(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    first = world.remote.commit({"shop/settings.yaml": configmap("settings", "info")}, "info level")

    code, out, err = world.run(capsys, "sync", "shop", "--dry-run")
    assert code == 0, err
    assert "Plan:" in out and "create" in out and "ConfigMap shop/settings" in out
    assert world.level() is None  # a dry run writes nothing

    code, out, err = world.run(capsys, "sync", "shop")
    assert code == 0, err
    assert "created    ConfigMap shop/settings" in out and "Succeeded" in out
    assert world.level() == "info"

    code, out, err = world.run(capsys, "history", "shop")
    assert code == 0, err
    assert first[:7] in out and "info level" in out

    world.remote.commit({"shop/settings.yaml": configmap("settings", "debug")}, "debug level")
    code, out, err = world.run(capsys, "sync", "shop")
    assert code == 0, err
    assert world.level() == "debug"

    code, out, err = world.run(capsys, "rollback", "shop", "1")
    assert code == 0, err
    assert first[:7] in out and "will be paused" in out and "auto-sync paused" in out
    assert world.level() == "info"

    code, out, err = world.run(capsys, "history", "shop", "-o", "json")
    assert code == 0, err
    assert out.count('"revision"') == 3 and out.rstrip().endswith("}")


def test_refusals_are_one_line_and_exit_2(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    world.remote.commit({"shop/settings.yaml": configmap("settings", "info")}, "info level")

    code, _, err = world.run(capsys, "sync", "shop", "--read-only")
    assert code == 2
    assert err.startswith("error: read-only mode: refusing to sync shop") and err.count("\n") == 1
    assert world.level() is None

    code, _, err = world.run(capsys, "sync", "shop", "--prune")  # pytest's stdin is not a terminal
    assert code == 2 and "refusing to prune without --yes" in err
    assert world.level() is None

    code, _, err = world.run(capsys, "autosync", "shop", "off", "--read-only")
    assert code == 2 and "read-only mode" in err

    code, _, err = world.run(capsys, "sync", "shop", "--resource", "ConfigMap/settings")
    assert code == 2 and "expected GROUP/KIND/NAMESPACE/NAME" in err

    code, _, err = world.run(capsys, "sync", "nope")
    assert code == 2 and "no app named 'nope'" in err

    code, _, err = world.run(capsys, "rollback", "shop")  # nothing deployed yet: nothing to go back to
    assert code == 2 and err.startswith("error: shop: no previous deployment") and "Traceback" not in err


def test_watch_prints_events_and_stops_by_itself(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    world.remote.commit({"shop/settings.yaml": configmap("settings", "info")}, "info level")
    # An app whose repository does not exist records an error event as soon as it is polled.
    (world.apps / "broken.yaml").write_text(application("broken", "file:///nonexistent/repo.git"))

    code, out, err = world.run(capsys, "watch", "--for", "2")
    assert code == 0, err
    lines = [line for line in out.splitlines() if line.strip()]
    assert any(" broken Error " in line for line in lines), out
    hh_mm_ss = lines[0].split(" ", 1)[0]
    assert len(hh_mm_ss) == 8 and hh_mm_ss.count(":") == 2


async def test_the_console_wiring_names_a_running_operation_and_gives_leases_back(world: World) -> None:
    from gitops_tui.engine.console import build_reconciler
    from gitops_tui.engine.lease import LeaseManager
    from gitops_tui.engine.operations import OperationInProgressError
    from gitops_tui.engine.sync import SyncRunner
    from gitops_tui.model import AppSource, AppSpec, Destination

    world.remote.commit({"shop/settings.yaml": configmap("settings", "info")}, "info level")
    spec = AppSpec(
        "shop", AppSource(world.remote.url, "shop"), Destination("https://kubernetes.default.svc", "", NAMESPACE)
    )
    reconciler = build_reconciler([spec], load_kubeconfig(world.kubeconfig))
    assert isinstance(reconciler._executor, SyncRunner) and reconciler._executor.leases is not None
    await reconciler.start()
    try:
        await reconciler.refresh("shop")
        first = await reconciler.sync("shop")
        with pytest.raises(OperationInProgressError, match=rf"sync #{first.id} to {first.revision[:7]} \(user"):
            await reconciler.sync("shop")
        await reconciler.settled("shop")
        assert [e.revision for e in await reconciler.history("shop")] == [first.revision]
    finally:
        await reconciler.stop()
    holder = await LeaseManager().holder(world.client, "shop")
    assert holder is None or not holder.identity, holder  # released, not left to expire
