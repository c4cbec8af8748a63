"""OpenAPI v3 documents, shaped like a real server's, with just enough for kubectl.

What kubectl 1.32 needs (found with `-v=8`): `kubectl apply` fetches `/openapi/v3` and the
group-version document to check that PATCH accepts the `fieldValidation` query parameter (server-side
field validation). Without v3 it falls back to `/openapi/v2`, which it only reads as protobuf, and
fails with "failed to download openapi". PATCH operations here do not offer
strategic-merge-patch in their request body, so client-side apply computes strategic patches from
kubectl's compiled-in types (built-ins) or JSON merge patches (custom resources), exactly as it does
against a real server when the v3 schema is not used. Schemas are open objects
(`x-kubernetes-preserve-unknown-fields`): the sandbox does not validate fields.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from aiohttp import web

from . import errors
from .resources import Registry, ResourceType

_PATCH_TYPES = ("application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml")
_QUERY = {"type": "string", "uniqueItems": True}


def _gv_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


def _schema_name(rt: ResourceType) -> str:
    group = rt.group.split(".")[0] if rt.group else "core"
    return f"io.k8s.api.{group}.{rt.version}.{rt.kind}"


def _param(name: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "schema": _QUERY}


def _operation(rt: ResourceType, action: str, ref: str, body: tuple[str, ...] = ()) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": f"{action}{rt.kind}",
        "parameters": [_param("dryRun"), _param("fieldManager"), _param("fieldValidation")],
        "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": ref}}}}},
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": {"group": rt.group, "version": rt.version, "kind": rt.kind},
    }
    if action == "patch":
        op["parameters"].append(_param("force"))
    if body:
        op["requestBody"] = {"content": {ct: {"schema": {"$ref": ref}} for ct in body}, "required": True}
    return op


def group_version_document(registry: Registry, group: str, version: str) -> dict[str, Any] | None:
    types = registry.types_in(group, version)
    if not types:
        return None
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    prefix = "/" + _gv_path(group, version)
    for rt in sorted(types, key=lambda t: t.plural):
        ref = f"#/components/schemas/{_schema_name(rt)}"
        gvk = {"group": rt.group, "version": rt.version, "kind": rt.kind}
        schemas[_schema_name(rt)] = {
            "type": "object",
            "x-kubernetes-group-version-kind": [gvk],
            "x-kubernetes-preserve-unknown-fields": True,
            "properties": {
                "apiVersion": {"type": "string"},
                "kind": {"type": "string"},
                "metadata": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            },
        }
        base = f"{prefix}/namespaces/{{namespace}}/{rt.plural}" if rt.namespaced else f"{prefix}/{rt.plural}"
        paths[base] = {"get": _operation(rt, "list", ref), "post": _operation(rt, "post", ref, ("application/json",))}
        paths[f"{base}/{{name}}"] = {
            "get": _operation(rt, "get", ref),
            "put": _operation(rt, "put", ref, ("application/json",)),
            "patch": _operation(rt, "patch", ref, _PATCH_TYPES),
            "delete": _operation(rt, "delete", ref),
        }
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.32.0"},
        "paths": paths,
        "components": {"schemas": schemas},
    }


def _digest(document: dict[str, Any]) -> str:
    return hashlib.sha512(json.dumps(document, sort_keys=True).encode()).hexdigest().upper()[:128]


def root_document(registry: Registry) -> dict[str, Any]:
    paths = {}
    for group in registry.groups():
        for version in registry.versions(group):
            document = group_version_document(registry, group, version)
            if document is not None:
                path = _gv_path(group, version)
                paths[path] = {"serverRelativeURL": f"/openapi/v3/{path}?hash={_digest(document)}"}
    return {"paths": paths}


def serve(registry: Registry, path: str, accept: str) -> web.Response:
    if path == "/openapi/v3":
        return _json(root_document(registry))
    if path.startswith("/openapi/v3/"):
        parts = path[len("/openapi/v3/") :].split("/")
        if parts[0] == "api" and len(parts) == 2:
            document = group_version_document(registry, "", parts[1])
        elif parts[0] == "apis" and len(parts) == 3:
            document = group_version_document(registry, parts[1], parts[2])
        else:
            document = None
        if document is not None:
            return _json(document)
    # /openapi/v2 is protobuf-only for kubectl; without it kubectl uses v3 (above).
    raise errors.unknown_resource()


def _json(document: dict[str, Any]) -> web.Response:
    return web.Response(body=json.dumps(document).encode(), content_type="application/json")
