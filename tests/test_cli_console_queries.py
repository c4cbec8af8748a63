"""`diff` and `status` answered by a running console (`gitops-tui watch` in its own process), byte for byte
what the one-shot path prints, on the sandbox with a real Git repository.

The console is a real `gitops-tui watch`; the CLI runs in-process through `main([...])` (output captured),
once asking the console and once with `--no-console`, and both answers must be identical.
"""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitops_tui.cli import console_client, main
from gitops_tui.cli.console_address import ConsoleAddress, address_of
from gitops_tui.cli.console_client import exchange
from gitops_tui.cluster.client import ClientSettings, ClusterClient
from gitops_tui.cluster.kubeconfig import load_kubeconfig
from gitops_tui.engine.query_protocol import NO_CONSOLE_ENV, request, socket_path
from gitops_tui.model import ResourceKey
from gitops_tui.sandbox import testing as sandbox_testing
from gitops_tui.sandbox.runtime import Sandbox
from gitops_tui.sandbox.testing import wait_until
from tests.gitrepos import GitRemote
from tests.test_cli_imports import imported_by, modules_loaded_by

sandbox_session = sandbox_testing.sandbox_session
sandbox = sandbox_testing.sandbox
"""For worlds without a console: their shop and calm would be tracked where the console's apps are not (a
console leaves such an app to the one-shot command, which would not see them), so not in the shared one."""

NAMESPACE = "served"
PASSWORD = "hunter2-console-secret"
SHOP = f"""\
apiVersion: v1
kind: ConfigMap
metadata: {{name: settings}}
data: {{LEVEL: info}}
---
apiVersion: v1
kind: Secret
metadata: {{name: creds}}
stringData: {{password: {PASSWORD}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, labels: {{app: web}}}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers: [{{name: web, image: shop/web:1.0}}]
"""
CALM = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: calm}\ndata: {MOOD: serene}\n"


def application(name: str, url: str, path: str, namespace: str) -> str:
    return (
        f"apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {{name: {name}}}\nspec:\n"
        f"  source: {{repoURL: '{url}', path: {path}}}\n"
        f"  destination: {{server: https://kubernetes.default.svc, namespace: {namespace}}}\n"
    )


class Served:
    """A Git remote with a drifted app (shop) and an in-sync one (calm), and a console watching both."""

    def __init__(self, root: Path, sandbox: Sandbox, namespace: str = NAMESPACE) -> None:
        self.root = root
        self.namespace = namespace
        self.kubeconfig = str(sandbox.kubeconfig_path)
        self.remote = GitRemote.create(root / "repo")
        self.remote.commit({"shop/all.yaml": SHOP, "calm/calm.yaml": CALM}, "shop and calm")
        self.apps = root / "apps.yaml"
        self.apps.write_text(
            application("shop", self.remote.url, "shop", namespace)
            + "---\n"
            + application("calm", self.remote.url, "calm", namespace)
        )
        # A short runtime directory: a socket path must fit in 108 bytes, pytest's temp paths may not.
        self.runtime = Path(tempfile.mkdtemp(prefix="gtq-"))
        self.env = {
            **os.environ,
            "XDG_RUNTIME_DIR": str(self.runtime),
            "XDG_CACHE_HOME": str(root / "cache"),
            "XDG_STATE_HOME": str(root / "state"),
        }
        self.env.pop(NO_CONSOLE_ENV, None)
        self.client = ClusterClient.from_kubeconfig(load_kubeconfig(self.kubeconfig), settings=ClientSettings())
        self.client.ensure_namespace(namespace)
        for text in (SHOP, CALM):
            for doc in yaml.safe_load_all(text):
                doc["metadata"]["namespace"] = namespace
                self.client.apply(doc, app="calm" if doc["metadata"]["name"] == "calm" else "shop")
        # Drift for the console to find: another client changed the ConfigMap and the Secret's value.
        self.client.apply(
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "namespace": namespace},
             "data": {"LEVEL": "debug"}}, app="shop", force=True,
        )  # fmt: skip
        self.client.apply(
            {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds", "namespace": namespace},
             "stringData": {"password": "changed-by-hand-" + PASSWORD}}, app="shop", force=True,
        )  # fmt: skip
        self.console: subprocess.Popen[str] | None = None

    def start_console(self, *options: str) -> None:
        command = [sys.executable, "-m", "gitops_tui.cli", "watch", "--apps", str(self.apps),
                   "--kubeconfig", self.kubeconfig, *options]  # fmt: skip
        self.console = subprocess.Popen(
            command, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )

    def close(self) -> None:
        if self.console is not None and self.console.poll() is None:
            self.console.terminate()
            self.console.wait(15)
        self.client.close()
        shutil.rmtree(self.runtime, ignore_errors=True)

    def address(self) -> ConsoleAddress:
        return address_of([str(self.apps)], self.kubeconfig)

    def socket(self) -> Path:
        return socket_path(self.address().key, self.env)

    def run(self, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str, str]:
        capsys.readouterr()
        code = main([*args, "--apps", str(self.apps), "--kubeconfig", self.kubeconfig])
        out, err = capsys.readouterr()
        return code, out, err, console_client.answered_by

    def both(self, capsys: pytest.CaptureFixture[str], *args: str, expect: str = "console") -> tuple[int, str, str]:
        """The console's answer, after checking the one-shot path prints exactly the same."""
        code, out, err, who = self.run(capsys, *args)
        alone = self.run(capsys, *args, "--no-console")
        assert who == expect, f"`{' '.join(args)}` was answered by {who or 'nobody'}, not {expect}"
        assert alone[3] == ("standalone" if expect else "")
        assert (code, out, err) == alone[:3]
        return code, out, err


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, sandbox_session: Sandbox) -> Iterator[Served]:
    world = Served(tmp_path_factory.mktemp("served"), sandbox_session)
    world.start_console()
    yield world
    world.close()


@pytest.fixture
def console_env(served: Served, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Served:
    """This process (the CLI) sees the same runtime, cache and state directories as the console."""
    for name in ("XDG_RUNTIME_DIR", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(name, served.env[name])
    monkeypatch.delenv(NO_CONSOLE_ENV, raising=False)

    def console_answers() -> bool:
        assert served.console is not None and served.console.poll() is None, served.console.stderr.read()
        return served.run(capsys, "status")[3] == "console"

    wait_until(console_answers, timeout=60, interval=0.2)
    return served


def test_drifted_app_diff_is_the_same_from_the_console_and_secrets_stay_masked(console_env: Served, capsys) -> None:
    code, out, err = console_env.both(capsys, "diff", "shop")
    assert code == 1, err
    assert "# ConfigMap served/settings: differs from Git" in out
    assert "-  LEVEL: debug\n+  LEVEL: info" in out
    assert "# Secret served/creds: differs from Git" in out
    assert "++++++++" in out and PASSWORD not in out + err
    side = console_env.both(capsys, "diff", "shop", "--side-by-side")
    assert side[0] == 1 and PASSWORD not in side[1]


def test_in_sync_app_and_unknown_app(console_env: Served, capsys) -> None:
    assert console_env.both(capsys, "diff", "calm") == (0, "", "")
    # The CLI reads the definitions itself, so an unknown name is its answer, before anyone is asked.
    code, out, err = console_env.both(capsys, "diff", "nope", expect="")
    assert (code, out) == (2, "") and "no app named 'nope'" in err
    code, out, err = console_env.both(capsys, "status", "calm", "nope", expect="")
    assert (code, out) == (2, "") and "no app named 'nope'" in err


def test_status_table_and_json_are_the_same_from_the_console(console_env: Served, capsys) -> None:
    code, out, _ = console_env.both(capsys, "status")
    assert code == 0 and "shop" in out and "OutOfSync" in out and "calm" in out
    code, out, _ = console_env.both(capsys, "status", "calm", "shop", "calm", "-o", "json")
    assert code == 0 and PASSWORD not in out
    code, out, _ = console_env.both(capsys, "status", "-o", "yaml")
    assert code == 0


def test_an_edited_definition_is_never_answered_from_the_console(console_env: Served, capsys) -> None:
    original = console_env.apps.read_text()
    # shop now renders calm's directory: the console still watches the old shop, so only calm is its to answer.
    console_env.apps.write_text(original.replace("path: shop", "path: calm", 1))
    try:
        console_env.both(capsys, "diff", "shop", expect="standalone")
        assert console_env.both(capsys, "diff", "calm") == (0, "", "")
        console_env.both(capsys, "status", "shop", expect="standalone")
    finally:
        console_env.apps.write_text(original)
    assert console_env.both(capsys, "diff", "shop")[0] == 1  # the same definition again: the console answers


def test_definition_warnings_come_back_from_the_console(console_env: Served, capsys) -> None:
    original = console_env.apps.read_text()
    console_env.apps.write_text(original + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: stray}\n")
    try:
        code, out, err = console_env.both(capsys, "status")
        assert code == 0 and "calm" in out
        assert "skipped, not an Argo CD Application (ConfigMap, v1)" in err
    finally:
        console_env.apps.write_text(original)


def test_secret_values_never_travel_on_the_socket(console_env: Served) -> None:
    for query, asked in (("diff", ["shop"]), ("status", [])):
        raw = exchange(str(console_env.socket()), request(console_env.address().key, query, asked), 10.0)
        assert raw["ok"] is True
        assert PASSWORD not in repr(raw)


def test_a_commit_pushed_just_before_the_question_is_seen(console_env: Served, capsys) -> None:
    console_env.remote.commit({"calm/calm.yaml": CALM.replace("serene", "restless")}, "calm gets restless")
    try:
        code, out, _ = console_env.both(capsys, "diff", "calm")
        assert code == 1 and "-  MOOD: serene\n+  MOOD: restless" in out
    finally:
        console_env.remote.commit({"calm/calm.yaml": CALM}, "calm again")


def test_the_socket_is_private(console_env: Served) -> None:
    path = console_env.socket()
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.parent == console_env.runtime / "gitops-tui"


def test_the_console_only_reads_and_refuses_what_it_cannot_vouch_for(console_env: Served) -> None:
    path = str(console_env.socket())
    base = request(console_env.address().key, "status", ["shop", "calm"])

    def ask(**change: Any) -> dict[str, Any]:
        return exchange(path, {**base, **change}, 10.0)

    assert ask(query="sync")["ok"] is False  # nothing that writes is spoken here
    assert ask(version="0.0.0-other")["ok"] is False
    assert ask(address="another-console")["ok"] is False
    assert ask(apps=["ghost"])["ok"] is False
    assert ask(query="diff", apps=["shop", "calm"])["ok"] is False  # one app per diff
    live = console_env.client.get(ResourceKey("", "ConfigMap", NAMESPACE, "settings"))
    assert live is not None and live["data"] == {"LEVEL": "debug"}  # still drifted: nothing was synced


def test_no_console_env_and_revision_work_it_out_alone(console_env: Served, capsys, monkeypatch) -> None:
    sha = console_env.remote.sha()
    assert console_env.run(capsys, "diff", "shop", "--revision", sha)[3] == "standalone"
    monkeypatch.setenv(NO_CONSOLE_ENV, "1")
    assert console_env.run(capsys, "diff", "shop")[3] == "standalone"


def test_other_apps_source_is_not_answered_by_this_console(console_env: Served, capsys, tmp_path: Path) -> None:
    other = tmp_path / "other-apps.yaml"
    other.write_text(console_env.apps.read_text())
    capsys.readouterr()
    code = main(["diff", "calm", "--apps", str(other), "--kubeconfig", console_env.kubeconfig])
    assert code == 0 and console_client.answered_by == "standalone"


def test_a_stale_socket_file_falls_back(tmp_path: Path, sandbox: Sandbox, capsys, monkeypatch) -> None:
    world = Served(tmp_path, sandbox, namespace="stale")
    for name in ("XDG_RUNTIME_DIR", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(name, world.env[name])
    path = world.socket()
    path.parent.mkdir(mode=0o700)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as dead:
        dead.bind(str(path))  # a console that died without removing its socket
    code, out, err, who = world.run(capsys, "diff", "calm")
    world.close()
    assert (code, out, who) == (0, "", "standalone"), err


def test_answered_by_the_console_the_cli_loads_no_client_library(console_env: Served) -> None:
    # The fast path's whole point: no kubernetes client, GitPython, textual, deepdiff or asyncio to import.
    args = ("diff", "shop", "--apps", str(console_env.apps), "--kubeconfig", console_env.kubeconfig)
    assert imported_by(*args, env=console_env.env) == set()
    assert imported_by(*args, "--no-console", env=console_env.env) >= {"kubernetes", "git"}  # the probe sees them
    # Nor the CLI's own parsing: the definitions, the config file and the kubeconfig are the console's to read.
    heavy_for_a_question = {"argparse", "yaml", "dataclasses", "gitops_tui.model", "gitops_tui.config",
                            "gitops_tui.cluster.kubeconfig", "gitops_tui.cli.common"}  # fmt: skip
    for command in (args, ("status", *args[2:]), ("status", "shop", "calm", "-o", "json", *args[2:])):
        assert modules_loaded_by(*command, env=console_env.env) & heavy_for_a_question == set(), command
    assert "yaml" in modules_loaded_by(*args, "--no-console", env=console_env.env)  # the probe sees them


def test_a_console_that_does_not_answer_in_time_falls_back(
    tmp_path: Path, sandbox: Sandbox, capsys, monkeypatch
) -> None:
    world = Served(tmp_path, sandbox, namespace="hung")
    for name in ("XDG_RUNTIME_DIR", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(name, world.env[name])
    monkeypatch.setenv("GITOPS_TUI_CONSOLE_TIMEOUT", "0.3")
    path = world.socket()
    path.parent.mkdir(mode=0o700)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as hung:
        hung.bind(str(path))
        hung.listen()  # accepts the connection (the kernel does), never answers
        code, out, err, who = world.run(capsys, "diff", "calm")
    world.close()
    assert (code, out, who) == (0, "", "standalone"), err
