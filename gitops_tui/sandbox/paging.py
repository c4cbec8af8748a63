"""List paging: continue tokens and the snapshot a continued list is served from.

A real server serves every page of a paged list from the same etcd revision: objects created after
the first page do not appear, objects deleted since still do. Here the state at that revision is
rebuilt from the current state by undoing the retained change log; when the log no longer reaches
back that far the token has expired (410), as after etcd compaction.
"""

from __future__ import annotations

import base64
import binascii
import json

from . import errors
from .entry import Entry
from .resources import ResourceType
from .selectors import object_matches, parse_field_selector, parse_label_selector
from .store import Store

Key = tuple[str, str]


def decode_continue(token: str) -> tuple[int, Key]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode() + b"=" * (-len(token) % 4)))
        return int(data["rv"]), (str(data["start"][0]), str(data["start"][1]))
    except (ValueError, KeyError, IndexError, TypeError, binascii.Error) as exc:
        raise errors.bad_request(f"continue key is not valid: {exc}") from exc


def encode_continue(rv: int, last: Key) -> str:
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": list(last)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def entries_at(
    store: Store,
    storage: ResourceType,
    namespace: str | None,
    label_selector: str | None,
    field_selector: str | None,
    after: Key,
    rv: int,
) -> list[Entry]:
    """Matching entries with keys after `after`, as they were at resourceVersion `rv`."""
    if rv < store.compacted_resource_version:
        raise errors.expired(errors.CONTINUE_EXPIRED_MESSAGE)
    if rv >= store.resource_version:
        return store.entries(storage, namespace, label_selector, field_selector, after=after)
    labels = parse_label_selector(label_selector)
    fields = parse_field_selector(field_selector, storage.field_labels)
    state: dict[Key, Entry] = {}
    for entry in store.entries(storage, namespace, after=after):
        meta = entry.obj["metadata"]
        state[(meta.get("namespace", ""), meta["name"])] = entry
    for event in reversed(store.history_since(rv)):
        if event.resource != storage.group_resource:
            continue
        meta = event.obj["metadata"]
        key = (meta.get("namespace", "") if storage.namespaced else "", meta["name"])
        if (namespace and key[0] != namespace) or key <= after:
            continue
        if event.type == "ADDED" or event.old is None:
            state.pop(key, None)
        else:
            state[key] = Entry(event.old, int(event.old["metadata"].get("resourceVersion") or 0))
    return [state[key] for key in sorted(state) if object_matches(state[key].obj, labels, fields)]
