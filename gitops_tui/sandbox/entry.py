"""A stored object version, the change events about it, and the JSON encoding shared by the store
and the HTTP layer."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .store import Store


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


class Entry:
    """One stored object version; its JSON bytes are made once and shared by every reader."""

    __slots__ = ("_raw", "obj", "rv")

    def __init__(self, obj: dict[str, Any], rv: int) -> None:
        self.obj = obj
        self.rv = rv
        self._raw: bytes | None = None

    def raw(self) -> bytes:
        if self._raw is None:
            self._raw = dumps(self.obj)
        return self._raw


@dataclass(slots=True)
class WatchEvent:
    type: str  # ADDED | MODIFIED | DELETED
    resource: str  # group-resource, e.g. "deployments.apps"
    entry: Entry  # the object after the change (for DELETED: its final state)
    old: dict[str, Any] | None  # the previous state (None for ADDED)

    @property
    def obj(self) -> dict[str, Any]:
        return self.entry.obj

    @property
    def rv(self) -> int:
        return self.entry.rv

    @property
    def namespace(self) -> str:
        return self.entry.obj["metadata"].get("namespace", "")


Callback = Callable[[WatchEvent], None]


class Subscription:
    def __init__(self, store: Store, callback: Callback, resource: str | None) -> None:
        self._store = store
        self.callback = callback
        self.resource = resource

    def close(self) -> None:
        self._store._subscribers.discard(self)
