"""Simulated time: wall time that runs `speed` times faster than real time.

Everything that takes time in a cluster (pulling an image, a crash-loop back-off, a progress deadline,
a cron schedule) is expressed in *simulated* seconds. At `speed=1` the demo moves like a real
cluster; tests run at a high speed so a 600 s progress deadline passes in a moment of real time.
Simulated time starts at the real time the clock is made, so timestamps look current in the demo.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta


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
        self._origin_sim = start or datetime.now(UTC)
        self._speed = float(speed)

    @property
    def speed(self) -> float:
        return self._speed

    @speed.setter
    def speed(self, value: float) -> None:
        if value <= 0:
            raise ValueError(f"speed must be positive, not {value}")
        # Re-anchor so simulated time stays continuous across the change.
        self._origin_sim = self.now()
        self._origin_real = self._monotonic()
        self._speed = float(value)

    def now(self) -> datetime:
        return self._origin_sim + timedelta(seconds=(self._monotonic() - self._origin_real) * self._speed)

    def timestamp(self) -> str:
        """RFC 3339 in whole seconds, as Kubernetes writes metav1.Time."""
        return self.now().strftime("%Y-%m-%dT%H:%M:%SZ")

    def real_delay(self, sim_seconds: float) -> float:
        return max(0.0, sim_seconds) / self._speed

    async def sleep(self, sim_seconds: float) -> None:
        await asyncio.sleep(self.real_delay(sim_seconds))


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def seconds_since(clock: SimClock, text: str | None) -> float:
    """Simulated seconds elapsed since a metav1.Time; infinity when the time is absent."""
    moment = parse_time(text)
    return float("inf") if moment is None else (clock.now() - moment).total_seconds()
