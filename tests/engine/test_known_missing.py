"""A first compare takes "missing" from the watch cache where it can: one GET per resource and namespace, not
one per object; a namespace the console may not read is still said to be forbidden, never called missing."""

from __future__ import annotations

from collections import Counter

from gitops_tui.cluster.errors import Target
from gitops_tui.model import SyncStatus
from gitops_tui.sandbox import ForbidRule
from tests.engine.test_reconciler import World, app, compared, configmap, sandbox, world
from tests.waiting import eventually

__all__ = ["sandbox", "world"]  # fixtures, re-exported for pytest


def _requests(world: World) -> Counter[str]:
    target = Target("read the sandbox's request counts")
    return Counter(world.client.request_json("GET", "/_sandbox/requests", target, query=[("by", "resource")]))


async def test_a_first_compare_reads_one_missing_object_per_namespace_not_each(world: World) -> None:
    world.remote.commit({f"many/cm-{n}.yaml": configmap(f"cm-{n}", N=str(n)) for n in range(8)}, "eight configmaps")
    world.client.ensure_namespace("other")
    before = _requests(world)
    reconciler = world.reconciler([app("many", world.remote, "many"), app("far", world.remote, "many", "other")])
    await reconciler.start()
    for name in ("many", "far"):
        state = await eventually(compared(reconciler, name, SyncStatus.OUT_OF_SYNC), what=f"{name} compared")
        assert len(state.resources) == 8
        assert {r.reason for r in state.resources} == {"missing from the cluster"}
    gets = (_requests(world) - before)["get configmaps"]
    assert gets == 2, f"{gets} GETs of ConfigMaps for 16 missing ones in two namespaces"


async def test_a_forbidden_namespace_is_still_said_when_its_neighbour_is_readable(world: World) -> None:
    world.remote.commit({f"many/cm-{n}.yaml": configmap(f"cm-{n}", N=str(n)) for n in range(3)}, "three")
    world.client.ensure_namespace("secret")
    world.server.forbid(ForbidRule(namespace="secret"))
    reconciler = world.reconciler([app("open", world.remote, "many"), app("hidden", world.remote, "many", "secret")])
    await reconciler.start()
    opened = await eventually(compared(reconciler, "open", SyncStatus.OUT_OF_SYNC), what="open compared")
    assert {r.reason for r in opened.resources} == {"missing from the cluster"}
    hidden = await eventually(compared(reconciler, "hidden", SyncStatus.UNKNOWN), what="hidden Unknown")
    assert len(hidden.resources) == 3
    for resource in hidden.resources:  # every one of them, not only the first one read
        assert resource.sync is SyncStatus.UNKNOWN and "forbidden" in resource.reason, resource.reason
