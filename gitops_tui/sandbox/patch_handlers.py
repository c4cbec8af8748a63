"""PATCH in its four content types, and server-side apply.

The patch algorithms live in patching.py / apply.py (pure functions, written separately); this module
only does the HTTP side: content types, preconditions, subresources, error shapes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import yaml
from aiohttp import web

from . import apply, errors, patching
from .conversion import entry_bytes, object_in, to_storage
from .handlers import check_type, field_manager, is_dry_run, known_fields_only, respond, storage_of
from .resources import BUILTIN_GROUP_ORDER
from .routing import Target
from .scale import apply_scale, scale_of
from .store import Store

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
_PATCH_FUNCTIONS = {JSON_PATCH: "json_patch", MERGE_PATCH: "merge_patch", STRATEGIC_PATCH: "strategic_merge_patch"}


def _is_builtin(target: Target) -> bool:
    return target.rt.group in BUILTIN_GROUP_ORDER


async def patch(store: Store, request: web.Request, target: Target) -> web.Response:
    content_type = request.headers.get("Content-Type", "").split(";")[0].strip()
    raw = await request.read()
    if content_type == APPLY_PATCH:
        return _server_side_apply(store, request, target, raw)
    if content_type not in _PATCH_FUNCTIONS or (content_type == STRATEGIC_PATCH and not _is_builtin(target)):
        raise errors.unsupported_media_type(content_type)
    fn: Callable[[dict, Any], dict] = getattr(patching, _PATCH_FUNCTIONS[content_type])
    try:
        document = json.loads(raw)
    except ValueError as exc:
        raise errors.bad_request(f"error decoding patch: {exc}") from exc
    if content_type == JSON_PATCH and not isinstance(document, list):
        raise errors.bad_request("json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp")
    if content_type != JSON_PATCH and not isinstance(document, dict):
        raise errors.bad_request("error decoding patch: the patch must be a JSON object")
    rt = target.rt
    storage = storage_of(store, rt)
    entry = store.entry(storage, target.namespace, target.name)
    if entry is None:
        raise errors.not_found(rt.plural, rt.group, target.name)

    def run(base: dict[str, Any]) -> dict[str, Any]:
        try:
            return fn(base, document)
        except Exception as exc:
            if patching is not None and isinstance(exc, patching.PatchError):
                code = getattr(exc, "code", 422)
                raise errors.ApiError(
                    code, "Invalid" if code == 422 else "BadRequest", getattr(exc, "message", str(exc)), {}
                ) from exc
            raise

    dry_run = is_dry_run(request)
    manager = field_manager(request)
    if target.subresource == "scale":
        scaled = run(scale_of(storage, entry.obj))
        updated = store.writes.update(
            storage, apply_scale(storage, entry.obj, scaled), dry_run=dry_run, manager=manager, subresource="scale"
        )
        return respond(scale_of(storage, updated.obj))
    patched = check_type(target, run(object_in(entry.obj, rt)))
    warnings = known_fields_only(request, rt, patched)
    patched = to_storage(patched, rt, storage)
    meta = patched.setdefault("metadata", {})
    if meta.get("name") != target.name or (rt.namespaced and meta.get("namespace") != target.namespace):
        raise errors.bad_request("the name or namespace of the object may not be changed by a patch")
    updated = store.writes.update(storage, patched, dry_run=dry_run, manager=manager, subresource=target.subresource)
    return respond(entry_bytes(updated, rt), warnings=warnings)


def _server_side_apply(store: Store, request: web.Request, target: Target, raw: bytes) -> web.Response:
    manager = request.query.get("fieldManager")
    if not manager:
        raise errors.bad_request(
            "PATCH request with apply content type must set fieldManager: "
            "fieldManager: Required value: is required for apply patch"
        )
    try:
        config = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise errors.bad_request(f"error decoding YAML: {exc}") from exc
    rt = target.rt
    storage = storage_of(store, rt)
    config = check_type(target, config)
    warnings = known_fields_only(request, rt, config)
    meta = config.setdefault("metadata", {})
    if meta.get("name") and meta["name"] != target.name:
        raise errors.bad_request(
            f"the name of the object ({meta['name']}) does not match the name on the URL ({target.name})"
        )
    meta["name"] = target.name
    if rt.namespaced:
        if meta.get("namespace") and meta["namespace"] != target.namespace:
            raise errors.bad_request(
                "the namespace of the provided object does not match the namespace sent on the request"
            )
        meta["namespace"] = target.namespace
    config = to_storage(config, rt, storage)
    precondition_rv = meta.get("resourceVersion")
    entry = store.entry(storage, target.namespace, target.name)
    live = object_in(entry.obj, storage) if entry else None
    force = request.query.get("force") == "true"
    dry_run = is_dry_run(request)
    try:
        merged = apply.server_side_apply(live, config, manager, force, store.now(), subresource=target.subresource)
    except apply.ApplyConflict as exc:
        # StatusCause serialises its type under the JSON key "reason".
        causes = [
            {
                "reason": c.get("type") or c.get("reason", "FieldManagerConflict"),
                "message": c["message"],
                "field": c["field"],
            }
            for c in getattr(exc, "causes", [])
        ] or [
            {"reason": "FieldManagerConflict", "message": f'conflict with "{owner}"', "field": path}
            for owner, path in exc.conflicts
        ]
        raise errors.ApiError(409, "Conflict", exc.message, {"causes": causes}) from exc
    except patching.PatchError as exc:
        raise errors.ApiError(exc.code, "Invalid", exc.message, {}) from exc
    if entry is None:
        if target.subresource:
            raise errors.not_found(rt.plural, rt.group, target.name)
        created = store.writes.create(
            storage, merged, target.namespace or None, dry_run=dry_run, manager=manager, prepared=True
        )
        return respond(entry_bytes(created, rt), 201, warnings)
    if precondition_rv:
        merged.setdefault("metadata", {})["resourceVersion"] = precondition_rv
    else:
        merged.setdefault("metadata", {}).pop("resourceVersion", None)
    updated = store.writes.update(
        storage, merged, dry_run=dry_run, manager=manager, subresource=target.subresource, prepared=True
    )
    return respond(entry_bytes(updated, rt), warnings=warnings)
