"""`revision_diff`: what a rollback to an older revision would change in the cluster, for the rollback dialog."""

from __future__ import annotations

import base64

import pytest

from gitops_tui.engine.reconciler import Reconciler, ReconcilerError
from gitops_tui.engine.revision_diff import NOT_IN_REVISION
from gitops_tui.model import OperationPhase, SyncStatus
from tests.engine.test_reconciler import app
from tests.engine.test_sync_execute_reconciler import _console, _finished
from tests.engine.test_sync_execute_support import SyncWorld, cluster, configmap, world
from tests.waiting import eventually

__all__ = ["cluster", "world"]  # fixtures, re-exported for pytest


def secret(name: str, password: str) -> str:
    encoded = base64.b64encode(password.encode()).decode()
    return f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\ntype: Opaque\ndata:\n  password: {encoded}\n"


async def _synced(console: Reconciler, after: int = 0) -> int:
    await console.refresh("shop")
    await eventually(lambda: console.snapshot()["shop"].revision is not None, 20, "the compare")
    await console.sync("shop")
    done = await eventually(_finished(console, "shop", after), 20, "the sync")
    assert done.phase is OperationPhase.SUCCEEDED, done.message
    await console.settled("shop")
    return done.id


async def test_an_older_revision_shows_exactly_what_the_rollback_changes_with_secrets_masked(world: SyncWorld) -> None:
    first = world.commit(
        {"shop/settings.yaml": configmap("settings", LEVEL="info"), "shop/db.yaml": secret("db", "hunter2-old")},
        "info",
    )
    console = _console(world, [app("shop", world.remote, "shop")], "console-1")
    await console.start()
    try:
        synced = await _synced(console)
        world.commit(
            {
                "shop/settings.yaml": configmap("settings", LEVEL="debug"),
                "shop/db.yaml": secret("db", "hunter2-new"),
                "shop/extra.yaml": configmap("extra"),
            },
            "debug",
        )
        await _synced(console, synced)
        await eventually(lambda: world.get("ConfigMap", "extra") is not None, 10, "the second sync applied")

        diffs = await console.revision_diff("shop", first)
        by_name = {d.key.name: d for d in diffs}
        assert sorted(by_name) == ["db", "extra", "settings"]
        settings = by_name["settings"]
        assert settings.status is SyncStatus.OUT_OF_SYNC
        assert settings.live is not None and settings.desired is not None
        assert settings.live["data"] == {"LEVEL": "debug"} and settings.desired["data"] == {"LEVEL": "info"}
        assert {**settings.live, "data": None} == {**settings.desired, "data": None}  # nothing else moves
        assert by_name["extra"].reason == NOT_IN_REVISION  # stays: a rollback prunes nothing
        shown = "".join(d.live_yaml + d.desired_yaml for d in diffs)
        for value in ("hunter2-old", "hunter2-new"):
            assert value not in shown and base64.b64encode(value.encode()).decode() not in shown
        db = by_name["db"]
        assert db.live is not None and db.desired is not None
        assert db.live["data"]["password"] != db.desired["data"]["password"]  # distinct values, distinct masks
        assert set(db.live["data"]["password"]) == {"+"}

        again = await console.revision_diff("shop", first)  # the cursor comes back: the same answer, from cache
        assert [(d.key, d.reason) for d in again] == [(d.key, d.reason) for d in diffs]
        current = console.snapshot()["shop"].revision
        assert current is not None and await console.revision_diff("shop", current.sha) == []
    finally:
        await console.stop()


async def test_a_revision_that_cannot_be_rendered_is_a_message_not_a_crash(world: SyncWorld) -> None:
    world.commit({"shop/settings.yaml": configmap("settings", LEVEL="info")}, "info")
    broken = world.commit({"shop/settings.yaml": "kind: ConfigMap\nmetadata: {name: [unclosed\n"}, "broken")
    world.commit({"shop/settings.yaml": configmap("settings", LEVEL="debug")}, "fixed")
    console = _console(world, [app("shop", world.remote, "shop")], "console-1")
    await console.start()
    try:
        await _synced(console)
        with pytest.raises(ReconcilerError, match=f"shop: cannot render revision {broken[:7]}: .*settings.yaml"):
            await console.revision_diff("shop", broken)
        with pytest.raises(ReconcilerError, match="shop: cannot render revision 0000000"):
            await console.revision_diff("shop", "0" * 40)  # gone, as after a force-push
    finally:
        await console.stop()
