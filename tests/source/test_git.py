"""RepoMirror and MirrorPool against real repositories with file:// remotes."""

from __future__ import annotations

import os
import shutil
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from gitops_tui.source.git import (
    AuthenticationFailed,
    EmptyRepository,
    GitError,
    MirrorPool,
    PathNotFound,
    RepoMirror,
    UnknownRevision,
    UnreachableRemote,
    UnsafeSymlink,
    default_cache_dir,
    redact_url,
)
from tests.gitrepos import GitRemote, Symlink


def fetched(pool: MirrorPool, remote: GitRemote) -> RepoMirror:
    mirror = pool.get(remote.url)
    mirror.fetch()
    return mirror


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serving_401() -> Iterator[int]:
    """A real HTTP server on loopback that asks for credentials and refuses any it gets."""

    class Refuse(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="private"')
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Refuse)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


class TestResolve:
    def test_branch_tags_and_shas(self, pool: MirrorPool, remote: GitRemote) -> None:
        first = remote.commit({"a.yaml": "a: 1\n"}, "first commit")
        remote.tag("light")
        remote.tag("v1.0", annotated=True)
        second = remote.commit({"a.yaml": "a: 2\n"}, "second commit", author=("Bo", "bo@example.test"))
        remote.commit({"b.yaml": "b: 1\n"}, "on a branch", branch="feature")
        mirror = fetched(pool, remote)

        assert mirror.resolve("main").sha == second
        assert mirror.resolve("light").sha == first
        assert mirror.resolve("v1.0").sha == first  # annotated tags are peeled to the commit
        assert mirror.resolve(first).sha == first
        assert mirror.resolve(first[:8]).sha == first
        assert mirror.resolve("feature").sha == remote.sha("feature")
        info = mirror.resolve("HEAD")
        assert info.sha == second
        assert (info.author, info.author_email, info.subject) == ("Bo", "bo@example.test", "second commit")
        assert info.date == datetime(2023, 11, 14, 22, 16, 20, tzinfo=UTC)

    def test_head_is_the_remote_default_branch(self, pool: MirrorPool, remote: GitRemote) -> None:
        remote.commit({"a.yaml": "a: 1\n"})
        other = remote.commit({"b.yaml": "b: 1\n"}, branch="release")
        mirror = fetched(pool, remote)
        assert mirror.resolve("HEAD").sha == remote.sha("main")
        remote.set_default_branch("release")
        mirror.fetch()
        assert mirror.resolve("HEAD").sha == other

    def test_force_pushed_branch_moves(self, pool: MirrorPool, remote: GitRemote) -> None:
        first = remote.commit({"a.yaml": "a: 1\n"})
        second = remote.commit({"a.yaml": "a: 2\n"})
        mirror = fetched(pool, remote)
        assert mirror.resolve("main").sha == second
        remote.force_push("main", first)
        assert mirror.resolve("main").sha == second  # nothing changes before a fetch
        mirror.fetch()
        assert mirror.resolve("main").sha == first

    def test_deleted_branch_is_pruned(self, pool: MirrorPool, remote: GitRemote) -> None:
        remote.commit({"a.yaml": "a: 1\n"})
        remote.commit({"b.yaml": "b: 1\n"}, branch="gone")
        remote.checkout("main")
        mirror = fetched(pool, remote)
        mirror.resolve("gone")
        remote.delete_branch("gone")
        mirror.fetch()
        with pytest.raises(UnknownRevision):
            mirror.resolve("gone")

    @pytest.mark.parametrize("revision", ["nope", "v9", "deadbeef", "-n", "main..x", "a b"])
    def test_unknown_revision(self, pool: MirrorPool, remote: GitRemote, revision: str) -> None:
        remote.commit({"a.yaml": "a: 1\n"})
        mirror = fetched(pool, remote)
        with pytest.raises(UnknownRevision) as caught:
            mirror.resolve(revision)
        assert revision in caught.value.message
        assert remote.url in caught.value.message


class TestFailures:
    def test_empty_repository(self, pool: MirrorPool, remote: GitRemote) -> None:
        mirror = pool.get(remote.url)
        with pytest.raises(EmptyRepository) as caught:
            mirror.fetch()
        assert remote.url in caught.value.message and "empty" in caught.value.message
        with pytest.raises(EmptyRepository):
            mirror.resolve("HEAD")
        remote.commit({"a.yaml": "a: 1\n"})
        mirror.fetch()  # the first push makes the same mirror usable
        assert mirror.resolve("HEAD").sha == remote.sha()

    def test_unreachable_remote(self, pool: MirrorPool, tmp_path: Path) -> None:
        url = (tmp_path / "does-not-exist.git").as_uri()
        mirror = pool.get(url)
        with pytest.raises(UnreachableRemote) as caught:
            mirror.fetch()
        assert url in caught.value.message
        assert not mirror.path.exists()  # a failed first clone leaves nothing half-made
        with pytest.raises(GitError, match="not been fetched"):
            mirror.resolve("HEAD")

    def test_credentials_are_redacted(self, pool: MirrorPool) -> None:
        url = f"https://user:secret@127.0.0.1:{closed_port()}/x.git"
        mirror = pool.get(url)
        with pytest.raises(UnreachableRemote) as caught:
            mirror.fetch(timeout=20)
        error = caught.value
        for text in (error.message, str(error), error.detail, error.url, repr(mirror), str(mirror.path)):
            assert "secret" not in text
        assert "https://user:***@127.0.0.1" in error.message

    def test_authentication_failed(self, pool: MirrorPool, caplog: pytest.LogCaptureFixture) -> None:
        with serving_401() as port:
            anonymous = pool.get(f"http://127.0.0.1:{port}/private.git")
            with pytest.raises(AuthenticationFailed) as caught:
                anonymous.fetch(timeout=20)
            assert f"http://127.0.0.1:{port}/private.git" in caught.value.message
            assert "ssh agent or a credential helper" in caught.value.message
            with_password = pool.get(f"http://alice:s3cret@127.0.0.1:{port}/private.git")
            caplog.set_level("DEBUG", logger="gitops_tui.source.git")
            with pytest.raises(AuthenticationFailed) as caught:
                with_password.fetch(timeout=20)
        assert "s3cret" not in caught.value.message and "s3cret" not in caught.value.detail
        assert caplog.messages and all("s3cret" not in message for message in caplog.messages)

    def test_deleted_mirror_is_cloned_again(self, pool: MirrorPool, remote: GitRemote) -> None:
        sha = remote.commit({"a.yaml": "a: 1\n"})
        mirror = fetched(pool, remote)
        assert mirror.read_file(sha, "a.yaml") == b"a: 1\n"
        shutil.rmtree(mirror.path)
        mirror.fetch()
        assert mirror.read_file(sha, "a.yaml") == b"a: 1\n"

    def test_last_fetched_state_survives_a_failed_fetch(self, pool: MirrorPool, remote: GitRemote) -> None:
        sha = remote.commit({"app/a.yaml": "a: 1\n"})
        mirror = fetched(pool, remote)
        remote.disappear()
        with pytest.raises(UnreachableRemote):
            mirror.fetch()
        assert mirror.resolve("main").sha == sha
        assert mirror.read_file(sha, "app/a.yaml") == b"a: 1\n"
        assert mirror.stats.failures == 1

    def test_fetch_timeout(self, pool: MirrorPool, remote: GitRemote, tmp_path: Path) -> None:
        remote.commit({"a.yaml": "a: 1\n"})
        mirror = fetched(pool, remote)
        never_written = tmp_path / "never"
        os.mkfifo(never_written)
        hang = tmp_path / "hang.sh"
        hang.write_text(f'#!/bin/sh\ncat "{never_written}" >/dev/null\nexec git upload-pack "$@"\n')
        hang.chmod(0o755)
        remote.git(f"--git-dir={mirror.path}", "config", "remote.origin.uploadpack", str(hang), cwd=None)
        with pytest.raises(UnreachableRemote, match="timed out"):
            mirror.fetch(timeout=0.5)
        assert mirror.resolve("main").sha == remote.sha()


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    """Poll `condition` until it holds; fail (never hang) when it does not within `timeout`."""
    tick = threading.Event()
    deadline = timeout / 0.01
    while not condition():
        deadline -= 1
        assert deadline > 0, f"timed out waiting for {what}"
        tick.wait(0.01)


class TestSingleFlight:
    def test_concurrent_fetches_run_git_once(self, tmp_path: Path, remote: GitRemote) -> None:
        """Callers arriving while a fetch runs wait for it: the remote serves one round only.

        An upload-pack wrapper counts every time the remote is contacted, and holds the first
        contact open until the other callers are known to be waiting.
        """
        remote.commit({"a.yaml": "a: 1\n"})
        pool = MirrorPool(tmp_path / "cache", fetch_timeout=20.0)
        mirror = fetched(pool, remote)
        new_sha = remote.commit({"a.yaml": "a: 2\n"})  # so the next fetch must download

        contacts, started, gate, released = (tmp_path / n for n in ("contacts", "started", "gate", "released"))
        os.mkfifo(started)
        os.mkfifo(gate)
        wrapper = tmp_path / "counting-upload-pack.sh"
        wrapper.write_text(
            "#!/bin/sh\n"
            f'echo contact >> "{contacts}"\n'
            f'if [ ! -e "{released}" ]; then echo started > "{started}"; cat "{gate}" >/dev/null; fi\n'
            'exec git upload-pack "$@"\n'
        )
        wrapper.chmod(0o755)
        remote.git(f"--git-dir={mirror.path}", "config", "remote.origin.uploadpack", str(wrapper), cwd=None)
        before = mirror.stats
        errors: list[BaseException] = []

        def fetch() -> None:
            try:
                pool.get(remote.url).fetch()
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=fetch) for _ in range(6)]
        threads[0].start()
        started.read_text()  # blocks until the first fetch is talking to the remote
        for thread in threads[1:]:
            thread.start()
        try:
            wait_for(lambda: mirror.stats.joined - before.joined == 5, "the other callers to join")
        finally:
            released.touch()
            with open(gate, "w"):
                pass
            for thread in threads:
                thread.join(timeout=30)
        assert errors == []
        assert contacts.read_text().splitlines() == ["contact", "contact"]  # one ls-remote, one fetch
        assert mirror.stats.runs - before.runs == 1
        assert mirror.resolve("main").sha == new_sha

    def test_waiting_callers_share_the_failure(self, pool: MirrorPool, tmp_path: Path) -> None:
        mirror = pool.get((tmp_path / "missing.git").as_uri())
        for _ in range(2):
            with pytest.raises(UnreachableRemote):
                mirror.fetch()
        assert (mirror.stats.runs, mirror.stats.failures) == (2, 2)


class TestRedaction:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("https://user:pw@host/x.git", "https://user:***@host/x.git"),
            ("fatal: https://ghp_TOKEN@github.com/o/r failed", "fatal: https://***@github.com/o/r failed"),
            ("a http://u:p@h/x and ssh://git:k@h2/y", "a http://u:***@h/x and ssh://git:***@h2/y"),
            ("git@github.com:org/repo.git", "git@github.com:org/repo.git"),
            ("https://host/x.git", "https://host/x.git"),
        ],
    )
    def test_redact_url(self, text: str, expected: str) -> None:
        assert redact_url(text) == expected


class TestReading:
    def test_history_lists_commits_touching_the_path(self, pool: MirrorPool, remote: GitRemote) -> None:
        a1 = remote.commit({"apps/a/x.yaml": "v: 1\n"}, "a one")
        remote.commit({"apps/b/x.yaml": "v: 1\n"}, "b one")
        a2 = remote.commit({"apps/a/x.yaml": "v: 2\n"}, "a two")
        remote.commit({"README": "hi\n"}, "docs")
        mirror = fetched(pool, remote)
        assert [c.sha for c in mirror.history("main", "apps/a")] == [a2, a1]
        assert [c.subject for c in mirror.history("main", "apps/a", limit=1)] == ["a two"]
        assert len(mirror.history("HEAD")) == 4
        assert mirror.history(a1, "apps/b") == []

    def test_list_files_and_symlinks(self, pool: MirrorPool, remote: GitRemote) -> None:
        sha = remote.commit(
            {
                "app/a.yaml": "a: 1\n",
                "app/sub/b.yaml": "b: 1\n",
                "app/link.yaml": Symlink("a.yaml"),
            }
        )
        mirror = fetched(pool, remote)
        top = {e.path: e.kind for e in mirror.list_files(sha, "app", recursive=False)}
        assert top == {"app/a.yaml": "file", "app/link.yaml": "symlink", "app/sub": "dir"}
        deep = {e.path: e.kind for e in mirror.list_files(sha, "./app/", recursive=True)}
        assert deep == {"app/a.yaml": "file", "app/link.yaml": "symlink", "app/sub/b.yaml": "file"}
        assert mirror.read_file(sha, "app/link.yaml") == b"a.yaml"  # a symlink's blob is its target
        with pytest.raises(PathNotFound):
            mirror.list_files(sha, "nope", recursive=True)
        with pytest.raises(PathNotFound):
            mirror.read_file(sha, "app/missing.yaml")
        with pytest.raises(PathNotFound, match="leaves the repository"):
            mirror.list_files(sha, "../outside", recursive=True)

    def test_export_writes_the_tree(self, pool: MirrorPool, remote: GitRemote, tmp_path: Path) -> None:
        first = remote.commit({"k/kustomization.yaml": "resources: []\n", "k/link": Symlink("kustomization.yaml")})
        remote.commit({"k/kustomization.yaml": None, "k/link": None, "later.txt": "x"})
        mirror = fetched(pool, remote)
        dest = tmp_path / "export"
        dest.mkdir()
        mirror.export(first, dest)
        assert (dest / "k/kustomization.yaml").read_text() == "resources: []\n"
        assert (dest / "k/link").is_symlink()
        assert not (dest / "later.txt").exists()

    @pytest.mark.parametrize("target", ["../../etc/passwd", "/etc/passwd", "up/../../x"])
    def test_export_refuses_escaping_symlinks(
        self, pool: MirrorPool, remote: GitRemote, tmp_path: Path, target: str
    ) -> None:
        sha = remote.commit({"k/a.yaml": "a: 1\n", "k/evil": Symlink(target), "k/up": Symlink("..")})
        mirror = fetched(pool, remote)
        dest = tmp_path / "export"
        dest.mkdir()
        with pytest.raises(UnsafeSymlink, match="outside the repository"):
            mirror.export(sha, dest)
        assert list(dest.iterdir()) == []


class TestPool:
    def test_same_url_same_mirror(self, tmp_path: Path) -> None:
        pool = MirrorPool(tmp_path / "cache")
        one = pool.get("https://Example.com/org/repo.git")
        assert pool.get("https://example.com/org/repo") is one
        assert pool.get("https://example.com/org/repo/") is one
        other = pool.get("https://example.com/org/other")
        assert other is not one and other.path != one.path
        assert one.path.parent == tmp_path / "cache"
        assert one.path.name.startswith("example.com-org-repo-")

    def test_directory_name_hides_credentials(self, tmp_path: Path) -> None:
        mirror = MirrorPool(tmp_path).get("https://bob:hunter2@example.com/org/repo.git")
        assert "hunter2" not in mirror.path.name and "bob" not in mirror.path.name

    def test_default_cache_dir_follows_xdg(self) -> None:
        assert default_cache_dir().parts[-2:] == ("gitops-tui", "repos")
