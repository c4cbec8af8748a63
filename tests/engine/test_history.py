"""Deployment history in a ConfigMap: survives restarts and concurrent writers, trims, falls back to a file on 403."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gitops_tui.engine.history import HistoryRecord, HistoryStore, rollback_target, should_record
from gitops_tui.engine.history_store import ConfigMapBackend, HistoryDocument
from gitops_tui.engine.operations import ReadOnlyModeError, ReconcilerError, SyncRequest
from gitops_tui.model import CommitInfo, HistoryEntry, Operation, OperationPhase, ResourceKey
from gitops_tui.sandbox import ForbidRule
from tests.engine.test_sync_execute_support import SyncWorld, cluster, world

__all__ = ["cluster", "world"]  # fixtures, re-exported for pytest

START = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def _commit(n: int) -> CommitInfo:
    return CommitInfo(f"{n:040x}", "Ada Author", "ada@example.test", START, f"change {n}")


def _operation(
    n: int, *, initiated_by: str = "user", phase: OperationPhase = OperationPhase.SUCCEEDED, dry_run: bool = False
) -> Operation:
    return Operation(
        n,
        "shop",
        "sync",
        f"{n:040x}",
        initiated_by,
        START + timedelta(minutes=n),
        phase=phase,
        finished_at=START + timedelta(minutes=n, seconds=30),
        dry_run=dry_run,
    )


def _store(world: SyncWorld, **kwargs) -> HistoryStore:
    return HistoryStore(lambda app: world.client, local_dir=world.tmp_path / "local-history", **kwargs)


def _configmap(world: SyncWorld, app: str = "shop") -> dict | None:
    return world.client.get(ResourceKey("", "ConfigMap", "gitops-tui", f"gitops-tui-history-{app}"))


async def test_an_entry_per_sync_kept_in_a_configmap_and_read_after_a_restart(world: SyncWorld) -> None:
    app = world.app()
    store = _store(world)
    first = await store.record(app, _operation(1), _commit(1))
    await store.record(app, _operation(2, initiated_by="automated"), _commit(2))
    assert first.id == 1 and first.revision == _commit(1).sha
    assert store.location(app) == f"ConfigMap gitops-tui/gitops-tui-history-shop on context {world.client.context}"

    restarted = _store(world)  # a new console process: nothing in memory
    entries = await restarted.entries(app)
    assert [e.id for e in entries] == [1, 2]
    one, two = entries
    assert isinstance(one, HistoryRecord)
    assert one.deployed_at == START + timedelta(minutes=1, seconds=30)
    assert one.deploy_started_at == START + timedelta(minutes=1)
    assert (one.author, one.subject) == ("Ada Author", "change 1")
    assert one.initiated_by not in ("", "automated") and two.initiated_by == "automated"
    stored = json.loads(_configmap(world)["data"]["history.json"])  # type: ignore[index]
    assert stored[0]["deployedAt"] == "2026-11-26T12:01:30Z" and stored[0]["deployStartedAt"] == "2026-11-26T12:01:00Z"


async def test_history_is_trimmed_and_ids_never_repeat(world: SyncWorld) -> None:
    app = world.app(history_limit=2)
    store = _store(world)
    for n in range(1, 5):
        await store.record(app, _operation(n), _commit(n))
    assert [e.id for e in await store.entries(app)] == [3, 4]
    assert [e.revision for e in await store.entries(app)] == [_commit(3).sha, _commit(4).sha]


async def test_only_successful_full_syncs_are_recorded(world: SyncWorld) -> None:
    app = world.app()
    store = _store(world)
    with pytest.raises(ReconcilerError, match="only a successful, non-dry-run sync"):
        await store.record(app, _operation(1, dry_run=True), _commit(1))
    with pytest.raises(ReconcilerError):
        await store.record(app, _operation(1, phase=OperationPhase.FAILED), _commit(1))
    assert await store.entries(app) == ()
    assert should_record(_operation(1), SyncRequest())
    assert not should_record(_operation(1), SyncRequest(resources=frozenset()))  # selective
    assert not should_record(_operation(1, dry_run=True), SyncRequest(dry_run=True))


async def test_a_conflicting_concurrent_update_keeps_both_entries(world: SyncWorld) -> None:
    app = world.app()
    await _store(world).record(app, _operation(1), _commit(1))
    other_console = _store(world)
    backend = ConfigMapBackend(world.client, "gitops-tui", "shop")
    raced = []

    def add_mine(document: HistoryDocument) -> HistoryDocument:
        if not raced:  # between our read and our write, another console records its sync
            raced.append(True)
            other_console._update_blocking(app, lambda doc: doc.with_entry({"revision": "theirs"}, 10))
        return document.with_entry({"revision": "mine"}, 10)

    backend.update(add_mine)
    assert backend.conflicts == 1  # our first write was refused (409) and done again on the fresh document
    entries = await _store(world).entries(app)
    assert [(e.id, e.revision) for e in entries] == [(1, _commit(1).sha), (2, "theirs"), (3, "mine")]


async def test_two_consoles_recording_at_once_lose_nothing(world: SyncWorld) -> None:
    import asyncio

    app = world.app(history_limit=50)
    stores = [_store(world), _store(world)]
    await asyncio.gather(*(stores[n % 2].record(app, _operation(n), _commit(n)) for n in range(1, 13)))
    entries = await stores[0].entries(app)
    assert sorted(e.revision for e in entries) == sorted(_commit(n).sha for n in range(1, 13))
    assert [e.id for e in entries] == list(range(1, 13))


async def test_the_auto_sync_pause_is_persisted_beside_the_history(world: SyncWorld) -> None:
    app = world.app()
    store = _store(world)
    await store.record(app, _operation(1), _commit(1))
    assert await store.auto_sync_pause(app) is None
    await store.pause_auto_sync(app, "paused after rollback to 0000000")
    pause = await _store(world).auto_sync_pause(app)  # read back by a restarted console
    assert pause is not None and pause.reason == "paused after rollback to 0000000" and pause.since is not None
    assert _configmap(world)["data"]["autoSyncPaused"] == "true"  # type: ignore[index]
    assert [e.id for e in await store.entries(app)] == [1]  # the pause leaves the history alone
    await store.resume_auto_sync(app)
    assert await _store(world).auto_sync_pause(app) is None


async def test_forbidden_configmaps_fall_back_to_a_local_file(world: SyncWorld) -> None:
    app = world.app()
    await _store(world).record(app, _operation(1), _commit(1))
    world.sandbox.forbid(
        ForbidRule(verbs=frozenset({"update", "create", "patch"}), resource="configmaps", namespace="gitops-tui")
    )
    store = _store(world)
    await store.record(app, _operation(2), _commit(2))
    location = store.location(app)
    path = world.tmp_path / "local-history" / world.client.context.lower() / "shop.json"
    assert location.startswith(f"local file {path}") and "forbidden" in location
    assert [e.id for e in await store.entries(app)] == [1, 2]  # what the cluster had is kept
    await store.pause_auto_sync(app, "paused")
    restarted = _store(world)
    restarted._local = store._local  # the decision is per session; the file itself persists:
    assert (await restarted.auto_sync_pause(app)) is not None
    assert json.loads(Path(path).read_text())["nextId"] == "3"


async def test_forbidden_reads_use_the_local_file_too(world: SyncWorld) -> None:
    world.sandbox.forbid(ForbidRule(resource="configmaps", namespace="gitops-tui"))
    store = _store(world)
    app = world.app()
    assert await store.entries(app) == ()
    assert store.location(app).startswith("local file ")
    await store.record(app, _operation(1), _commit(1))
    assert [e.id for e in await store.entries(app)] == [1]


async def test_read_only_refuses_every_history_write(world: SyncWorld) -> None:
    read_only = world.new_client(read_only=True)
    store = HistoryStore(lambda app: read_only, local_dir=world.tmp_path / "local-history")
    app = world.app()
    with pytest.raises(ReadOnlyModeError, match="read-only mode: refusing to write the history of shop"):
        await store.record(app, _operation(1), _commit(1))
    with pytest.raises(ReadOnlyModeError):
        await store.pause_auto_sync(app, "x")
    assert await store.entries(app) == ()  # reading is fine
    assert _configmap(world) is None and not (world.tmp_path / "local-history").exists()
    read_only.close()


def test_rollback_target_defaults_to_the_previous_entry() -> None:
    entries = [HistoryRecord(n, f"sha{n}", START, "user") for n in (3, 1, 2)]
    assert rollback_target(entries).id == 2
    assert rollback_target(entries, 1).revision == "sha1"
    with pytest.raises(ReconcilerError, match="no history entry 9"):
        rollback_target(entries, 9)
    with pytest.raises(ReconcilerError, match="no previous deployment"):
        rollback_target(entries[:1])


def test_history_record_is_a_history_entry() -> None:
    record = HistoryRecord(1, "abc", START, "user", deploy_started_at=START)
    assert isinstance(record, HistoryEntry)  # what the reconciler's protocol and the UI read
    assert replace(record, id=2).deploy_started_at == START


async def test_no_console_namespace_and_no_right_to_create_it_falls_back_to_a_local_file(world: SyncWorld) -> None:
    world.sandbox.forbid(ForbidRule(verbs=frozenset({"create"}), resource="namespaces"))
    store = _store(world)
    await store.record(world.app(), _operation(1), _commit(1))
    assert store.location(world.app()).startswith("local file ")
    assert [e.id for e in await store.entries(world.app())] == [1]
