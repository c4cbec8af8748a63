"""The threads a sync's blocking calls (applies, deletes, reads) run in: threads of its own.

`asyncio.to_thread` uses the loop's default pool: min(32, cores + 4) threads, six on a two-core bastion.
The sync's writes shared those with everything else that reaches for it (a thousand automated syncs
taking their Leases at start, history reads and writes), so ten writers wrote six at a time at best, and
behind the rest. Here they get a pool of their own; how many write at once is the writer bound's business
(sync_slots.py), not the pool's.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

THREADS = 32
"""Enough for the writers of a few clusters at once; threads start only when used."""

P = ParamSpec("P")
T = TypeVar("T")


@functools.cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(THREADS, thread_name_prefix="sync")


async def in_sync_thread(fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """`asyncio.to_thread`, in the sync's own threads."""
    return await asyncio.get_running_loop().run_in_executor(_pool(), functools.partial(fn, *args, **kwargs))
