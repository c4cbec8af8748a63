"""Mouse capture: off by default over ssh (terminal text selection works), --mouse/--no-mouse and `mouse:` win.

The decision is a pure function; the pseudo-terminal test checks that run_console hands it to Textual:
a console that captures the mouse asks the terminal for mouse reports (`ESC [ ? 1000 h`), one that
does not never does.
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gitops_tui.tui.mouse import capture_mouse, over_ssh

SSH = {"SSH_CONNECTION": "10.0.0.2 51234 10.0.0.1 22", "SSH_TTY": "/dev/pts/3"}
MOUSE_ON = b"\x1b[?1000h"


@pytest.mark.parametrize(
    ("flag", "setting", "env", "captured"),
    [
        (None, "auto", {}, True),  # a local terminal: click and wheel work
        (None, "auto", SSH, False),  # over ssh: the terminal keeps selection
        (None, "auto", {"SSH_TTY": "/dev/pts/1"}, False),
        (None, "auto", {"SSH_CONNECTION": "  "}, True),  # blank is not set
        (None, "on", SSH, True),  # the config file wins over auto
        (None, "off", {}, False),
        (True, "off", SSH, True),  # --mouse wins over everything
        (False, "on", {}, False),  # --no-mouse too
    ],
)
def test_the_decision(flag: bool | None, setting: str, env: dict[str, str], captured: bool) -> None:
    assert capture_mouse(flag, setting, env) is captured


def test_over_ssh_reads_what_sshd_sets() -> None:
    assert over_ssh(SSH) and not over_ssh({"TERM": "xterm"})


CONSOLE = """
import sys
from gitops_tui.config.settings import Settings
from gitops_tui.tui.app import run_console
from gitops_tui.tui.screenshots import demo_fleet
flag = {"on": True, "off": False, "none": None}[sys.argv[1]]
sys.exit(run_console(demo_fleet("healthy"), settings=Settings(mouse=sys.argv[2]), mouse=flag))
"""


def terminal_output(tmp_path: Path, flag: str, setting: str, extra_env: dict[str, str]) -> bytes:
    """Run the console in a pseudo-terminal until its tree is drawn, press q, return all it wrote."""
    env = {key: value for key, value in os.environ.items() if key not in SSH}
    env.update(
        TERM="xterm-256color",
        XDG_STATE_HOME=str(tmp_path / "state"),
        XDG_CONFIG_HOME=str(tmp_path / "cfg"),
        **extra_env,
    )
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-c", CONSOLE, flag, setting],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=env,
        close_fds=True,
        start_new_session=True,
    )
    os.close(terminal)
    seen, quit_sent = b"", False
    deadline = time.monotonic() + 60
    try:
        while process.poll() is None and time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 0.2)
            if ready:
                try:
                    seen += os.read(controller, 65536)
                except OSError:
                    break
            if not quit_sent and b"guestbook" in seen:
                os.write(controller, b"q")
                quit_sent = True
        assert process.wait(30) == 0, seen[-2000:]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        os.close(controller)
    assert b"guestbook" in seen
    return seen


@pytest.mark.parametrize(
    ("flag", "setting", "env", "captured"),
    [("none", "auto", SSH, False), ("none", "auto", {}, True), ("on", "auto", SSH, True), ("none", "off", {}, False)],
)
def test_run_console_passes_the_decision_to_the_terminal(
    tmp_path: Path, flag: str, setting: str, env: dict[str, str], captured: bool
) -> None:
    assert (MOUSE_ON in terminal_output(tmp_path, flag, setting, env)) is captured
