"""Watch streams: newline-delimited JSON events over a chunked HTTP response.

Semantics follow the API server's watch cache: no resourceVersion or "0" starts with synthetic ADDED
events for the current state; RV N replays retained events after N; an RV older than the retained
window gets an ERROR event carrying a 410 Expired Status. With selectors, an object that stops
matching is reported as DELETED and one that starts matching as ADDED.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from aiohttp import web

from . import errors
from .crds import CRD_RESOURCE
from .resources import BUILTIN_GROUP_ORDER, ResourceType
from .routing import Target
from .selectors import object_matches, parse_field_selector, parse_label_selector
from .store import Entry, Store, WatchEvent, dumps
from .tables import WatchEncoder

DEFAULT_TIMEOUT = 1800.0
INITIAL_EVENTS_END = "k8s.io/initial-events-end"


class WatchRegistry:
    """Open watches, so faults (and shutdown) can end them all at once."""

    def __init__(self) -> None:
        self._closers: set[asyncio.Event] = set()
        self.bookmark_interval = 1.0

    def open(self) -> asyncio.Event:
        closer = asyncio.Event()
        self._closers.add(closer)
        return closer

    def release(self, closer: asyncio.Event) -> None:
        self._closers.discard(closer)

    def close_all(self) -> int:
        for closer in self._closers:
            closer.set()
        return len(self._closers)

    def __len__(self) -> int:
        return len(self._closers)


def _line(event_type: str, body: bytes) -> bytes:
    return b'{"type":"' + event_type.encode() + b'","object":' + body + b"}\n"


def _bookmark(rt: ResourceType, rv: int, initial_end: bool = False) -> bytes:
    meta: dict[str, Any] = {"resourceVersion": str(rv)}
    if initial_end:
        meta["annotations"] = {INITIAL_EVENTS_END: "true"}
    return _line("BOOKMARK", dumps({"kind": rt.kind, "apiVersion": rt.api_version, "metadata": meta}))


class _Filter:
    def __init__(self, store: Store, target: Target, query: Any) -> None:
        self.rt = target.rt
        self.namespace = target.namespace
        self.labels = parse_label_selector(query.get("labelSelector"))
        field_selector = query.get("fieldSelector")
        if target.name:  # legacy /watch/.../name paths watch one object
            name_term = f"metadata.name={target.name}"
            field_selector = f"{field_selector},{name_term}" if field_selector else name_term
        self.fields = parse_field_selector(field_selector, self.rt.field_labels)

    def matches(self, obj: dict[str, Any] | None) -> bool:
        if obj is None:
            return False
        if self.namespace and obj["metadata"].get("namespace") != self.namespace:
            return False
        return object_matches(obj, self.labels, self.fields)

    def translate(self, event: WatchEvent) -> tuple[str, Entry] | None:
        """The event as this watcher sees it, or None when it does not concern it."""
        now, before = self.matches(event.obj), self.matches(event.old)
        if event.type == "ADDED":
            return ("ADDED", event.entry) if now else None
        if event.type == "DELETED":
            return ("DELETED", event.entry) if before or now else None
        if now and before:
            return "MODIFIED", event.entry
        if now:
            return "ADDED", event.entry
        if before:
            return "DELETED", event.entry
        return None


async def serve_watch(
    store: Store, registry: WatchRegistry, request: web.Request, target: Target, storage: ResourceType
) -> web.StreamResponse:
    query = request.query
    selector = _Filter(store, target, query)  # parse errors answer 400 before the stream starts
    rt = target.rt
    try:
        timeout = float(query.get("timeoutSeconds") or DEFAULT_TIMEOUT)
    except ValueError as exc:
        raise errors.bad_request(f"invalid timeoutSeconds: {query.get('timeoutSeconds')}") from exc
    bookmarks = query.get("allowWatchBookmarks") == "true"
    send_initial = query.get("sendInitialEvents")
    rv_param = query.get("resourceVersion") or ""

    queue: asyncio.Queue[tuple[str, Entry]] = asyncio.Queue()
    encode = WatchEncoder(store, rt, request.headers.get("Accept", ""))

    def deliver(event: WatchEvent) -> None:
        seen = selector.translate(event)
        if seen is not None:
            queue.put_nowait(seen)

    # Subscribing and snapshotting happen with no await in between, so no change slips through.
    subscription = store.subscribe(deliver, storage.group_resource)
    initial: list[bytes] = []
    error: errors.ApiError | None = None
    if rv_param in ("", "0") or send_initial == "true":
        initial = [
            _line("ADDED", encode(e))
            for e in store.entries(storage, target.namespace or None)
            if selector.matches(e.obj)
        ]
        if send_initial == "true" and bookmarks:
            initial.append(_bookmark(rt, store.resource_version, initial_end=True))
    else:
        try:
            since = int(rv_param)
        except ValueError:
            subscription.close()
            raise errors.bad_request(f"invalid resource version: {rv_param}") from None
        try:
            for event in store.history_since(since):
                if event.resource != storage.group_resource:
                    continue
                seen = selector.translate(event)
                if seen is not None:
                    initial.append(_line(seen[0], encode(seen[1])))
        except errors.ApiError as exc:
            error = exc

    response = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
    response.enable_chunked_encoding()
    closer = registry.open()
    # A real server ends watches of a custom resource when its CRD goes away.
    crd_watch = (
        store.subscribe(
            lambda event: (
                closer.set()
                if event.type == "DELETED" and event.obj["metadata"]["name"] == storage.group_resource
                else None
            ),
            CRD_RESOURCE,
        )
        if storage.group not in BUILTIN_GROUP_ORDER
        else None
    )
    try:
        await response.prepare(request)
        if error is not None:
            await response.write(_line("ERROR", dumps(error.status())))
            return response
        if initial:
            await response.write(b"".join(initial))
        await _pump(store, registry, response, queue, closer, rt, timeout, bookmarks, encode)
    except ConnectionResetError:
        pass  # the client went away; a cancellation (shutdown) goes on up: no goodbye to write then
    finally:
        subscription.close()
        if crd_watch is not None:
            crd_watch.close()
        registry.release(closer)
    with contextlib.suppress(ConnectionResetError, RuntimeError):
        await response.write_eof()
    return response


async def _pump(
    store: Store,
    registry: WatchRegistry,
    response: web.StreamResponse,
    queue: asyncio.Queue[tuple[str, Entry]],
    closer: asyncio.Event,
    rt: ResourceType,
    timeout: float,
    bookmarks: bool,
    encode: WatchEncoder,
) -> None:
    deadline = time.monotonic() + timeout
    next_bookmark = time.monotonic() + registry.bookmark_interval
    closed = asyncio.ensure_future(closer.wait())
    try:
        while not closer.is_set():
            now = time.monotonic()
            if now >= deadline:
                return
            wait_for = deadline - now
            if bookmarks:
                wait_for = min(wait_for, max(0.0, next_bookmark - now))
            getter = asyncio.ensure_future(queue.get())
            done, _ = await asyncio.wait({getter, closed}, timeout=wait_for, return_when=asyncio.FIRST_COMPLETED)
            if getter not in done:
                getter.cancel()
                if closed in done:
                    return
                if bookmarks and time.monotonic() >= next_bookmark:
                    await response.write(_bookmark(rt, store.resource_version))
                    next_bookmark = time.monotonic() + registry.bookmark_interval
                continue
            batch = [getter.result()]
            while not queue.empty():
                batch.append(queue.get_nowait())
            await response.write(b"".join(_line(kind, encode(entry)) for kind, entry in batch))
    finally:
        closed.cancel()
