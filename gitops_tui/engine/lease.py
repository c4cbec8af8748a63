"""Per-app sync leases: two consoles (two bastion hosts) never sync one app at the same time.

Before it writes, a console takes a `coordination.k8s.io/v1` Lease named after the app in its own namespace
(`gitops-tui` by default, created when missing) on the app's cluster, with its console id as holder, and
renews it while it works. A Lease another live holder renews blocks the sync, naming the holder and when it
expires; a Lease left to expire (its console died) is taken over. This is client-go's leader election
reduced to one object per app, with the same fields, so `kubectl get lease -n gitops-tui` reads it.

Where Leases cannot be written (403), the console says so and falls back to a file lock under
`$XDG_STATE_HOME/gitops-tui/locks`: that still keeps two consoles on one host apart, not two hosts.

These Leases serialise writes: they are held only while an operation runs. Which console *starts*
automated syncs is decided apart, by per-app claims (auto_sync_claims.py); the claim holder takes this
Lease with `try_acquire` before its automated sync, so another console's running operation makes it wait
rather than fail. Grants are counted, so a lease held for auto-sync and again for the sync it starts is
released once both are done. While held, a background task renews it every `duration / 3`.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import re
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
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
from gitops_tui.engine.operations import ReadOnlyModeError, ReconcilerError

log = logging.getLogger(__name__)

DEFAULT_CONSOLE_NAMESPACE = "gitops-tui"
LEASE_API = "/apis/coordination.k8s.io/v1"
MICRO_TIME = "%Y-%m-%dT%H:%M:%S.%fZ"


def console_identity() -> str:
    """`$GITOPS_TUI_CONSOLE_ID` (one per running console: two with one id would each take the other's Leases
    for their own), else host + pid + random; readable in `kubectl get lease`."""
    chosen = os.environ.get("GITOPS_TUI_CONSOLE_ID", "").strip()
    return chosen or f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


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


class LeaseHeldError(ReconcilerError):
    """Another console holds the app's lease."""

    def __init__(self, app: str, holder: LeaseHolder) -> None:
        super().__init__(f"{app}: another console is syncing it: {holder.describe()}")
        self.holder = holder


@dataclass(frozen=True)
class LeaseHolder:
    identity: str
    renewed_at: datetime | None
    duration_seconds: int
    where: str = ""

    @property
    def expires_at(self) -> datetime | None:
        return self.renewed_at + timedelta(seconds=self.duration_seconds) if self.renewed_at else None

    def expired(self, now: datetime) -> bool:
        """Judged by our clock against the holder's renewTime: hosts must agree on the time to well within
        the lease duration (NTP does); renewals every duration / 3 leave that margin."""
        expires = self.expires_at
        return expires is None or expires <= now

    def describe(self) -> str:
        expires = self.expires_at
        until = f"until {expires:%Y-%m-%d %H:%M:%S} UTC unless renewed" if expires else "with no expiry recorded"
        return f"{self.identity} holds {self.where or 'the lease'} {until}"


@dataclass
class LeaseGrant:
    """A held lease (or local lock). `lost` is set when a renewal finds another holder: stop writing."""

    app: str
    context: str
    identity: str
    where: str
    """`Lease gitops-tui/guestbook on context prod` or `local lock /path`."""
    local: bool = False
    note: str = ""
    """Why a local lock is used instead of a Lease, for the UI to say once."""
    lost: str = ""
    count: int = 1
    _fd: int | None = field(default=None, repr=False)
    _client: ClusterClient | None = field(default=None, repr=False)
    _renewer: asyncio.Task[None] | None = field(default=None, repr=False)


@dataclass(frozen=True)
class LeaseAttempt:
    grant: LeaseGrant | None
    holder: LeaseHolder | None = None
    """Who holds it instead, when not granted."""


class LeaseManager:
    def __init__(
        self,
        *,
        identity: str | None = None,
        namespace: str = DEFAULT_CONSOLE_NAMESPACE,
        duration_seconds: int = 30,
        locks_dir: Path | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.identity = identity or console_identity()
        self.namespace = namespace
        self.duration_seconds = duration_seconds
        self._locks_dir = locks_dir
        self._now = now
        self._grants: dict[tuple[str, str], LeaseGrant] = {}
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}
        """One per app: its acquire and release never interleave, other apps' never wait on it."""

    @property
    def locks_dir(self) -> Path:
        return self._locks_dir or state_dir() / "locks"

    def held(self, client: ClusterClient, app: str) -> LeaseGrant | None:
        return self._grants.get((client.context, app))

    def _lock_for(self, client: ClusterClient, app: str) -> asyncio.Lock:
        return self._locks.setdefault((client.context, app), asyncio.Lock())

    # ---- async API (the blocking parts run in threads) ---------------------------------------------

    async def try_acquire(self, client: ClusterClient, app: str) -> LeaseAttempt:
        """Take (or re-count) the app's lease; `grant` None with the `holder` when another console has it."""
        async with self._lock_for(client, app):
            found = self._grants.get((client.context, app))
            if found is not None and not found.lost:
                found.count += 1
                return LeaseAttempt(found)
            attempt = await asyncio.to_thread(self._acquire_blocking, client, app)
            if attempt.grant is not None:
                attempt.grant._client = client
                self._grants[(client.context, app)] = attempt.grant
                attempt.grant._renewer = asyncio.create_task(self._renew_loop(client, attempt.grant),
                                                             name=f"lease-renew-{app}")
            return attempt

    async def acquire(self, client: ClusterClient, app: str) -> LeaseGrant:
        attempt = await self.try_acquire(client, app)
        if attempt.grant is None:
            assert attempt.holder is not None
            raise LeaseHeldError(app, attempt.holder)
        return attempt.grant

    async def renew(self, client: ClusterClient, app: str) -> bool:
        """Renew now; False (and the grant marked lost) when another console took it meanwhile."""
        grant = self._grants.get((client.context, app))
        if grant is None or grant.lost:
            return False
        if grant.local:
            return True
        return await asyncio.to_thread(self._renew_blocking, client, grant)

    async def release(self, client: ClusterClient, app: str) -> None:
        """Give back one count; the lease itself is released (holder cleared) with the last."""
        async with self._lock_for(client, app):
            grant = self._grants.get((client.context, app))
            if grant is None:
                return
            grant.count -= 1
            if grant.count > 0 and not grant.lost:
                return
            del self._grants[(client.context, app)]
            if grant._renewer is not None:
                grant._renewer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await grant._renewer
            await asyncio.shield(asyncio.to_thread(self._release_blocking, client, grant))

    async def holder(self, client: ClusterClient, app: str) -> LeaseHolder | None:
        """Who holds the app's lease now (expired holders included: check `expired`); None when nobody."""
        return await asyncio.to_thread(self._read_holder, client, app)

    async def release_all(self) -> None:
        """On console shutdown: let other consoles take over at once instead of waiting for expiry."""
        for (_, app), grant in list(self._grants.items()):
            grant.count = 1
            if grant._client is not None:
                await self.release(grant._client, app)

    async def _renew_loop(self, client: ClusterClient, grant: LeaseGrant) -> None:
        if grant.local:
            return
        interval = max(self.duration_seconds / 3, 0.05)
        while not grant.lost:
            await asyncio.sleep(interval)
            try:
                await asyncio.to_thread(self._renew_blocking, client, grant)
            except ClusterError as exc:  # unreachable for a moment: the lease may still be ours; retry soon
                log.warning("renewing the lease of %s failed: %s", grant.app, exc.message)

    # ---- blocking parts ----------------------------------------------------------------------------

    def _lease_path(self, name: str = "") -> str:
        base = f"{LEASE_API}/namespaces/{self.namespace}/leases"
        return f"{base}/{name}" if name else base

    def _where(self, client: ClusterClient, app: str) -> str:
        return f"Lease {self.namespace}/{safe_name(app)} on context {client.context}"

    def _read_lease(self, client: ClusterClient, app: str) -> dict[str, Any] | None:
        name = safe_name(app)
        try:
            return client.request_json("GET", self._lease_path(name), Target("get", "leases.coordination.k8s.io",
                                                                            name, self.namespace))
        except NotFoundError:
            return None

    def _read_holder(self, client: ClusterClient, app: str) -> LeaseHolder | None:
        try:
            lease = self._read_lease(client, app)
        except ForbiddenError:
            return self._local_holder(client, app)
        return holder_of(lease, self._where(client, app)) if lease is not None else None

    def _acquire_blocking(self, client: ClusterClient, app: str) -> LeaseAttempt:
        refuse_read_only(client, f"take the sync lease of {app}")
        try:
            return self._acquire_lease(client, app)
        except (ForbiddenError, NotFoundError) as exc:  # 404: no console namespace, and we may not create it
            note = (f"Leases cannot be written in namespace {self.namespace} on context {client.context} "
                    f"({exc.message}); using a local lock: consoles on other hosts are not kept out")
            log.warning(note)
            return self._acquire_local(client, app, note)

    def _acquire_lease(self, client: ClusterClient, app: str) -> LeaseAttempt:
        name, where = safe_name(app), self._where(client, app)
        for _ in range(5):  # each pass loses at most one race; five are plenty
            lease = self._read_lease(client, app)
            now = self._now()
            if lease is None:
                ensure_console_namespace(client, self.namespace)
                body = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                        "metadata": {"name": name, "namespace": self.namespace},
                        "spec": self._spec(now, acquired=now, transitions=0)}
                try:
                    client.request_json("POST", self._lease_path(), Target("create", "leases.coordination.k8s.io",
                                                                           name, self.namespace),
                                        body=body, content_type="application/json")
                except ConflictError:
                    continue  # created by another console a moment ago: read it again
                return LeaseAttempt(LeaseGrant(app, client.context, self.identity, where))
            holder = holder_of(lease, where)
            ours = holder.identity == self.identity
            if holder.identity and not ours and not holder.expired(now):
                return LeaseAttempt(None, holder)
            spec = lease.get("spec") or {}
            transitions = int(spec.get("leaseTransitions") or 0) + (0 if ours else 1)
            acquired = parse_time(spec.get("acquireTime")) if ours else now
            lease["spec"] = self._spec(now, acquired=acquired or now, transitions=transitions)
            try:
                self._put(client, lease)
            except (ConflictError, NotFoundError):
                continue  # someone renewed, took or deleted it between our read and write
            return LeaseAttempt(LeaseGrant(app, client.context, self.identity, where))
        holder = self._read_holder(client, app)
        return LeaseAttempt(None, holder or LeaseHolder("another console", None, self.duration_seconds, where))

    def _spec(self, now: datetime, *, acquired: datetime, transitions: int) -> dict[str, Any]:
        return {"holderIdentity": self.identity, "leaseDurationSeconds": self.duration_seconds,
                "acquireTime": acquired.strftime(MICRO_TIME), "renewTime": now.strftime(MICRO_TIME),
                "leaseTransitions": transitions}

    def _put(self, client: ClusterClient, lease: dict[str, Any]) -> dict[str, Any]:
        name = lease["metadata"]["name"]
        return client.request_json("PUT", self._lease_path(name), Target("update", "leases.coordination.k8s.io",
                                                                         name, self.namespace),
                                   body=lease, content_type="application/json")

    def _renew_blocking(self, client: ClusterClient, grant: LeaseGrant) -> bool:
        for _ in range(3):
            lease = self._read_lease(client, grant.app)
            holder = holder_of(lease, grant.where) if lease is not None else None
            if holder is None or holder.identity != self.identity:
                grant.lost = (f"lost the sync lease: {holder.describe()}" if holder and holder.identity
                              else "lost the sync lease: it was deleted or released by someone else")
                return False
            spec = lease["spec"]  # type: ignore[index]  # holder is not None, so the lease was read
            spec["renewTime"] = self._now().strftime(MICRO_TIME)
            try:
                self._put(client, lease)  # type: ignore[arg-type]
                return True
            except ConflictError:
                continue
        return True  # the lease kept changing under us yet still names us: the next renewal will tell

    def _release_blocking(self, client: ClusterClient, grant: LeaseGrant) -> None:
        if grant.local:
            if grant._fd is not None:
                os.close(grant._fd)  # closing drops the flock
            return
        if grant.lost:
            return
        try:
            lease = self._read_lease(client, grant.app)
            if lease is None or (lease.get("spec") or {}).get("holderIdentity") != self.identity:
                return
            # client-go's release: keep the object (its transition count), clear the holder, expire it at once.
            lease["spec"] = {**lease["spec"], "holderIdentity": None, "leaseDurationSeconds": 1}
            self._put(client, lease)
        except ClusterError as exc:  # it will expire by itself; say so rather than fail the operation
            log.warning("releasing the lease of %s failed (it expires in %s s): %s", grant.app,
                        self.duration_seconds, exc.message)

    # ---- the local fallback ------------------------------------------------------------------------

    def _lock_path(self, client: ClusterClient, app: str) -> Path:
        return self.locks_dir / safe_name(client.context) / f"{safe_name(app)}.lock"

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
        return LeaseAttempt(LeaseGrant(app, client.context, self.identity, f"local lock {path}", local=True,
                                       note=note, _fd=fd))

    def _local_holder(self, client: ClusterClient, app: str) -> LeaseHolder | None:
        path = self._lock_path(client, app)
        try:
            identity = path.read_text().strip()
        except OSError:
            return None
        # A flock has no expiry: it lasts as long as its holder's process.
        return LeaseHolder(identity or "another console on this host", None, 0, f"local lock {path}")


def holder_of(lease: dict[str, Any], where: str) -> LeaseHolder:
    spec = lease.get("spec") or {}
    return LeaseHolder(str(spec.get("holderIdentity") or ""), parse_time(spec.get("renewTime")),
                       int(spec.get("leaseDurationSeconds") or 0), where)


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    text = value.replace("Z", "+00:00")
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None
