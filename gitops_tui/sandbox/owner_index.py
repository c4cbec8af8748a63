"""The store's index of owners: owner uid -> the objects naming it in ownerReferences.

The garbage collector and foreground deletion (deletion.py) walk it to find an owner's dependents without
scanning the store. Kept up to date by `Store.commit` and `Store.remove`, on the loop.
"""

from __future__ import annotations

from typing import Any

from .resources import ResourceType

Dependents = dict[str, set[tuple[str, str, str]]]
"""owner uid -> (group-resource, namespace or "", name) of each object that names it as an owner."""


def index_owners(
    dependents: Dependents, rt: ResourceType, old: dict[str, Any] | None, new: dict[str, Any] | None
) -> None:
    """Move the object's entries in `dependents` from `old`'s owners to `new`'s (either may be None)."""

    def owner_uids(obj: dict[str, Any] | None) -> set[str]:
        refs = (obj or {}).get("metadata", {}).get("ownerReferences") or []
        return {ref.get("uid", "") for ref in refs if isinstance(ref, dict)}

    before, after = owner_uids(old), owner_uids(new)
    if before == after and new is not None:
        return
    source = new or old
    assert source is not None
    meta = source["metadata"]
    key = (rt.group_resource, meta.get("namespace", "") if rt.namespaced else "", meta["name"])
    for uid in before - after:
        keys = dependents.get(uid)
        if keys is not None:
            keys.discard(key)
            if not keys:
                del dependents[uid]
    for uid in after:
        dependents.setdefault(uid, set()).add(key)
