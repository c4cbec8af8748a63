"""Resource verbs over HTTP: get, list (paging), create, update, delete, deletecollection.

Patch lives in patch_handlers.py, watch in watch.py, /scale in scale.py.
"""

from __future__ import annotations

import json
from typing import Any

import yaml
from aiohttp import web

from . import errors, paging, tables
from .conversion import entry_bytes, object_in, to_storage
from .fieldvalidation import drop_unknown_fields, warning_header
from .resources import ResourceType
from .routing import Target
from .store import Store, dumps
from .wire import protobuf

JSON_TYPE = "application/json"


def respond(body: bytes | dict[str, Any], status: int = 200, warnings: list[str] | None = None) -> web.Response:
    raw = body if isinstance(body, bytes) else dumps(body)
    response = web.Response(body=raw, status=status, content_type=JSON_TYPE)
    for name, value in warning_header(warnings or []):
        response.headers.add(name, value)
    return response


def known_fields_only(request: web.Request, rt: ResourceType, obj: dict[str, Any]) -> list[str]:
    """Drop fields the type does not have, per `fieldValidation`; returns warnings for the response."""
    return drop_unknown_fields(rt, obj, request.query.get("fieldValidation"))


def storage_of(store: Store, rt: ResourceType) -> ResourceType:
    found = store.registry.storage_type(rt.group_resource)
    if found is None:
        raise errors.unknown_resource()
    return found


def field_manager(request: web.Request) -> str:
    """`fieldManager`, else the User-Agent's first word, as the real server derives it."""
    manager = request.query.get("fieldManager")
    if manager:
        return manager
    agent = request.headers.get("User-Agent", "")
    return agent.split("/", 1)[0][:128] or "unknown"


def is_dry_run(request: web.Request, options: dict[str, Any] | None = None) -> bool:
    values = request.query.getall("dryRun", [])
    if options and options.get("dryRun"):
        values = [*values, *options["dryRun"]]
    for value in values:
        if value != "All":
            raise errors.bad_request(f'dryRun: Unsupported value: "{value}": supported values: "All"')
    return bool(values)


async def read_body(request: web.Request) -> Any:
    raw = await request.read()
    if not raw:
        raise errors.bad_request("the body of the request was empty")
    content_type = request.headers.get("Content-Type", JSON_TYPE)
    if content_type.startswith(protobuf.CONTENT_TYPE):
        try:
            return protobuf.decode_object(raw)
        except protobuf.ProtobufError as exc:
            raise errors.ApiError(415, "UnsupportedMediaType", str(exc), {}) from exc
    try:
        if "yaml" in content_type:
            return yaml.safe_load(raw)
        return json.loads(raw)
    except (ValueError, yaml.YAMLError) as exc:
        raise errors.bad_request(f"error decoding request body: {exc}") from exc


def check_type(target: Target, obj: Any) -> dict[str, Any]:
    """Fill in apiVersion/kind from the URL when absent; refuse a mismatch like real servers do."""
    rt = target.rt
    if not isinstance(obj, dict):
        raise errors.bad_request("the body of the request must be a JSON object")
    api_version = obj.get("apiVersion") or rt.api_version
    kind = obj.get("kind") or rt.kind
    if api_version != rt.api_version:
        raise errors.bad_request(
            f"the API version in the data ({api_version}) does not match the expected API version ({rt.api_version})"
        )
    if kind != rt.kind:
        raise errors.bad_request(f"the kind in the data ({kind}) does not match the expected kind ({rt.kind})")
    obj["apiVersion"], obj["kind"] = api_version, kind
    if not isinstance(obj.get("metadata", {}), dict):
        raise errors.bad_request("metadata must be an object")
    return obj


# ---- reads -----------------------------------------------------------------------------------------


def get(store: Store, target: Target, accept: str = "") -> web.Response:
    rt = target.rt
    entry = store.entry(storage_of(store, rt), target.namespace, target.name)
    if entry is None:
        raise errors.not_found(rt.plural, rt.group, target.name)
    if tables.wants_table(accept) and not target.subresource:
        return respond(tables.table_for(store, rt, [entry], {"resourceVersion": str(entry.rv)}))
    return respond(entry_bytes(entry, rt))


def list_objects(store: Store, target: Target, query: Any, accept: str = "") -> web.Response:
    rt = target.rt
    storage = storage_of(store, rt)
    list_rv = store.resource_version
    token = query.get("continue")
    try:
        limit = int(query.get("limit") or 0)
    except ValueError as exc:
        raise errors.bad_request(f"invalid limit: {query.get('limit')}") from exc
    selectors = query.get("labelSelector"), query.get("fieldSelector")
    if token:
        list_rv, after = paging.decode_continue(token)
        entries = paging.entries_at(store, storage, target.namespace or None, *selectors, after, list_rv)
    else:
        entries = store.entries(storage, target.namespace or None, *selectors)
    meta: dict[str, Any] = {"resourceVersion": str(list_rv)}
    if limit > 0 and len(entries) > limit:
        remaining = len(entries) - limit
        entries = entries[:limit]
        last = entries[-1].obj["metadata"]
        meta["continue"] = paging.encode_continue(list_rv, (last.get("namespace", ""), last["name"]))
        if not any(selectors):
            meta["remainingItemCount"] = remaining
    if tables.wants_table(accept):
        return respond(tables.table_for(store, rt, entries, meta))
    head = dumps({"kind": rt.list_kind, "apiVersion": rt.api_version, "metadata": meta})
    items = b",".join(entry_bytes(e, rt) for e in entries)
    return respond(head[:-1] + b',"items":[' + items + b"]}")


# ---- writes ----------------------------------------------------------------------------------------


async def create(store: Store, request: web.Request, target: Target) -> web.Response:
    rt = target.rt
    storage = storage_of(store, rt)
    obj = check_type(target, await read_body(request))
    warnings = known_fields_only(request, rt, obj)
    created = store.writes.create(
        storage,
        to_storage(obj, rt, storage),
        target.namespace or None,
        dry_run=is_dry_run(request),
        manager=field_manager(request),
    )
    return respond(entry_bytes(created, rt), 201, warnings)


def prepare_for_update(target: Target, obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj.setdefault("metadata", {})
    if target.rt.namespaced:
        if meta.get("namespace") and meta["namespace"] != target.namespace:
            raise errors.bad_request(
                "the namespace of the provided object does not match the namespace sent on the request"
            )
        meta["namespace"] = target.namespace
    if meta.get("name") != target.name:
        raise errors.bad_request(
            f"the name of the object ({meta.get('name', '')}) does not match the name on the URL ({target.name})"
        )
    return obj


async def update(store: Store, request: web.Request, target: Target) -> web.Response:
    rt = target.rt
    storage = storage_of(store, rt)
    obj = check_type(target, await read_body(request))
    warnings = known_fields_only(request, rt, obj)
    obj = prepare_for_update(target, to_storage(obj, rt, storage))
    if rt.create_on_update and not target.subresource and store.entry(storage, target.namespace, target.name) is None:
        created = store.writes.create(
            storage, obj, target.namespace or None, dry_run=is_dry_run(request), manager=field_manager(request)
        )
        return respond(entry_bytes(created, rt), 201, warnings)
    updated = store.writes.update(
        storage,
        obj,
        dry_run=is_dry_run(request),
        manager=field_manager(request),
        subresource=target.subresource,
        expected_name=target.name,
    )
    return respond(entry_bytes(updated, rt), warnings=warnings)


async def _delete_options(request: web.Request) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if request.can_read_body:
        raw = await request.read()
        if raw.startswith(protobuf.MAGIC):
            options = protobuf.decode_object(raw)
        elif raw.strip():
            try:
                options = json.loads(raw)
            except ValueError as exc:
                raise errors.bad_request(f"error decoding DeleteOptions: {exc}") from exc
    query = request.query
    if "propagationPolicy" in query:
        options["propagationPolicy"] = query["propagationPolicy"]
    if "gracePeriodSeconds" in query:
        options["gracePeriodSeconds"] = int(query["gracePeriodSeconds"])
    if "orphanDependents" in query:
        options["orphanDependents"] = query["orphanDependents"] == "true"
    return options


def _propagation(options: dict[str, Any]) -> str | None:
    policy = options.get("propagationPolicy")
    orphan = options.get("orphanDependents")
    if policy and orphan is not None:
        raise errors.invalid(
            "DeleteOptions",
            "",
            "",
            [
                errors.Cause(
                    "propagationPolicy",
                    errors.Cause.INVALID,
                    "orphanDependents and deletionPropagation cannot be both set",
                    policy,
                )
            ],
        )
    if orphan is not None:
        return "Orphan" if orphan else "Background"
    return policy


async def delete(store: Store, request: web.Request, target: Target) -> web.Response:
    rt = target.rt
    storage = storage_of(store, rt)
    options = await _delete_options(request)
    entry = store.entry(storage, target.namespace, target.name)
    if entry is None:
        raise errors.not_found(rt.plural, rt.group, target.name)
    uid = entry.obj["metadata"]["uid"]
    result = store.delete(
        storage,
        target.namespace or None,
        target.name,
        propagation=_propagation(options),
        dry_run=is_dry_run(request, options),
        preconditions=options.get("preconditions"),
        grace_period=options.get("gracePeriodSeconds"),
    )
    if result is None and rt.returns_deleted_object:
        return respond(object_in(entry.obj, rt))
    if result is None:
        return respond(errors.success_status(target.name, rt.group, rt.plural, uid))
    return respond(object_in(result, rt))


async def delete_collection(store: Store, request: web.Request, target: Target) -> web.Response:
    rt = target.rt
    if "deletecollection" not in rt.verbs:
        raise errors.method_not_allowed()
    storage = storage_of(store, rt)
    options = await _delete_options(request)
    dry_run = is_dry_run(request, options)
    query = request.query
    entries = store.entries(storage, target.namespace or None, query.get("labelSelector"), query.get("fieldSelector"))
    deleted = []
    for entry in entries:
        meta = entry.obj["metadata"]
        if store.entry(storage, meta.get("namespace"), meta["name"]) is None:
            continue  # already collected as a dependent of an earlier item
        result = store.delete(
            storage,
            meta.get("namespace"),
            meta["name"],
            propagation=_propagation(options),
            dry_run=dry_run,
            grace_period=options.get("gracePeriodSeconds"),
        )
        deleted.append(object_in(result or entry.obj, rt))
    body = {
        "kind": rt.list_kind,
        "apiVersion": rt.api_version,
        "metadata": {"resourceVersion": str(store.resource_version)},
        "items": deleted,
    }
    return respond(body)
