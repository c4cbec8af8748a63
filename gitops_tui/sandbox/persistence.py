"""`--state-file`: the store survives a restart.

Writes are atomic (temp file, fsync, rename, fsync of the directory), so a crash mid-write leaves the
previous complete file; a reader never sees a partial one. Saving is debounced: a burst of writes
costs one save. Stored objects' cached JSON bytes are reused, so a save does not re-serialise them.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

from .store import Store, WatchEvent

FORMAT = "gitops-tui-sandbox/v1"


def load_state(path: Path) -> dict[str, Any] | None:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    state = json.loads(raw)
    if state.get("format") != FORMAT:
        raise ValueError(f"{path} is not a sandbox state file")
    return state


def state_bytes(store: Store) -> bytes:
    head = json.dumps({"format": FORMAT, "resourceVersion": store.resource_version}).encode()
    items = []
    for group_resource, by_ns in store._data.items():
        prefix = b'{"resource":' + json.dumps(group_resource).encode() + b',"object":'
        items.extend(prefix + entry.raw() + b"}" for names in by_ns.values() for entry in names.values())
    return head[:-1] + b',"objects":[' + b",\n".join(items) + b"]}\n"


def write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class StateSaver:
    """Saves the store shortly after it changes (on the store's loop; the disk write in a thread)."""

    def __init__(self, store: Store, path: Path, delay: float = 0.3) -> None:
        self.store = store
        self.path = path
        self.delay = delay
        self._scheduled: asyncio.TimerHandle | None = None
        self._lock = asyncio.Lock()
        self._subscription = store.subscribe(self._changed)

    def _changed(self, _event: WatchEvent) -> None:
        if self._scheduled is None:
            loop = asyncio.get_running_loop()
            self._scheduled = loop.call_later(self.delay, lambda: asyncio.ensure_future(self.save()))

    async def save(self) -> None:
        self._scheduled = None
        async with self._lock:
            data = state_bytes(self.store)  # snapshot on the loop, where the store lives
            await asyncio.to_thread(write_atomically, self.path, data)

    async def close(self) -> None:
        self._subscription.close()
        if self._scheduled is not None:
            self._scheduled.cancel()
        await self.save()
