"""Where one app's history document lives: a ConfigMap the console owns, or a local file where it cannot.

The document holds the deployment history (JSON), the next history id (ids never repeat, even after
trimming) and the auto-sync pause a rollback sets. Both backends change it the same way: read, apply a
pure function, write back only if nobody wrote in between, else read again and repeat. For the ConfigMap
that is a PUT carrying the resourceVersion read (409 on a lost race); for the file, an exclusive flock
around read-modify-rename. So two consoles recording at once both keep their entry.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import random
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from gitops_tui.cluster.client import ClusterClient
from gitops_tui.cluster.errors import ConflictError, NotFoundError, Target
from gitops_tui.engine.lease import ensure_console_namespace, refuse_read_only, safe_name

HISTORY_KEY = "history.json"
NEXT_ID_KEY = "nextId"
PAUSED_KEY = "autoSyncPaused"
PAUSED_REASON_KEY = "autoSyncPausedReason"
PAUSED_AT_KEY = "autoSyncPausedAt"
MAX_ATTEMPTS = 20


class HistoryWriteError(Exception):
    """The document could not be written after every retry; the caller must say the entry is not recorded."""


@dataclass(frozen=True)
class HistoryDocument:
    entries: tuple[dict[str, Any], ...] = ()
    """Argo CD's field names: id, revision, deployedAt, deployStartedAt, initiatedBy, author, subject."""
    next_id: int = 1
    paused: bool = False
    paused_reason: str = ""
    paused_at: str = ""

    def to_data(self) -> dict[str, str]:
        data = {
            HISTORY_KEY: json.dumps(list(self.entries), indent=1),
            NEXT_ID_KEY: str(self.next_id),
            PAUSED_KEY: "true" if self.paused else "false",
        }
        if self.paused:
            data[PAUSED_REASON_KEY] = self.paused_reason
            data[PAUSED_AT_KEY] = self.paused_at
        return data

    @classmethod
    def from_data(cls, data: dict[str, Any] | None) -> HistoryDocument:
        data = data or {}
        try:
            entries = tuple(e for e in json.loads(data.get(HISTORY_KEY) or "[]") if isinstance(e, dict))
        except ValueError:
            entries = ()  # hand-edited into nonsense: start again rather than refuse to sync
        highest = max((int(e.get("id") or 0) for e in entries), default=0)
        try:
            next_id = int(data.get(NEXT_ID_KEY) or 1)
        except ValueError:
            next_id = 1
        return cls(
            entries,
            max(next_id, highest + 1),
            str(data.get(PAUSED_KEY) or "").lower() == "true",
            str(data.get(PAUSED_REASON_KEY) or ""),
            str(data.get(PAUSED_AT_KEY) or ""),
        )

    def with_entry(self, entry: dict[str, Any], limit: int) -> HistoryDocument:
        added = {**entry, "id": self.next_id}
        kept = (*self.entries, added)[-max(limit, 1) :]
        return replace(self, entries=kept, next_id=self.next_id + 1)


Mutation = Callable[[HistoryDocument], HistoryDocument]


class HistoryBackend(Protocol):
    location: str

    def read(self) -> HistoryDocument: ...

    def update(self, mutate: Mutation) -> HistoryDocument: ...


@dataclass
class ConfigMapBackend:
    """`gitops-tui-history-<app>` in the console's namespace on the app's cluster. Blocking: run in a thread."""

    client: ClusterClient
    namespace: str
    app: str
    conflicts: int = field(default=0, init=False)
    """How many lost races were retried (for tests and logs)."""

    @property
    def name(self) -> str:
        return f"gitops-tui-history-{safe_name(self.app)}"[:253]

    @property
    def location(self) -> str:
        return f"ConfigMap {self.namespace}/{self.name} on context {self.client.context}"

    def _path(self, name: str = "") -> str:
        base = f"/api/v1/namespaces/{self.namespace}/configmaps"
        return f"{base}/{name}" if name else base

    def _get(self) -> dict[str, Any] | None:
        try:
            return self.client.request_json(
                "GET", self._path(self.name), Target("get", "configmaps", self.name, self.namespace)
            )
        except NotFoundError:
            return None

    def read(self) -> HistoryDocument:
        found = self._get()
        return HistoryDocument.from_data(found.get("data") if found else None)

    def update(self, mutate: Mutation) -> HistoryDocument:
        refuse_read_only(self.client, f"write the history of {self.app}")
        for attempt in range(MAX_ATTEMPTS):
            found = self._get()
            changed = mutate(HistoryDocument.from_data(found.get("data") if found else None))
            try:
                if found is None:
                    ensure_console_namespace(self.client, self.namespace)
                    body = {
                        "apiVersion": "v1",
                        "kind": "ConfigMap",
                        "metadata": {
                            "name": self.name,
                            "namespace": self.namespace,
                            "labels": {"app.kubernetes.io/managed-by": "gitops-tui"},
                        },
                        "data": changed.to_data(),
                    }
                    self.client.request_json(
                        "POST",
                        self._path(),
                        Target("create", "configmaps", self.name, self.namespace),
                        body=body,
                        content_type="application/json",
                    )
                else:
                    # The resourceVersion read is the precondition: a write in between makes this a 409.
                    found["data"] = changed.to_data()
                    try:
                        self.client.request_json(
                            "PUT",
                            self._path(self.name),
                            Target("update", "configmaps", self.name, self.namespace),
                            body=found,
                            content_type="application/json",
                        )
                    except NotFoundError:
                        continue  # deleted since we read it: the next pass creates it again
                return changed
            except ConflictError:
                self.conflicts += 1
                time.sleep(random.uniform(0, 0.02 * (attempt + 1)))  # two writers in lockstep would collide forever
        raise HistoryWriteError(f"{self.location}: still conflicting after {MAX_ATTEMPTS} attempts")


@dataclass
class FileBackend:
    """`$XDG_STATE_HOME/gitops-tui/history/<context>/<app>.json`, written atomically (temp file + rename)."""

    path: Path
    why: str = ""

    @property
    def location(self) -> str:
        return f"local file {self.path}" + (f" ({self.why})" if self.why else "")

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def read(self) -> HistoryDocument:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return HistoryDocument()
        except ValueError:
            return HistoryDocument()
        return HistoryDocument.from_data(data if isinstance(data, dict) else None)

    def exists(self) -> bool:
        return self.path.exists()

    def update(self, mutate: Mutation) -> HistoryDocument:
        with self._locked():
            changed = mutate(self.read())
            self._write(changed)
            return changed

    def _write(self, document: HistoryDocument) -> None:
        handle, temp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "w") as out:
                json.dump(document.to_data(), out, indent=1)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, self.path)  # readers see the old document or the new one, never half of one
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
