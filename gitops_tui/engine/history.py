"""Deployment history and the auto-sync pause, kept durably per app (DESIGN.md "History").

An entry is recorded per successful, non-dry-run, full sync (rollbacks included, as in Argo CD). It lives
in a ConfigMap the console owns on the app's cluster (`gitops-tui/gitops-tui-history-<app>`), so every
console sees the same history; where the cluster refuses (403) it lives in a local file instead, and
`location(app)` says which, for the UI. The pause a rollback sets sits in the same document and is read
back when the console starts.

`HistoryStore` satisfies the reconciler's `operations.HistoryStore` protocol (`entries`, `record`) and adds
`location`, `auto_sync_pause`, `pause_auto_sync` and `resume_auto_sync`. Blocking I/O runs in threads.
"""

from __future__ import annotations

import asyncio
import getpass
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gitops_tui.cluster.client import ClusterClient
from gitops_tui.cluster.clusters import Clusters
from gitops_tui.cluster.errors import ApiError, ForbiddenError, NotFoundError, ReadOnlyError
from gitops_tui.engine.history_store import (
    ConfigMapBackend,
    FileBackend,
    HistoryBackend,
    HistoryDocument,
    Mutation,
)
from gitops_tui.engine.lease import DEFAULT_CONSOLE_NAMESPACE, safe_name, state_dir
from gitops_tui.engine.operations import ReadOnlyModeError, ReconcilerError, SyncRequest
from gitops_tui.model import AppSpec, CommitInfo, HistoryEntry, Operation, OperationPhase

log = logging.getLogger(__name__)

AUTOMATED = "automated"


@dataclass(frozen=True)
class HistoryRecord(HistoryEntry):
    """A HistoryEntry (what the UI reads) plus when the deployment started."""

    deploy_started_at: datetime | None = None


@dataclass(frozen=True)
class AutoSyncPause:
    reason: str
    since: datetime | None


def should_record(operation: Operation, request: SyncRequest) -> bool:
    """Only a successful, non-dry-run, full (not selective) sync or rollback becomes history."""
    return operation.phase is OperationPhase.SUCCEEDED and not operation.dry_run and request.resources is None


def initiator(operation: Operation, client: ClusterClient) -> str:
    """`automated`, else who the console acts as: the kubeconfig user, else the login name."""
    if operation.initiated_by == AUTOMATED:
        return AUTOMATED
    if client.origin.user:
        return client.origin.user
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return operation.initiated_by or "user"


def rollback_target(entries: Sequence[HistoryEntry], history_id: int | None = None) -> HistoryEntry:
    """The entry to roll back to: `history_id`, or by default the one before the latest."""
    ordered = sorted(entries, key=lambda e: e.id)
    if history_id is not None:
        found = next((e for e in ordered if e.id == history_id), None)
        if found is None:
            known = ", ".join(str(e.id) for e in ordered) or "none"
            raise ReconcilerError(f"no history entry {history_id} (entries: {known})")
        return found
    if len(ordered) < 2:
        raise ReconcilerError(
            "no previous deployment to roll back to (the history has "
            f"{len(ordered)} entr{'y' if len(ordered) == 1 else 'ies'})"
        )
    return ordered[-2]


class HistoryStore:
    def __init__(
        self,
        client_for: Callable[[AppSpec], ClusterClient],
        *,
        namespace: str = DEFAULT_CONSOLE_NAMESPACE,
        local_dir: Path | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """`client_for(app)` is the client of the app's destination cluster (the ConfigMap lives there)."""
        self._client_for = client_for
        self.namespace = namespace
        self._local_dir = local_dir
        self._now = now
        self._local: dict[tuple[str, str], FileBackend] = {}
        """Apps whose cluster refused us, by (context, app): from then on their history is local."""

    @classmethod
    def for_clusters(cls, clusters: Clusters, **kwargs: Any) -> HistoryStore:
        """The store for a console: each app's history on the cluster its destination names."""
        return cls(lambda app: clusters.for_destination(app.destination), **kwargs)

    # ---- where -----------------------------------------------------------------------------------------

    def _file(self, client: ClusterClient, app: str, why: str = "") -> FileBackend:
        base = self._local_dir or state_dir() / "history"
        return FileBackend(base / safe_name(client.context) / f"{safe_name(app)}.json", why)

    def _backend(self, app: AppSpec) -> tuple[ClusterClient, HistoryBackend]:
        client = self._client_for(app)
        local = self._local.get((client.context, app.name))
        if local is not None:
            return client, local
        return client, ConfigMapBackend(client, self.namespace, app.name)

    def location(self, app: AppSpec) -> str:
        """Where the app's history is kept, in words: `ConfigMap gitops-tui/... on context prod` or a file."""
        return self._backend(app)[1].location

    def _fall_back(
        self, client: ClusterClient, app: AppSpec, exc: ApiError, seed: HistoryDocument | None
    ) -> FileBackend:
        why = f"the cluster refused: {exc.message}"
        backend = self._file(client, app.name, why)
        if seed is not None and not backend.exists() and (seed.entries or seed.paused):
            backend.update(lambda _: seed)  # keep what the cluster had when only writing is refused
        self._local[(client.context, app.name)] = backend
        log.warning("%s: history kept in %s", app.name, backend.location)
        return backend

    # ---- blocking core ---------------------------------------------------------------------------------

    def _read_blocking(self, app: AppSpec) -> HistoryDocument:
        client, backend = self._backend(app)
        try:
            return backend.read()
        except ForbiddenError as exc:
            return self._fall_back(client, app, exc, None).read()

    def _update_blocking(self, app: AppSpec, mutate: Mutation) -> HistoryDocument:
        client, backend = self._backend(app)
        try:
            return backend.update(mutate)
        except ReadOnlyError as exc:
            raise ReadOnlyModeError(exc.message) from exc
        except (ForbiddenError, NotFoundError) as exc:  # 404: the namespace is missing and we may not create it
            seed = None
            if isinstance(backend, ConfigMapBackend):
                try:
                    seed = backend.read()
                except ForbiddenError:
                    seed = None
            return self._fall_back(client, app, exc, seed).update(mutate)

    # ---- the reconciler's protocol ---------------------------------------------------------------------

    async def entries(self, app: AppSpec) -> Sequence[HistoryRecord]:
        document = await asyncio.to_thread(self._read_blocking, app)
        return tuple(_record_of(e) for e in sorted(document.entries, key=lambda e: int(e.get("id") or 0)))

    async def record(self, app: AppSpec, operation: Operation, revision: CommitInfo) -> HistoryRecord:
        """Append the entry for a successful sync, trimmed to `revisionHistoryLimit`; returns it with its id."""
        if operation.phase is not OperationPhase.SUCCEEDED or operation.dry_run:
            raise ReconcilerError(f"{app.name}: only a successful, non-dry-run sync is recorded in the history")
        client = self._client_for(app)
        entry = {
            "revision": revision.sha or operation.revision,
            "deployedAt": _iso(operation.finished_at or self._now()),
            "deployStartedAt": _iso(operation.started_at),
            "initiatedBy": initiator(operation, client),
            "author": revision.author,
            "subject": revision.subject,
            "operation": operation.kind,
        }
        document = await asyncio.to_thread(
            self._update_blocking, app, lambda doc: doc.with_entry(entry, app.revision_history_limit)
        )
        return _record_of(document.entries[-1])

    # ---- the auto-sync pause ---------------------------------------------------------------------------

    async def auto_sync_pause(self, app: AppSpec) -> AutoSyncPause | None:
        """The persisted pause (after a rollback), or None: read it when the console starts."""
        document = await asyncio.to_thread(self._read_blocking, app)
        if not document.paused:
            return None
        return AutoSyncPause(document.paused_reason, _parse(document.paused_at))

    async def pause_auto_sync(self, app: AppSpec, reason: str) -> AutoSyncPause:
        since = self._now()

        def pause(doc: HistoryDocument) -> HistoryDocument:
            return HistoryDocument(doc.entries, doc.next_id, True, reason, _iso(since))

        await asyncio.to_thread(self._update_blocking, app, pause)
        return AutoSyncPause(reason, since)

    async def resume_auto_sync(self, app: AppSpec) -> None:
        await asyncio.to_thread(
            self._update_blocking, app, lambda doc: HistoryDocument(doc.entries, doc.next_id, False, "", "")
        )


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _parse(text: Any) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _record_of(entry: dict[str, Any]) -> HistoryRecord:
    return HistoryRecord(
        id=int(entry.get("id") or 0),
        revision=str(entry.get("revision") or ""),
        deployed_at=_parse(entry.get("deployedAt")) or datetime.fromtimestamp(0, UTC),
        initiated_by=str(entry.get("initiatedBy") or ""),
        author=str(entry.get("author") or ""),
        subject=str(entry.get("subject") or ""),
        deploy_started_at=_parse(entry.get("deployStartedAt")),
    )
