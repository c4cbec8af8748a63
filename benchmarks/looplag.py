"""How long the event loop went without running: a 1 ms ticker that notes how late it wakes."""

from __future__ import annotations

import asyncio
import time


class LoopLag:
    """`worst` is the longest stall seen; use `start()`/`stop()` or `with LoopLag() as lag:` on a running loop."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _tick(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.001)
            self.worst = max(self.worst, time.perf_counter() - before - 0.001)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._tick())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def __enter__(self) -> LoopLag:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
