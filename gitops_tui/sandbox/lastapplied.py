"""Interplay of server-side apply with kubectl's client-side apply annotation.

The real server does two things so that users can move between ``kubectl apply`` and
``kubectl apply --server-side`` (and back) without fighting themselves:

- when ``kubectl`` server-side applies to an object that carries the
  ``kubectl.kubernetes.io/last-applied-configuration`` annotation, the annotation is rewritten to the
  new configuration (so a later client-side apply computes its three-way diff from the right base);
- conflicts on fields that the annotation says were client-side applied, and that still hold the
  value it recorded, are not reported: the apply is retried with force (the upgrade path).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping

from gitops_tui.sandbox.fieldsets import FieldSetError, Path, compare, to_field_set
from gitops_tui.sandbox.schema import Node

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
# Only kubectl's own server-side apply keeps the annotation in sync; other managers opt out by name.
SYNCING_MANAGER = "kubectl"


def _annotations(obj: Mapping | None) -> Mapping:
    metadata = (obj or {}).get("metadata") or {}
    annotations = metadata.get("annotations") if isinstance(metadata, Mapping) else None
    return annotations if isinstance(annotations, Mapping) else {}


def encode_last_applied(config: Mapping) -> str:
    """The annotation value for ``config``: Go's encoding of it (sorted keys, HTML-safe escapes, trailing
    newline) without the annotation itself."""
    body = copy.deepcopy(dict(config))
    annotations = (body.get("metadata") or {}).get("annotations")
    if isinstance(annotations, dict):
        annotations.pop(LAST_APPLIED, None)
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                         ("\u2029", "\\u2029")):
        text = text.replace(raw, escaped)
    return text + "\n"


def sync_last_applied(result: dict, config: Mapping, manager: str, subresource: str) -> None:
    """Rewrite the annotation in ``result`` (in place) after a server-side apply by kubectl."""
    if manager != SYNCING_MANAGER or subresource or LAST_APPLIED not in _annotations(result):
        return
    result["metadata"]["annotations"][LAST_APPLIED] = encode_last_applied(config)


def conflicts_forgiven(live: Mapping | None, live_body: Mapping, conflicts: Iterable[Path], root: Node) -> bool:
    """Whether every conflict is on a field the last client-side apply set and nobody changed since."""
    raw = _annotations(live).get(LAST_APPLIED)
    if not isinstance(raw, str) or not raw:
        return False
    try:
        last_applied = json.loads(raw)
        if not isinstance(last_applied, dict):
            return False
        recorded = to_field_set(last_applied, root)
        drift = compare(live_body, last_applied, root)
    except (ValueError, FieldSetError):
        return False
    unchanged = recorded - drift.modified - drift.added
    return all(path in unchanged for path in conflicts)
