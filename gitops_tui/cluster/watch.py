"""One worker thread per watched scope (resource type, namespace): list, then watch, forever.

The thread never touches loop state: it decodes objects and posts messages through a thread-safe `post`
callable (the cache's inbox, which hands them to the loop with `call_soon_threadsafe`).

The cycle: list in pages → watch from the list's resourceVersion with bookmarks → when the server ends the
stream, watch again from the newest version seen → on 410 Gone, relist → on failure, back off exponentially
with jitter and try again from the newest version seen (a relist only if the server says it is too old).
"""

from __future__ import annotations

import enum
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from urllib3 import exceptions as u3

from . import json_codec
from .client import ClusterClient
from .discovery import ApiResource
from .errors import ClusterError, ForbiddenError, GoneError, Target, api_error
from .store import CachedObject

log = logging.getLogger(__name__)


class SyncState(enum.StrEnum):
    RESYNCING = "resyncing"
    """Listing: the cache holds nothing yet, or an older picture of this scope."""
    SYNCED = "synced"
    """Watching: changes arrive as they happen."""
    FAILING = "failing"
    """Cannot list or watch; the cache keeps the last picture and says how old it is."""


@dataclass(frozen=True, slots=True)
class Scope:
    resource: ApiResource
    namespace: str = ""
    """"" means every namespace (or a cluster-scoped resource)."""

    def __str__(self) -> str:
        where = f" in {self.namespace}" if self.namespace else ""
        return f"{self.resource.group_resource}{where}"


@dataclass(frozen=True)
class WatchOptions:
    chunk_size: int = 250
    """Objects per message when a list is handed to the loop, so applying one never blocks it for long."""
    watch_timeout: tuple[int, int] = (240, 360)
    """Server-side watch timeout, picked at random per watch so a fleet of watches does not expire at once."""
    idle_read_timeout: float = 90.0
    """Silence (no event, no bookmark) after which the connection is assumed dead and the watch restarted."""
    backoff_initial: float = 0.25
    backoff_max: float = 30.0


# ---- messages posted to the loop ------------------------------------------------------------------------


@dataclass(slots=True)
class Message:
    scope: Scope
    generation: int
    at: float  # time.monotonic() when the thread learnt it


@dataclass(slots=True)
class ListChunk(Message):
    objects: list[CachedObject]
    first: bool
    last: bool
    resource_version: str


@dataclass(slots=True)
class Changed(Message):
    type: str  # ADDED | MODIFIED | DELETED, as the server says
    obj: CachedObject


@dataclass(slots=True)
class Heard(Message):
    """A bookmark: nothing changed, but the stream is alive (freshness)."""


@dataclass(slots=True)
class StateChanged(Message):
    state: SyncState
    error: str = ""


@dataclass(slots=True)
class ListForbidden(Message):
    """403 on a scope the cache chose itself (cluster-wide, or a namespace it guessed): it will choose again."""

    error: str


Decode = Callable[[dict[str, Any], ApiResource], CachedObject]


class Backoff:
    """Exponential with "equal jitter": never less than half the step, so retries cannot bunch at zero."""

    def __init__(self, initial: float, maximum: float) -> None:
        self.initial = initial
        self.maximum = maximum
        self._step = initial

    def next(self) -> float:
        delay = self._step / 2 + random.uniform(0, self._step / 2)
        self._step = min(self._step * 2, self.maximum)
        return delay

    def reset(self) -> None:
        self._step = self.initial


class WatchWorker(threading.Thread):
    def __init__(
        self,
        client: ClusterClient,
        scope: Scope,
        generation: int,
        post: Callable[[Message], None],
        decode: Decode,
        options: WatchOptions | None = None,
        *,
        report_forbidden: bool = True,
    ) -> None:
        super().__init__(name=f"watch {client.context} {scope}", daemon=True)
        self.client = client
        self.scope = scope
        self.generation = generation
        self._post = post
        self._decode = decode
        self.options = options or WatchOptions()
        self._stop_event = threading.Event()
        self._response: Any = None
        self._state: SyncState | None = None
        # True: a 403 ends the thread and is reported (the cache picks other scopes). False: the scope was
        # asked for explicitly, so keep trying; someone may grant the permission.
        self.report_forbidden = report_forbidden

    # ---- control (any thread) -----------------------------------------------------------------------

    def stop(self) -> None:
        self._stop_event.set()
        response = self._response
        if response is not None:
            _interrupt(response)

    @property
    def stopped(self) -> bool:
        return self._stop_event.is_set()

    # ---- the thread ---------------------------------------------------------------------------------

    def run(self) -> None:
        backoff = Backoff(self.options.backoff_initial, self.options.backoff_max)
        version = ""  # "" = must list
        while not self.stopped:
            try:
                if not version:
                    self._set_state(SyncState.RESYNCING)
                    version = self._list()
                version = self._watch(version, backoff)
            except GoneError:
                log.info("%s: resourceVersion %s is too old, relisting", self.scope, version)
                version = ""
            except ForbiddenError as exc:
                if self.report_forbidden:
                    self._send(ListForbidden, error=exc.message)
                    return
                self._fail(exc, backoff)
            except ClusterError as exc:
                self._fail(exc, backoff)
            except Exception as exc:  # a bug must not kill the watch silently: report and retry
                log.exception("%s: unexpected error", self.scope)
                self._fail(exc, backoff)

    def _fail(self, exc: Exception, backoff: Backoff) -> None:
        if self.stopped:
            return
        message = exc.message if isinstance(exc, ClusterError) else f"{type(exc).__name__}: {exc}"
        self._set_state(SyncState.FAILING, message)
        self._stop_event.wait(backoff.next())

    def _send(self, cls: type[Message], **fields: Any) -> None:
        if not self.stopped:
            self._post(cls(self.scope, self.generation, time.monotonic(), **fields))

    def _set_state(self, state: SyncState, error: str = "") -> None:
        if state != self._state or state == SyncState.FAILING:
            self._state = state
            self._send(StateChanged, state=state, error=error)

    def _list(self) -> str:
        """List in pages, handing objects over in chunks as they come; returns the list's resourceVersion.

        The next page is fetched while this one is decoded: the server's time and ours overlap.
        """
        resource, namespace = self.scope.resource, self.scope.namespace
        size = self.client.settings.page_size
        try:
            page = self.client.list_page(resource, namespace, limit=size)
        except GoneError:
            raise ClusterError(f"cannot list {self.scope}: the server answered 410 to a fresh list") from None
        version, first = page.resource_version, True
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"list {self.scope}") as prefetch:
            while True:
                pending = (
                    prefetch.submit(
                        self.client.list_page, resource, namespace, limit=size, continue_token=page.continue_token
                    )
                    if page.continue_token
                    else None
                )
                objects = [self._decode(item, resource) for item in page.items]
                try:
                    following = pending.result() if pending is not None else None
                except GoneError:
                    # The continue token expired mid-list (compaction): start over, without paging this time.
                    page = self.client.list_page(resource, namespace)
                    version, following, first = page.resource_version, None, True
                    objects = [self._decode(item, resource) for item in page.items]
                for start in range(0, max(len(objects), 1), self.options.chunk_size):
                    last = following is None and start + self.options.chunk_size >= len(objects)
                    self._send(
                        ListChunk,
                        objects=objects[start : start + self.options.chunk_size],
                        first=first,
                        last=last,
                        resource_version=version,
                    )
                    first = False
                if following is None or self.stopped:
                    break
                page = following
        self._set_state(SyncState.SYNCED)
        return version

    def _watch(self, version: str, backoff: Backoff) -> str:
        low, high = self.options.watch_timeout
        started = time.monotonic()
        response = self.client.open_watch(
            self.scope.resource,
            self.scope.namespace,
            version,
            timeout_seconds=random.randint(low, high),
            read_timeout=self.options.idle_read_timeout,
        )
        self._response = response
        if self.stopped:  # stop() ran between opening and publishing the response
            _interrupt(response)
        self._set_state(SyncState.SYNCED)
        backoff.reset()
        events = 0
        try:
            for line in _lines(response.response):
                if self.stopped:
                    break
                event = json_codec.loads(line)
                kind, obj = event.get("type"), event.get("object") or {}
                if kind == "ERROR":
                    raise api_error(
                        int(obj.get("code") or 500),
                        json.dumps(obj),
                        origin=self.client.origin,
                        target=Target("watch", str(self.scope)),
                    )
                version = str((obj.get("metadata") or {}).get("resourceVersion") or version)
                if kind == "BOOKMARK":
                    self._send(Heard)
                    continue
                events += 1
                self._send(Changed, type=str(kind), obj=self._decode(obj, self.scope.resource))
        except (u3.ReadTimeoutError, TimeoutError):
            log.debug("%s: no news for %s s, restarting the watch", self.scope, self.options.idle_read_timeout)
        except (u3.ProtocolError, u3.HTTPError, OSError) as exc:
            if not self.stopped:
                raise ClusterError(
                    f"watch of {self.scope} on context {self.client.context} broke: {exc}", origin=self.client.origin
                ) from exc
        finally:
            self._response = None
            # Close rather than release: a watch ended early leaves unread bytes on the connection.
            response.response.close()
        if not events and time.monotonic() - started < 1.0 and not self.stopped:
            # The server keeps ending watches at once: pause rather than spin.
            self._stop_event.wait(backoff.next())
        return version


def _lines(response: Any) -> Iterator[bytes]:
    """Newline-delimited JSON from a streamed body, as chunks arrive (a line may span chunks)."""
    pending = b""
    for chunk in response.stream(amt=None, decode_content=False):
        if not chunk:
            continue
        pending += chunk
        if b"\n" not in chunk:
            continue
        *complete, pending = pending.split(b"\n")
        for line in complete:
            if line.strip():
                yield line
    if pending.strip():
        yield pending


def _interrupt(response: Any) -> None:
    """Unblock a thread reading this response (a plain close can wait on the read it should end)."""
    raw = getattr(response, "response", response)
    try:
        shutdown = getattr(raw, "shutdown", None)
        if shutdown is not None:
            shutdown()
        else:
            raw.close()
    except Exception:  # already closed: the goal is met
        log.debug("interrupting a watch response failed", exc_info=True)
