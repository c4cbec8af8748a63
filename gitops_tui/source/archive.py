"""Writing a commit's tree to a directory with `git archive`, for tools that need real files."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tarfile
import tempfile
import threading
from pathlib import Path
from typing import IO

from gitops_tui.source import gitcli
from gitops_tui.source.errors import GitError


def extract_tree(git_dir: Path, sha: str, dest: Path, timeout: float) -> None:
    """Stream `git archive` of `sha` straight into `dest` (no tarball on disk, none in memory)."""
    # stderr goes to a file: a pipe nobody reads while the tar stream is consumed could fill up.
    with tempfile.TemporaryFile() as stderr_file:
        _stream_archive(git_dir, sha, dest, timeout, stderr_file)


def _stream_archive(git_dir: Path, sha: str, dest: Path, timeout: float, stderr_file: IO[bytes]) -> None:
    proc = subprocess.Popen(
        ["git", f"--git-dir={git_dir}", "archive", "--format=tar", "--end-of-options", sha],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=stderr_file,
        env=gitcli.git_environment(),
        start_new_session=True,
    )
    timed_out = threading.Event()

    def kill() -> None:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

    def on_timeout() -> None:
        timed_out.set()
        kill()

    timer = threading.Timer(timeout, on_timeout)
    timer.start()
    try:
        assert proc.stdout is not None
        with tarfile.open(fileobj=proc.stdout, mode="r|") as archive:
            # The "data" filter refuses absolute paths and links leaving dest: a second line of
            # defence behind the symlink check done before exporting.
            archive.extractall(dest, filter="data")
        if proc.wait() != 0:
            stderr_file.seek(0)
            stderr = stderr_file.read().decode(errors="replace")
            raise GitError(f"git archive {sha[:12]} failed: {gitcli.summarize_stderr(stderr)}")
    except (tarfile.TarError, OSError) as exc:
        if timed_out.is_set():
            raise GitError(f"exporting commit {sha[:12]} took longer than {timeout:g} s") from None
        raise GitError(f"cannot export commit {sha[:12]}: {exc}") from None
    finally:
        timer.cancel()
        kill()
        proc.wait()
        if proc.stdout:
            proc.stdout.close()
