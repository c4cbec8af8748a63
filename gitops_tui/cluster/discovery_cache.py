"""Discovery on disk, as kubectl keeps it in ~/.kube/cache/discovery: one-shot commands skip re-reading it.

A one-shot `diff` or `status` would otherwise ask the server for /api, /apis and every group version
(a dozen to a hundred requests) before its first real one. The resources the server serves are kept per
server in `$XDG_CACHE_HOME/gitops-tui/discovery/<sha256 of the server URL>/resources.json` for ten
minutes; a kind not found in them, or a list answered 404 (the kind is no longer served), reads discovery
again from the server (discovery.py) and rewrites the file. The file holds only what discovery says
(group, version, kind, plural, scope, verbs): no object, no credential, no Secret value. Written
atomically (a temp file renamed over it), directories 0700 and files 0600, as kubectl does.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

TTL_SECONDS = 600.0
FORMAT = 1
_FILE = "resources.json"

Row = tuple[str, str, str, str, bool, tuple[str, ...], bool]
"""(group, version, kind, plural, namespaced, verbs, preferred version of its group)."""


def cache_root(environ: Any = os.environ) -> Path:
    base = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "gitops-tui" / "discovery"


class DiscoveryCache:
    """The resources one server serves, as last discovered, if that was at most `ttl` seconds ago."""

    def __init__(self, server: str, root: Path | None = None, ttl: float = TTL_SECONDS) -> None:
        self.server = server
        self.directory = (root or cache_root()) / hashlib.sha256(server.encode()).hexdigest()[:32]
        self.ttl = ttl

    @property
    def path(self) -> Path:
        return self.directory / _FILE

    def load(self) -> tuple[list[Row], float] | None:
        """The cached rows and their age in seconds; None when missing, stale, unreadable or another server's."""
        try:
            document = json.loads(self.path.read_bytes())
            age = time.time() - float(document["discoveredAt"])
            if document.get("format") != FORMAT or document.get("server") != self.server or not 0 <= age <= self.ttl:
                return None
            rows = [(str(g), str(v), str(k), str(p), bool(n), tuple(str(x) for x in verbs), bool(pref))
                    for g, v, k, p, n, verbs, pref in document["resources"]]  # fmt: skip
        except (OSError, ValueError, KeyError, TypeError) as exc:
            if not isinstance(exc, FileNotFoundError):
                log.debug("discovery cache %s unusable: %s", self.path, exc)
            return None
        return rows, age

    def save(self, rows: Iterable[Row]) -> None:
        """Replace the file atomically; a cache that cannot be written is only slower, never an error."""
        document = {"format": FORMAT, "server": self.server, "discoveredAt": time.time(),
                    "resources": [list(row) for row in rows]}  # fmt: skip
        try:
            self._make_private_dirs()
            handle, temp = tempfile.mkstemp(prefix=".resources-", suffix=".tmp", dir=self.directory)  # born 0600
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as f:
                    json.dump(document, f, separators=(",", ":"))
                os.replace(temp, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temp)
                raise
        except OSError as exc:
            log.debug("cannot write the discovery cache %s: %s", self.path, exc)

    def clear(self) -> None:
        with contextlib.suppress(OSError):
            self.path.unlink()

    def _make_private_dirs(self) -> None:
        root = self.directory.parent
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.directory.mkdir(mode=0o700, exist_ok=True)
        for directory in (root, self.directory):
            if directory.stat().st_mode & 0o077:  # made by an older version, or under a permissive umask
                directory.chmod(0o700)
