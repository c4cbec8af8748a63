"""When the server's prediction is needed, and when the local one is as good.

A server-side dry-run apply costs one API call per resource. It can only tell us something new
when the local prediction (desired laid over live) differs from live, or when applying would
remove fields: fields our field manager applied before that Git no longer sets. In a steady
state neither holds, so comparing costs no API calls at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from gitops_tui.cluster.client import FIELD_MANAGER
from gitops_tui.engine.diff import ResourceDiff
from gitops_tui.engine.fieldpaths import lookup, owned_paths
from gitops_tui.engine.normalize import ARGOCD_TRACKING, DEFAULT_TRACKING


def apply_would_remove_fields(
    desired: Mapping[str, Any],
    live: Mapping[str, Any],
    manager: str = FIELD_MANAGER,
    stamped_annotations: Iterable[str] = (DEFAULT_TRACKING, ARGOCD_TRACKING),
) -> bool:
    """True when `manager` owns a field in `live` that `desired` no longer sets."""
    stamped = {("f", "metadata"), ("f", "annotations")}
    ours = {("f", key) for key in stamped_annotations}
    for path in owned_paths(live, manager):
        # The tracking annotation is stamped at apply time; Git never holds it.
        if len(path) == 3 and set(path[:2]) <= stamped and path[2] in ours:
            continue
        found, _ = lookup(desired, path, partial_keys=True)
        if not found:
            return True
    return False


def needs_server_prediction(
    local: ResourceDiff, desired: Mapping[str, Any] | None, live: Mapping[str, Any] | None, manager: str = FIELD_MANAGER
) -> bool:
    if desired is None or live is None:
        return False  # missing or extraneous: there is nothing for the server to predict
    return not local.in_sync or apply_would_remove_fields(desired, live, manager)
