"""The REST mapper: group/version/kind → resource plural and scope, from the server's discovery documents.

Built once, refreshed every few minutes, and refreshed at once when a lookup misses (a CRD created by the
sync that is applying its custom resources next). A kind still unknown after a refresh is remembered for a
short while, so a manifest with a typo does not turn every reconcile into a discovery storm. One-shot
commands start from a copy on disk (discovery_cache.py) when it is recent, as kubectl does.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from .discovery_cache import DiscoveryCache, Row
from .errors import ClusterError, Origin, UnknownKindError

log = logging.getLogger(__name__)

FetchJson = Callable[[str], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class ApiResource:
    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool
    verbs: frozenset[str] = frozenset()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_resource(self) -> str:
        """`deployments.apps`, `pods`: how kubectl and the server's messages name a resource."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def group_kind(self) -> str:
        return f"{self.kind}.{self.group}" if self.group else self.kind

    def path(self, namespace: str = "", name: str = "") -> str:
        """The collection (no name) or object URL path; `namespace` is ignored for cluster-scoped kinds."""
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{namespace}"
        base += f"/{self.plural}"
        return f"{base}/{name}" if name else base

    @property
    def watchable(self) -> bool:
        return {"list", "watch"} <= self.verbs


@dataclass(frozen=True)
class _Snapshot:
    by_gvk: dict[tuple[str, str, str], ApiResource]
    preferred_by_gk: dict[tuple[str, str], ApiResource]
    fetched_at: float


_EMPTY = _Snapshot({}, {}, float("-inf"))


class RESTMapper:
    """Thread-safe: lookups read an immutable snapshot; refreshes are serialised and coalesced."""

    def __init__(
        self,
        fetch_json: FetchJson,
        *,
        origin: Origin | None = None,
        ttl: float = 300.0,
        negative_ttl: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
        disk: DiscoveryCache | None = None,
    ) -> None:
        """`disk`: start from, and keep, a copy of discovery there (it has its own, usually longer, lifetime)."""
        self._fetch_json = fetch_json
        self._origin = origin or Origin()
        self._ttl = ttl
        self._negative_ttl = negative_ttl
        self._clock = clock
        self._snapshot = _EMPTY
        self._lock = threading.Lock()
        self._misses: dict[tuple[str, str, str], float] = {}
        self.partial_errors: dict[str, str] = {}
        """Group versions whose discovery failed at the last refresh (an aggregated API down), with why."""
        self._disk = disk
        self.from_disk = False
        """The current snapshot was read from the disk cache, not from the server."""
        self.invalidations = 0
        """How often a request showed the snapshot to be out of date (see `invalidate`)."""
        if disk is not None:
            self._seed(disk)

    # ---- lookups ------------------------------------------------------------------------------------

    def resource_for(self, api_version: str, kind: str) -> ApiResource:
        """The resource serving `kind` in `api_version`; raises UnknownKindError after one refresh."""
        group, _, version = api_version.rpartition("/")
        gvk = (group, version, kind)
        found = self._current().by_gvk.get(gvk)
        if found is not None:
            return found
        missed_at = self._misses.get(gvk)
        if missed_at is None or self._clock() - missed_at > self._negative_ttl:
            self.refresh(newer_than=self._snapshot.fetched_at)
            found = self._snapshot.by_gvk.get(gvk)
            if found is not None:
                self._misses.pop(gvk, None)
                return found
            self._misses[gvk] = self._clock()
        raise UnknownKindError(api_version, kind, origin=self._origin)

    def resource_for_group_kind(self, group: str, kind: str) -> ApiResource:
        """The preferred version's resource for a group/kind (what a ResourceKey names)."""
        found = self._current().preferred_by_gk.get((group, kind))
        if found is None:
            self.refresh(newer_than=self._snapshot.fetched_at)
            found = self._snapshot.preferred_by_gk.get((group, kind))
        if found is None:
            raise UnknownKindError(f"{group}/*" if group else "*", kind, origin=self._origin)
        return found

    def find_group_kind(self, group: str, kind: str) -> ApiResource | None:
        """Like resource_for_group_kind but never touching the network (safe on the event loop)."""
        return self._snapshot.preferred_by_gk.get((group, kind))

    def resources(self) -> list[ApiResource]:
        """Every resource in its group's preferred version."""
        return list(self._current().preferred_by_gk.values())

    def _current(self) -> _Snapshot:
        snapshot = self._snapshot
        if self._clock() - snapshot.fetched_at > self._ttl:
            self.refresh(newer_than=snapshot.fetched_at)
            snapshot = self._snapshot
        return snapshot

    # ---- refresh ------------------------------------------------------------------------------------

    def refresh(self, newer_than: float | None = None) -> None:
        """Re-read discovery. With `newer_than`, skip when another thread refreshed since that moment."""
        with self._lock:
            if newer_than is not None and self._snapshot.fetched_at > newer_than:
                return
            self._snapshot = self._discover()
            self.from_disk = False
            if self._disk is not None and not self.partial_errors:  # an incomplete discovery is not kept
                self._disk.save(_rows(self._snapshot))

    def invalidate(self) -> None:
        """The server no longer serves a resource of the snapshot (a list answered 404): forget the disk copy,
        and read discovery again at the next lookup."""
        with self._lock:
            if self._disk is not None:
                self._disk.clear()
            self._snapshot = dataclasses.replace(self._snapshot, fetched_at=float("-inf"))
            self.invalidations += 1

    def _seed(self, disk: DiscoveryCache) -> None:
        cached = disk.load()
        if cached is None:
            return
        rows, age = cached
        by_gvk: dict[tuple[str, str, str], ApiResource] = {}
        preferred: dict[tuple[str, str], ApiResource] = {}
        for group, version, kind, plural, namespaced, verbs, is_preferred in rows:
            resource = ApiResource(group, version, kind, plural, namespaced, frozenset(verbs))
            by_gvk[(group, version, kind)] = resource
            if is_preferred or (group, kind) not in preferred:
                preferred[(group, kind)] = resource
        self._snapshot = _Snapshot(by_gvk, preferred, self._clock() - age)
        self.from_disk = True

    def _discover(self) -> _Snapshot:
        group_versions: list[tuple[str, str, bool]] = []  # (group, version, preferred)
        core = self._fetch_json("/api")
        for version in core.get("versions") or []:
            group_versions.append(("", str(version), version == (core.get("versions") or [None])[0]))
        groups = self._fetch_json("/apis")
        for group in groups.get("groups") or []:
            name = str(group.get("name") or "")
            preferred = str((group.get("preferredVersion") or {}).get("version") or "")
            for version in group.get("versions") or []:
                v = str(version.get("version") or "")
                group_versions.append((name, v, v == preferred))

        def fetch(entry: tuple[str, str, bool]) -> tuple[tuple[str, str, bool], dict[str, Any] | ClusterError]:
            group, version, _ = entry
            path = f"/apis/{group}/{version}" if group else f"/api/{version}"
            try:
                return entry, self._fetch_json(path)
            except ClusterError as exc:  # one broken aggregated API must not hide all the others
                return entry, exc

        by_gvk: dict[tuple[str, str, str], ApiResource] = {}
        preferred: dict[tuple[str, str], ApiResource] = {}
        errors: dict[str, str] = {}
        # Discovery is one request per group version: a few in parallel keep a remote cluster's start fast.
        with ThreadPoolExecutor(max_workers=4, thread_name_prefix="discovery") as pool:
            results = list(pool.map(fetch, group_versions))
        for (group, version, is_preferred), document in results:
            if isinstance(document, ClusterError):
                errors[f"{group}/{version}" if group else version] = document.message
                continue
            for item in document.get("resources") or []:
                name = str(item.get("name") or "")
                if not name or "/" in name:  # subresources (deployments/scale) are not kinds of their own
                    continue
                resource = ApiResource(
                    group,
                    version,
                    str(item.get("kind") or ""),
                    name,
                    bool(item.get("namespaced")),
                    frozenset(item.get("verbs") or ()),
                )
                by_gvk[(group, version, resource.kind)] = resource
                if is_preferred or (group, resource.kind) not in preferred:
                    preferred[(group, resource.kind)] = resource
        if errors:
            log.warning("discovery incomplete on %s: %s", self._origin.context, errors)
        self.partial_errors = errors
        return _Snapshot(by_gvk, preferred, self._clock())


def _rows(snapshot: _Snapshot) -> list[Row]:
    return [(r.group, r.version, r.kind, r.plural, r.namespaced, tuple(sorted(r.verbs)),
             snapshot.preferred_by_gk.get((r.group, r.kind)) is r) for r in snapshot.by_gvk.values()]  # fmt: skip
