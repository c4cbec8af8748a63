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
released once both are done.

Renewal costs follow what a Lease protects. While an operation writes under it (`writing=True`, the sync
executor's own count) it is written with `duration_seconds` (30 s) and renewed every 10 s; while it is only
held (an automated sync that waits for a writer's place behind hundreds of others) with `hold_seconds`
(120 s), renewed every 40 s. Either way it never lapses while held; a console that dies is taken over after
the duration it last wrote. One schedule (lease_renewals.py) renews them all, each with one PUT
(lease_records.py), in threads of its own.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from gitops_tui.cluster.client import ClusterClient
from gitops_tui.engine.lease_holders import MICRO_TIME, LeaseAttempt, LeaseGrant, LeaseHolder, holder_of, parse_time
from gitops_tui.engine.lease_records import (
    DEFAULT_CONSOLE_NAMESPACE,
    LEASE_API,
    LeaseRecords,
    ensure_console_namespace,
    refuse_read_only,
    safe_name,
    state_dir,
)
from gitops_tui.engine.lease_renewals import RenewalSchedule
from gitops_tui.engine.operations import ReconcilerError

__all__ = [  # the lease vocabulary, importable from here as before the split into lease_records.py and lease_holders.py
    "DEFAULT_CONSOLE_NAMESPACE",
    "LEASE_API",
    "MICRO_TIME",
    "LeaseAttempt",
    "LeaseGrant",
    "LeaseHeldError",
    "LeaseHolder",
    "LeaseManager",
    "console_identity",
    "ensure_console_namespace",
    "holder_of",
    "parse_time",
    "refuse_read_only",
    "safe_name",
    "state_dir",
]

log = logging.getLogger(__name__)


def console_identity() -> str:
    """`$GITOPS_TUI_CONSOLE_ID` (one per running console: two with one id would each take the other's Leases
    for their own), else host + pid + random; readable in `kubectl get lease`."""
    chosen = os.environ.get("GITOPS_TUI_CONSOLE_ID", "").strip()
    return chosen or f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


class LeaseHeldError(ReconcilerError):
    """Another console holds the app's lease."""

    def __init__(self, app: str, holder: LeaseHolder) -> None:
        super().__init__(f"{app}: another console is syncing it: {holder.describe()}")
        self.holder = holder


class LeaseManager:
    def __init__(
        self,
        *,
        identity: str | None = None,
        namespace: str = DEFAULT_CONSOLE_NAMESPACE,
        duration_seconds: int = 30,
        hold_seconds: int | None = None,
        locks_dir: Path | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """`duration_seconds`: the Lease's duration while an operation writes under it; `hold_seconds` (four
        times that by default): while it is only held, for an automated sync waiting for a writer's place."""
        self.identity = identity or console_identity()
        self.namespace = namespace
        self.duration_seconds = duration_seconds
        self.hold_seconds = hold_seconds or 4 * duration_seconds
        self._locks_dir = locks_dir
        self._records = LeaseRecords(self.identity, namespace, now, lambda: self.locks_dir)
        self._grants: dict[tuple[str, str], LeaseGrant] = {}
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}
        """One per app: its acquire and release never interleave, other apps' never wait on it."""
        self._renewals = RenewalSchedule(self._renew_due, self._due_at)

    @property
    def locks_dir(self) -> Path:
        return self._locks_dir or state_dir() / "locks"

    def held(self, client: ClusterClient, app: str) -> LeaseGrant | None:
        return self._grants.get((client.context, app))

    def _lock_for(self, client: ClusterClient, app: str) -> asyncio.Lock:
        return self._locks.setdefault((client.context, app), asyncio.Lock())

    def _seconds(self, grant: LeaseGrant | None) -> int:
        """The duration a write of the grant's Lease sets now: short while an operation writes under it."""
        return self.duration_seconds if grant is None or grant.writers else self.hold_seconds

    # ---- async API (the blocking parts run in threads) ---------------------------------------------

    async def try_acquire(self, client: ClusterClient, app: str, *, writing: bool = False) -> LeaseAttempt:
        """Take (or re-count) the app's lease; `grant` None with the `holder` when another console has it.
        `writing`: an operation will write under it (kept with the short duration, renewed more often)."""
        async with self._lock_for(client, app):
            found = self._grants.get((client.context, app))
            if found is not None and not found.lost:
                found.count += 1
                found.writers += writing
                return LeaseAttempt(found)
            seconds = self.duration_seconds if writing else self.hold_seconds
            attempt = await asyncio.to_thread(self._records.acquire, client, app, seconds)
            grant = attempt.grant
            if grant is not None:
                grant._client = client
                grant.writers = int(writing)
                self._grants[(client.context, app)] = grant
                if not grant.local:
                    self._renewals.add(grant)
            return attempt

    async def acquire(self, client: ClusterClient, app: str, *, writing: bool = False) -> LeaseGrant:
        attempt = await self.try_acquire(client, app, writing=writing)
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
        held = await asyncio.to_thread(self._records.renew, client, grant, self._seconds(grant))
        if not held:
            self._renewals.discard(grant)
            grant.tell_lost()
        return held

    async def release(self, client: ClusterClient, app: str, *, writing: bool = False) -> None:
        """Give back one count (a writer's, with `writing`); the lease itself is released (holder cleared)
        with the last."""
        async with self._lock_for(client, app):
            grant = self._grants.get((client.context, app))
            if grant is None:
                return
            grant.count -= 1
            grant.writers = max(grant.writers - writing, 0)
            if grant.count > 0 and not grant.lost:
                return
            del self._grants[(client.context, app)]
            self._renewals.discard(grant)
            await asyncio.shield(asyncio.to_thread(self._records.release, client, grant, self._seconds(grant)))

    async def holder(self, client: ClusterClient, app: str) -> LeaseHolder | None:
        """Who holds the app's lease now (expired holders included: check `expired`); None when nobody."""
        return await asyncio.to_thread(self._records.holder, client, app)

    async def release_all(self) -> None:
        """On console shutdown: let other consoles take over at once instead of waiting for expiry."""
        for (_, app), grant in list(self._grants.items()):
            grant.count = 1
            if grant._client is not None:
                await self.release(grant._client, app)

    # ---- renewals ------------------------------------------------------------------------------------

    def _due_at(self, grant: LeaseGrant) -> float:
        """A third of the way through the duration the last write set. An operation that starts writing under
        a Lease written for holding keeps that longer duration until this renewal sets the short one: the
        Lease is no less ours meanwhile, only slower for another console to take over if this one dies."""
        return grant.written_at + grant.written_seconds / 3

    def _renew_due(self, grant: LeaseGrant) -> bool:
        client = grant._client
        return client is None or self._records.renew(client, grant, self._seconds(grant))
