"""Long Git work shows progress: a first clone's progress reaches the repository's schedule, the UI's
`activity(app).progress`, and the event log; a quick fetch stays quiet."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gitops_tui.engine.app_worker import AppWorker, Pools
from gitops_tui.engine.events import EventLog
from gitops_tui.engine.git_poller import GitPoller, RepoSchedule
from gitops_tui.model import AppSource, AppSpec, Destination, SyncStatus
from gitops_tui.sandbox import testing as sandbox_testing
from gitops_tui.sandbox.runtime import Sandbox
from gitops_tui.source.git import MirrorPool
from gitops_tui.source.render import Renderer
from tests.engine.test_reconciler import IN_CLUSTER, World, compared
from tests.gitrepos import GitRemote
from tests.source.test_fetch_progress import many_files, object_count
from tests.waiting import eventually

sandbox = sandbox_testing.sandbox

PROGRESS = re.compile(
    r"^cloning (\S+) (\d+)% \((counting objects|compressing objects|receiving objects|"
    r"resolving deltas) (\d+)/(\d+)\)$"
)


@pytest.fixture
def remote(tmp_path: Path) -> GitRemote:
    made = GitRemote.create(tmp_path / "repo")
    many_files(made)
    return made


async def test_a_first_clone_shows_its_progress_then_clears_it(tmp_path: Path, remote: GitRemote) -> None:
    pool = MirrorPool(tmp_path / "mirrors")
    pools = Pools.make(1, 1, 1)
    events = EventLog()
    worker = AppWorker(AppSpec("big", AppSource(remote.url, "app"), Destination(server=IN_CLUSTER, namespace="x")))
    repo = RepoSchedule(remote.url, [worker])
    shown: list[str] = []
    poller = GitPoller(
        pool,
        Renderer(pool),
        pools,
        events,
        interval=3600,
        jitter=0,
        on_source_changed=lambda _worker: None,
        on_polled=lambda _waiting: None,
        on_progress=lambda schedule: shown.append(schedule.progress),
    )
    try:
        await poller.poll(repo)
        assert shown[-1] == "" and repo.progress == ""  # cleared when the clone ended
        steps = [PROGRESS.match(text) for text in shown[:-1]]
        assert steps and all(steps), shown[:5]
        receiving = [int(m.group(2)) for m in steps if m and m.group(3) == "receiving objects"]
        assert receiving == sorted(set(receiving)) and receiving[-1] == 100  # once per percent, in order
        assert all(m.group(1) == remote.url for m in steps if m)
        assert [e.message for e in events.since(0)][-1].startswith(
            f"cloned {remote.url}: {object_count(remote)} objects in "
        )

        # The next poll fetches a small change quickly: no progress flickers, no clone event.
        remote.commit({"app/extra.yaml": "kind: ConfigMap\nmetadata: {name: extra}\n"}, "one more")
        before_events, before_shown = len(events.since(0)), len(shown)
        await poller.poll(repo)
        assert len(shown) == before_shown and len(events.since(0)) == before_events
    finally:
        await pools.shutdown()


async def test_the_reconciler_says_what_it_cloned(tmp_path: Path, sandbox: Sandbox) -> None:
    world = World(tmp_path, sandbox)
    many_files(world.remote)
    spec = AppSpec("big", AppSource(world.remote.url, "app"), Destination(server=IN_CLUSTER, namespace="shop"))
    reconciler = world.reconciler([spec])
    try:
        await reconciler.start()
        await eventually(compared(reconciler, "big", SyncStatus.OUT_OF_SYNC), what="big compared")
        cloned = [e.message for e in reconciler.events() if e.message.startswith("cloned ")]
        assert cloned == [cloned[0]] and f"cloned {world.remote.url}: {object_count(world.remote)} objects" in cloned[0]
        assert reconciler.activity("big").progress == ""
    finally:
        await reconciler.stop()
        world.client.close()
