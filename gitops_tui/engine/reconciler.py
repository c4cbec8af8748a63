"""The reconciler: the console's one loop over Git and the clusters, and the API the UI and the CLI call.

    reconciler = Reconciler(apps, kubeconfig=load_kubeconfig())
    await reconciler.start()
    async for changes in reconciler.subscribe():      # at most ~10 a second
        states = reconciler.snapshot()                # immutable AppStates
    await reconciler.refresh("guestbook", hard=True)
    await reconciler.stop()

Everything here runs on one asyncio loop and owns all state; Git, rendering, cluster requests and the
comparisons themselves run on the reconciler's own thread pools (`Pools`), so nothing blocks the loop for
long and `stop()` can join every thread it started. An app is compared when Git gives it new desired
objects or when a live object of its changes (event-driven, from the cache's watch events, coalesced per
app); a problem of one app (bad YAML, an unknown cluster, an unreachable repository) is that app's state,
never the others'. Read-only mode is enforced here, on every write path.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType

from gitops_tui.cluster.cache import CacheEvent
from gitops_tui.cluster.client import ClientSettings
from gitops_tui.cluster.clusters import Clusters
from gitops_tui.cluster.errors import ClusterError
from gitops_tui.cluster.kubeconfig import KubeConfig
from gitops_tui.engine.app_reads import preview_sync, view_diff
from gitops_tui.engine.app_worker import AppWorker, Pools, same_state
from gitops_tui.engine.auto_sync_driver import AutoSyncDriver
from gitops_tui.engine.change_feed import ChangeFeed, Subscription
from gitops_tui.engine.clusters_runtime import ClusterRuntime, ClusterRuntimes
from gitops_tui.engine.compare_queue import CompareQueue
from gitops_tui.engine.diff import ResourceDiff
from gitops_tui.engine.events import EventLog, record_transitions
from gitops_tui.engine.git_poller import GitPoller, RepoSchedule
from gitops_tui.engine.operations import (
    HistoryStore,
    MemoryHistory,
    ReadOnlyModeError,
    ReconcilerError,
    SyncExecutor,
    SyncRequest,
    UnknownAppError,
)
from gitops_tui.engine.operations_runner import OperationsRunner, release_leases
from gitops_tui.engine.read_only import context_read_only, refuse_context_writes
from gitops_tui.engine.reconciler_settings import ReconcilerSettings
from gitops_tui.engine.resource_tree import TreeNode, resource_tree
from gitops_tui.engine.revision_diff import RevisionDiffs
from gitops_tui.engine.shared_pause import SharedPause
from gitops_tui.engine.sync_plan import SyncPlan
from gitops_tui.model import (
    AppActivity,
    AppSpec,
    AppState,
    Changes,
    ClusterFreshness,
    Event,
    Health,
    HistoryEntry,
    Operation,
    ResourceKey,
)
from gitops_tui.source.cachedir import mirror_key
from gitops_tui.source.git import MirrorPool
from gitops_tui.source.render import Renderer

RENDER_CACHE_SIZE = 32

__all__ = ["ReadOnlyModeError", "Reconciler", "ReconcilerError", "ReconcilerSettings", "SyncRequest", "UnknownAppError"]


class Reconciler:
    def __init__(
        self,
        apps: Sequence[AppSpec],
        *,
        kubeconfig: KubeConfig | None = None,
        clusters: Clusters | None = None,
        pool: MirrorPool | None = None,
        settings: ReconcilerSettings | None = None,
        executor: SyncExecutor | None = None,
        history: HistoryStore | None = None,
    ) -> None:
        """`clusters` (or one built from `kubeconfig`) is owned from now on: `stop()` closes it."""
        self.settings = settings = settings or ReconcilerSettings()
        if clusters is None:
            if kubeconfig is None:
                raise ValueError("Reconciler needs a kubeconfig or a Clusters")
            client_settings = settings.client
            if settings.read_only and not client_settings.read_only:  # belt and braces: the client refuses too
                client_settings = ClientSettings(**{**client_settings.__dict__, "read_only": True})
            clusters = Clusters(kubeconfig, client_settings=client_settings, cache_settings=settings.cache)
        self.pool = pool or MirrorPool()
        # Renders are redone only when a commit moves (or on a hard refresh), so the render cache serves
        # little here but would hold every app's parsed objects: keep it small.
        self.renderer = Renderer(self.pool, cache_size=RENDER_CACHE_SIZE)
        self.history_store: HistoryStore = history or MemoryHistory()
        self._feed = ChangeFeed()
        self._events = EventLog(on_record=lambda _event: self._feed.events_recorded())
        self._runtimes = ClusterRuntimes(clusters, self._on_cache_event, self._on_cache_status)
        self._workers: dict[str, AppWorker] = {spec.name: AppWorker(spec) for spec in apps}
        self._states: dict[str, AppState] = {name: w.state for name, w in self._workers.items()}
        self._repos: dict[str, RepoSchedule] = {}
        self._queue = CompareQueue(self._workers, self._publish, server_dry_run=settings.server_dry_run)
        self._tasks: set[asyncio.Task[object]] = set()
        self._pools: Pools | None = None
        self._ops: OperationsRunner | None = None
        self._executor = executor
        self._auto = AutoSyncDriver(self, getattr(executor, "leases", None))
        self._revision_diffs = RevisionDiffs()
        self._pauses = SharedPause(self, settings.pause_recheck)
        self._running = False
        self._stopped = False

    # ---- lifecycle ----------------------------------------------------------------------------------

    async def start(self) -> None:
        """Start polling, watching and comparing; returns at once (states fill in as they are known)."""
        if self._running:
            return
        if self._stopped:
            raise ReconcilerError("a stopped reconciler cannot start again (its clusters are closed): make a new one")
        self._running = True
        s = self.settings
        self._pools = pools = Pools.make(s.git_threads, s.cluster_threads, s.compute_threads)
        self._ops = OperationsRunner(self, self._executor, self.history_store, self._events, self._feed)
        poller = GitPoller(
            self.pool,
            self.renderer,
            pools,
            self._events,
            interval=s.poll_interval,
            jitter=s.poll_jitter,
            on_source_changed=self._on_source_changed,
            on_polled=self._on_polled,
            on_progress=lambda repo: [self._feed.app_changed(w.name) for w in repo.workers],
        )
        for worker in self._workers.values():
            try:
                worker.runtime = self._runtimes.get(self._runtimes.context_for(worker.spec.destination))
            except ClusterError as exc:
                worker.destination_error = f"{worker.name}: {exc.message}"
                self._mark_dirty(worker.name)
            repo = self._repos.setdefault(
                mirror_key(worker.spec.source.repo_url), RepoSchedule(worker.spec.source.repo_url, [])
            )
            repo.workers.append(worker)
        await self._runtimes.start()
        self._auto.start(list(self._workers.values()))
        for worker in self._workers.values():
            if worker.spec.sync_policy.automated:
                self._spawn(self._ops.load_pause(worker), f"read auto-sync pause {worker.name}")
            else:
                worker.pause_checked = True
        for repo in self._repos.values():
            self._spawn(poller.run(repo), f"poll {repo.url}")
        self._spawn(self._pauses.run(), "recheck shared auto-sync pauses")
        for index in range(max(1, s.compare_workers)):
            self._spawn(self._queue.run(pools), f"compare {index}")

    async def stop(self) -> None:
        """Cancel every task, stop the caches' watch threads and join the reconciler's threads."""
        if not self._running:
            return
        self._running, self._stopped = False, True
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        # Now, so another console need not wait for them to expire: operation leases, auto-sync claims.
        await release_leases(self._executor)
        await self._auto.stop()
        self._feed.close()
        for worker in self._workers.values():  # nobody is left to answer them: answer with what is known
            worker.resolve(worker.poll_waiters + worker.take_compare_waiters())
            worker.poll_waiters = []
        await self._runtimes.aclose()
        if self._pools is not None:
            await self._pools.shutdown()
            self._pools = None

    def _spawn(self, coro: object, name: str) -> asyncio.Task[object]:
        task: asyncio.Task[object] = asyncio.create_task(coro, name=name)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # ---- reads (the UI) -----------------------------------------------------------------------------

    def snapshot(self) -> Mapping[str, AppState]:
        """Every app's latest state, by name; an immutable picture (later changes do not show in it)."""
        return MappingProxyType(dict(self._states))

    def subscribe(self, callback: Callable[[Changes], None] | None = None) -> Subscription:
        """Coalesced changes, at most ~10 a second: `async for changes in subscribe()`, or a callback."""
        return self._feed.subscribe(callback)

    def events(self, since: int = 0, app: str | None = None) -> list[Event]:
        """Recorded events newer than sequence number `since` (the last 10,000 are kept), oldest first."""
        return self._events.since(since, app)

    def freshness(self) -> list[ClusterFreshness]:
        """Per cluster in use: reachable, and the age of the newest news from it."""
        return self._runtimes.freshness()

    def activity(self, app: str) -> AppActivity:
        worker = self._worker(app)
        repo = self._repos.get(mirror_key(worker.spec.source.repo_url))
        policy = worker.sync_policy
        note = (
            worker.auto_note
            or self._auto.note(worker)
            or ("" if policy.automated else "automated sync is not configured")
        )
        return AppActivity(
            repo.next_poll_wall_clock() if repo is not None and self._running else None,
            repo.last_polled_at if repo is not None else None,
            policy.automated,
            note,
            self._ops.latest(app) if self._ops is not None else None,
            self._auto.holder(worker),
            context_read_only(self.settings.read_only_contexts, self._runtimes, worker),
            repo.progress if repo is not None else "",
        )

    def children(self, app: str, key: ResourceKey) -> list[tuple[ResourceKey, Health | None]]:
        """The resource tree one level below one of the app's resources (ReplicaSets, Pods), with health."""
        runtime = self._worker(app).runtime
        return runtime.children(key) if runtime is not None else []

    def resource_tree(self, app: str, key: ResourceKey) -> list[TreeNode]:
        """Everything controllers made below one of the app's resources (ReplicaSets, their Pods), depth first."""
        runtime = self._worker(app).runtime
        return resource_tree(runtime.cache, key) if runtime is not None else []

    async def plan(self, app: str, request: SyncRequest | None = None) -> SyncPlan:
        """What `sync(app, request)` would do now (waves, hooks, prunes); writes nothing, takes no operation slot."""
        return await preview_sync(self._worker(app), self._pools, request or SyncRequest())

    async def diff(self, app: str, key: ResourceKey) -> ResourceDiff | None:
        """One resource's diff (desired against predicted live), for the diff view; None if unknown."""
        return await view_diff(self._worker(app), self._pools, key)

    async def history(self, app: str) -> Sequence[HistoryEntry]:
        return await self.history_store.entries(self._worker(app).spec)

    async def revision_diff(self, app: str, revision: str) -> list[ResourceDiff]:
        """What rolling back to `revision` would change: it rendered as a rollback renders it, against live now
        (changed resources only; Secrets masked; cached per revision and live versions). ReconcilerError, with
        a message for the user, when it cannot be rendered (broken YAML, a commit gone after a force-push)."""
        return await self._revision_diffs.of(self._worker(app), revision, self._operations(), self._pools)

    # ---- commands -----------------------------------------------------------------------------------

    def refresh(self, app: str, hard: bool = False) -> asyncio.Future[AppState]:
        """Poll the app's repository now and compare again; `hard` re-renders, bypassing the render cache.

        Returns at once; the future (which callers may ignore) resolves with the state after the compare.
        """
        worker = self._worker(app)
        waiter: asyncio.Future[AppState] = asyncio.get_running_loop().create_future()
        worker.poll_waiters.append(waiter)
        if hard:
            worker.hard_refresh = True
            worker.comparer.forget()
        repo = self._repos.get(mirror_key(worker.spec.source.repo_url))
        if repo is None or not self._running:
            waiter.set_result(worker.state)
        else:
            repo.poll_now()
        return waiter

    async def sync(self, app: str, request: SyncRequest | None = None) -> Operation:
        """Start a sync; returns the running operation (follow it with `activity` and `subscribe`).

        Raises ReadOnlyModeError in read-only mode (dry runs excepted), NotImplementedError until a
        SyncExecutor (engine/sync.py) is plugged in.
        """
        request = request or SyncRequest()
        worker = self._worker(app)
        if self.settings.read_only and not request.dry_run:
            raise ReadOnlyModeError(
                f"read-only mode: refusing to sync {app} (the console writes nothing to "
                "clusters in read-only mode; a dry-run sync is allowed)"
            )
        if not request.dry_run:
            refuse_context_writes(self.settings.read_only_contexts, self._runtimes, worker, f"sync {app}")
        return await self._operations().start(worker, "sync", request)

    async def rollback(self, app: str, history_id: int | None = None, prune: bool = False) -> Operation:
        """Sync to a history entry's revision (default: the one before the latest) and pause auto-sync for the
        app until `set_auto_sync(app, True)`."""
        worker = self._worker(app)
        if self.settings.read_only:
            raise ReadOnlyModeError(
                f"read-only mode: refusing to roll {app} back (the console writes nothing "
                "to clusters in read-only mode)"
            )
        refuse_context_writes(self.settings.read_only_contexts, self._runtimes, worker, f"roll {app} back")
        operation = await self._operations().rollback(worker, history_id, prune)
        self._spawn(self._pauses.recheck(worker), f"read auto-sync pause {app}")  # held: cleared elsewhere resumes
        return operation

    async def settled(self, app: str) -> None:
        """Wait until the app's last operation has also recorded its history (call before `stop()`)."""
        await self._operations().settled(self._worker(app).name)

    def terminate(self, app: str) -> Operation | None:
        """Ask the app's running sync to stop after its current step; None when nothing runs (or cannot stop)."""
        self._worker(app)
        stop = getattr(self._executor, "terminate", None)  # SyncExecutor's optional extra
        return stop(app) if stop is not None else None

    def set_auto_sync(self, app: str, enabled: bool) -> None:
        """Switch automated sync on or off in every console: the shared pause beside the history, as a rollback
        and `gitops-tui autosync` write it (on also resumes it after a rollback)."""
        worker = self._worker(app)
        if self.settings.read_only:
            raise ReadOnlyModeError(
                f"read-only mode: refusing to switch auto-sync {'on' if enabled else 'off'} "
                f"for {app} (nothing is synced in read-only mode)"
            )
        refuse_context_writes(
            self.settings.read_only_contexts,
            self._runtimes,
            worker,
            f"switch auto-sync {'on' if enabled else 'off'} for {app}",
        )
        self._pauses.switch(worker, enabled)

    # ---- internals: scheduling compares -------------------------------------------------------------

    def _worker(self, app: str) -> AppWorker:
        worker = self._workers.get(app)
        if worker is None:
            raise UnknownAppError(f"no app named {app!r}")
        return worker

    def _operations(self) -> OperationsRunner:
        if self._ops is None:
            raise ReconcilerError("the reconciler is not running (call start() first)")
        return self._ops

    def _mark_dirty(self, app: str) -> None:
        self._queue.mark(app)

    def _publish(self, worker: AppWorker, state: AppState) -> None:
        before = worker.state
        if same_state(before, state):
            return
        worker.state = state
        if not state.error:
            worker.last_good = state
        if before.compared_at is not None:  # the first verdict after start is not a transition
            record_transitions(self._events, before, state)
        elif state.error:
            self._events.error(worker.name, state.error)
        self._states[worker.name] = state
        self._feed.app_changed(worker.name)
        self._consider_auto_sync(worker)

    # ---- internals: news from Git and the clusters --------------------------------------------------

    def _on_source_changed(self, worker: AppWorker) -> None:
        runtime = worker.runtime
        if (
            runtime is not None
            and worker.desired is not None
            and runtime.set_app_kinds(worker.name, worker.desired.kinds)
        ):
            self._spawn(self._runtimes.kinds_changed(runtime), f"watch kinds {runtime.context}")
        self._mark_dirty(worker.name)

    def _on_polled(self, waiting: dict[AppWorker, list[asyncio.Future[AppState]]]) -> None:
        for worker, waiters in waiting.items():
            worker.compare_waiters.extend(waiters)
            self._mark_dirty(worker.name)

    def _on_cache_event(self, runtime: ClusterRuntime, event: CacheEvent) -> None:
        for name in runtime.apps_for(event.key):
            worker = self._workers.get(name)
            if worker is not None and worker.runtime is runtime:
                self._mark_dirty(name)

    def _on_cache_status(self, runtime: ClusterRuntime) -> None:
        severity, message, compare_again = runtime.status_news()
        if severity is not None:
            self._events.record("", severity, message)
        if compare_again:
            for worker in self._workers.values():
                if worker.runtime is runtime:
                    self._mark_dirty(worker.name)
        self._feed.clusters_changed()

    # ---- internals: automated sync (engine/auto_sync_driver.py) ---------------------------------------

    def _consider_auto_sync(self, worker: AppWorker) -> None:
        self._auto.consider(worker)
