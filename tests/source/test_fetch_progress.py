"""Progress while a mirror is cloned and fetched: git's own progress lines, parsed, from a real repository."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from gitops_tui.source.fetch_progress import FetchProgress, ProgressLines
from gitops_tui.source.git import MirrorPool
from tests.gitrepos import GitRemote

FILES = 300


def many_files(remote: GitRemote, count: int = FILES, tag: str = "a") -> None:
    remote.commit(
        {
            f"app/cm{i}.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cm{i}}}\ndata: {{k: '{tag}{i}'}}\n"
            for i in range(count)
        },
        f"{count} config maps ({tag})",
    )


def object_count(remote: GitRemote) -> int:
    listing = subprocess.run(
        ["git", "rev-list", "--objects", "--all"], cwd=remote.bare, capture_output=True, text=True, check=True
    ).stdout
    return len(listing.splitlines())


@pytest.fixture
def remote(tmp_path: Path) -> GitRemote:
    made = GitRemote.create(tmp_path / "repo")
    many_files(made)
    return made


def test_a_first_clone_reports_every_stage_up_to_all_objects(tmp_path: Path, remote: GitRemote) -> None:
    steps: list[FetchProgress] = []
    MirrorPool(tmp_path / "mirrors").get(remote.url).fetch(progress=steps.append)
    assert steps and all(step.cloning and step.url == remote.url for step in steps)
    receiving = [step for step in steps if step.stage == "receiving objects"]
    assert receiving, [step.describe() for step in steps]
    assert {step.total for step in receiving} == {object_count(remote)}
    percents = [step.percent for step in receiving]
    assert percents == sorted(percents) and percents[-1] == 100 and receiving[-1].done
    assert receiving[-1].describe() == (
        f"cloning {remote.url} 100% (receiving objects {object_count(remote)}/{object_count(remote)})"
    )


def test_a_later_fetch_reports_as_fetching_and_without_a_listener_stays_quiet(
    tmp_path: Path, remote: GitRemote
) -> None:
    mirror = MirrorPool(tmp_path / "mirrors").get(remote.url)
    mirror.fetch()  # no listener: git runs with --quiet, as before
    many_files(remote, tag="b")
    steps: list[FetchProgress] = []
    mirror.fetch(progress=steps.append)
    assert steps and not any(step.cloning for step in steps)
    assert steps[-1].describe().startswith(f"fetching {remote.url} 100% (")


def test_lines_split_across_chunks_and_carriage_returns_are_put_back_together() -> None:
    steps: list[FetchProgress] = []
    lines = ProgressLines("https://git.example.com/repo.git", True, steps.append)
    for chunk in [
        b"Receiving objects:  45% (12",
        b"00/2700), 1.2 MiB | 2 MiB/s\rReceiving objects: 100% (2700/",
        b"2700), done.\nResolving deltas:  50% (5/10)\r",
        b"remote: Enumerating objects: 5, done.\n",
    ]:
        lines.feed(chunk)
    assert [(s.stage, s.current, s.total, s.done) for s in steps] == [
        ("receiving objects", 1200, 2700, False),
        ("receiving objects", 2700, 2700, True),
        ("resolving deltas", 5, 10, False),
    ]
    assert steps[0].describe() == "cloning https://git.example.com/repo.git 44% (receiving objects 1200/2700)"


def test_a_small_fetch_counts_its_objects_while_unpacking() -> None:
    steps: list[FetchProgress] = []
    lines = ProgressLines("file:///srv/repo.git", False, steps.append)
    lines.feed(b"Unpacking objects:  50% (3/6)\rUnpacking objects: 100% (6/6), 1.1 KiB | 1.1 MiB/s, done.\n")
    assert [(s.stage, s.current, s.total, s.done) for s in steps] == [
        ("unpacking objects", 3, 6, False),
        ("unpacking objects", 6, 6, True),
    ]
