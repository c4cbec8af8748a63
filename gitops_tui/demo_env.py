"""The demo's world: a sandbox cluster in its own process and the demo Git repository.

The sandbox runs as a subprocess (as a real cluster is another machine), so the console's event
loop never shares the interpreter lock with the API server's. Everything lives under one state
directory: a temp dir removed on exit, or `--state-dir DIR`, kept.
"""

from __future__ import annotations

import ctypes
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from types import TracebackType

from gitops_tui.sandbox.demorepo import DemoRepository, build_demo_repository


class DemoError(Exception):
    pass


class DemoEnvironment:
    def __init__(self, state_dir: Path | None = None, speed: float = 5.0) -> None:
        self.keep = state_dir is not None
        self.root = (state_dir or Path(tempfile.mkdtemp(prefix="gitops-tui-demo-"))).resolve()
        self.speed = speed
        self.kubeconfig = self.root / "kubeconfig"
        self.repo: DemoRepository | None = None
        self.sandbox_url = ""
        self._sandbox: subprocess.Popen[str] | None = None

    def __enter__(self) -> DemoEnvironment:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self._start_sandbox()
        # A kept state dir keeps its cluster state, but the repository is rebuilt: its story starts anew.
        self.repo = build_demo_repository(self.root)

    def _start_sandbox(self) -> None:
        command = [
            sys.executable,
            "-m",
            "gitops_tui.sandbox",
            "--kubeconfig-out",
            str(self.kubeconfig),
            "--speed",
            str(self.speed),
            "--state-file",
            str(self.root / "cluster.json"),
        ]
        with (self.root / "sandbox.log").open("w") as log:
            self._sandbox = subprocess.Popen(
                command, stdout=subprocess.PIPE, stderr=log, text=True, preexec_fn=_die_with_parent
            )
        assert self._sandbox.stdout is not None
        line = self._sandbox.stdout.readline()  # "Kubernetes sandbox serving at http://127.0.0.1:PORT"
        if not line:
            raise DemoError(f"the sandbox did not start; see {self.root / 'sandbox.log'}")
        self.sandbox_url = line.strip().rsplit(" ", 1)[-1]

    def close(self) -> None:
        if self._sandbox is not None:
            self._sandbox.terminate()
            try:
                self._sandbox.wait(10)
            except subprocess.TimeoutExpired:
                self._sandbox.kill()
                self._sandbox.wait(5)
            if self._sandbox.stdout is not None:
                self._sandbox.stdout.close()
            self._sandbox = None
        if not self.keep:
            shutil.rmtree(self.root, ignore_errors=True)


def _die_with_parent() -> None:
    """In the sandbox's process: end when the demo ends, even if the demo is killed without cleaning up."""
    if sys.platform.startswith("linux"):
        PR_SET_PDEATHSIG = 1  # the name Linux gives it
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
