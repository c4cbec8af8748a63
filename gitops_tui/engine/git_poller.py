"""Git polling: one schedule per repository, shared by every app that deploys from it.

Each repository is fetched every `interval` plus up to `jitter` seconds (so a fleet of repositories does
not poll in step), or at once on `refresh`. After a fetch every app of the repository resolves its target
revision (once per distinct revision), and renders again only when the commit moved or a hard refresh
asked for it. A hard refresh renders with a fresh `Renderer`, bypassing the render cache.
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
from gitops_tui.source.git import MirrorPool
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

    def next_poll_wall_clock(self) -> datetime | None:
        if self.polling:
            return None
        return datetime.now(UTC) + timedelta(seconds=max(0.0, self.next_at - time.monotonic()))

    def poll_now(self) -> None:
        self.requested = True
        self.wake.set()


class GitPoller:
    def __init__(self, pool: MirrorPool, renderer: Renderer, pools: Pools, events: EventLog, *,
                 interval: float, jitter: float, on_source_changed: Callable[[AppWorker], None],
                 on_polled: Callable[[dict[AppWorker, list[asyncio.Future[AppState]]]], None]) -> None:
        self.pool = pool
        self.renderer = renderer
        self.pools = pools
        self.events = events
        self.interval = interval
        self.jitter = jitter
        self._on_source_changed = on_source_changed
        self._on_polled = on_polled

    async def run(self, repo: RepoSchedule) -> None:
        """Poll `repo` forever (until cancelled)."""
        while True:
            delay = repo.next_at - time.monotonic()
            if delay > 0 and not repo.requested:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(repo.wake.wait(), delay)
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
        try:
            await run_in(self.pools.git, mirror.fetch)
        except GitError as exc:
            fetch_error = f"cannot fetch {mirror.display_url}: {exc.message}"
        resolved: dict[str, asyncio.Future[CommitInfo]] = {}

        def resolve(revision: str) -> asyncio.Future[CommitInfo]:
            if revision not in resolved:
                resolved[revision] = asyncio.ensure_future(run_in(self.pools.git, mirror.resolve, revision))
            return resolved[revision]

        await asyncio.gather(*(self._update(worker, fetch_error, resolve) for worker in list(repo.workers)))

    async def _update(self, worker: AppWorker, fetch_error: str,
                      resolve: Callable[[str], asyncio.Future[CommitInfo]]) -> None:
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
            self.events.info(name, f"{name}: new revision {commit.short_sha} on "
                                   f"{worker.spec.source.target_revision} ({commit.subject}, by {commit.author})")
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
