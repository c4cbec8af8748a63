"""Client-side apply (`ServerSideApply=false`): kubectl's three-way merge, as a JSON merge patch (RFC 7386).

kubectl apply without --server-side remembers what it applied last in the annotation
`kubectl.kubernetes.io/last-applied-configuration`, and sends a patch made of three documents:

- what Git holds now (the desired object) sets every field it names that the live object does not have
  with that value;
- what was applied last, compared with the desired object, says which fields Git has dropped: those are
  deleted (`null` in a merge patch), and only those: fields other writers added are left alone;
- the new desired object becomes the annotation's value.

One difference, said wherever the option is documented: kubectl merges the lists of built-in kinds by
their keys (strategic merge patch: containers by name, ports by port); a JSON merge patch replaces a list
as a whole, as kubectl does for custom resources. Entries another writer added to a list Git also
sets are therefore dropped by the next client-side apply.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def last_applied(live: Mapping[str, Any] | None) -> dict[str, Any]:
    """The configuration the last client-side apply recorded on `live`; {} when none (or unreadable)."""
    annotations = ((live or {}).get("metadata") or {}).get("annotations") or {}
    text = annotations.get(LAST_APPLIED)
    if not text:
        return {}
    try:
        found = json.loads(text)
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def with_last_applied(desired: Mapping[str, Any]) -> dict[str, Any]:
    """`desired` carrying itself (without the annotation, as kubectl writes it) in the annotation."""
    metadata = dict(desired.get("metadata") or {})
    annotations = {k: v for k, v in (metadata.get("annotations") or {}).items() if k != LAST_APPLIED}
    recorded = {
        **desired,
        "metadata": {**metadata, "annotations": annotations}
        if annotations
        else {k: v for k, v in metadata.items() if k != "annotations"},
    }
    metadata["annotations"] = {**annotations, LAST_APPLIED: json.dumps(recorded, sort_keys=True, separators=(",", ":"))}
    return {**desired, "metadata": metadata}


def three_way_patch(original: Mapping[str, Any], desired: Mapping[str, Any], live: Mapping[str, Any]) -> dict[str, Any]:
    """The merge patch taking `live` to `desired`, deleting only what `original` (last applied) had and
    `desired` no longer has."""
    patch: dict[str, Any] = {}
    for key in original:
        if key not in desired:
            patch[key] = None
    for key, want in desired.items():
        have = live.get(key)
        was = original.get(key)
        if isinstance(want, Mapping) and isinstance(have, Mapping):
            inner = three_way_patch(was if isinstance(was, Mapping) else {}, want, have)
            if inner:
                patch[key] = inner
        elif want != have:
            patch[key] = want
    return patch
