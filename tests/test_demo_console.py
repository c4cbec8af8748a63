"""`gitops-tui demo` in a real pseudo-terminal: the console opens, `q` quits, nothing is left behind."""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path


def read_until(fd: int, pattern: bytes, timeout: float) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while pattern not in seen:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"no {pattern!r} on screen after {timeout} s; last output: {seen[-2000:]!r}")
        ready, _, _ = select.select([fd], [], [], min(remaining, 0.5))
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:  # the child closed the terminal
                break
    return seen


def test_demo_console_opens_and_quits_cleanly(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("gitops-tui")
    env = {
        **os.environ,
        "TERM": "xterm-256color",
        "COLUMNS": "120",
        "LINES": "40",
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
    }
    controller, terminal = pty.openpty()
    os.set_blocking(controller, True)
    process = subprocess.Popen(
        [exe, "demo"], stdin=terminal, stdout=terminal, stderr=terminal, env=env, close_fds=True, start_new_session=True
    )
    os.close(terminal)
    try:
        shown = read_until(controller, b"Applications", 90)
        root = Path(re.search(rb"kubeconfig (\S+)/kubeconfig", shown).group(1).decode())  # type: ignore[union-attr]
        read_until(controller, b"guestbook", 60)
        os.write(controller, b"q")
        # The automated apps may still be syncing: then the console asks before it quits.
        try:
            process.wait(3)
        except subprocess.TimeoutExpired:
            read_until(controller, b"Quit anyway", 10)
            os.write(controller, b"y")
        assert process.wait(60) == 0
    finally:
        if process.poll() is None:  # a failed test must not leave the demo's sandbox running either
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(30)
        os.close(controller)
    assert not root.exists()  # temp state removed
    processes = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True).stdout
    assert str(root) not in processes  # the sandbox process is gone
