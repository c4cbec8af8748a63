"""Typed errors for everything that can go wrong talking to a cluster.

Every message names what was attempted, on which resource, on which kubeconfig context (and as which
user where known), because the console shows these messages to people who manage several clusters:
`forbidden: cannot patch deployments.apps 'web' in namespace 'prod' (context prod-eu)`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Target:
    """What a request was about, for messages: a verb and, where known, a resource and an object."""

    verb: str
    resource: str = ""
    """Group-resource as kubectl prints it: `deployments.apps`, `pods`."""
    name: str = ""
    namespace: str = ""

    def describe(self) -> str:
        parts = [self.resource] if self.resource else []
        if self.name:
            parts.append(f"'{self.name}'")
        text = " ".join(parts)
        if self.namespace:
            text += f" in namespace '{self.namespace}'"
        elif self.resource and not self.name:
            text += " at cluster scope"
        return text.strip()


@dataclass(frozen=True)
class Origin:
    """Which cluster a request went to: the kubeconfig context, its user and its server URL."""

    context: str = ""
    user: str = ""
    server: str = ""

    def suffix(self, with_user: bool = True) -> str:
        bits = []
        if self.context:
            bits.append(f"context {self.context}")
        if with_user and self.user:
            bits.append(f"user {self.user}")
        return f" ({', '.join(bits)})" if bits else ""


class ClusterError(Exception):
    """Base of every error this package raises."""

    def __init__(self, message: str, *, origin: Origin | None = None, target: Target | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.origin = origin or Origin()
        self.target = target

    @property
    def context(self) -> str:
        return self.origin.context


class KubeconfigError(ClusterError):
    """The kubeconfig cannot be read, or names a context/cluster/user that does not exist."""


class DestinationError(ClusterError):
    """An Application's destination does not map to any kubeconfig context."""


class ReadOnlyError(ClusterError):
    """A write was attempted while the console runs read-only."""


class InvalidManifestError(ClusterError):
    """A desired object lacks what any request needs (apiVersion, kind, metadata.name)."""


class UnknownKindError(ClusterError):
    """Discovery does not know the kind: `no resource type Widget.example.com/v1 on cluster prod-eu`."""

    def __init__(self, api_version: str, kind: str, *, origin: Origin | None = None) -> None:
        group, _, version = api_version.rpartition("/")
        qualified = f"{kind}.{group}/{version}" if group else f"{kind}/{version}"
        cluster = (origin.context if origin else "") or "the cluster"
        super().__init__(f"no resource type {qualified} on cluster {cluster}", origin=origin)
        self.api_version = api_version
        self.kind = kind


class ConnectionFailedError(ClusterError):
    """The server could not be reached: refused, reset, DNS, TLS."""


class ClusterTimeoutError(ClusterError):
    """Connecting or reading took longer than the configured timeout."""


class CredentialsError(ClusterError):
    """The client could not produce credentials (exec plugin failed, token file missing)."""


class ApiError(ClusterError):
    """The server answered with an error status."""

    status: int = 0
    label = "error"

    def __init__(
        self,
        message: str,
        *,
        status: int,
        reason: str = "",
        server_message: str = "",
        details: dict[str, Any] | None = None,
        retry_after: float | None = None,
        origin: Origin | None = None,
        target: Target | None = None,
    ) -> None:
        super().__init__(message, origin=origin, target=target)
        self.status = status
        self.reason = reason
        self.server_message = server_message
        self.details = details or {}
        self.retry_after = retry_after


class BadRequestError(ApiError):
    label = "bad request"


class UnauthorizedError(ApiError):
    label = "unauthorized"


class ForbiddenError(ApiError):
    label = "forbidden"


class NotFoundError(ApiError):
    label = "not found"


class ConflictError(ApiError):
    label = "conflict"


class GoneError(ApiError):
    """410: a watch or a continue token asked for history the server no longer keeps."""

    label = "gone"


class InvalidError(ApiError):
    label = "invalid"


class TooManyRequestsError(ApiError):
    label = "too many requests"


class ServerError(ApiError):
    label = "server error"


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequestError,
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    410: GoneError,
    422: InvalidError,
    429: TooManyRequestsError,
}


def error_class_for(status: int) -> type[ApiError]:
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    return ServerError if status >= 500 else ApiError


def parse_status_body(body: bytes | str | None) -> dict[str, Any]:
    """The `Status` object of an error response, or {} when the body is not one (proxies answer HTML)."""
    if not body:
        return {}
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # the HTTP-date form: Kubernetes never sends it, so we don't parse it


def api_error(
    status: int,
    body: bytes | str | None,
    *,
    retry_after: str | None = None,
    origin: Origin | None = None,
    target: Target | None = None,
) -> ApiError:
    """Build the typed error for an HTTP error response, with a message a person can act on."""
    parsed = parse_status_body(body)
    server_message = str(parsed.get("message") or "")
    if not server_message and isinstance(body, bytes | str) and not parsed:
        server_message = (body.decode(errors="replace") if isinstance(body, bytes) else body).strip()[:300]
    cls = error_class_for(status)
    origin = origin or Origin()
    message = _compose(cls, status, server_message, origin, target)
    return cls(
        message,
        status=status,
        reason=str(parsed.get("reason") or ""),
        server_message=server_message,
        details=parsed.get("details") if isinstance(parsed.get("details"), dict) else None,
        retry_after=parse_retry_after(retry_after),
        origin=origin,
        target=target,
    )


def _compose(cls: type[ApiError], status: int, server_message: str, origin: Origin, target: Target | None) -> str:
    label = cls.label if cls is not ApiError else f"error {status}"
    if cls is ServerError:
        label = f"server error {status}"
    what = ""
    if target is not None:
        described = target.describe()
        what = f"cannot {target.verb} {described}" if described else f"cannot {target.verb}"
    if cls is UnauthorizedError:
        who = f"user {origin.user}" if origin.user else "the configured user"
        return f"unauthorized: the server rejected the credentials of {who}{origin.suffix(with_user=False)}"
    if cls is NotFoundError and target is not None and target.verb in ("get", "delete"):
        # Reading or deleting: the object itself is missing. A write's 404 is usually about something else
        # (its namespace), so that case keeps the server's words below.
        return f"not found: {target.describe()}{origin.suffix(with_user=False)}"
    text = f"{label}: {what}{origin.suffix(with_user=cls is ForbiddenError)}" if what else f"{label}{origin.suffix()}"
    # A 403 is fully described by who/what/where; the others need the server's words (which field, whose
    # field manager, how long to wait).
    if server_message and cls is not ForbiddenError:
        text += f": {server_message}"
    return text
