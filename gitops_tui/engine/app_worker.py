"""One app's runtime state in the reconciler, and one compare pass over it.

The reconciler runs at most one pass per app at a time; a change that arrives during a pass marks the
app for another pass, so passes never overlap and no change is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import threading
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from gitops_tui.cluster.errors import ConnectionFailedError
from gitops_tui.engine.app_compare import failed_state
from gitops_tui.engine.auto_sync import AutoSyncMemory
from gitops_tui.engine.clusters_runtime import ClusterRuntime
from gitops_tui.engine.desired import DesiredSet
from gitops_tui.engine.live_compare import IncrementalComparer, Prediction, predict
from gitops_tui.model import AppSpec, AppState, CommitInfo, Health, HealthStatus, SyncPolicy, SyncStatus

T = TypeVar("T")

NOT_COMPARED = "not compared yet"


INLINE_COMPARE = 2
"""Changed resources a pass compares on the event loop itself. One or two cost a fraction of a millisecond,
less than handing them to a thread and waking the loop for the answer (under churn most passes compare one
object); more (an app's first pass, a new revision), or big objects, go to the compute threads."""
INLINE_COMPARE_BYTES = 32 * 1024


@dataclass(frozen=True)
class Pools:
    """The reconciler's own threads: Git and rendering, cluster requests, comparisons, auto-sync claims."""

    git: ThreadPoolExecutor
    cluster: ThreadPoolExecutor
    compute: ThreadPoolExecutor
    claims: ThreadPoolExecutor
    """Heartbeats of the auto-sync claims (auto_sync_claims.py), apart from `cluster`: queued behind a thousand
    first-compare dry-runs there, a heartbeat came late, the console's claims lapsed for a while and the
    automated syncs it considered meanwhile were held back. Threads start only when used."""

    @classmethod
    def make(cls, git: int, cluster: int, compute: int, claims: int = 2) -> Pools:
        return cls(
            ThreadPoolExecutor(git, "reconciler-git"),
            ThreadPoolExecutor(cluster, "reconciler-cluster"),
            ThreadPoolExecutor(compute, "reconciler-compare"),
            ThreadPoolExecutor(claims, "reconciler-claims"),
        )

    async def shutdown(self, timeout: float = 30.0) -> None:
        """Shut the pools down and wait for their threads, without borrowing a thread of the loop's own pool
        (which would outlive this call)."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()

        def join() -> None:
            for executor in (self.git, self.cluster, self.compute, self.claims):
                executor.shutdown(wait=True, cancel_futures=True)
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody waits any more
                loop.call_soon_threadsafe(lambda: done.done() or done.set_result(None))

        joiner = threading.Thread(target=join, name="reconciler-shutdown", daemon=True)
        joiner.start()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(done), timeout)
        joiner.join(0.5)


async def run_in(executor: Executor, fn: Callable[..., T], *args: Any) -> T:
    return await asyncio.get_running_loop().run_in_executor(executor, fn, *args)


@dataclass(eq=False)
class AppWorker:
    spec: AppSpec
    runtime: ClusterRuntime | None = None
    destination_error: str = ""
    source_error: str = ""
    fetch_error: str = ""
    """The last fetch failed but an earlier one gave desired objects: compared with those, and said."""
    """Why Git could not give desired objects (fetch, resolve or render failed), naming repo or file."""
    desired: DesiredSet | None = None
    state: AppState = field(init=False)
    last_good: AppState | None = None
    auto_memory: AutoSyncMemory = field(default_factory=AutoSyncMemory)
    auto_override: bool | None = None
    """set_auto_sync's word over the spec's `automated`; None: as the spec says."""
    auto_note: str = ""
    pause_checked: bool = False
    """Whether a pause persisted by the history store (after a rollback) has been read yet."""
    hard_refresh: bool = False
    poll_waiters: list[asyncio.Future[AppState]] = field(default_factory=list)
    """`refresh` callers waiting for the next poll of the app's repository..."""
    compare_waiters: list[asyncio.Future[AppState]] = field(default_factory=list)
    """...and then for a compare pass that starts after it."""

    def __post_init__(self) -> None:
        self.comparer = IncrementalComparer(self.spec)
        self.state = AppState(self.spec, SyncStatus.UNKNOWN, Health(HealthStatus.UNKNOWN, NOT_COMPARED))

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def target(self) -> CommitInfo | None:
        return self.desired.revision if self.desired is not None else None

    @property
    def sync_policy(self) -> SyncPolicy:
        if self.auto_override is None:
            return self.spec.sync_policy
        return dataclasses.replace(self.spec.sync_policy, automated=self.auto_override)

    def failed(self, error: str) -> AppState:
        return failed_state(self.spec, error, self.target, previous=self.last_good)

    def take_compare_waiters(self) -> list[asyncio.Future[AppState]]:
        waiters, self.compare_waiters = self.compare_waiters, []
        return waiters

    def resolve(self, waiters: list[asyncio.Future[AppState]]) -> None:
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(self.state)


async def compare_pass(worker: AppWorker, pools: Pools, *, server_dry_run: bool = True) -> AppState | None:
    """The app's new state, or None when there is nothing new to say (or not yet: the cache is listing)."""
    if worker.destination_error:
        return worker.failed(worker.destination_error)
    if worker.source_error:
        return worker.failed(worker.source_error)
    runtime = worker.runtime
    if worker.desired is None or runtime is None:
        return None
    reachable = runtime.client.reachability.reachable
    if not runtime.ever_ready:
        if reachable is False:
            return worker.failed(f"cluster {runtime.context} is unreachable: {runtime.client.reachability.error}")
        return None  # the first list is under way: comparing now would call everything Missing
    # A state with an error (or one about to get one) is never "unchanged": the pass must run to set or clear it.
    settled = worker.state if not (worker.state.error or worker.fetch_error) and reachable is not False else None
    plan = worker.comparer.plan(worker.desired, runtime.cache.store, settled)
    if plan is None:
        return None
    runtime.index(worker.name, plan.keys)
    wanted = worker.comparer.wanted_predictions(plan, runtime.cache)
    if wanted and server_dry_run:
        try:
            answers = await asyncio.gather(
                *(run_in(pools.cluster, predict, runtime.client, worker.spec, p.item, p.live) for p in wanted)
            )
        except ConnectionFailedError as exc:
            return worker.failed(f"cluster {runtime.context} is unreachable: {exc.message}")
        found: dict[Any, Prediction] = {p.key: answer for p, answer in zip(wanted, answers, strict=True)}
        worker.comparer.remember_predictions(plan, found)
    if len(plan.changed) <= INLINE_COMPARE and all(
        p.live is None or len(p.live.raw) <= INLINE_COMPARE_BYTES for p in plan.changed
    ):
        plan = worker.comparer.compute(plan)
    else:
        plan = await run_in(pools.compute, worker.comparer.compute, plan)
    state = worker.comparer.assemble(plan)
    notes = [worker.fetch_error] if worker.fetch_error else []
    if runtime.client.reachability.reachable is False:
        # The cache keeps its last picture while the cluster is away: show it, and say how it is known.
        notes.append(
            f"cluster {runtime.context} is unreachable, showing the last known state: "
            f"{runtime.client.reachability.error}"
        )
    return dataclasses.replace(state, error="; ".join(notes)) if notes else state


def same_state(a: AppState, b: AppState) -> bool:
    """Equal but for when it was compared: nothing for the UI to redraw."""
    return (a.sync, a.health, a.revision, a.resources, a.error) == (b.sync, b.health, b.revision, b.resources, b.error)
