"""The git command line for network operations: environment, invocation, error classification.

Network operations (ls-remote, fetch) run git directly rather than through GitPython so a
timeout can kill git's whole process group (remote helpers, ssh), and so git's stderr can be
mapped to typed errors with messages a person can act on.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from gitops_tui.model import CommitInfo
from gitops_tui.source import process
from gitops_tui.source.errors import (
    AuthenticationFailed,
    FetchTimeout,
    GitError,
    UnreachableRemote,
    redact_url,
)

# ls-remote of a big host (GitHub lists every pull request ref) stays far below this.
_MAX_GIT_OUTPUT = 256 * 2**20

_AUTH_SIGNS = (
    "authentication failed",
    "could not read username",
    "could not read password",
    "terminal prompts disabled",
    "permission denied (publickey",
    "permission denied, please try again",
    "invalid username or password",
    "invalid credentials",
    "http basic: access denied",
    "returned error: 401",
    "returned error: 403",
    "host key verification failed",
)


def git_environment() -> dict[str, str]:
    """The process environment with everything that could make git wait for a person switched off."""
    env = dict(os.environ)
    for leaked in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY"):
        env.pop(leaked, None)
    env.update(
        GIT_TERMINAL_PROMPT="0",  # a missing credential fails instead of hanging
        GCM_INTERACTIVE="never",  # Git Credential Manager: no dialogs either
        LC_ALL="C",  # error classification reads git's English messages
        LANGUAGE="C",
    )
    return env


def summarize_stderr(stderr: str) -> str:
    """The line of git's stderr that says what went wrong, without the `fatal:` noise."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for prefix in ("fatal:", "error:", "remote:"):
        for line in lines:
            if line.lower().startswith(prefix):
                text = line[len(prefix) :].strip()
                if text and not text.lower().startswith("could not read from remote repository"):
                    return text
    return lines[-1] if lines else "git failed without saying why"


def classify_remote_failure(url: str, stderr: str) -> GitError:
    """Turn a failed ls-remote/fetch into UnreachableRemote or AuthenticationFailed."""
    shown = redact_url(url)
    reason = redact_url(summarize_stderr(stderr))
    lowered = stderr.lower()
    if any(sign in lowered for sign in _AUTH_SIGNS):
        if "host key verification failed" in lowered:
            hint = "the server's SSH host key is not in known_hosts"
        else:
            hint = "give git credentials through an ssh agent or a credential helper"
        return AuthenticationFailed(f"authentication failed for {shown}: {reason}; {hint}", url=url, detail=stderr)
    return UnreachableRemote(f"cannot reach {shown}: {reason}", url=url, detail=stderr)


def run_remote_git(
    git_dir: Path, url: str, args: Sequence[str], timeout: float, on_stderr: Callable[[bytes], None] | None = None
) -> str:
    """Run a git command that talks to `url` as the remote named `origin` of `git_dir`.

    The URL is given on the command line (`-c remote.origin.url=...`) rather than kept in the
    mirror's config, so credentials someone wrote into a URL are never stored on disk.
    """
    if timeout <= 0:
        raise FetchTimeout(f"fetching {redact_url(url)} timed out", url=url)
    command = ["git", f"--git-dir={git_dir}", "-c", f"remote.origin.url={url}", *args]
    try:
        done = process.run(
            command, timeout=timeout, max_output_bytes=_MAX_GIT_OUTPUT, env=git_environment(), on_stderr=on_stderr
        )
    except process.ProcessTimeout as exc:
        raise FetchTimeout(
            f"fetching {redact_url(url)} timed out after {exc.timeout:g} s (the remote did not answer)",
            url=url,
        ) from None
    except process.OutputTooLarge as exc:
        raise GitError(f"git wrote too much output for {redact_url(url)}: {exc}", url=url) from None
    except OSError as exc:
        raise GitError(f"cannot run git for {redact_url(url)}: {exc}", url=url) from None
    if done.returncode != 0:
        raise classify_remote_failure(url, done.stderr)
    return done.stdout.decode("utf-8", "replace")


def run_local_git(git_dir: Path, args: Sequence[str], timeout: float = 60.0) -> str:
    """A git command that only touches the local mirror (init, config, symbolic-ref)."""
    command = ["git", f"--git-dir={git_dir}", *args]
    try:
        done = process.run(command, timeout=timeout, max_output_bytes=_MAX_GIT_OUTPUT, env=git_environment())
    except (process.ProcessTimeout, process.OutputTooLarge, OSError) as exc:
        raise GitError(f"git {args[0]} failed in {git_dir}: {exc}") from None
    if done.returncode != 0:
        raise GitError(f"git {args[0]} failed in {git_dir}: {summarize_stderr(done.stderr)}", detail=done.stderr)
    return done.stdout.decode("utf-8", "replace")


def parse_ls_remote(listing: str) -> tuple[dict[str, str], str | None]:
    """`ls-remote --symref` output -> ({branch and tag ref: object id}, the ref HEAD points at)."""
    refs: dict[str, str] = {}
    head_branch = None
    for line in listing.splitlines():
        left, _, name = line.partition("\t")
        if left.startswith("ref: ") and name == "HEAD":
            head_branch = left[len("ref: ") :]
        elif name.startswith(("refs/heads/", "refs/tags/")) and not name.endswith("^{}"):
            refs[name] = left
    return refs, head_branch


LOG_FORMAT = "%H%x1f%an%x1f%ae%x1f%aI%x1f%s%x1e"
"""One record per commit for `git log --format`, split by parse_log_record."""


def parse_log_record(record: str) -> CommitInfo:
    sha, author, email, date, subject = record.strip("\n").split("\x1f", 4)
    return CommitInfo(sha=sha, author=author, author_email=email, date=datetime.fromisoformat(date), subject=subject)
