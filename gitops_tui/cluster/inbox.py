"""Thread → loop handoff for watch messages: one `call_soon_threadsafe` per burst, then time-sliced draining.

Watch threads call `post` from anywhere; the loop applies messages in order, yielding after a small time
budget so that a large list (applied in chunks) never blocks the loop for more than a few milliseconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class Inbox(Generic[T]):
    def __init__(self, loop: asyncio.AbstractEventLoop, handle: Callable[[T], None], budget: float) -> None:
        self._loop = loop
        self._handle = handle
        self._budget = budget
        self._lock = threading.Lock()
        self._items: deque[T] = deque()
        self._scheduled = False

    def post(self, item: T) -> None:  # any thread
        with self._lock:
            self._items.append(item)
            if self._scheduled:
                return
            self._scheduled = True
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is left to tell
            self._loop.call_soon_threadsafe(self._drain)

    def _drain(self) -> None:  # the loop
        deadline = time.monotonic() + self._budget
        while True:
            with self._lock:
                if not self._items:
                    self._scheduled = False
                    return
                item = self._items.popleft()
            try:
                self._handle(item)
            except Exception:
                log.exception("applying a watch message failed")
            if time.monotonic() > deadline:
                self._loop.call_soon(self._drain)
                return
