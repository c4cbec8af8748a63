"""Git polling: one schedule per repository, shared by every app that deploys from it.

Each repository is fetched every `interval` plus up to `jitter` seconds (so a fleet of repositories does
not poll in step), or at once on `refresh`. After a fetch every app of the repository resolves its target
revision (once per distinct revision), and renders again only when the commit moved or a hard refresh
asked for it. A hard refresh renders with a fresh `Renderer`, bypassing the render cache.

Long fetches show progress: git's progress (a first clone, or any fetch that runs over a second) becomes
the repository's `progress` text, which the reconciler hands to the UI through `activity(app).progress`;
a first clone also leaves an event saying how many objects it brought and how long it took.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from gitops_tui.engine.app_worker import AppWorker, Pools, run_in
from gitops_tui.engine.desired import DesiredSet, build_desired
from gitops_tui.engine.events import EventLog
from gitops_tui.model import AppState, CommitInfo
from gitops_tui.source.errors import GitError, RenderError
from gitops_tui.source.fetch_progress import OBJECT_STAGES
from gitops_tui.source.git import FetchProgress, MirrorPool
from gitops_tui.source.render import Renderer

log = logging.getLogger(__name__)


@dataclass(eq=False)
class RepoSchedule:
    url: str
    workers: list[AppWorker]
    next_at: float = 0.0
    """time.monotonic() of the next poll; 0 polls at once."""
    polling: bool = False
    requested: bool = False
    """A poll was asked for (refresh) and has not started yet."""
    last_polled_at: datetime | None = None
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    progress: str = ""
    """A long fetch running now, in words ("cloning https://… 45% (receiving objects 1200/2700)"), else ""."""

    def next_poll_wall_clock(self) -> datetime | None:
        if self.polling:
            return None
        return datetime.now(UTC) + timedelta(seconds=max(0.0, self.next_at - time.monotonic()))

    def poll_now(self) -> None:
        self.requested = True
        self.wake.set()


class GitPoller:
    def __init__(
        self,
        pool: MirrorPool,
        renderer: Renderer,
        pools: Pools,
        events: EventLog,
        *,
        interval: float,
        jitter: float,
        on_source_changed: Callable[[AppWorker], None],
        on_polled: Callable[[dict[AppWorker, list[asyncio.Future[AppState]]]], None],
        on_progress: Callable[[RepoSchedule], None] | None = None,
    ) -> None:
        """`on_progress(repo)`: the repository's `progress` text changed (at most once per percent)."""
        self.pool = pool
        self.renderer = renderer
        self.pools = pools
        self.events = events
        self.interval = interval
        self.jitter = jitter
        self._on_source_changed = on_source_changed
        self._on_polled = on_polled
        self._on_progress = on_progress

    async def run(self, repo: RepoSchedule) -> None:
        """Poll `repo` forever (until cancelled)."""
        while True:
            delay = repo.next_at - time.monotonic()
            if delay > 0 and not repo.requested:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay):  # not wait_for: it can swallow a stop (Python 3.11)
                        await repo.wake.wait()
            repo.wake.clear()
            if not repo.requested and time.monotonic() < repo.next_at:
                continue
            repo.polling, repo.requested = True, False
            # Callers that asked before this poll started are answered after it; later ones by the next.
            waiting = {w: w.poll_waiters for w in repo.workers if w.poll_waiters}
            for worker in waiting:
                worker.poll_waiters = []
            try:
                await self.poll(repo)
            except Exception:  # a bug here must not end polling for good
                log.exception("polling %s failed", repo.url)
            finally:
                repo.polling = False
                repo.last_polled_at = datetime.now(UTC)
                repo.next_at = time.monotonic() + self.interval + random.uniform(0, self.jitter)
                self._on_polled(waiting)

    async def poll(self, repo: RepoSchedule) -> None:
        mirror = self.pool.get(repo.url)
        fetch_error = ""
        watcher = FetchWatcher(repo, mirror.display_url, self._on_progress)
        try:
            await run_in(self.pools.git, mirror.fetch, None, watcher.from_git_thread())
        except GitError as exc:
            fetch_error = f"cannot fetch {mirror.display_url}: {exc.message}"
        finally:
            watcher.finished()
        if watcher.cloned and not fetch_error:
            self.events.info("", watcher.clone_summary())
        resolved: dict[str, asyncio.Future[CommitInfo]] = {}

        def resolve(revision: str) -> asyncio.Future[CommitInfo]:
            if revision not in resolved:
                resolved[revision] = asyncio.ensure_future(run_in(self.pools.git, mirror.resolve, revision))
            return resolved[revision]

        await asyncio.gather(*(self._update(worker, fetch_error, resolve) for worker in list(repo.workers)))

    async def _update(
        self, worker: AppWorker, fetch_error: str, resolve: Callable[[str], asyncio.Future[CommitInfo]]
    ) -> None:
        name = worker.name
        hard, worker.hard_refresh = worker.hard_refresh, False
        if fetch_error and worker.desired is not None:
            # The mirror keeps what it fetched last: go on comparing with that, and say so.
            worker.fetch_error = f"{fetch_error} (comparing with {worker.desired.revision.short_sha}, fetched before)"
            self._on_source_changed(worker)
            return
        if fetch_error:
            self._fail(worker, fetch_error)
            return
        if worker.fetch_error:
            worker.fetch_error = ""
            self._on_source_changed(worker)
        try:
            commit = await resolve(worker.spec.source.target_revision)
        except GitError as exc:
            self._fail(worker, exc.message)
            return
        previous = worker.target
        if previous is not None and previous.sha == commit.sha and not hard and not worker.source_error:
            return
        try:
            desired = await run_in(self.pools.git, self._render, worker, commit, hard)
        except RenderError as exc:
            self._fail(worker, f"render failed: {exc.message}")
            return
        worker.desired = desired
        if previous is not None and previous.sha != commit.sha:
            self.events.info(
                name,
                f"new revision {commit.short_sha} on "
                f"{worker.spec.source.target_revision} ({commit.subject}, by {commit.author})",
            )
        if worker.source_error:
            worker.source_error = ""
        self._on_source_changed(worker)

    def _render(self, worker: AppWorker, commit: CommitInfo, hard: bool) -> DesiredSet:
        renderer = Renderer(self.pool, self.renderer.timeout) if hard else self.renderer
        result = renderer.render(worker.spec, commit.sha)
        mapper = worker.runtime.client.mapper if worker.runtime is not None else None
        return build_desired(worker.spec, commit, result.objects, mapper, result.warnings)

    def _fail(self, worker: AppWorker, error: str) -> None:
        # Told even when it is the same failure again: the app's refresh waiters are waiting for this poll.
        worker.source_error = error
        self._on_source_changed(worker)


LONG_FETCH = 1.0
"""Seconds an ordinary fetch runs before its progress is shown (a first clone shows it at once)."""


class FetchWatcher:
    """One fetch's progress, carried from git's thread to the loop and into `repo.progress`."""

    def __init__(
        self, repo: RepoSchedule, display_url: str, on_progress: Callable[[RepoSchedule], None] | None
    ) -> None:
        self.repo = repo
        self.display_url = display_url
        """Without credentials: events and the screen never show them."""
        self.on_progress = on_progress
        self.done = False
        self.started = time.monotonic()
        self.cloned = False
        self.objects: int | None = None
        self._shown: tuple[str, int | None] | None = None

    def from_git_thread(self) -> Callable[[FetchProgress], None]:
        loop = asyncio.get_running_loop()

        def report(step: FetchProgress) -> None:
            with contextlib.suppress(RuntimeError):  # the loop closed while git still talked
                loop.call_soon_threadsafe(self._step, step)

        return report

    def _step(self, step: FetchProgress) -> None:
        if self.done:  # a late line from git after the fetch returned
            return
        self.cloned = self.cloned or step.cloning
        if step.stage in OBJECT_STAGES and step.total:
            self.objects = step.total
        if not step.cloning and time.monotonic() - self.started < LONG_FETCH:
            return
        shown = (step.stage, step.percent if step.total else step.current // 1000)
        if shown != self._shown:  # a new stage or percent: tell the UI, not every line git writes
            self._shown = shown
            self.repo.progress = step.describe()
            if self.on_progress is not None:
                self.on_progress(self.repo)

    def finished(self) -> None:
        self.done = True
        if self.repo.progress:
            self.repo.progress = ""
            if self.on_progress is not None:
                self.on_progress(self.repo)

    def clone_summary(self) -> str:
        took = f"in {time.monotonic() - self.started:.1f} s"
        if self.objects is None:
            return f"cloned {self.display_url} {took}"
        return f"cloned {self.display_url}: {self.objects} objects {took}"
