"""When a live object changed since the server predicted an apply onto it, whether the old prediction
still tells what the apply would make of it now, so the compare needs no new dry-run request.

The server's prediction P is what a forced server-side apply of the desired object D made of the live
object. The object then changed to L. Two cases need no request:

- L differs from P only where the server alone writes (status; resourceVersion, generation, managedFields
  and the rest of normalize.SERVER_OWNED_METADATA): the object is what the apply would make of it, so
  applying D again changes nothing: the prediction is L.
  A Deployment's rollout moves its resourceVersion a few times this way.
- L differs from P only at fields D sets, and at each of them P holds exactly D's value (the server kept
  the value as written, not defaulted or reformatted): a forced apply puts D's values back and touches
  nothing else, so the prediction is L with P's values at those fields. That is someone editing what Git
  declares (`kubectl scale`, `kubectl set image`), drift the console must show at once; under churn it is
  most changes.

Anything else (a field Git does not set changed, a list grew, shrank or moved, an item of a list of plain
values changed, a value the server had normalized) asks the server again. List items are matched by index
only where their identifying fields (name, port, ...) agree in D, P and L.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gitops_tui.cluster import json_codec
from gitops_tui.engine.normalize import SERVER_OWNED_METADATA

# fields that identify an item of a list Kubernetes merges by key (containers, ports, volumes, env, ...)
_ITEM_IDENTITY = ("name", "containerPort", "port", "mountPath", "devicePath", "key", "ip", "topologyKey")


class _AskServer(Exception):
    """The change is one only the server can predict."""


_ABSENT = object()


def carried_prediction(
    predicted: bytes, live: Mapping[str, Any], live_raw: bytes, desired: Mapping[str, Any]
) -> bytes | None:
    """The prediction for `live` (whose JSON is `live_raw`) from the server's earlier `predicted` apply of
    `desired`, as JSON; None when only the server can tell."""
    before = json_codec.loads(predicted)
    now_core, before_core = beyond_server_fields(live), beyond_server_fields(before)
    if now_core == before_core:
        return live_raw
    try:
        core = _restored(now_core, before_core, desired)
    except _AskServer:
        return None
    metadata = {**(live.get("metadata") or {}), **core.get("metadata", {})}
    result = {**core, "metadata": metadata}
    if "status" in live:
        result["status"] = live["status"]
    return json_codec.dumps(result)


def beyond_server_fields(obj: Mapping[str, Any]) -> dict[str, Any]:
    """The object without what only the server writes (normalize.py's list, which no comparison counts
    either): what an apply can change."""
    metadata = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in SERVER_OWNED_METADATA}
    return {**{k: v for k, v in obj.items() if k != "status"}, "metadata": metadata}


def _restored(now: Any, before: Any, desired: Any) -> Any:
    """`now` with what a forced apply of `desired` would put back: `before`'s value wherever the two differ."""
    if isinstance(now, dict) and isinstance(before, dict):
        if not isinstance(desired, Mapping):
            raise _AskServer
        result = dict(now)
        for key in now.keys() | before.keys():
            was, is_now = before.get(key, _ABSENT), now.get(key, _ABSENT)
            if was == is_now:
                continue
            if key not in desired or was is _ABSENT:
                raise _AskServer  # changed where Git says nothing (or the server had dropped it)
            if is_now is _ABSENT:  # removed: the apply writes Git's value back, as the server kept it
                if was != desired[key]:
                    raise _AskServer
                result[key] = was
            else:
                result[key] = _restored(is_now, was, desired[key])
        return result
    if isinstance(now, list) and isinstance(before, list):
        if not isinstance(desired, list) or not len(now) == len(before) == len(desired):
            raise _AskServer
        items = []
        for is_now, was, wanted in zip(now, before, desired, strict=True):
            if is_now != was:
                # An item of plain values (args, finalizers): the list may be atomic (the apply writes Git's
                # back) or a set (it merges): only the server knows. Items with identifying fields are matched.
                if not isinstance(wanted, Mapping) or not _same_item(is_now, was, wanted):
                    raise _AskServer
                is_now = _restored(is_now, was, wanted)
            items.append(is_now)
        return items
    # A value (or a change of shape): the apply writes Git's value; the server kept it as written before.
    if before != desired or type(before) is not type(desired):
        raise _AskServer
    return before


def _same_item(now: Any, before: Any, desired: Mapping[str, Any]) -> bool:
    """The items at one index of a merged list are the same item: equal identifying fields, and some."""
    if not isinstance(now, Mapping) or not isinstance(before, Mapping):
        return False
    identities = [name for name in _ITEM_IDENTITY if name in desired]
    return bool(identities) and all(now.get(n) == before.get(n) == desired[n] for n in identities)
