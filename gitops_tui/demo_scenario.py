"""`gitops-tui demo --scenario`: a story that moves by itself while the console watches.

Each step waits for the console to have reacted to the one before (conditions with deadlines,
never fixed pauses), so the story reads the same on a fast laptop and a slow CI machine:

1. a new guestbook build is pushed; guestbook auto-syncs to it;
2. someone scales guestbook-web by hand; self-heal puts it back;
3. a broken orders build (image tag `crashloop`) is pushed; orders auto-syncs and degrades, and the
   failed revision is not retried.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from gitops_tui.cluster.client import ClusterClient
from gitops_tui.cluster.errors import Target
from gitops_tui.engine.reconciler import Reconciler
from gitops_tui.model import AppState, HealthStatus, SyncStatus
from gitops_tui.sandbox.demorepo import BROKEN_ORDERS_BUILD, NEW_GUESTBOOK_BUILD, DemoRepository, push

STEP_TIMEOUT = 120.0
Say = Callable[[str], None]


class ScenarioError(Exception):
    pass


async def wait_for(
    reconciler: Reconciler, what: str, condition: Callable[[dict[str, AppState]], bool], timeout: float = STEP_TIMEOUT
) -> None:
    deadline = time.monotonic() + timeout
    while not condition(dict(reconciler.snapshot())):
        if time.monotonic() > deadline:
            raise ScenarioError(f"the demo story stalled: no {what} after {timeout:.0f} s")
        await asyncio.sleep(0.2)


def healthy_and_synced(name: str, sha: str = "") -> Callable[[dict[str, AppState]], bool]:
    def check(states: dict[str, AppState]) -> bool:
        state = states.get(name)
        return bool(
            state
            and state.sync is SyncStatus.SYNCED
            and state.health.status is HealthStatus.HEALTHY
            and (not sha or (state.revision is not None and state.revision.sha == sha))
        )

    return check


async def run_story(reconciler: Reconciler, repo: DemoRepository, client: ClusterClient, say: Say) -> None:
    await wait_for(reconciler, "healthy guestbook", healthy_and_synced("guestbook"))

    say("scenario: Bob pushes guestbook web 1.2.0; guestbook syncs itself (automated)")
    sha = await asyncio.to_thread(push, repo.work, NEW_GUESTBOOK_BUILD)
    reconciler.refresh("guestbook")  # what a Git webhook would do; the poll would find it too
    await wait_for(reconciler, "guestbook on the new build", healthy_and_synced("guestbook", sha))

    say("scenario: someone runs `kubectl scale deployment/guestbook-web --replicas=5`; self-heal undoes it")
    before_scale = _last_event_seq(reconciler)
    await asyncio.to_thread(_scale_by_hand, client, "guestbook", "guestbook-web", 5)
    await wait_for(reconciler, "drift on guestbook", lambda _: _drift_seen(reconciler, "guestbook", before_scale), 30)
    await wait_for(reconciler, "self-heal of guestbook", healthy_and_synced("guestbook", sha))

    say("scenario: Carol pushes a broken orders build (image tag crashloop); orders syncs it and degrades")
    await asyncio.to_thread(push, repo.work, BROKEN_ORDERS_BUILD)
    reconciler.refresh("orders")
    await wait_for(reconciler, "degraded orders", lambda s: s["orders"].health.status is HealthStatus.DEGRADED)
    await wait_for(reconciler, "the end of the orders sync", lambda _: _operation_over(reconciler, "orders"))
    say("scenario: done. Roll orders back (R in the console, or `gitops-tui rollback orders`) to heal it.")


def _last_event_seq(reconciler: Reconciler) -> int:
    events = reconciler.events()
    return events[-1].seq if events else 0


def _drift_seen(reconciler: Reconciler, app: str, since: int) -> bool:
    """Drift shown after `since`: from the events, because self-heal may put it back before a poll of the
    snapshot sees the app OutOfSync (a quick machine heals in well under a second)."""
    return any(event.message.endswith("→ OutOfSync") for event in reconciler.events(since, app))


def _operation_over(reconciler: Reconciler, app: str) -> bool:
    operation = reconciler.activity(app).operation
    return operation is not None and operation.phase.completed


def _scale_by_hand(client: ClusterClient, namespace: str, deployment: str, replicas: int) -> None:
    """A merge patch under kubectl's field manager: another client, as a person at a terminal would be."""
    client.request_json(
        "PATCH", f"/apis/apps/v1/namespaces/{namespace}/deployments/{deployment}",
        Target("patch", "deployments.apps", deployment, namespace),
        body={"spec": {"replicas": replicas}}, content_type="application/merge-patch+json",
        query=[("fieldManager", "kubectl-scale")],
    )  # fmt: skip
