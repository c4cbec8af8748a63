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

Simulated time waits for the controllers. A real kube-controller-manager keeps up with its cluster,
so a rollout's progress deadline measures the rollout, never the controller's own queue; squeezed
onto a shared CPU at 20x, the simulated controllers can fall minutes of *simulated* time behind
(a thousand rollouts queued behind each other) and would time out rollouts that were progressing.
So the clock follows the controllers' backlog (`follow`): once the oldest due work has waited more
than the allowance (`LAG_ALLOWANCE` simulated seconds), simulated time slows with the square of how
far behind they are (twice the allowance: a quarter speed; ten times: a hundredth), so however long
a piece of work waits, its wait costs at most two allowances of simulated time, and a deadline,
back-off or schedule does not count the rest. It slows rather than stops so that pods still start
while the controllers stay busy for minutes. A rollout that cannot progress (an image that does not
exist) still times out: its time passes whenever the controllers keep up.
"""

from __future__ import annotations

import asyncio
import time
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Hashable
from datetime import UTC, datetime, timedelta

STAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

LAG_ALLOWANCE = 5.0
"""Simulated seconds the oldest due work may wait for the controllers before simulated time waits too."""
LAG_ALLOWANCE_FLOOR = 0.01
"""Real seconds of lag always allowed: an event loop's ordinary hiccups do not stop time."""
_MERGE_HOLDS_BELOW = 0.5
"""Real seconds: shorter pauses share one anchor, so stamps of instants between them are off by less."""
_ANCHOR_LIMIT = 4096

Backlog = Callable[[], tuple[float | None, datetime | None]]
"""(real monotonic instant the oldest queued work became due, simulated instant the earliest timer is due)."""


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
        self._speed = float(speed)
        # Simulated time is accumulated from real time, less the spans the controllers were behind.
        self._real_mark = self._origin_real
        self._sim_elapsed = 0.0  # simulated seconds since the origin, as of `_real_mark`
        self._backlog: Backlog | None = None
        self.held_seconds = 0.0
        """Real seconds simulated time stood still waiting for the controllers (for benchmarks)."""
        # (simulated instant, wall instant, speed): from each anchor on, simulated time ran at that
        # speed until it reached the next anchor's simulated instant, then stood still until its wall
        # instant. The mapping between the two time lines, exact to `_MERGE_HOLDS_BELOW`.
        self._anchors: list[tuple[datetime, datetime, float]] = [(self._origin_wall, self._origin_wall, self._speed)]

    @property
    def speed(self) -> float:
        return self._speed

    @speed.setter
    def speed(self, value: float) -> None:
        if value <= 0:
            raise ValueError(f"speed must be positive, not {value}")
        self.settle()
        self._speed = float(value)
        self._anchors.append((self._sim_mark, self.now(), self._speed))

    def follow(self, backlog: Backlog | None) -> None:
        """Slow down while `backlog` says the controllers are behind (see the module's docs); None:
        follow nothing any more.

        The clock reads it lazily, so whoever changes what it returns calls `settle()` just before."""
        self.settle()
        self._backlog = backlog

    def allowance(self) -> float:
        """Real seconds the oldest due work may wait before simulated time stops for it."""
        return max(LAG_ALLOWANCE / self._speed, LAG_ALLOWANCE_FLOOR)

    def real_now(self) -> float:
        return self._monotonic()

    def settle(self) -> None:
        """Bring simulated time up to now, leaving out the span the controllers have been behind."""
        real = self._monotonic()
        elapsed = real - self._real_mark
        if elapsed <= 0:
            return
        counted = elapsed
        waiting_since = self._waiting_since()
        if waiting_since is not None:
            counted = _counted(self._real_mark - waiting_since, real - waiting_since, self.allowance())
        self._sim_elapsed += counted * self._speed
        self._real_mark = real
        if counted < elapsed:
            self._hold(elapsed - counted)

    @property
    def _sim_mark(self) -> datetime:
        return self._origin_wall + timedelta(seconds=self._sim_elapsed)

    def _waiting_since(self) -> float | None:
        """Real instant the oldest due work became due, if any waits."""
        if self._backlog is None:
            return None
        queued_since, timer_due = self._backlog()
        due = [] if queued_since is None else [queued_since]
        if timer_due is not None:
            # The timer's work is due once simulated time reaches it (already, if it is overdue).
            ahead = (timer_due - self._sim_mark).total_seconds()
            due.append(self._real_mark + max(ahead, 0.0) / self._speed)
        return min(due) if due else None

    def _hold(self, seconds: float) -> None:
        self.held_seconds += seconds
        wall = self.now()
        last_sim, last_wall, last_speed = self._anchors[-1]
        if last_sim == self._sim_mark and len(self._anchors) > 1:
            self._anchors[-1] = (last_sim, wall, last_speed)  # the same pause, still going on
            return
        if len(self._anchors) > 1 and last_speed == self._speed:
            before_sim, before_wall, before_speed = self._anchors[-2]
            paused = (last_wall - before_wall).total_seconds() - (last_sim - before_sim).total_seconds() / before_speed
            if before_speed == last_speed and paused < _MERGE_HOLDS_BELOW:
                self._anchors.pop()  # instants since it map as if that short pause came later
        if len(self._anchors) >= _ANCHOR_LIMIT:
            del self._anchors[: _ANCHOR_LIMIT // 2]  # the oldest instants map coarsely from here on
        self._anchors.append((self._sim_mark, wall, self._speed))

    def now(self) -> datetime:
        """Wall-clock time: what objects are stamped with (the store uses this too)."""
        return self._origin_wall + timedelta(seconds=self._monotonic() - self._origin_real)

    def sim_now(self) -> datetime:
        """Simulated time: what controllers measure durations in."""
        self.settle()
        return self._sim_mark

    def to_wall(self, simulated: datetime) -> datetime:
        """The wall instant simulated time reached `simulated` (the start of a pause, if it paused there)."""
        self.settle()
        index = max(bisect_left(self._anchors, simulated, key=lambda anchor: anchor[0]) - 1, 0)
        sim, wall, speed = self._anchors[index]
        return wall + (simulated - sim) / speed

    def to_sim(self, wall: datetime) -> datetime:
        self.settle()
        index = max(bisect_right(self._anchors, wall, key=lambda anchor: anchor[1]) - 1, 0)
        sim, anchor_wall, speed = self._anchors[index]
        simulated = sim + (wall - anchor_wall) * speed
        if index + 1 < len(self._anchors):
            simulated = min(simulated, self._anchors[index + 1][0])  # within the pause that followed
        return simulated

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
        """Real seconds `sim_seconds` take while the controllers keep up (longer while they do not)."""
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


def _counted(waited_from: float, waited_to: float, allowance: float) -> float:
    """Real seconds that count as simulated time while the oldest work's wait goes from one value to
    the other: all of it up to the allowance, then (allowance / wait)² of each second (its integral)."""
    full = max(min(waited_to, allowance) - waited_from, 0.0)
    low, high = max(waited_from, allowance), max(waited_to, allowance)
    return full + allowance * allowance * (1 / low - 1 / high)


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.strptime(text, STAMP_FORMAT).replace(tzinfo=UTC)
