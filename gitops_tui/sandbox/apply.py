"""Server-side apply and field ownership tracking for every other write, as the real API server does.

``server_side_apply`` merges an applied configuration into the live object, removes what the applier
stopped applying (unless someone else owns it), detects conflicts with other managers and rewrites
``metadata.managedFields``. ``record_update`` does the ownership bookkeeping for create, update and
patch requests. Both work on plain JSON-like dicts and never mutate their arguments.

The semantics follow structured-merge-diff (the library behind the real server); ``schema.py`` says
which lists are keyed, sets or atomic, and which objects are atomic.
"""

from __future__ import annotations

import copy
import unicodedata
from collections.abc import Mapping

from gitops_tui.sandbox.fieldsets import (
    FieldSetError,
    Path,
    compare,
    iterate_in_server_order,
    path_string,
    to_field_set,
    with_named_ancestors,
)
from gitops_tui.sandbox.lastapplied import forgiven_conflicts, sync_last_applied
from gitops_tui.sandbox.managedfields import (
    ManagedEntry,
    cap_update_managers,
    decode_entries,
    encode_entries,
    trackable,
)
from gitops_tui.sandbox.patching import PatchError
from gitops_tui.sandbox.schema import Node, empty_object, schema_for
from gitops_tui.sandbox.ssa_merge import merge_applied, prune

# Metadata the server maintains; an applied configuration never changes these.
_SERVER_OWNED_METADATA = (
    "uid",
    "resourceVersion",
    "creationTimestamp",
    "generation",
    "managedFields",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
)


class ApplyConflict(Exception):
    """An apply would change fields another manager owns (HTTP 409, reason Conflict)."""

    code = 409

    def __init__(self, conflicts: list[tuple[ManagedEntry, Path]]) -> None:
        self.conflicts: list[tuple[str, str]] = [(entry.manager, path_string(path)) for entry, path in conflicts]
        self.pairs = list(conflicts)
        # One StatusCause per conflicting field, as in the real Status details.
        self.causes: list[dict[str, str]] = [
            {"type": "FieldManagerConflict", "message": f"conflict with {entry.describe()}", "field": path_string(path)}
            for entry, path in conflicts
        ]
        self.message = _conflict_message(conflicts)
        super().__init__(self.message)


def _conflict_message(conflicts: list[tuple[ManagedEntry, Path]]) -> str:
    if len(conflicts) == 1:
        entry, path = conflicts[0]
        return f"Apply failed with 1 conflict: conflict with {entry.describe()}: {path_string(path)}"
    by_manager: dict[str, tuple[ManagedEntry, list[Path]]] = {}
    for entry, path in conflicts:
        by_manager.setdefault(entry.identity, (entry, []))[1].append(path)
    lines = []
    for identity in sorted(by_manager):
        entry, paths = by_manager[identity]
        lines.append(f"conflicts with {entry.describe()}:")
        lines.extend(f"- {path_string(path)}" for path in paths)
    return f"Apply failed with {len(conflicts)} conflicts: " + "\n".join(lines)


def default_manager(user_agent: str) -> str:
    """The field manager of a create/update/patch that names none, derived as the real server does:
    the User-Agent up to its first ``/``, printable characters only (Go's ``unicode.IsPrint``: letters,
    marks, numbers, punctuation, symbols and the ASCII space), cut to 128 bytes of UTF-8 — e.g.
    ``kubectl``, or ``OpenAPI-Generator`` for the Python client. kubectl usually names one itself
    (``kubectl-client-side-apply``, ``kubectl-edit``, ``kubectl-create``, ``kubectl-label``...), and
    apply requests must name one (the server answers 400 otherwise)."""
    out, size = [], 0
    for char in user_agent.split("/", 1)[0]:
        if char != " " and unicodedata.category(char)[0] not in "LMNPS":
            continue
        size += len(char.encode())
        if size > 128:
            break
        out.append(char)
    return "".join(out)


def _body(obj: Mapping | None) -> dict | None:
    """A deep copy without managedFields (ownership is tracked beside the object, not inside it)."""
    if obj is None:
        return None
    body = copy.deepcopy(dict(obj))
    metadata = body.get("metadata")
    if isinstance(metadata, dict):
        metadata.pop("managedFields", None)
    return body


def _with_managed_fields(body: dict, entries: list[ManagedEntry]) -> dict:
    encoded = encode_entries(cap_update_managers(entries))
    metadata = body.setdefault("metadata", {})
    if encoded:
        metadata["managedFields"] = encoded
    else:
        metadata.pop("managedFields", None)
    return body


def _applied_part(config: Mapping, subresource: str) -> dict:
    """The part of an applied configuration the request may change; the rest is reset by the server."""
    applied = _body(config) or {}
    metadata = applied.get("metadata")
    if isinstance(metadata, dict):
        for name in _SERVER_OWNED_METADATA:
            metadata.pop(name, None)
    if subresource == "status":
        identity = {"name": (metadata or {}).get("name"), "namespace": (metadata or {}).get("namespace")}
        kept = {k: applied[k] for k in ("apiVersion", "kind", "status") if k in applied}
        kept["metadata"] = {k: v for k, v in identity.items() if v is not None}
        return kept
    applied.pop("status", None)
    return applied


def _restore_server_owned(merged: dict, live: Mapping | None, subresource: str) -> None:
    if live is None:
        return
    live_meta = live.get("metadata") or {}
    merged_meta = merged.setdefault("metadata", {})
    for name in _SERVER_OWNED_METADATA:
        if name in live_meta:
            merged_meta[name] = copy.deepcopy(live_meta[name])
    if subresource != "status":
        if "status" in live:
            merged["status"] = copy.deepcopy(live["status"])
        else:
            merged.pop("status", None)


def server_side_apply(
    live: dict | None, config: dict, manager: str, force: bool, now: str, subresource: str = ""
) -> dict:
    """Apply ``config`` as ``manager`` to ``live`` (``None`` creates it) and return the new object with
    its managedFields rewritten. Raises ``ApplyConflict`` (409) unless ``force``, and ``PatchError``
    (422) for a configuration that cannot be merged (a keyed list item without its key).

    Like the real server, conflicts only on fields a client-side ``kubectl apply`` recorded in the
    last-applied annotation (still at the recorded value) are forgiven, and kubectl's own server-side
    apply keeps that annotation current."""
    if ((config.get("metadata") or {}).get("managedFields")) is not None:
        raise PatchError("metadata.managedFields must be nil", 400)
    try:
        result = _apply(live, config, manager, force, now, subresource)
    except ApplyConflict as conflict:
        api_version = str(config.get("apiVersion", ""))
        root = schema_for(api_version, str(config.get("kind", "")))
        forgiven = forgiven_conflicts(live, _body(live) or {}, manager, api_version, root)
        remaining = [(entry, path) for entry, path in conflict.pairs if path not in forgiven]
        if remaining:
            if len(remaining) == len(conflict.pairs):
                raise
            raise ApplyConflict(remaining) from conflict
        result = _apply(live, config, manager, True, now, subresource)
    sync_last_applied(result, config, manager, subresource)
    return result


def _apply(live: dict | None, config: dict, manager: str, force: bool, now: str, subresource: str) -> dict:
    api_version, kind = str(config.get("apiVersion", "")), str(config.get("kind", ""))
    root = schema_for(api_version, kind)
    live_body = _body(live)
    applied = _applied_part(config, subresource)
    try:
        merged = merge_applied(live_body or {}, applied, root)
        applied_fields = to_field_set(applied, root)
        entries = decode_entries(((live or {}).get("metadata") or {}).get("managedFields"))
        previous = next(
            (e for e in entries if e.manager == manager and e.operation == "Apply" and e.subresource == subresource),
            None,
        )
        others = [e for e in entries if e is not previous]
        owned_by_anyone = set(applied_fields).union(*(e.fields for e in others))
        last_applied = trackable(previous.fields, subresource) if previous else set()
        merged = prune(
            merged, with_named_ancestors(last_applied, root), with_named_ancestors(owned_by_anyone, root), root
        )
        _restore_server_owned(merged, live_body, subresource)
        comparison = compare(live_body or {}, merged, root)
    except FieldSetError as error:
        raise PatchError(str(error), 422) from error

    changed = trackable(comparison.changed, subresource)
    removed = trackable(comparison.removed, subresource)
    conflicts = [(e, path) for e in others for path in iterate_in_server_order(e.fields & changed)]
    if conflicts and not force:
        raise ApplyConflict(conflicts)
    kept = [e.with_fields(e.fields - changed - removed) for e in others]

    new_fields = frozenset(trackable(applied_fields, subresource))
    # As the real server: the applier's time moves only when the object changes, so a no-op apply
    # (even one that adds the applier as co-owner) leaves the time as it was, or absent if new.
    time = now if live_body != merged else (previous.time if previous else None)
    mine = ManagedEntry(manager, "Apply", api_version, time, subresource, new_fields)
    return _with_managed_fields(merged, [*kept, mine])


def record_update(
    old: dict | None, new: dict, manager: str, now: str, operation: str = "Update", subresource: str = ""
) -> dict:
    """Give ``manager`` the fields a create/update/patch changed and return ``new`` with managedFields.

    As the real server does, managedFields sent in ``new`` are taken as the starting point when they
    are non-empty (that is how a client resets or restores them; ``[{}]`` clears them), except on
    subresources; otherwise the stored ones in ``old`` are. Never raises.
    """
    api_version, kind = str(new.get("apiVersion", "")), str(new.get("kind", ""))
    root: Node = schema_for(api_version, kind)
    sent = decode_entries((new.get("metadata") or {}).get("managedFields"))
    sent_raw = (new.get("metadata") or {}).get("managedFields")
    if subresource or not sent_raw:
        entries = decode_entries(((old or {}).get("metadata") or {}).get("managedFields"))
    else:
        entries = sent
    new_body = _body(new) or {}
    if subresource == "status" and old is not None:
        # Through the status subresource only status changes (the rest is reset to what is stored)
        # and only status is tracked: compare that subtree alone, without copying the whole object
        # (the simulated controllers write pod and workload status thousands of times a minute).
        old_body = {key: value for key, value in old.items() if key == "status"}
        compared = {key: value for key, value in new_body.items() if key == "status"}
    else:
        old_body = _body(old) if old is not None else empty_object(api_version, kind)
        compared = new_body
    try:
        comparison = compare(old_body, compared, root)
    except FieldSetError:
        # As the real server's UpdateNoErrors: an object ownership cannot be computed for (a keyed list
        # item without its key) is still written, with its managedFields cleared.
        return _with_managed_fields(new_body, [])
    changed = trackable(comparison.changed, subresource)
    removed = trackable(comparison.removed, subresource)

    result: list[ManagedEntry] = []
    previous: ManagedEntry | None = None
    for entry in entries:
        trimmed = entry.with_fields(entry.fields - changed - removed)
        same_identity = (entry.manager, entry.operation, entry.api_version, entry.subresource) == (
            manager,
            operation,
            api_version,
            subresource,
        )
        if same_identity and previous is None:
            previous = trimmed
        else:
            result.append(trimmed)
    if changed:
        base = previous.fields if previous else frozenset()
        result.append(ManagedEntry(manager, operation, api_version, now, subresource, base | changed))
    elif previous is not None:
        result.append(previous)
    return _with_managed_fields(new_body, result)


def owned_fields(obj: Mapping, manager: str) -> set[str]:
    """Paths (printed as in conflicts) a manager owns in any of its entries; handy for tests and UIs."""
    return {
        path_string(path)
        for entry in decode_entries((obj.get("metadata") or {}).get("managedFields"))
        if entry.manager == manager
        for path in entry.fields
    }


__all__ = ["ApplyConflict", "default_manager", "owned_fields", "record_update", "server_side_apply"]
