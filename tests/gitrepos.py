"""Real Git repositories for tests: a bare "remote" plus a working clone, in a temp dir.

Every suite may use this module (`from tests.gitrepos import GitRemote`). Commits get fixed,
increasing dates and a fixed author, and the user's and system's git config is ignored, so
the same script builds the same history on every machine.

    remote = GitRemote.create(tmp_path / "apps")
    first = remote.commit({"web/deploy.yaml": DEPLOYMENT}, "add web")
    remote.tag("v1", annotated=True)
    remote.commit({"web/deploy.yaml": None}, "remove web")     # None deletes a file
    remote.force_push("main", first)                            # the branch moves back
    remote.url                                                  # file:///.../apps.git

Fixtures: `make_remote` (a factory) and `remote` (one empty remote). Another suite gets them
by importing them into its conftest: `from tests.gitrepos import make_remote, remote`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

_BASE_EPOCH = 1_700_000_000  # 2023-11-14T22:13:20Z


@dataclass(frozen=True)
class Symlink:
    """A symlink to write into the work tree: `{"a/link.yaml": Symlink("../b.yaml")}`."""

    target: str


FileContent = str | bytes | Symlink | None


def isolated_git_env(home: Path) -> dict[str, str]:
    """An environment in which git ignores the machine's config and never prompts."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        HOME=str(home),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_TERMINAL_PROMPT="0",
        GIT_AUTHOR_NAME="Ada Author",
        GIT_AUTHOR_EMAIL="ada@example.test",
        GIT_COMMITTER_NAME="Ada Author",
        GIT_COMMITTER_EMAIL="ada@example.test",
        LC_ALL="C",
    )
    return env


class GitRemote:
    """A bare repository (`bare`, reachable as `url`) and a clone to commit from (`work`)."""

    def __init__(self, root: Path, default_branch: str = "main") -> None:
        self.root = root
        self.bare = root.with_suffix(".git")
        self.work = root.parent / f"{root.name}.work"
        self.default_branch = default_branch
        self._env = isolated_git_env(root.parent)
        self._clock = 0

    @classmethod
    def create(cls, root: Path, default_branch: str = "main") -> GitRemote:
        """A new, empty remote and an empty clone of it."""
        remote = cls(root, default_branch)
        root.parent.mkdir(parents=True, exist_ok=True)
        remote.git("init", "--quiet", "--bare", f"--initial-branch={default_branch}", str(remote.bare), cwd=None)
        remote.git("init", "--quiet", f"--initial-branch={default_branch}", str(remote.work), cwd=None)
        remote.git("remote", "add", "origin", str(remote.bare))
        return remote

    @property
    def url(self) -> str:
        return self.bare.as_uri()

    def git(self, *args: str, cwd: Path | str | None = "work") -> str:
        where = self.work if cwd == "work" else cwd
        done = subprocess.run(["git", *args], cwd=where, env=self._env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"git {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout.strip()

    def bare_git(self, *args: str) -> str:
        return self.git(f"--git-dir={self.bare}", *args, cwd=None)

    def _tick(self) -> dict[str, str]:
        self._clock += 60
        stamp = f"@{_BASE_EPOCH + self._clock} +0000"
        return {"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}

    def write(self, files: Mapping[str, FileContent]) -> None:
        """Change the work tree: text, bytes, a Symlink, or None to delete."""
        for rel, content in files.items():
            target = self.work / rel
            if content is None:
                if target.is_symlink() or target.is_file():
                    target.unlink()
                elif target.is_dir():
                    shutil.rmtree(target)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.is_symlink() or target.exists():
                target.unlink()
            if isinstance(content, Symlink):
                target.symlink_to(content.target)
            elif isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content)

    def commit(
        self,
        files: Mapping[str, FileContent] | None = None,
        message: str = "change",
        *,
        branch: str | None = None,
        push: bool = True,
        author: tuple[str, str] | None = None,
    ) -> str:
        """Write `files`, commit everything on `branch` (default: the current one), push; the SHA."""
        if branch is not None:
            self.checkout(branch)
        self.write(files or {})
        self.git("add", "--all")
        env = self._tick()
        if author is not None:
            env |= {"GIT_AUTHOR_NAME": author[0], "GIT_AUTHOR_EMAIL": author[1]}
        saved = self._env
        self._env = saved | env
        try:
            self.git("commit", "--quiet", "--allow-empty", "-m", message)
        finally:
            self._env = saved
        if push:
            self.push()
        return self.sha("HEAD")

    def current_branch(self) -> str:
        return self.git("symbolic-ref", "--short", "HEAD")

    def checkout(self, branch: str, start: str | None = None) -> None:
        """Switch to `branch`, creating it (from `start` or the current commit) if needed."""
        exists = (
            subprocess.run(
                ["git", "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}"],
                cwd=self.work,
                env=self._env,
                capture_output=True,
                check=False,
            ).returncode
            == 0
        )
        if exists:
            self.git("checkout", "--quiet", branch)
        else:
            self.git("checkout", "--quiet", "-b", branch, *([start] if start else []))

    def push(self, branch: str | None = None, force: bool = False) -> None:
        name = branch or self.current_branch()
        self.git("push", "--quiet", *(["--force"] if force else []), "origin", f"{name}:{name}")

    def tag(self, name: str, rev: str = "HEAD", *, annotated: bool = False, push: bool = True) -> str:
        """Create a tag (annotated when asked) and push it; returns the commit it points at."""
        if annotated:
            saved = self._env
            self._env = saved | self._tick()
            try:
                self.git("tag", "-a", "-m", f"release {name}", name, rev)
            finally:
                self._env = saved
        else:
            self.git("tag", name, rev)
        if push:
            self.git("push", "--quiet", "origin", f"refs/tags/{name}")
        return self.sha(f"{name}^{{commit}}")

    def force_push(self, branch: str, rev: str) -> None:
        """Reset `branch` to `rev` and force-push it: the remote branch moves, history is dropped."""
        self.checkout(branch)
        self.git("reset", "--quiet", "--hard", rev)
        self.push(branch, force=True)

    def delete_branch(self, branch: str) -> None:
        self.git("push", "--quiet", "origin", f":refs/heads/{branch}")

    def set_default_branch(self, branch: str) -> None:
        self.bare_git("symbolic-ref", "HEAD", f"refs/heads/{branch}")

    def sha(self, rev: str = "HEAD") -> str:
        return self.git("rev-parse", "--verify", f"{rev}^{{commit}}")

    def disappear(self) -> None:
        """Delete the bare repository, as if the server went away."""
        shutil.rmtree(self.bare)


@pytest.fixture
def make_remote(tmp_path: Path) -> Callable[..., GitRemote]:
    """A factory: `make_remote("apps")` -> a new, empty GitRemote under tmp_path."""
    made: set[str] = set()

    def make(name: str = "repo", default_branch: str = "main") -> GitRemote:
        assert name not in made, f"remote {name!r} already made in this test"
        made.add(name)
        return GitRemote.create(tmp_path / "remotes" / name, default_branch)

    return make


@pytest.fixture
def remote(make_remote: Callable[..., GitRemote]) -> GitRemote:
    """One new, empty remote (`remote.commit(...)` to fill it)."""
    return make_remote("repo")
