"""How a reconciler polls, compares and syncs: the knobs the console's config file and the tests set."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from gitops_tui.cluster.cache import CacheSettings
from gitops_tui.cluster.client import ClientSettings
from gitops_tui.engine.auto_sync import AutoSyncPolicy


@dataclass(frozen=True)
class ReconcilerSettings:
    read_only: bool = False
    poll_interval: float = 120.0
    poll_jitter: float = 60.0
    server_dry_run: bool = True
    """Compare against the server's dry-run prediction (cached); False: local prediction only."""
    compare_workers: int = 8
    """Apps compared concurrently (each mostly waits on dry-runs and the compute pool)."""
    git_threads: int = 4
    cluster_threads: int = 8
    compute_threads: int = 2
    client: ClientSettings = field(default_factory=ClientSettings)
    cache: CacheSettings = field(default_factory=CacheSettings)
    auto_sync: AutoSyncPolicy = field(default_factory=AutoSyncPolicy)
    read_only_contexts: Mapping[str, str] = field(default_factory=dict)
    """Kubeconfig context -> why its apps take no writes (config file `contexts:`); see read_only.py."""
    pause_recheck: float = 15.0
    """Seconds between reads of the shared auto-sync pause of an app paused here (engine/shared_pause.py)."""
