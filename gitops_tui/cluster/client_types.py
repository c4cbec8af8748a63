"""The client's settings and the small values it hands back: what callers configure and read."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from .credentials import DEFAULT_CHECK_INTERVAL
from .tracking import DEFAULT_TRACKING_ANNOTATION

FIELD_MANAGER = "gitops-tui"


@dataclass(frozen=True)
class ClientSettings:
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    field_manager: str = FIELD_MANAGER
    tracking_annotation: str = DEFAULT_TRACKING_ANNOTATION
    read_only: bool = False
    max_retries: int = 3
    max_retry_after: float = 10.0
    """Longest Retry-After we honour inside one call; beyond it the error goes back to the caller."""
    discovery_ttl: float = 300.0
    discovery_on_disk: bool = False
    """Start from discovery kept on disk (discovery_cache.py), as kubectl does: for one-shot commands."""
    page_size: int = 500
    credential_check_interval: float = DEFAULT_CHECK_INTERVAL
    """Seconds between two questions to the credential's refresh hook (credentials.py)."""


@dataclass
class Reachability:
    """Whether the last request reached the server; the UI shows it per cluster."""

    reachable: bool | None = None
    error: str = ""
    changed_at: float = field(default_factory=time.time)


@dataclass(frozen=True)
class ListPage:
    items: list[dict[str, Any]]
    resource_version: str
    continue_token: str
