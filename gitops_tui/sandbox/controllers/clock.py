"""Simulated time: durations in the cluster pass `speed` times faster than real time.

Everything that takes time in a cluster (pulling an image, a crash-loop back-off, a progress deadline,
a cron schedule) is measured in *simulated* seconds, so at `speed=50` a 600 s progress deadline
passes in 12 real seconds and tests finish quickly, while at `speed=1` the demo moves like a real
cluster.

Timestamps written into objects stay *wall-clock* time (`now()`, `timestamp()`), so ages shown by
kubectl or the console are right at any speed; only the gaps between a controller's steps shrink.
Because a timestamp has whole-second resolution (one real second is `speed` simulated seconds),
controllers note the simulated instant of their own steps in a `Stopwatch` and fall back to the
coarse timestamps only for objects they have not watched happen (a sandbox restored from disk).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Hashable
from datetime import UTC, datetime, timedelta

STAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


class SimClock:
    def __init__(
        self,
        speed: float = 1.0,
        *,
        start: datetime | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be positive, not {speed}")
        self._monotonic = monotonic
        self._origin_real = monotonic()
        # Both time lines meet at the origin: simulated time starts at the real time of creation.
        self._origin_wall = start or datetime.now(UTC)
        self._origin_sim = self._origin_wall
        self._speed = float(speed)

    @property
    def speed(self) -> float:
        return self._speed

    @speed.setter
    def speed(self, value: float) -> None:
        if value <= 0:
            raise ValueError(f"speed must be positive, not {value}")
        # Re-anchor so both time lines stay continuous across the change.
        self._origin_sim, self._origin_wall = self.sim_now(), self.now()
        self._origin_real = self._monotonic()
        self._speed = float(value)

    def _elapsed_real(self) -> float:
        return self._monotonic() - self._origin_real

    def now(self) -> datetime:
        """Wall-clock time: what objects are stamped with (the store uses this too)."""
        return self._origin_wall + timedelta(seconds=self._elapsed_real())

    def sim_now(self) -> datetime:
        """Simulated time: what controllers measure durations in."""
        return self._origin_sim + timedelta(seconds=self._elapsed_real() * self._speed)

    def to_wall(self, simulated: datetime) -> datetime:
        return self._origin_wall + (simulated - self._origin_sim) / self._speed

    def to_sim(self, wall: datetime) -> datetime:
        return self._origin_sim + (wall - self._origin_wall) * self._speed

    def timestamp(self, simulated: datetime | None = None) -> str:
        """RFC 3339 in whole seconds, as Kubernetes writes metav1.Time: now, or a simulated instant."""
        moment = self.now() if simulated is None else self.to_wall(simulated)
        return moment.strftime(STAMP_FORMAT)

    def sim_seconds_since(self, stamp: str | None) -> float:
        """Simulated seconds since a wall timestamp (coarse: off by up to `speed` seconds)."""
        moment = parse_time(stamp)
        if moment is None:
            return float("inf")
        return (self.sim_now() - self.to_sim(moment)).total_seconds()

    def real_delay(self, sim_seconds: float) -> float:
        return max(0.0, sim_seconds) / self._speed

    async def sleep(self, sim_seconds: float) -> None:
        await asyncio.sleep(self.real_delay(sim_seconds))


class Stopwatch:
    """Simulated instants a controller noted itself, keyed as it likes, each tied to the timestamp
    it wrote at that moment; precise where the whole-second timestamps are not."""

    _LIMIT = 20_000

    def __init__(self, clock: SimClock) -> None:
        self._clock = clock
        self._noted: dict[Hashable, tuple[str | None, datetime]] = {}

    def note(self, key: Hashable, stamp: str | None = None, at: datetime | None = None) -> None:
        if len(self._noted) >= self._LIMIT:
            # Forget the older half; what is forgotten falls back to timestamps.
            for old in list(self._noted)[: self._LIMIT // 2]:
                del self._noted[old]
        self._noted[key] = (stamp, at or self._clock.sim_now())

    def note_once(self, key: Hashable, stamp: str | None = None) -> None:
        if key not in self._noted:
            self.note(key, stamp)

    def noted(self, key: Hashable, stamp: str | None = None) -> datetime | None:
        """The noted instant, if one was noted for this key (and for this timestamp, when given)."""
        found = self._noted.get(key)
        if found is None or (stamp is not None and found[0] != stamp):
            return None
        return found[1]

    def elapsed(self, key: Hashable, stamp: str | None = None) -> float:
        """Simulated seconds since the noted instant, else since the timestamp (coarsely)."""
        at = self.noted(key, stamp)
        if at is not None:
            return (self._clock.sim_now() - at).total_seconds()
        return self._clock.sim_seconds_since(stamp)

    def forget(self, key: Hashable) -> None:
        self._noted.pop(key, None)


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.strptime(text, STAMP_FORMAT).replace(tzinfo=UTC)
