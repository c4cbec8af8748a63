"""Which context a console answers for, and health checks it read from the cluster, with real consoles.

A command without `--context` uses the kubeconfig's current context, so a console started with `--context`
naming it answers the command (and one started without `--context` answers `--context` naming its current
context); when the contexts differ the command works it out alone. A console whose health checks came from
`--argocd-cm cluster:` judges with the checks it read at start: it reads the ConfigMap again before each
answer and answers only while they are the ones a one-shot command would read. And an object an app
tracks where a one-shot command does not look (another namespace) is left to the command too.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitops_tui.cli.console_address import address_of
from gitops_tui.cli.console_client import exchange
from gitops_tui.engine.query_protocol import NO_CONSOLE_ENV, request, socket_path
from gitops_tui.sandbox import testing as sandbox_testing
from gitops_tui.sandbox.kubeconfig import CONTEXT
from gitops_tui.sandbox.runtime import Sandbox
from gitops_tui.sandbox.testing import wait_until
from tests.test_cli_console_queries import Served

sandbox = sandbox_testing.sandbox

OTHER = "elsewhere"
"""A second context on the same cluster: the same answers, but not the context the console watches."""


def two_contexts(sandbox: Sandbox, path: Path, current: str = CONTEXT) -> Path:
    document = yaml.safe_load(sandbox.kubeconfig_path.read_text())
    watched = document["contexts"][0]
    document["contexts"].append({"name": OTHER, "context": dict(watched["context"])})
    document["current-context"] = current
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def health_checks(namespace: str, verdict: str) -> dict[str, Any]:
    """An argocd-cm whose check says `verdict` of every ConfigMap (calm holds one, and nothing else)."""
    script = f'return {{status = "{verdict}", message = "the argocd-cm says {verdict}"}}'
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "argocd-cm", "namespace": namespace},
            "data": {"resource.customizations.health.ConfigMap": script}}  # fmt: skip


def console(world: Served, monkeypatch: pytest.MonkeyPatch, *options: str) -> Served:
    """`world` with a console started with these options; this process sees its runtime directories."""
    for name in ("XDG_RUNTIME_DIR", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(name, world.env[name])
    monkeypatch.delenv(NO_CONSOLE_ENV, raising=False)
    world.start_console(*options)
    return world


def wait_for_answers(world: Served, capsys: pytest.CaptureFixture[str], *args: str) -> None:
    def answers() -> bool:
        assert world.console is not None and world.console.poll() is None, world.console.stderr.read()
        return world.run(capsys, "status", *args)[3] == "console"

    wait_until(answers, timeout=60, interval=0.2)


def ask(world: Served, *apps: str, console_context: str = "", context: str = "", argocd_cm: str = "") -> Any:
    """The console's raw reply to `status` from a command with this --context ("": none)."""
    key = address_of([str(world.apps)], world.kubeconfig, console_context, argocd_cm).key
    return exchange(str(socket_path(key)), request(key, "status", apps, context=context), 10.0)


@pytest.fixture
def world(tmp_path: Path, sandbox: Sandbox) -> Iterator[Served]:
    """A sandbox of its own: objects other tests track as shop or calm would be the console's to list too."""
    made = Served(tmp_path, sandbox, namespace="contexts")
    made.kubeconfig = str(two_contexts(sandbox, tmp_path / "kubeconfig"))
    yield made
    made.close()


def test_a_console_with_the_current_context_answers_commands_without_one(world: Served, capsys, monkeypatch) -> None:
    console(world, monkeypatch, "--context", CONTEXT)
    wait_for_answers(world, capsys, "--context", CONTEXT)
    # No --context: the kubeconfig's current context, which is the one the console watches.
    code, out, _ = world.both(capsys, "status")
    assert code == 0 and "shop" in out and "calm" in out
    assert world.both(capsys, "diff", "shop")[0] == 1
    # Another context (of the same cluster, so the same answer): not the console's to answer.
    world.both(capsys, "status", "--context", OTHER, expect="standalone")

    # The kubeconfig now names the other context current: a command without --context would use that one.
    kubeconfig = Path(world.kubeconfig)
    written = kubeconfig.read_text()
    kubeconfig.write_text(written.replace(f"current-context: {CONTEXT}", f"current-context: {OTHER}"))
    try:
        world.both(capsys, "status", expect="standalone")
        # Asked directly, as a command that guessed the console's context would ask: refused, and why.
        reply = ask(world, console_context=CONTEXT, context="")
        assert reply["ok"] is False and f"would use context {OTHER}" in reply["reason"]
        assert world.both(capsys, "status", "--context", CONTEXT)[0] == 0  # its own context: still answered
    finally:
        kubeconfig.write_text(written)
    assert world.both(capsys, "diff", "shop")[0] == 1  # current again: the console answers


def test_a_console_without_context_answers_its_current_context(world: Served, capsys, monkeypatch) -> None:
    console(world, monkeypatch)
    wait_for_answers(world, capsys)
    code, out, _ = world.both(capsys, "status", "--context", CONTEXT)
    assert code == 0 and "shop" in out
    assert world.both(capsys, "diff", "shop", "--context", CONTEXT)[0] == 1
    world.both(capsys, "diff", "shop", "--context", OTHER, expect="standalone")
    reply = ask(world, context=OTHER)
    assert reply["ok"] is False
    assert f"the command would use context {OTHER}; this console watches {CONTEXT}" in reply["reason"]


def test_health_checks_read_from_the_cluster_are_read_again_before_each_answer(
    world: Served, capsys, monkeypatch
) -> None:
    pytest.importorskip("lupa")
    source = f"cluster:{world.namespace}/argocd-cm"
    world.client.apply(health_checks(world.namespace, "Degraded"))
    console(world, monkeypatch, "--argocd-cm", source)
    wait_for_answers(world, capsys, "--argocd-cm", source)
    out = world.both(capsys, "status", "calm", "--argocd-cm", source)[1]
    assert "Degraded" in out, out

    # Edited after the console read it: the console still judges with the old checks, so it must not answer.
    world.client.apply(health_checks(world.namespace, "Suspended"), force=True)
    out = world.both(capsys, "status", "calm", "--argocd-cm", source, expect="standalone")[1]
    assert "Suspended" in out and "Degraded" not in out, out
    reply = ask(world, "calm", argocd_cm=source)
    assert reply["ok"] is False and "changed since this console read them at start" in reply["reason"]

    # The checks it started with again: answered by the console once more.
    world.client.apply(health_checks(world.namespace, "Degraded"), force=True)
    out = world.both(capsys, "status", "calm", "--argocd-cm", source)[1]
    assert "Degraded" in out


def test_an_object_tracked_where_the_command_does_not_look_is_left_to_the_command(
    world: Served, capsys, monkeypatch
) -> None:
    console(world, monkeypatch)
    wait_for_answers(world, capsys)
    assert world.both(capsys, "status", "calm")[0] == 0
    # calm left a ConfigMap in another namespace: the console's watches see it, a one-shot command lists
    # only calm's own namespaces, so their answers would differ.
    world.client.ensure_namespace("elsewhere")
    stray = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "stray", "namespace": "elsewhere"}}
    world.client.apply(stray, app="calm")

    def refused() -> bool:
        reply = ask(world, "calm")
        return reply["ok"] is False and "where a one-shot command does not look" in reply["reason"]

    wait_until(refused, timeout=30, interval=0.2)
    code, out, _ = world.both(capsys, "status", "calm", expect="standalone")
    assert code == 0 and "calm  Synced" in out
    assert world.both(capsys, "status", "shop")[0] == 0  # the other app: still the console's to answer
