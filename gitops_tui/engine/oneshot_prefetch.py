"""Start the one-shot commands' Git fetches early, before the kubernetes client is imported.

Importing the client takes a good part of a second; a fetch is mostly a `git` subprocess (or the network),
so the two overlap well. Kept apart from oneshot.py, which imports the client.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor

from gitops_tui.source.cachedir import mirror_key
from gitops_tui.source.git import MirrorPool

Fetches = dict[str, "Future[None]"]
"""Started fetches by mirror key (`mirror_key(url)`)."""


def start_fetches(urls: Iterable[str], pool: MirrorPool | None = None) -> tuple[MirrorPool, Fetches]:
    """Fetch each repository once, in the background; the comparer waits for them instead of fetching."""
    pool = pool or MirrorPool()
    wanted = {mirror_key(url): url for url in urls}
    if not wanted:
        return pool, {}
    runner = ThreadPoolExecutor(min(4, len(wanted)), thread_name_prefix="prefetch")
    fetches = {key: runner.submit(pool.get(url).fetch) for key, url in wanted.items()}
    runner.shutdown(wait=False)  # its threads end with their fetch
    return pool, fetches
