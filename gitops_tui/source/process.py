"""Run an external program with a deadline and an output cap, never through a shell.

Git, kustomize and helm all run through here. Each child gets its own session so a
timeout kills the whole group (git's remote helpers and ssh, helm's plugins) and no child
can open the user's terminal to ask for a password.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

_STDERR_KEEP = 64 * 1024
_CHUNK = 256 * 1024


@dataclass(frozen=True)
class Completed:
    returncode: int
    stdout: bytes
    stderr: str
    """The last 64 KiB of the standard error, decoded leniently."""


class ProcessTimeout(Exception):
    def __init__(self, program: str, timeout: float) -> None:
        self.program = program
        self.timeout = timeout
        super().__init__(f"{program} did not finish within {timeout:g} s")


class OutputTooLarge(Exception):
    def __init__(self, program: str, limit: int) -> None:
        self.program = program
        self.limit = limit
        super().__init__(f"{program} wrote more than {describe_size(limit)}")


def describe_size(size: int) -> str:
    return f"{size / 2**20:g} MiB" if size >= 2**20 else f"{size} bytes"


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


def run(
    args: Sequence[str],
    *,
    timeout: float,
    max_output_bytes: int,
    cwd: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    on_stderr: Callable[[bytes], None] | None = None,
) -> Completed:
    """Run `args` and return what it wrote; a non-zero exit is returned, not raised.

    `on_stderr` sees each chunk of the standard error as it arrives (git's progress), on another thread.

    Raises ProcessTimeout when `timeout` passes and OutputTooLarge when stdout exceeds the cap;
    in both cases the process group is killed first.
    """
    program = Path(args[0]).name
    proc = subprocess.Popen(
        list(args),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=cwd,
        env=dict(env) if env is not None else None,
        start_new_session=True,
    )
    timed_out = threading.Event()

    def on_timeout() -> None:
        timed_out.set()
        _kill_group(proc)

    stderr_tail = bytearray()

    def drain_stderr() -> None:
        assert proc.stderr is not None
        for chunk in iter(lambda: proc.stderr.read1(8192), b""):
            if on_stderr is not None:
                on_stderr(chunk)
            stderr_tail.extend(chunk)
            del stderr_tail[:-_STDERR_KEEP]

    timer = threading.Timer(max(timeout, 0.0), on_timeout)
    timer.daemon = True
    stderr_thread = threading.Thread(target=drain_stderr, daemon=True)
    timer.start()
    stderr_thread.start()
    chunks: list[bytes] = []
    size = 0
    too_large = False
    try:
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        while chunk := os.read(fd, _CHUNK):
            size += len(chunk)
            if size > max_output_bytes:
                too_large = True
                _kill_group(proc)
                break
            chunks.append(chunk)
        returncode = proc.wait()
    finally:
        timer.cancel()
        _kill_group(proc)
        proc.wait()
        stderr_thread.join()
        proc.stdout.close()  # type: ignore[union-attr]
        proc.stderr.close()  # type: ignore[union-attr]
    if timed_out.is_set():
        raise ProcessTimeout(program, timeout)
    if too_large:
        raise OutputTooLarge(program, max_output_bytes)
    return Completed(returncode, b"".join(chunks), stderr_tail.decode("utf-8", "replace"))
