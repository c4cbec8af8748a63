"""What the console's compares cost the API server once an app is in sync: a Deployment rolling out (its status
moving on, nothing else) asks for no new server-side dry run."""

from __future__ import annotations

import asyncio
from collections import Counter

from gitops_tui.cluster.errors import Target
from gitops_tui.model import HealthStatus, SyncStatus
from tests.engine.test_reconciler import World, app, compared, sandbox, world
from tests.waiting import eventually

__all__ = ["sandbox", "world"]  # fixtures, re-exported for pytest

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: main, image: "shop/web:1.0"}]
"""


def _requests(world: World) -> Counter[str]:
    target = Target("read the sandbox's request counts")
    return Counter(world.client.request_json("GET", "/_sandbox/requests", target, query=[("by", "resource")]))


async def _patch_web(world: World, body: dict[str, object], subresource: str = "") -> None:
    """Another client (a controller, kubectl scale) merge-patches the web Deployment."""
    await asyncio.to_thread(
        world.client.request_json, "PATCH", f"/apis/apps/v1/namespaces/shop/deployments/web{subresource}",
        Target("patch", "deployments.apps", "web", "shop"), body=body, content_type="application/merge-patch+json",
    )  # fmt: skip


async def _set_status(world: World, **status: int) -> None:
    await _patch_web(world, {"status": status}, "/status")


async def test_a_rollout_that_moves_only_the_status_costs_no_dry_run(world: World) -> None:
    world.remote.commit({"web/web.yaml": DEPLOYMENT}, "web")
    await world.deploy("web", DEPLOYMENT)
    reconciler = world.reconciler([app("web", world.remote, "web")])
    await reconciler.start()
    await eventually(compared(reconciler, "web", SyncStatus.SYNCED), what="web Synced")
    before = _requests(world)
    live = world.client.request_json("GET", "/apis/apps/v1/namespaces/shop/deployments/web", Target("get"))
    generation = live["metadata"]["generation"]
    await _set_status(world, observedGeneration=generation, replicas=2, updatedReplicas=1)
    await _set_status(world, observedGeneration=generation, replicas=2, updatedReplicas=2, readyReplicas=1)
    await _set_status(world, observedGeneration=generation, replicas=2, updatedReplicas=2, readyReplicas=2,
                      availableReplicas=2)  # fmt: skip

    def healthy() -> object:
        state = reconciler.snapshot()["web"]
        return state.health.status is HealthStatus.HEALTHY and state.sync is SyncStatus.SYNCED and state

    await eventually(healthy, what="web Healthy after its rollout")
    spent = _requests(world) - before
    assert spent["patch deployments.apps"] == 3, spent  # the three status writes: no dry run among them


async def _scale(world: World, replicas: int) -> None:
    """kubectl scale: an edit of a field Git declares."""
    await _patch_web(world, {"spec": {"replicas": replicas}})


async def test_drift_in_a_declared_field_and_its_undoing_cost_no_dry_run(world: World) -> None:
    world.remote.commit({"web/web.yaml": DEPLOYMENT}, "web")
    await world.deploy("web", DEPLOYMENT)
    reconciler = world.reconciler([app("web", world.remote, "web")])
    await reconciler.start()
    await eventually(compared(reconciler, "web", SyncStatus.SYNCED), what="web Synced")
    before = _requests(world)

    await _scale(world, 5)
    await eventually(compared(reconciler, "web", SyncStatus.OUT_OF_SYNC), what="web OutOfSync after kubectl scale")
    key = next(r.key for r in reconciler.snapshot()["web"].resources if r.key.kind == "Deployment")
    diff = await reconciler.diff("web", key)
    assert diff is not None and diff.live is not None and diff.desired is not None
    assert (diff.live["spec"]["replicas"], diff.desired["spec"]["replicas"]) == (5, 2)

    await _scale(world, 2)
    await eventually(compared(reconciler, "web", SyncStatus.SYNCED), what="web Synced once scaled back")
    spent = _requests(world) - before
    assert spent["patch deployments.apps"] == 2, spent  # the two scale writes: no dry run among them
