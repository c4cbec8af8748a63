"""Interplay of server-side apply with kubectl's client-side apply annotation.

The real server does two things so that users can move between ``kubectl apply`` and
``kubectl apply --server-side`` (and back) without fighting themselves:

- when ``kubectl`` server-side applies to an object that carries the
  ``kubectl.kubernetes.io/last-applied-configuration`` annotation, the annotation is rewritten to the
  new configuration (so a later client-side apply computes its three-way diff from the right base);
- when ``kubectl`` server-side applies, conflicts on fields that the annotation says were client-side
  applied, and that still hold the value it recorded, are not reported; if no other conflict remains
  the apply is forced (the upgrade path from client-side to server-side apply).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping

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
    for raw, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(raw, escaped)
    return text + "\n"


def sync_last_applied(result: dict, config: Mapping, manager: str, subresource: str) -> None:
    """Rewrite the annotation in ``result`` (in place) after a server-side apply by kubectl."""
    if manager != SYNCING_MANAGER or subresource or LAST_APPLIED not in _annotations(result):
        return
    result["metadata"]["annotations"][LAST_APPLIED] = encode_last_applied(config)


def forgiven_conflicts(
    live: Mapping | None, live_body: Mapping, manager: str, api_version: str, root: Node
) -> set[Path]:
    """Fields whose conflicts kubectl's server-side apply may override: those the last client-side
    apply recorded (at the live object's version) and that still hold the recorded value."""
    if manager != SYNCING_MANAGER:
        return set()
    raw = _annotations(live).get(LAST_APPLIED)
    if not isinstance(raw, str) or not raw:
        return set()
    try:
        last_applied = json.loads(raw)
        if not isinstance(last_applied, dict) or last_applied.get("apiVersion") != api_version:
            return set()
        recorded = to_field_set(last_applied, root)
        drift = compare(last_applied, live_body, root)
    except (ValueError, FieldSetError):
        return set()
    return recorded - drift.modified - drift.added - drift.removed
