"""The sync leases as they are stored: `coordination.k8s.io/v1` Lease objects, or local lock files (blocking).

lease.py decides when to take, renew and give back a lease; this module does it, in a worker thread. Every
write is conditional on the resourceVersion this console last saw (a PUT of the object our previous write
returned), so a renewal costs one request, and any change by someone else in between shows up as a
conflict: only then is the Lease read again, to learn whether it is still ours.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from gitops_tui.cluster.client import ClusterClient
from gitops_tui.cluster.errors import (
    ClusterError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    ReadOnlyError,
    Target,
)
from gitops_tui.engine.lease_holders import MICRO_TIME, LeaseAttempt, LeaseGrant, LeaseHolder, holder_of, parse_time
from gitops_tui.engine.operations import ReadOnlyModeError

log = logging.getLogger(__name__)

DEFAULT_CONSOLE_NAMESPACE = "gitops-tui"
LEASE_API = "/apis/coordination.k8s.io/v1"
_RESOURCE = "leases.coordination.k8s.io"


def state_dir() -> Path:
    """`$XDG_STATE_HOME/gitops-tui` (default `~/.local/state/gitops-tui`): locks and local history live here."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "gitops-tui"


def safe_name(text: str) -> str:
    """A DNS-1123 name (and file name) for an app or context name: lower case, `-` for anything else."""
    cleaned = re.sub(r"[^a-z0-9.-]+", "-", text.lower()).strip("-.")
    return cleaned[:253] or "unnamed"


def refuse_read_only(client: ClusterClient, what: str) -> None:
    if client.settings.read_only:
        raise ReadOnlyModeError(f"read-only mode: refusing to {what} on context {client.context}")


def ensure_console_namespace(client: ClusterClient, namespace: str) -> None:
    """Create the console's namespace when missing; a 403 on the read is not fatal (the write will tell)."""
    try:
        client.ensure_namespace(namespace)
    except ForbiddenError:
        pass  # may not read or create namespaces, yet may write in it: the object write decides
    except ReadOnlyError as exc:
        raise ReadOnlyModeError(exc.message) from exc


class LeaseRecords:
    """Reads and writes one console's Leases (and lock files). Blocking: call from threads."""

    def __init__(
        self, identity: str, namespace: str, now: Callable[[], datetime], locks_dir: Callable[[], Path]
    ) -> None:
        self.identity = identity
        self.namespace = namespace
        self._now = now
        self._locks_dir = locks_dir
        self._known: dict[tuple[str, str], dict[str, Any] | None] = {}
        """(context, Lease name) -> the Lease as last seen (listed once per context, or as our release left
        it), None where the list had none: taking it then writes at once (a PUT conditional on what was seen,
        or a create) without reading it first; a conflict means someone wrote it since, and it is read."""
        self._listed: set[str] = set()
        self._known_absent: set[str] = set()
        """Contexts whose list succeeded: a Lease not in `_known` there did not exist when listed."""
        self._listing = threading.Lock()

    def _path(self, name: str = "") -> str:
        base = f"{LEASE_API}/namespaces/{self.namespace}/leases"
        return f"{base}/{name}" if name else base

    def where(self, client: ClusterClient, app: str) -> str:
        return f"Lease {self.namespace}/{safe_name(app)} on context {client.context}"

    def read(self, client: ClusterClient, app: str) -> dict[str, Any] | None:
        name = safe_name(app)
        try:
            return client.request_json("GET", self._path(name), Target("get", _RESOURCE, name, self.namespace))
        except NotFoundError:
            return None

    def holder(self, client: ClusterClient, app: str) -> LeaseHolder | None:
        try:
            lease = self.read(client, app)
        except ForbiddenError:
            return self._local_holder(client, app)
        return holder_of(lease, self.where(client, app)) if lease is not None else None

    # ---- taking --------------------------------------------------------------------------------------

    def acquire(self, client: ClusterClient, app: str, seconds: int) -> LeaseAttempt:
        refuse_read_only(client, f"take the sync lease of {app}")
        try:
            return self._acquire_lease(client, app, seconds)
        except (ForbiddenError, NotFoundError) as exc:  # 404: no console namespace, and we may not create it
            note = (
                f"Leases cannot be written in namespace {self.namespace} on context {client.context} "
                f"({exc.message}); using a local lock: consoles on other hosts are not kept out"
            )
            log.warning(note)
            return self._acquire_local(client, app, note)

    def _acquire_lease(self, client: ClusterClient, app: str, seconds: int) -> LeaseAttempt:
        name, where = safe_name(app), self.where(client, app)
        seen, known = self._last_seen(client, name)
        for _ in range(5):  # each pass loses at most one race; five are plenty
            lease = known if seen else self.read(client, app)
            seen = False
            now = self._now()
            if lease is None:
                body = {
                    "apiVersion": "coordination.k8s.io/v1",
                    "kind": "Lease",
                    "metadata": {"name": name, "namespace": self.namespace},
                    "spec": self._spec(now, seconds, acquired=now, transitions=0),
                }
                try:
                    created = self._create(client, body)
                except ConflictError:
                    continue  # created by another console a moment ago: read it again
                return self._granted(client, app, created, seconds)
            holder = holder_of(lease, where)
            ours = holder.identity == self.identity
            if holder.identity and not ours and not holder.expired(now):
                return LeaseAttempt(None, holder)
            spec = lease.get("spec") or {}
            transitions = int(spec.get("leaseTransitions") or 0) + (0 if ours else 1)
            acquired = parse_time(spec.get("acquireTime")) if ours else now
            lease["spec"] = self._spec(now, seconds, acquired=acquired or now, transitions=transitions)
            try:
                written = self._put(client, lease)
            except (ConflictError, NotFoundError):
                continue  # someone renewed, took or deleted it between our read and write
            return self._granted(client, app, written, seconds)
        holder = self.holder(client, app)
        return LeaseAttempt(None, holder or LeaseHolder("another console", None, seconds, where))

    def _last_seen(self, client: ClusterClient, name: str) -> tuple[bool, dict[str, Any] | None]:
        """(True, the Lease or None: seen not to exist) when this console has seen it, else (False, None). Listed
        once per context: a first start with a thousand apps does not read each Lease before writing it."""
        with self._listing:
            if client.context not in self._listed:
                self._listed.add(client.context)
                try:
                    page = client.request_json("GET", self._path(), Target("list", _RESOURCE, "", self.namespace))
                except ClusterError:
                    pass  # not listable (403, no namespace yet): each is read when taken
                else:
                    for item in page.get("items") or ():
                        found = str((item.get("metadata") or {}).get("name") or "")
                        item.setdefault("apiVersion", "coordination.k8s.io/v1")
                        item.setdefault("kind", "Lease")
                        self._known.setdefault((client.context, found), item)
                    self._known_absent.add(client.context)
            key = (client.context, name)
            if key in self._known:
                return True, self._known.pop(key)
            if client.context in self._known_absent:
                return True, None
            return False, None

    def _create(self, client: ClusterClient, body: dict[str, Any]) -> dict[str, Any]:
        """POST the new Lease; the console namespace is made only when the server says it is missing (once per
        cluster, not once per app)."""
        name = body["metadata"]["name"]
        target = Target("create", _RESOURCE, name, self.namespace)
        try:
            return client.request_json("POST", self._path(), target, body=body, content_type="application/json")
        except NotFoundError:
            ensure_console_namespace(client, self.namespace)
        return client.request_json("POST", self._path(), target, body=body, content_type="application/json")

    def _granted(self, client: ClusterClient, app: str, lease: dict[str, Any], seconds: int) -> LeaseAttempt:
        grant = LeaseGrant(app, client.context, self.identity, self.where(client, app))
        grant.stamp(lease, seconds)
        return LeaseAttempt(grant)

    def _spec(self, now: datetime, seconds: int, *, acquired: datetime, transitions: int) -> dict[str, Any]:
        return {
            "holderIdentity": self.identity,
            "leaseDurationSeconds": seconds,
            "acquireTime": acquired.strftime(MICRO_TIME),
            "renewTime": now.strftime(MICRO_TIME),
            "leaseTransitions": transitions,
        }

    def _put(self, client: ClusterClient, lease: dict[str, Any]) -> dict[str, Any]:
        name = lease["metadata"]["name"]
        return client.request_json(
            "PUT",
            self._path(name),
            Target("update", _RESOURCE, name, self.namespace),
            body=lease,
            content_type="application/json",
        )

    # ---- keeping ----------------------------------------------------------------------------------

    def renew(self, client: ClusterClient, grant: LeaseGrant, seconds: int) -> bool:
        """Write a new renewTime (and `seconds` as the duration); False, with `grant.lost` set, when it is no
        longer ours. One PUT while nobody else writes the Lease; a conflict costs a read and one more try."""
        with grant._io:
            if grant.released or grant.lost:
                return not grant.lost
            if grant.local:
                return True
            lease = grant._lease
            for _ in range(3):
                if lease is None:
                    lease = self.read(client, grant.app)
                    holder = holder_of(lease, grant.where) if lease is not None else None
                    if holder is None or holder.identity != self.identity:
                        grant.lost = (
                            f"lost the sync lease: {holder.describe()}"
                            if holder and holder.identity
                            else "lost the sync lease: it was deleted or released by someone else"
                        )
                        return False
                assert lease is not None
                spec = lease.get("spec") or {}
                lease["spec"] = {**spec, "renewTime": self._now().strftime(MICRO_TIME), "leaseDurationSeconds": seconds}
                try:
                    grant.stamp(self._put(client, lease), seconds)
                    return True
                except (ConflictError, NotFoundError):
                    lease = None  # someone else wrote (or deleted) it since our last write: read whose it is
            return True  # it kept changing under us yet still names us: the next renewal will tell

    def release(self, client: ClusterClient, grant: LeaseGrant, seconds: int) -> None:
        """Clear the holder (client-go's release: the object and its transition count stay, expired at once)."""
        with grant._io:
            grant.released = True
            if grant.local:
                if grant._fd is not None:
                    os.close(grant._fd)  # closing drops the flock
                    grant._fd = None
                return
            if grant.lost:
                return
            lease = grant._lease
            try:
                for _ in range(3):
                    if lease is None:
                        lease = self.read(client, grant.app)
                        if lease is None or (lease.get("spec") or {}).get("holderIdentity") != self.identity:
                            return
                    lease["spec"] = {**(lease.get("spec") or {}), "holderIdentity": None, "leaseDurationSeconds": 1}
                    try:
                        self._known[(client.context, safe_name(grant.app))] = self._put(client, lease)
                        return
                    except ConflictError:
                        lease = None
                    except NotFoundError:
                        return  # deleted: nothing left to give back
            except ClusterError as exc:  # it will expire by itself; say so rather than fail the operation
                log.warning(
                    "releasing the lease of %s failed (it expires in %s s): %s", grant.app, seconds, exc.message
                )

    # ---- the local fallback ------------------------------------------------------------------------

    def _lock_path(self, client: ClusterClient, app: str) -> Path:
        return self._locks_dir() / safe_name(client.context) / f"{safe_name(app)}.lock"

    def _acquire_local(self, client: ClusterClient, app: str, note: str) -> LeaseAttempt:
        path = self._lock_path(client, app)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return LeaseAttempt(None, self._local_holder(client, app))
        os.ftruncate(fd, 0)
        os.write(fd, self.identity.encode())
        return LeaseAttempt(
            LeaseGrant(app, client.context, self.identity, f"local lock {path}", local=True, note=note, _fd=fd)
        )

    def _local_holder(self, client: ClusterClient, app: str) -> LeaseHolder | None:
        path = self._lock_path(client, app)
        try:
            identity = path.read_text().strip()
        except OSError:
            return None
        # A flock has no expiry: it lasts as long as its holder's process.
        return LeaseHolder(identity or "another console on this host", None, 0, f"local lock {path}")
