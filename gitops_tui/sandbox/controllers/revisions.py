"""ControllerRevisions: the template history StatefulSets and DaemonSets keep, as upstream does.

They make `kubectl rollout history` / `undo` work for those kinds and show up as children in a
resource tree. `data` holds the template as a strategic-merge patch that replaces the spec template.
"""

from __future__ import annotations

import copy
from typing import Any

from gitops_tui.sandbox.controllers.kube import name_of, owned_objects, owner_reference

JSON = dict[str, Any]
RESOURCE = "controllerrevisions.apps"


def ensure_revision(store: Any, owner: JSON, revision_name: str, hash_labels: dict[str, str], manager: str) -> None:
    """Create the owner's ControllerRevision for its current template unless it exists."""
    namespace = owner["metadata"]["namespace"]
    existing = owned_objects(store, RESOURCE, owner)
    highest = max((int(r.get("revision", 0)) for r in existing), default=0)
    current = next((r for r in existing if name_of(r) == revision_name), None)
    if current is not None:
        if int(current.get("revision", 0)) < highest:
            # A rollback to an old template makes its revision the newest again, as upstream does.
            current["revision"] = highest + 1
            store.update(RESOURCE, current, manager=manager)
        return
    template = copy.deepcopy(owner["spec"]["template"])
    template["$patch"] = "replace"
    revision = {
        "apiVersion": "apps/v1",
        "kind": "ControllerRevision",
        "metadata": {
            "name": revision_name,
            "namespace": namespace,
            "labels": {**((owner["spec"].get("selector") or {}).get("matchLabels") or {}), **hash_labels},
            "ownerReferences": [owner_reference(owner)],
        },
        "data": {"spec": {"template": template}},
        "revision": highest + 1,
    }
    store.create(RESOURCE, revision, manager=manager)
    _trim(store, owner, existing, int(owner["spec"].get("revisionHistoryLimit", 10)))


def _trim(store: Any, owner: JSON, existing: list[JSON], limit: int) -> None:
    # The new revision is kept; the oldest ones beyond the limit go (pods still using them are rare here).
    surplus = len(existing) + 1 - (limit + 1)
    for revision in sorted(existing, key=lambda r: int(r.get("revision", 0)))[: max(surplus, 0)]:
        store.delete(RESOURCE, revision["metadata"]["namespace"], name_of(revision))
