"""The sandbox process stops promptly on SIGTERM, whatever its watch clients did.

The demo's sandbox gets SIGTERM when the demo dies (PR_SET_PDEATHSIG): by then the console holding its
watches is gone, killed or frozen. The sandbox must still save its state and exit, not wait for them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from kubernetes import client, config

EXIT_TIMEOUT = 10.0
"""Far above the sandbox's 2 s stop deadline, far below the 30 s+ a stop that waits on clients took."""

WATCHER = textwrap.dedent("""
    import sys
    from kubernetes import client, config
    api = client.CoreV1Api(config.new_client_from_config(config_file=sys.argv[1]))
    stream = api.list_namespaced_config_map("default", watch=True, allow_watch_bookmarks=True,
                                            _preload_content=False)
    if sys.argv[2] == "read":
        stream.readline()  # the first event: the watch is established and flowing
    print("watching", flush=True)
    sys.stdin.read()  # hold the watch until killed (or frozen: never read another byte)
""")


@pytest.fixture
def sandbox_process(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    kubeconfig = tmp_path / "kubeconfig"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gitops_tui.sandbox",
            "--no-controllers",
            "--kubeconfig-out",
            str(kubeconfig),
            "--state-file",
            str(tmp_path / "state.json"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert "serving at" in process.stdout.readline()
    try:
        yield process, kubeconfig
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=30)


def start_watcher(kubeconfig: Path, mode: str) -> subprocess.Popen[str]:
    watcher = subprocess.Popen(
        [sys.executable, "-c", WATCHER, str(kubeconfig), mode], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert watcher.stdout is not None
    assert watcher.stdout.readline().strip() == "watching"
    return watcher


def core_api(kubeconfig: Path) -> client.CoreV1Api:
    return client.CoreV1Api(config.new_client_from_config(config_file=str(kubeconfig)))


def test_sigterm_stops_the_sandbox_after_its_watch_client_was_killed(
    sandbox_process: tuple[subprocess.Popen[str], Path],
) -> None:
    process, kubeconfig = sandbox_process
    core = core_api(kubeconfig)
    core.create_namespaced_config_map("default", {"metadata": {"name": "seen"}, "data": {"k": "v"}})
    watcher = start_watcher(kubeconfig, "read")
    watcher.kill()  # SIGKILL: no goodbye from the client
    watcher.wait(EXIT_TIMEOUT)
    core.create_namespaced_config_map("default", {"metadata": {"name": "after"}, "data": {"k": "v"}})
    process.send_signal(signal.SIGTERM)
    assert process.wait(EXIT_TIMEOUT) == 0
    assert "after" in (Path(kubeconfig.parent / "state.json")).read_text()  # state saved on the way out


def test_sigterm_stops_the_sandbox_while_a_frozen_client_holds_a_full_watch(
    sandbox_process: tuple[subprocess.Popen[str], Path],
) -> None:
    """A client that stops reading (frozen, or its network gone) leaves the server's writes waiting."""
    process, kubeconfig = sandbox_process
    watcher = start_watcher(kubeconfig, "hold")
    try:
        os.kill(watcher.pid, signal.SIGSTOP)
        core = core_api(kubeconfig)
        big = "x" * 900_000
        for index in range(12):  # ~11 MB of events: more than the socket buffers hold
            core.create_namespaced_config_map("default", {"metadata": {"name": f"big-{index}"}, "data": {"k": big}})
        process.send_signal(signal.SIGTERM)
        assert process.wait(EXIT_TIMEOUT) == 0
    finally:
        watcher.kill()
        watcher.wait(EXIT_TIMEOUT)
