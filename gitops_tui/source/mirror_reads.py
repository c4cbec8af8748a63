"""Reading a bare mirror without a checkout: resolve a revision, history, list a tree, read files, export.

The reading half of `RepoMirror` (git.py keeps the network half: single-flight fetch and clone).
Reads go through GitPython, which is not thread-safe, so they are serialised per mirror by
`_repo_lock`; the `git.Repo` is opened on first use and reopened after a clone replaced the directory.
"""

from __future__ import annotations

import re
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import git

from gitops_tui.model import CommitInfo
from gitops_tui.source import gitcli
from gitops_tui.source.archive import extract_tree
from gitops_tui.source.errors import EmptyRepository, GitError, PathNotFound, UnknownRevision, redact_url
from gitops_tui.source.paths import PathEscapes, escaping_symlinks, normalize_repo_path
from gitops_tui.source.tree import TreeEntry, parse_ls_tree

_HEX = re.compile(r"[0-9a-fA-F]{4,64}")
_FORBIDDEN_IN_REVISION = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{")


class UnsafeSymlink(GitError):
    """A symlink in the tree points outside the repository."""


def _check_revision(url: str, revision: str) -> None:
    if not revision or revision.startswith("-") or _FORBIDDEN_IN_REVISION.search(revision):
        raise UnknownRevision(f"'{revision}' is not a valid revision for {redact_url(url)}", url=url)


def local_refs(git_dir: Path) -> dict[str, str]:
    """Branch and tag refs of a local repository: ref name -> SHA."""
    out = gitcli.run_local_git(
        git_dir, ["for-each-ref", "--format=%(objectname) %(refname)", "refs/heads", "refs/tags"]
    )
    refs = {}
    for line in out.splitlines():
        sha, _, name = line.partition(" ")
        refs[name] = sha
    return refs


class MirrorReads:
    """What `RepoMirror` reads; the attributes below are set by RepoMirror.__init__."""

    url: str
    path: Path
    fetch_timeout: float
    _repo_lock: threading.RLock
    _repo: git.Repo | None

    @property
    def display_url(self) -> str:
        return redact_url(self.url)

    def _open(self) -> git.Repo:
        if self._repo is None:
            if not (self.path / "HEAD").exists():
                raise GitError(f"{self.display_url} has not been fetched yet", url=self.url)
            repo = git.Repo(self.path)
            repo.git.update_environment(GIT_LITERAL_PATHSPECS="1", GIT_TERMINAL_PROMPT="0", LC_ALL="C")
            self._repo = repo
        return self._repo

    def _rev_parse(self, repo: git.Repo, expression: str) -> str | None:
        try:
            return repo.git.rev_parse("--verify", "--quiet", "--end-of-options", expression).strip() or None
        except git.GitCommandError:
            return None

    def resolve(self, revision: str) -> CommitInfo:
        """The commit a revision names, in this order: "HEAD" (the remote's default branch),
        a branch, a tag (annotated tags are peeled), a full or abbreviated commit SHA."""
        rev = (revision or "").strip() or "HEAD"
        _check_revision(self.url, rev)
        with self._repo_lock:
            repo = self._open()
            if rev == "HEAD":
                candidates = ["HEAD"]
            else:
                candidates = [f"refs/heads/{rev}", f"refs/tags/{rev}"]
                if rev.startswith("refs/"):
                    candidates.insert(0, rev)
                if _HEX.fullmatch(rev):
                    candidates.append(rev.lower())
            for candidate in candidates:
                sha = self._rev_parse(repo, f"{candidate}^{{commit}}")
                if sha:
                    return self._commit_info(repo, sha)
            if not local_refs(self.path):
                raise EmptyRepository(f"{self.display_url} is empty (it has no branches or tags yet)", url=self.url)
        raise UnknownRevision(
            f"unknown revision '{rev}' in {self.display_url}: not a branch, tag or commit"
            " (fetch again if it was pushed just now)",
            url=self.url,
        )

    @staticmethod
    def _commit_info(repo: git.Repo, sha: str) -> CommitInfo:
        commit = repo.commit(sha)
        summary = commit.summary if isinstance(commit.summary, str) else commit.summary.decode(errors="replace")
        return CommitInfo(
            sha=commit.hexsha,
            author=commit.author.name or "",
            author_email=commit.author.email or "",
            # GitPython's own tzinfo type would differ from history()'s; use the stdlib's.
            date=datetime.fromtimestamp(commit.authored_date, timezone(timedelta(seconds=-commit.author_tz_offset))),
            subject=summary,
        )

    def _repo_path(self, path: str) -> str:
        try:
            return normalize_repo_path(path)
        except PathEscapes as exc:
            raise PathNotFound(f"{exc} (in {self.display_url})", url=self.url) from None

    def history(self, revision: str, path: str = ".", limit: int = 20) -> list[CommitInfo]:
        """Commits reachable from `revision` that touch `path`, newest first."""
        start = self.resolve(revision).sha
        where = self._repo_path(path)
        with self._repo_lock:
            repo = self._open()
            args = [f"--max-count={max(limit, 0)}", f"--format={gitcli.LOG_FORMAT}", start, "--"]
            out = repo.git.log(*args, *([where] if where else []))
        return [gitcli.parse_log_record(record) for record in out.split("\x1e") if record.strip()]

    def list_files(self, sha: str, path: str, recursive: bool) -> list[TreeEntry]:
        """The entries under `path` at commit `sha`, without a checkout.

        Non-recursive listings include sub-directories (`kind == "dir"`); recursive ones list
        files, symlinks and submodules only. Symlinks are entries of their own (`is_symlink`),
        never followed. Raises PathNotFound when `path` is not a directory at `sha`.
        """
        where = self._repo_path(path)
        args = ["-z", "--long", *(["-r"] if recursive else []), "--end-of-options", sha]
        if where:
            args += ["--", f"{where}/"]
        with self._repo_lock:
            repo = self._open()
            try:
                out = repo.git.ls_tree(*args, strip_newline_in_stdout=False)
            except git.GitCommandError as exc:
                raise UnknownRevision(
                    f"commit {sha[:12]} is not in the mirror of {self.display_url}",
                    url=self.url,
                    detail=str(exc.stderr),
                ) from None
        entries = parse_ls_tree(out)
        if where and not entries:
            raise PathNotFound(f"'{where}' is not a directory at commit {sha[:7]} of {self.display_url}", url=self.url)
        return entries

    def read_blob(self, blob_sha: str) -> bytes:
        with self._repo_lock:
            return self._open().odb.stream(bytes.fromhex(blob_sha)).read()

    def read_blobs(self, blob_shas: list[str]) -> list[bytes]:
        """Several blobs under one lock acquisition (directory rendering reads hundreds)."""
        with self._repo_lock:
            odb = self._open().odb
            return [odb.stream(bytes.fromhex(sha)).read() for sha in blob_shas]

    def read_file(self, sha: str, path: str) -> bytes:
        """The content of the file at `path` in commit `sha` (a symlink's content is its target)."""
        where = self._repo_path(path)
        with self._repo_lock:
            repo = self._open()
            try:
                obj = repo.commit(sha).tree / where
            except KeyError:
                raise PathNotFound(
                    f"'{where}' does not exist at commit {sha[:7]} of {self.display_url}", url=self.url
                ) from None
            except (ValueError, git.BadName, git.BadObject):
                raise UnknownRevision(
                    f"commit {sha[:12]} is not in the mirror of {self.display_url}", url=self.url
                ) from None
            if obj.type != "blob":
                raise PathNotFound(f"'{where}' is a directory at commit {sha[:7]}", url=self.url)
            return obj.data_stream.read()

    def symlink_targets(self, entries: list[TreeEntry]) -> dict[str, str]:
        links = [e for e in entries if e.is_symlink]
        targets = self.read_blobs([e.sha for e in links])
        return {e.path: t.decode("utf-8", "surrogateescape") for e, t in zip(links, targets, strict=True)}

    def export(self, sha: str, dest: Path, timeout: float | None = None) -> None:
        """Write the whole tree at `sha` into `dest` (which must exist), for kustomize and helm.

        Refuses (UnsafeSymlink) a tree with a symlink that points outside the repository.
        """
        links = self.symlink_targets(self.list_files(sha, ".", recursive=True))
        bad = escaping_symlinks(links)
        if bad:
            link, target = bad[0]
            raise UnsafeSymlink(
                f"symlink '{link}' -> '{target}' points outside the repository {self.display_url}",
                url=self.url,
            )
        extract_tree(self.path, sha, dest, self.fetch_timeout if timeout is None else timeout)
