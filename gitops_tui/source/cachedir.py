"""Where mirrors live: the cache directory and a safe, stable directory name per repository URL."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from gitops_tui.source.errors import redact_url


def default_cache_dir() -> Path:
    """`$XDG_CACHE_HOME/gitops-tui/repos`, `~/.cache/gitops-tui/repos` when that is unset."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "gitops-tui" / "repos"


def mirror_key(url: str) -> str:
    """The identity of a repository URL: `https://Host/org/x.git/` and `https://host/org/x` match."""
    text = url.strip().rstrip("/").removesuffix(".git")
    scheme, sep, rest = text.partition("://")
    if not sep:
        return text
    host, slash, path = rest.partition("/")
    return f"{scheme.lower()}://{host.lower()}{slash}{path}"


def mirror_dir_name(url: str) -> str:
    """A safe directory name: a readable prefix (no credentials) plus a hash of the URL."""
    readable = redact_url(mirror_key(url)).partition("://")[2] or mirror_key(url)
    readable = readable.rpartition("@")[2]
    readable = re.sub(r"[^A-Za-z0-9._-]+", "-", readable).strip("-.")[:48] or "repo"
    digest = hashlib.sha256(mirror_key(url).encode()).hexdigest()[:16]
    return f"{readable}-{digest}"
