"""Which console runs an app's automated syncs when several consoles (bastion hosts) watch the same apps.

Per app and cluster, a claim Lease `<app>.auto-sync` in the console namespace (`gitops-tui`) names the one
console that auto-syncs and self-heals the app (`kubectl get lease -n gitops-tui` shows who). Claims are
not renewed one by one: a claim is valid while its holder's heartbeat Lease `console.<id>` is, and each
console renews only its heartbeat. So the steady-state cost per console and cluster is one heartbeat PUT
and one LIST of the namespace's console Leases every `duration / 3`, whatever the number of apps; renewing
1,000 per-app Leases every 20 s would be 50 writes a second to etcd for nothing. A claim is written only
when it is taken: the first time, or when its holder's heartbeat expired or was deleted (that console
stopped: it deletes its heartbeat on the way out, so the others take over at their next round).

A claim decides who *initiates* automated syncs, nothing more: the per-app operation Lease (lease.py)
still serialises every write, manual and automated, so a manual sync in any console runs as usual and
only ever waits for another console's running operation, never for a claim.

Where Leases cannot be written (403, or no console namespace and no right to create it) the claims fall
back to file locks under the state directory, held while the console runs: consoles on one host still
agree, those on other hosts are not kept apart, and the console says so. A read-only console only reads
the claims (to show who auto-syncs) and never writes anything.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from gitops_tui.cluster.client import ClusterClient
from gitops_tui.cluster.errors import ClusterError, ConflictError, ForbiddenError, NotFoundError, Target
from gitops_tui.engine.auto_sync_claim_leases import (
    ROLE_LABEL,
    claim_name,
    fresh,
    heartbeat_name,
    holder_of,
    lease_body,
    role_of,
    specs_of,
)
from gitops_tui.engine.lease import LEASE_API, MICRO_TIME, ensure_console_namespace, parse_time, safe_name
from gitops_tui.engine.operations import ReadOnlyModeError

log = logging.getLogger(__name__)

_RESOURCE = "leases.coordination.k8s.io"


@dataclass
class ClaimsRound:
    """What one round changed, for the reconciler to say and act on."""

    gained: list[tuple[str, str]] = field(default_factory=list)
    """(app, the previous holder whose heartbeat lapsed, or "" for a claim nobody held)."""
    lost: list[tuple[str, str]] = field(default_factory=list)
    """(app, the console that holds it now)."""
    fallback: str = ""
    """Set on the round that had to fall back to local locks: why."""
    moved: list[str] = field(default_factory=list)
    duplicate: str = ""
    """Set on the round that found another running console with this console's id: why nothing is owned."""
    """Apps whose holder is another console than before (the UI's "auto-sync by ..." changes)."""


class AutoSyncClaims:
    """This console's claims on one cluster, for the apps it would auto-sync (blocking methods: use threads)."""

    def __init__(
        self,
        client: ClusterClient,
        apps: Iterable[str],
        *,
        identity: str,
        namespace: str,
        duration_seconds: int,
        locks_dir: Path,
        read_only: bool = False,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.client = client
        self.identity = identity
        self.namespace = namespace
        self.duration = timedelta(seconds=duration_seconds)
        self.read_only = read_only
        self.local_note = ""
        """Why claims are file locks on this host rather than Leases ("" while Leases work)."""
        self.requests = 0
        """API requests sent so far (the benchmark's measure of what claims cost the API server)."""
        self.rounds = 0
        self.duplicate = ""
        """Another running console renews this console's Lease: same id (`$GITOPS_TUI_CONSOLE_ID`). Neither can
        tell its claims from the other's, so this one runs no automated syncs and says so."""
        self._apps = {claim_name(app): app for app in apps}
        self._locks_dir = locks_dir / safe_name(client.context)
        self._now = now
        self._holders: dict[str, str] = {}
        self._owned: set[str] = set()
        self._beat_at: datetime | None = None
        self._heartbeat: dict[str, Any] | None = None
        self._sent: deque[str] = deque(maxlen=8)
        """renewTimes this console sent lately, answered or not: a write whose answer was lost is still ours."""
        self._fds: dict[str, int] = {}
        self._lock = threading.Lock()
        self._closed = False
        """A round may still run in its thread when the console stops: release waits for it, and no round
        runs after release (it would bring the heartbeat back, and the others would wait for it to expire)."""

    # ---- what the reconciler asks (on the loop: no I/O) ----------------------------------------------

    def owns(self, app: str) -> bool:
        """True while this console runs the app's automated syncs: its claim, and a heartbeat fresh enough
        that no other console can have judged it dead (a console cut off from the API stops on its own)."""
        if app not in self._owned or self.duplicate:
            return False
        if self.local_note:
            return True
        return self._beat_at is not None and self._now() - self._beat_at < self.duration

    def holder(self, app: str) -> str:
        """The console that runs the app's automated syncs, as last seen ("" before the first round)."""
        return self._holders.get(app, "")

    def lapsed(self, app: str) -> float | None:
        """Seconds since this console's heartbeat was renewed, when the app's claim is ours but `owns` says no
        because of that age (renewals late: a busy console or a slow API server); None otherwise."""
        if app not in self._owned or self.duplicate or self.local_note or self._beat_at is None:
            return None
        age = (self._now() - self._beat_at).total_seconds()
        return age if age >= self.duration.total_seconds() else None

    # ---- one round (blocking) ----------------------------------------------------------------------

    def round(self) -> ClaimsRound:
        """Renew the heartbeat, read every claim, take those free or left by a console that is gone."""
        with self._lock:
            if self._closed:
                return ClaimsRound()
            self.rounds += 1
            return self._round()

    def _round(self) -> ClaimsRound:
        news = ClaimsRound()
        if self.local_note:
            self._local_round(news)
            return news
        now = self._now()
        try:
            if not self.read_only:
                seen = self.duplicate
                self._beat(now)
                if self.duplicate and not seen:
                    news.duplicate = self.duplicate
            leases = self._list()
        except ReadOnlyModeError:
            raise
        except (ForbiddenError, NotFoundError) as exc:
            if self.read_only:
                return news  # may not read them: nothing to show, and nothing to write anyway
            self.local_note = (
                f"Leases cannot be written in namespace {self.namespace} on context "
                f"{self.client.context} ({exc.message}); automated syncs are coordinated by a "
                "local lock: consoles on other hosts are not kept out"
            )
            news.fallback = self.local_note
            self._local_round(news)
            return news
        except ClusterError as exc:  # unreachable for now: `owns` lapses by itself if this lasts
            log.warning("auto-sync claims on %s: %s", self.client.context, exc.message)
            return news
        alive = {str(spec.get("holderIdentity") or "") for spec in specs_of(leases, "console") if fresh(spec, now)}
        if self._beat_at == now:
            alive.add(self.identity)
        claims = {
            str((lease.get("metadata") or {}).get("name")): lease for lease in leases if role_of(lease) == "auto-sync"
        }
        for name, app in self._apps.items():
            self._settle(app, name, claims.get(name), alive, news)
            self._beat_if_due()
        if not self.read_only:  # claims of apps this console no longer auto-syncs: let others have them
            for name, lease in claims.items():
                if name not in self._apps and holder_of(lease) == self.identity:
                    self._write_claim(lease, name, "")
        return news

    def _beat_if_due(self) -> None:
        """Renew the heartbeat on the way through a long round: a first round writes a claim per app, and a
        thousand writes on a busy API server outlasted the claim (70 s), so this console's claims lapsed the
        moment they were taken (and other consoles could have judged it gone meanwhile)."""
        if self.read_only or self.duplicate or self._beat_at is None:
            return
        now = self._now()
        if now - self._beat_at < self.duration / 3:
            return
        try:
            self._beat(now)
        except ClusterError as exc:  # the next round tries again; `owns` lapses by itself if this lasts
            log.warning("renewing the console lease on %s failed: %s", self.client.context, exc.message)

    def _settle(self, app: str, name: str, lease: dict[str, Any] | None, alive: set[str], news: ClaimsRound) -> None:
        holder = holder_of(lease) if lease is not None else ""
        if holder == self.identity and self.identity in alive:
            self._owned.add(app)
        elif holder and (holder in alive or self.read_only):
            if app in self._owned:
                news.lost.append((app, holder))
            self._owned.discard(app)
        elif self.read_only:
            self._owned.discard(app)
        else:  # nobody's, or its holder's heartbeat lapsed: take it
            try:
                self._write_claim(lease, name, self.identity, app)
            except ConflictError:
                return  # another console took it a moment ago: the next round reads who
            except ClusterError as exc:
                log.warning("taking the auto-sync claim of %s failed: %s", app, exc.message)
                return
            if app not in self._owned:
                news.gained.append((app, holder))
            self._owned.add(app)
            holder = self.identity
        if self._holders.get(app, "") != holder:
            news.moved.append(app)
        self._holders[app] = holder

    def release(self) -> None:
        """On stop: delete the heartbeat (every claim of ours lapses at once) or drop the file locks."""
        with self._lock:
            self._closed = True
            self._release()

    def _release(self) -> None:
        for fd in self._fds.values():
            os.close(fd)  # closing drops the flock
        self._fds.clear()
        self._owned.clear()
        if self.read_only or self.local_note or self._heartbeat is None:
            return
        name = heartbeat_name(self.identity)
        try:
            self._call("DELETE", name, "delete")
        except NotFoundError:
            pass
        except ClusterError as exc:  # it expires by itself
            log.warning("releasing the console lease %s failed: %s", name, exc.message)
        self._heartbeat = None

    # ---- requests ----------------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        name: str,
        verb: str,
        body: dict[str, Any] | None = None,
        query: list[tuple[str, str]] | None = None,
    ) -> dict[str, Any]:
        if method != "GET" and (self.read_only or self.client.settings.read_only):
            raise ReadOnlyModeError(f"read-only mode: refusing to write Lease {self.namespace}/{name}")
        self.requests += 1
        path = f"{LEASE_API}/namespaces/{self.namespace}/leases" + (f"/{name}" if name else "")
        return self.client.request_json(
            method,
            path,
            Target(verb, _RESOURCE, name, self.namespace),
            body=body,
            content_type="application/json" if body is not None else None,
            query=query or [],
        )

    def _list(self) -> list[dict[str, Any]]:
        found = self._call("GET", "", "list", query=[("labelSelector", ROLE_LABEL)])
        return list(found.get("items") or [])

    def _beat(self, now: datetime) -> None:
        name = heartbeat_name(self.identity)
        lease = self._heartbeat
        for _ in range(3):
            if lease is None:
                body = self._lease(name, "console", self.identity, now, now, 0)
                try:
                    ensure_console_namespace(self.client, self.namespace)
                    lease = self._call("POST", "", "create", body)
                except ConflictError:  # ours from an earlier run with the same id: take it up again
                    lease = self._call("GET", name, "get")
                    continue
            else:
                self._sent.append(now.strftime(MICRO_TIME))
                lease["spec"] = {
                    **lease["spec"],
                    "holderIdentity": self.identity,
                    "renewTime": now.strftime(MICRO_TIME),
                }
                try:
                    lease = self._call("PUT", name, "update", lease)
                except NotFoundError:  # deleted (by an operator): create it again
                    lease = None
                    continue
                except ConflictError:
                    lease = self._call("GET", name, "get")
                    if lease["spec"].get("renewTime") not in self._sent and not self.duplicate:
                        self.duplicate = (
                            f"another running console uses this console's id {self.identity} (it renews the Lease "
                            f"{self.namespace}/{name} on context {self.client.context} too): this console runs no "
                            "automated syncs; give each console its own $GITOPS_TUI_CONSOLE_ID and restart it"
                        )
                    continue
            self._heartbeat, self._beat_at = lease, now
            return

    def _write_claim(self, lease: dict[str, Any] | None, name: str, holder: str, app: str = "") -> None:
        now = self._now()
        if lease is None:
            self._call("POST", "", "create", self._lease(name, "auto-sync", holder, now, now, 0, app))
            return
        spec = lease.get("spec") or {}
        acquired = now if holder else parse_time(spec.get("acquireTime")) or now
        transitions = int(spec.get("leaseTransitions") or 0) + (1 if holder and spec.get("holderIdentity") else 0)
        body = {**lease, **self._lease(name, "auto-sync", holder, acquired, now, transitions, app)}
        body["metadata"] = {**lease["metadata"], **body["metadata"]}  # keeps resourceVersion: a compare-and-swap
        self._call("PUT", name, "update", body)

    def _lease(
        self, name: str, role: str, holder: str, acquired: datetime, now: datetime, transitions: int, app: str = ""
    ) -> dict[str, Any]:
        seconds = int(self.duration.total_seconds())
        return lease_body(
            name,
            self.namespace,
            role,
            holder,
            duration_seconds=seconds,
            acquired=acquired,
            now=now,
            transitions=transitions,
            app=app,
        )

    # ---- the local fallback ------------------------------------------------------------------------

    def _local_round(self, news: ClaimsRound) -> None:
        self._locks_dir.mkdir(parents=True, exist_ok=True)
        for name, app in self._apps.items():
            if name in self._fds:
                continue
            path = self._locks_dir / f"{name}.lock"
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                with contextlib.suppress(OSError):
                    holder = path.read_text().strip() or "another console on this host"
                    if self._holders.get(app, "") != holder:
                        news.moved.append(app)
                    self._holders[app] = holder
                continue
            os.ftruncate(fd, 0)
            os.write(fd, self.identity.encode())
            self._fds[name] = fd
            news.gained.append((app, self._holders.get(app, "")))
            self._owned.add(app)
            self._holders[app] = self.identity
