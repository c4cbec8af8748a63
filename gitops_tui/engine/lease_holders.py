"""Who holds a sync lease, as this console knows it: the holder another console wrote, the grant this one
holds (and how it was last written), and the outcome of one attempt to take it. Plain values and their
reading from a Lease object; lease_records.py reads and writes them, lease.py and lease_renewals.py decide.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from gitops_tui.cluster.client import ClusterClient

log = logging.getLogger(__name__)

MICRO_TIME = "%Y-%m-%dT%H:%M:%S.%fZ"


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


@dataclass(eq=False)
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
    writers: int = 0
    """How many of the counts write under it now (the others only hold it: a queued automated sync)."""
    written_at: float = 0.0
    """time.monotonic() of the last write that named this console holder (taken or renewed)."""
    written_seconds: int = 0
    """The leaseDurationSeconds that write set."""
    released: bool = False
    renewing: bool = False
    """A renewal of it is under way in a thread."""
    on_lost: list[Callable[[], None]] = field(default_factory=list, repr=False)
    """Called on the loop when a renewal finds the lease lost (the sync's waits wake up and stop at once)."""
    _fd: int | None = field(default=None, repr=False)
    _client: ClusterClient | None = field(default=None, repr=False)
    _lease: dict[str, Any] | None = field(default=None, repr=False)
    """The Lease as our last write returned it: the next write PUTs it, conditional on its resourceVersion."""
    _io: threading.Lock = field(default_factory=threading.Lock, repr=False)
    """One blocking call on the grant at a time: a release never races a renewal in flight."""

    def tell_lost(self) -> None:
        """On the loop, once `lost` is set."""
        for callback in list(self.on_lost):
            try:
                callback()
            except Exception:  # a listener's bug must not keep the others from hearing it
                log.exception("a lost-lease listener of %s failed", self.app)

    def stamp(self, lease: dict[str, Any] | None, seconds: int) -> None:
        self._lease, self.written_at, self.written_seconds = lease, time.monotonic(), seconds


@dataclass(frozen=True)
class LeaseAttempt:
    grant: LeaseGrant | None
    holder: LeaseHolder | None = None
    """Who holds it instead, when not granted."""


def holder_of(lease: dict[str, Any], where: str) -> LeaseHolder:
    spec = lease.get("spec") or {}
    return LeaseHolder(
        str(spec.get("holderIdentity") or ""),
        parse_time(spec.get("renewTime")),
        int(spec.get("leaseDurationSeconds") or 0),
        where,
    )


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    text = value.replace("Z", "+00:00")
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None
