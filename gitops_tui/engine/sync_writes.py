"""Writing one object of a sync, the way its sync options ask, and saying what happened to it.

- server-side apply (the default, field manager `gitops-tui`): created / configured / unchanged (the server
  wrote nothing when the resourceVersion did not move);
- `ServerSideApply=false`: client-side apply, kubectl's three-way merge with the last-applied annotation
  (cluster/merge_patch.py): created / configured / unchanged;
- `Replace=true`: PUT of the whole object with the live resourceVersion, or a create when it is missing:
  replaced / created;
- `Force=true,Replace=true`: delete, wait until it is gone, create: replaced ("deleted and created again").
  A dry run cannot delete, so it replaces in dry-run mode instead, which checks the same object.

Blocking client calls run in threads; the caller turns the outcome into a result and waits for health.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from gitops_tui.cluster.client import ClusterClient
from gitops_tui.engine.sync_plan import PlannedStep, SyncOptions, WriteMode
from gitops_tui.engine.sync_threads import in_sync_thread
from gitops_tui.model import ResourceAction, ResourceKey

WaitDeleted = Callable[[ResourceKey], Awaitable[None]]
OnWritten = Callable[[ResourceKey, Mapping[str, Any]], None]
"""Called from a worker thread: it must only do what is safe there (a dict assignment, as the seeder does)."""


@dataclass(frozen=True)
class Written:
    action: ResourceAction
    words: str
    obj: dict[str, Any] | None
    """What the server returned (None where a dry run could not place it)."""

    @property
    def version(self) -> str:
        return str(((self.obj or {}).get("metadata") or {}).get("resourceVersion") or "")


async def write_step(
    client: ClusterClient,
    step: PlannedStep,
    obj: Mapping[str, Any],
    *,
    app: str,
    options: SyncOptions,
    live: Mapping[str, Any] | None,
    wait_deleted: WaitDeleted,
    on_written: OnWritten | None = None,
) -> Written:
    """`on_written` hears what a (non-dry-run) server-side apply returned, from the worker thread."""
    mode = step.write_mode(options)
    dry_run = options.dry_run
    validate = step.validates(options)
    if mode is WriteMode.SERVER_SIDE_APPLY:

        def apply() -> dict[str, Any]:
            applied = client.apply(obj, app=app, dry_run=dry_run, force=options.force, validate=validate)
            if on_written is not None and not dry_run:
                # Told here, in the thread, the moment the answer is read: the watch event of this write may
                # already be on its way to the loop, and the compare it starts should find the prediction.
                on_written(step.key, applied)
            return applied

        applied = await in_sync_thread(apply)
        return _say(_applied(applied, live), applied, dry_run)
    if mode is WriteMode.CLIENT_SIDE_APPLY:
        verb, applied = await in_sync_thread(client.apply_client_side, obj, app=app, dry_run=dry_run, validate=validate)
        action = ResourceAction.CREATED if verb == "created" else _applied(applied, live)
        return _say(action, applied, dry_run, "client-side apply")
    if mode is WriteMode.RECREATE and live is not None and not dry_run:
        await in_sync_thread(client.delete, step.key, propagation="Background")
        await wait_deleted(step.key)
        created = await in_sync_thread(client.create, obj, app=app, validate=validate)
        return Written(ResourceAction.REPLACED, "deleted and created again (Force=true,Replace=true)", created)
    verb, replaced = await in_sync_thread(client.replace, obj, app=app, dry_run=dry_run, validate=validate)
    action = ResourceAction.CREATED if verb == "created" else ResourceAction.REPLACED
    return _say(action, replaced, dry_run, "Replace=true")


def _applied(applied: Mapping[str, Any] | None, live: Mapping[str, Any] | None) -> ResourceAction:
    if live is None:
        return ResourceAction.CREATED
    if _version(applied) == _version(live):
        return ResourceAction.UNCHANGED  # the server wrote nothing: same resourceVersion
    return ResourceAction.CONFIGURED


def _say(action: ResourceAction, obj: dict[str, Any] | None, dry_run: bool, how: str = "") -> Written:
    words = "no change" if action is ResourceAction.UNCHANGED else action.value
    if dry_run:
        words = "dry run: no change" if action is ResourceAction.UNCHANGED else f"dry run: would be {words}"
    if how and action is not ResourceAction.UNCHANGED:
        words = f"{words} ({how})"
    return Written(action, words, obj)


def _version(obj: Mapping[str, Any] | None) -> str:
    return str(((obj or {}).get("metadata") or {}).get("resourceVersion") or "")
