"""Knowing an object is missing without asking: the watch cache lists its kind there, and GETs there answer.

An app's first compare meets every object it will create as "not in the cache". Asking the server about
each one (a GET per object: 20,000 for a thousand apps of 20) only tells what the cache already knows,
wherever a synced watch lists that kind in that namespace (or across all namespaces): the list is the
server's own answer. What the list cannot tell is whether this console may *read* there: a namespace it
is forbidden must be said as such ("cannot tell whether it exists: ... forbidden"), never called Missing.
So the first missing object of each (resource, namespace) is still read with a GET; once one GET there
answered (found or not found, but not forbidden), the others are taken from the cache for `TRUST_SECONDS`,
after which the next one is read again (permissions can change while the console runs).
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

from gitops_tui.cluster.cache import LiveCache
from gitops_tui.cluster.client import ClusterClient
from gitops_tui.cluster.watch import SyncState
from gitops_tui.model import ResourceKey

TRUST_SECONDS = 60.0


@dataclass
class _Knowledge:
    """What one cluster's cache and GETs have shown. Read and written from the loop and from reader threads:
    plain assignments and dict item sets only."""

    listed: frozenset[tuple[str, str]] = frozenset()
    """(group-resource, namespace) a synced watch lists ("" for all namespaces), as of the latest compare."""
    readable: dict[tuple[str, str], float] = field(default_factory=dict)
    """(group-resource, namespace) -> time.monotonic() of the last GET there that was not refused."""
    probing: dict[tuple[str, str], threading.Lock] = field(default_factory=dict)
    """One probe at a time per (group-resource, namespace): those behind the first learn from its answer."""


_known: weakref.WeakKeyDictionary[ClusterClient, _Knowledge] = weakref.WeakKeyDictionary()


def _of(client: ClusterClient) -> _Knowledge:
    found = _known.get(client)
    if found is None:
        found = _known.setdefault(client, _Knowledge())
    return found


def _scope(client: ClusterClient, key: ResourceKey) -> tuple[str, str] | None:
    resource = client.mapper.find_group_kind(key.group, key.kind)
    return (resource.group_resource, key.namespace) if resource is not None else None


def _known_missing(knowledge: _Knowledge, scope: tuple[str, str], now: float) -> bool:
    if (scope[0], "") not in knowledge.listed and scope not in knowledge.listed:
        return False
    read_at = knowledge.readable.get(scope)
    return read_at is not None and now - read_at < TRUST_SECONDS


def missing_checker(cache: LiveCache) -> Callable[[ResourceKey], bool]:
    """On the loop, once per compare pass: a test saying True for a key the cache does not hold and that is
    known missing (a synced watch lists its kind there and reading there was allowed lately)."""
    client = cache.client
    knowledge = _of(client)
    knowledge.listed = frozenset((s.resource, s.namespace) for s in cache.status() if s.state == SyncState.SYNCED)
    now = time.monotonic()

    def known_missing(key: ResourceKey) -> bool:
        scope = _scope(client, key)
        return scope is not None and _known_missing(knowledge, scope, now)

    return known_missing


def read_unless_known_missing(client: ClusterClient, key: ResourceKey) -> bool:
    """In a reader thread: GET `key` (raising what the GET raises) unless it is known missing; True when the
    GET was skipped. Probes of one listed (resource, namespace) go one at a time, so a burst of first
    compares there costs one GET, not one per object."""
    knowledge = _of(client)
    scope = _scope(client, key)
    if scope is None:
        client.get(key)
        return False
    if (scope[0], "") not in knowledge.listed and scope not in knowledge.listed:
        client.get(key)  # the cache does not list it there: only the server can tell
        knowledge.readable[scope] = time.monotonic()
        return False
    lock = knowledge.probing.get(scope) or knowledge.probing.setdefault(scope, threading.Lock())
    with lock:
        if _known_missing(knowledge, scope, time.monotonic()):
            return True
        client.get(key)
        knowledge.readable[scope] = time.monotonic()
    return False
