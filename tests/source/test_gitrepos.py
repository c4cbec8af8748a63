"""The test helper itself: the same script builds the same history anywhere."""

from __future__ import annotations

from collections.abc import Callable

from tests.gitrepos import GitRemote, Symlink


def build(remote: GitRemote) -> list[str]:
    first = remote.commit({"a.yaml": "a: 1\n", "link": Symlink("a.yaml")}, "one")
    remote.tag("v1", annotated=True)
    second = remote.commit({"a.yaml": None, "b/c.yaml": b"c: 1\n"}, "two")
    feature = remote.commit({"f.yaml": "f: 1\n"}, "feature", branch="feature")
    remote.force_push("main", first)
    return [first, second, feature, remote.bare_git("rev-parse", "refs/heads/main"), remote.bare_git("rev-parse", "v1")]


def test_histories_are_reproducible(make_remote: Callable[..., GitRemote]) -> None:
    one, two = build(make_remote("one")), build(make_remote("two"))
    assert one == two
    first, _second, _feature, main_on_remote, tag_object = one
    assert main_on_remote == first  # the force-push moved the remote branch back
    assert tag_object != first  # annotated: the tag is an object of its own
