"""Bare mirror clones of remote repositories, and reading trees at a commit without a checkout.

One `RepoMirror` per repository URL (the `MirrorPool` hands out the same object for the same
URL), kept under the cache directory. Network work is single-flight per mirror: a caller that
arrives while a fetch runs waits for that fetch instead of starting another. A failed fetch
leaves the last fetched state in place and usable. Reads (mirror_reads.py) go through GitPython,
which is not thread-safe, so they are serialised per mirror.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import git

from gitops_tui.source import gitcli
from gitops_tui.source.cachedir import default_cache_dir, mirror_dir_name, mirror_key
from gitops_tui.source.errors import (
    AuthenticationFailed,
    EmptyRepository,
    FetchTimeout,
    GitError,
    PathNotFound,
    UnknownRevision,
    UnreachableRemote,
    redact_url,
)
from gitops_tui.source.fetch_progress import FetchProgress, ProgressLines
from gitops_tui.source.mirror_reads import MirrorReads, UnsafeSymlink, local_refs
from gitops_tui.source.tree import TreeEntry

__all__ = [
    "AuthenticationFailed",
    "EmptyRepository",
    "FetchProgress",
    "FetchStats",
    "FetchTimeout",
    "GitError",
    "MirrorPool",
    "PathNotFound",
    "RepoMirror",
    "TreeEntry",
    "UnknownRevision",
    "UnreachableRemote",
    "UnsafeSymlink",
    "default_cache_dir",
    "redact_url",
]

log = logging.getLogger(__name__)

# Branches and tags only: hosts publish pull-request and other refs nobody deploys from.
_REFSPECS = ("+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*")


@dataclass(frozen=True)
class FetchStats:
    """Counters that make single-flight observable: `runs` fetches talked to the remote."""

    runs: int = 0
    joined: int = 0
    """Callers that arrived during a running fetch and waited for it instead."""
    failures: int = 0


class _Flight:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.error: GitError | None = None


def _copy_error(error: GitError) -> GitError:
    # Each waiting thread raises its own instance: one exception object raised in several
    # threads would collect their tracebacks into each other.
    return type(error)(error.message, url=error.url, detail=error.detail)


class RepoMirror(MirrorReads):
    """One bare mirror clone of one repository URL: fetched here, read through MirrorReads (mirror_reads.py)."""

    def __init__(self, url: str, path: Path, fetch_timeout: float = 60.0) -> None:
        self.url = url
        self.path = path
        self.fetch_timeout = fetch_timeout
        self._flight_lock = threading.Lock()
        self._flight: _Flight | None = None
        self._stats = FetchStats()
        self._repo_lock = threading.RLock()
        self._repo: git.Repo | None = None

    def __repr__(self) -> str:
        return f"RepoMirror({redact_url(self.url)!r}, {str(self.path)!r})"

    @property
    def stats(self) -> FetchStats:
        with self._flight_lock:
            return self._stats

    # -- network ---------------------------------------------------------------------------

    def fetch(self, timeout: float | None = None, progress: Callable[[FetchProgress], None] | None = None) -> None:
        """Bring the mirror up to date with the remote (cloning it on first use).

        Single-flight: if a fetch is already running, wait for it and share its outcome.
        Raises a GitError subclass on failure; the previously fetched state stays usable.
        `progress` hears git's progress (objects received, deltas resolved) from the fetching thread.
        """
        with self._flight_lock:
            flight = self._flight
            leader = flight is None
            if flight is None:
                flight = self._flight = _Flight()
                self._stats = FetchStats(self._stats.runs + 1, self._stats.joined, self._stats.failures)
            else:
                self._stats = FetchStats(self._stats.runs, self._stats.joined + 1, self._stats.failures)
        if not leader:
            flight.done.wait()
            if flight.error is not None:
                raise _copy_error(flight.error)
            return
        try:
            self._fetch_now(self.fetch_timeout if timeout is None else timeout, progress)
        except GitError as exc:
            flight.error = exc
            raise
        except OSError as exc:
            flight.error = GitError(f"cannot update the mirror of {self.display_url}: {exc}", url=self.url)
            raise flight.error from exc
        except BaseException:
            # Whatever stopped the leader (an interrupt, a bug), the waiters must not take it for success.
            flight.error = GitError(f"the fetch of {self.display_url} was interrupted", url=self.url)
            raise
        finally:
            with self._flight_lock:
                self._flight = None
                if flight.error is not None:
                    s = self._stats
                    self._stats = FetchStats(s.runs, s.joined, s.failures + 1)
            flight.done.set()

    def _fetch_now(self, timeout: float, progress: Callable[[FetchProgress], None] | None = None) -> None:
        started = time.monotonic()
        deadline = started + timeout
        cloning = not (self.path / "HEAD").exists()
        lines = ProgressLines(self.display_url, cloning, progress) if progress is not None else None
        try:
            if cloning:
                self._clone(deadline, lines)
            else:
                self._update(self.path, deadline, lines)
        except GitError as exc:
            log.warning("fetch failed: %s", exc.message)  # messages are redacted already
            raise
        log.debug("fetched %s in %.2f s", self.display_url, time.monotonic() - started)

    def _update(self, git_dir: Path, deadline: float, progress: ProgressLines | None = None) -> None:
        listing = gitcli.run_remote_git(
            git_dir, self.url, ["ls-remote", "--symref", "origin"], deadline - time.monotonic()
        )
        remote_refs, head_branch = gitcli.parse_ls_remote(listing)
        if not remote_refs:
            raise EmptyRepository(f"{self.display_url} is empty (it has no branches or tags yet)", url=self.url)
        if remote_refs != local_refs(git_dir):
            verbosity = "--progress" if progress is not None else "--quiet"
            gitcli.run_remote_git(
                git_dir,
                self.url,
                ["fetch", "--prune", verbosity, "origin"],
                deadline - time.monotonic(),
                on_stderr=progress.feed if progress else None,
            )
        if head_branch and (git_dir / "refs").exists():
            self._point_head_at(git_dir, head_branch)

    def _clone(self, deadline: float, progress: ProgressLines | None = None) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        staging = self.path.parent / f".{self.path.name}.{uuid.uuid4().hex[:8]}.tmp"
        try:
            gitcli.run_local_git(staging, ["init", "--quiet", "--bare", str(staging)])
            for refspec in _REFSPECS:
                gitcli.run_local_git(staging, ["config", "--add", "remote.origin.fetch", refspec])
            # For people looking at the cache; the URL git uses comes from the command line.
            gitcli.run_local_git(staging, ["config", "gitops-tui.url", self.display_url])
            try:
                self._update(staging, deadline, progress)
            except EmptyRepository:
                self._install(staging)
                raise
            self._install(staging)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _install(self, staging: Path) -> None:
        try:
            staging.rename(self.path)
        except OSError:
            # Another process won the race to create the mirror; theirs is as good as ours.
            if not (self.path / "HEAD").exists():
                raise
        with self._repo_lock:
            # A Repo opened on a mirror directory that was since deleted would keep reading the
            # deleted files through its cat-file processes.
            if self._repo is not None:
                self._repo.close()
                self._repo = None

    @staticmethod
    def _point_head_at(git_dir: Path, branch_ref: str) -> None:
        current = (git_dir / "HEAD").read_text(errors="replace").strip()
        if current != f"ref: {branch_ref}":
            gitcli.run_local_git(git_dir, ["symbolic-ref", "HEAD", branch_ref])


class MirrorPool:
    """One RepoMirror per repository URL; the same URL always gives the same object."""

    def __init__(self, cache_dir: Path | None = None, fetch_timeout: float = 60.0) -> None:
        self.cache_dir = cache_dir if cache_dir is not None else default_cache_dir()
        self.fetch_timeout = fetch_timeout
        self._lock = threading.Lock()
        self._mirrors: dict[str, RepoMirror] = {}

    def get(self, url: str) -> RepoMirror:
        key = mirror_key(url)
        with self._lock:
            mirror = self._mirrors.get(key)
            if mirror is None:
                mirror = RepoMirror(url.strip(), self.cache_dir / mirror_dir_name(url), self.fetch_timeout)
                self._mirrors[key] = mirror
            return mirror

    def mirrors(self) -> list[RepoMirror]:
        with self._lock:
            return list(self._mirrors.values())
