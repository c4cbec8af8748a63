"""core/v1 Events for notable transitions, aggregated the way the event recorder does.

Repeats of the same (object, reason, message) bump `count` and `lastTimestamp` on one Event instead
of creating a new one, so a crash-looping pod does not flood the namespace.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from gitops_tui.sandbox.controllers.kube import name_of, namespace_of, uid_of

if TYPE_CHECKING:
    from gitops_tui.sandbox.controllers.clock import SimClock
    from gitops_tui.sandbox.store import Store

log = logging.getLogger(__name__)
JSON = dict[str, Any]

_AGGREGATION_LIMIT = 10_000
NORMAL = "Normal"
WARNING = "Warning"


class EventRecorder:
    def __init__(self, store: Store, clock: SimClock) -> None:
        self._store = store
        self._clock = clock
        self._sequence = 0
        # (involved uid, reason, message) -> (namespace, event name) of the Event to bump
        self._seen: dict[tuple[str, str, str], tuple[str, str]] = {}

    def record(
        self,
        involved: JSON,
        event_type: str,
        reason: str,
        message: str,
        component: str,
        host: str | None = None,
        field_path: str | None = None,
    ) -> None:
        namespace = namespace_of(involved) or "default"
        now = self._clock.timestamp()
        key = (uid_of(involved), reason, message)
        try:
            if key in self._seen and self._bump(self._seen[key], now):
                return
            self._sequence += 1
            # Real names are `<object>.<unix nanos in hex>`; a sequence keeps ours unique within a second.
            event_name = f"{name_of(involved)}.{int(self._clock.now().timestamp() * 1e9) + self._sequence:x}"
            involved_ref: JSON = {
                "apiVersion": involved.get("apiVersion", "v1"),
                "kind": involved.get("kind", ""),
                "name": name_of(involved),
                "namespace": namespace_of(involved) or None,
                "uid": uid_of(involved),
                "resourceVersion": involved.get("metadata", {}).get("resourceVersion"),
                "fieldPath": field_path,
            }
            source: JSON = {"component": component}
            if host:
                source["host"] = host
            event = {
                "apiVersion": "v1",
                "kind": "Event",
                "metadata": {"name": event_name, "namespace": namespace},
                "involvedObject": {k: v for k, v in involved_ref.items() if v},
                "reason": reason,
                "message": message,
                "source": source,
                "firstTimestamp": now,
                "lastTimestamp": now,
                "count": 1,
                "type": event_type,
                "eventTime": None,
                "reportingComponent": component,
                "reportingInstance": host or "",
            }
            self._store.create("events", event, namespace, manager=component)
            if len(self._seen) >= _AGGREGATION_LIMIT:
                self._seen.clear()  # later repeats start new Events, as after a recorder restart
            self._seen[key] = (namespace, event_name)
        except Exception:  # events are best effort, as in a real cluster
            log.debug("could not record event %s for %s", reason, name_of(involved), exc_info=True)

    def _bump(self, where: tuple[str, str], now: str) -> bool:
        namespace, event_name = where
        existing = self._store.try_get("events", namespace, event_name)
        if existing is None:
            return False
        existing["count"] = int(existing.get("count") or 1) + 1
        existing["lastTimestamp"] = now
        self._store.update("events", existing, manager=existing.get("reportingComponent") or "sandbox")
        return True
