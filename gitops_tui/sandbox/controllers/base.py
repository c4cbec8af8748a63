"""What every simulated controller is: a reconcile function over keys, fed by store events and timers."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gitops_tui.sandbox.controllers.clock import Stopwatch

if TYPE_CHECKING:
    from gitops_tui.sandbox.controllers.clock import SimClock
    from gitops_tui.sandbox.controllers.events import EventRecorder
    from gitops_tui.sandbox.store import Store, WatchEvent

JSON = dict[str, Any]
Key = tuple[str, str]  # (namespace, name) of the controller's primary object
KeyMapper = Callable[["WatchEvent"], Iterable[Key]]


@dataclass
class ControllerContext:
    store: Store
    clock: SimClock
    events: EventRecorder
    # Ask a controller (by name) to look at a key, now or after some simulated seconds.
    enqueue: Callable[[str, Key, float], None]


def same_key(event: WatchEvent) -> Iterable[Key]:
    meta = event.obj["metadata"]
    return [(meta.get("namespace", ""), meta["name"])]


def controller_owner(kind: str) -> KeyMapper:
    """Map a dependent's event to its controlling owner of `kind` (before and after the change)."""

    def mapper(event: WatchEvent) -> Iterable[Key]:
        keys = []
        for obj in (event.obj, event.old):
            for ref in (obj or {}).get("metadata", {}).get("ownerReferences") or []:
                if ref.get("controller") and ref.get("kind") == kind:
                    keys.append((obj["metadata"].get("namespace", ""), ref["name"]))
        return keys

    return mapper


class Controller:
    """Subclasses set `name`, `primary` and `watches`, and implement `reconcile`.

    `reconcile` runs synchronously on the loop (the store is in-memory and single-threaded, so a
    read-modify-write inside it cannot race) and returns simulated seconds until it wants to look
    again, or None when only a change should wake it.
    """

    name = "controller"
    primary = ""  # group-resource whose objects are this controller's keys
    manager = "kube-controller-manager"

    def __init__(self, ctx: ControllerContext) -> None:
        self.ctx = ctx
        self.store = ctx.store
        self.clock = ctx.clock
        self.events = ctx.events
        self.stopwatch = Stopwatch(ctx.clock)

    def watches(self) -> dict[str, KeyMapper]:
        return {self.primary: same_key}

    def initial_keys(self) -> Iterable[Key]:
        for obj in self.store.list(self.primary):
            yield obj["metadata"].get("namespace", ""), obj["metadata"]["name"]

    def reconcile(self, key: Key) -> float | None:
        raise NotImplementedError

    def age(self, obj: JSON) -> float:
        """Simulated seconds since this controller first saw the object (it sees new objects at once)."""
        key = (obj["metadata"].get("uid"), "seen")
        self.stopwatch.note_once(key)
        return self.stopwatch.elapsed(key)
