"""Kubernetes `Status` failures, worded the way a real API server words them.

Clients branch on `reason` and `code` and users read `message`; both must match real servers or our
console passes tests here and breaks on real clusters.
"""

from __future__ import annotations

from typing import Any

UNAUTHORIZED_USER = "sandbox-user"


class ApiError(Exception):
    """A failure that the HTTP layer turns into a `Status` body with `code`."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.headers = headers or {}

    def status(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
        }
        if self.details is not None:
            body["details"] = self.details
        body["code"] = self.code
        return body


def qualified(resource: str, group: str) -> str:
    """`deployments.apps`, or just `configmaps` for the core group."""
    return f"{resource}.{group}" if group else resource


def _details(name: str | None, group: str, kind: str) -> dict[str, Any]:
    details: dict[str, Any] = {}
    if name:
        details["name"] = name
    if group:
        details["group"] = group
    details["kind"] = kind
    return details


def not_found(resource: str, group: str, name: str) -> ApiError:
    return ApiError(
        404, "NotFound", f'{qualified(resource, group)} "{name}" not found', _details(name, group, resource)
    )


def unknown_resource() -> ApiError:
    return ApiError(404, "NotFound", "the server could not find the requested resource", {})


def already_exists(resource: str, group: str, name: str) -> ApiError:
    return ApiError(
        409,
        "AlreadyExists",
        f'{qualified(resource, group)} "{name}" already exists',
        _details(name, group, resource),
    )


def conflict(resource: str, group: str, name: str, detail: str | None = None) -> ApiError:
    detail = detail or ("the object has been modified; please apply your changes to the latest version and try again")
    return ApiError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {qualified(resource, group)} "{name}": {detail}',
        _details(name, group, resource),
    )


class Cause:
    """One field error of a 422 Invalid, the pieces of `details.causes[]`."""

    REQUIRED = "FieldValueRequired"
    INVALID = "FieldValueInvalid"
    FORBIDDEN = "FieldValueForbidden"
    NOT_SUPPORTED = "FieldValueNotSupported"

    def __init__(self, field: str, reason: str, detail: str, value: Any = None) -> None:
        self.field = field
        self.reason = reason
        if reason == Cause.REQUIRED:
            self.message = f"Required value: {detail}" if detail else "Required value"
        elif reason == Cause.INVALID:
            self.message = f"Invalid value: {_go_quote(value)}: {detail}"
        elif reason == Cause.FORBIDDEN:
            self.message = f"Forbidden: {detail}"
        else:
            self.message = f"Unsupported value: {_go_quote(value)}: {detail}"

    def as_dict(self) -> dict[str, str]:
        return {"reason": self.reason, "message": self.message, "field": self.field}


def _go_quote(value: Any) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if value is None:
        return "null"
    return str(value)


def invalid(kind: str, group: str, name: str, causes: list[Cause]) -> ApiError:
    """422 Invalid; `kind` is the Kind (not the plural), as in real servers' messages."""
    parts = [f"{c.field}: {c.message}" for c in causes]
    summary = parts[0] if len(parts) == 1 else "[" + ", ".join(parts) + "]"
    details = _details(name, group, kind)
    details["causes"] = [c.as_dict() for c in causes]
    return ApiError(422, "Invalid", f'{qualified(kind, group)} "{name}" is invalid: {summary}', details)


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def method_not_allowed() -> ApiError:
    return ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {})


def unsupported_media_type(content_type: str) -> ApiError:
    return ApiError(
        415,
        "UnsupportedMediaType",
        f"the body of the request was in an unknown format - accepted "
        f"media types include: application/json-patch+json, application/merge-patch+json, "
        f"application/apply-patch+yaml (got {content_type or 'none'})",
        {},
    )


def unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized", "Unauthorized")


def forbidden(
    verb: str, resource: str, group: str, name: str | None, namespace: str | None, subresource: str = ""
) -> ApiError:
    shown = f"{resource}/{subresource}" if subresource else resource
    scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
    reason = f'User "{UNAUTHORIZED_USER}" cannot {verb} resource "{shown}" in API group "{group}" {scope}'
    target = qualified(resource, group)
    message = f'{target} "{name}" is forbidden: {reason}' if name else f"{target} is forbidden: {reason}"
    return ApiError(403, "Forbidden", message, _details(name, group, resource))


def namespace_terminating(resource: str, group: str, name: str, namespace: str) -> ApiError:
    target = qualified(resource, group)
    return ApiError(
        403,
        "Forbidden",
        f'{target} "{name}" is forbidden: unable to create new content in namespace {namespace} '
        "because it is being terminated",
        {
            **_details(name, group, resource),
            "causes": [
                {
                    "reason": "NamespaceTerminating",
                    "message": f"namespace {namespace} is being terminated",
                    "field": "metadata.namespace",
                }
            ],
        },
    )


def expired(message: str) -> ApiError:
    return ApiError(410, "Expired", message)


def too_old_resource_version(requested: int, oldest: int) -> ApiError:
    return ApiError(410, "Expired", f"too old resource version: {requested} ({oldest})")


CONTINUE_EXPIRED_MESSAGE = (
    "The provided continue parameter is too old to display a consistent list result. You can start a new "
    "list without the continue parameter, or use the continue token in this response to retrieve the "
    "remainder of the results. Continuing with the provided token results in an inconsistent list - "
    "objects that were created, modified, or deleted between the time the first chunk was returned and now "
    "may show up in the list."
)


def internal_error(message: str) -> ApiError:
    return ApiError(500, "InternalError", f"Internal error occurred: {message}", {"causes": [{"message": message}]})


def success_status(name: str, group: str, resource: str, uid: str) -> dict[str, Any]:
    """What DELETE answers when the object is gone at once (real registries don't echo the object)."""
    details: dict[str, Any] = {"name": name}
    if group:
        details["group"] = group
    details.update({"kind": resource, "uid": uid})
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}
