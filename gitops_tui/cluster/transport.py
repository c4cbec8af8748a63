"""Turning what urllib3 and the server say into our typed errors, and deciding what is safe to retry."""

from __future__ import annotations

import http.client
import random
import socket
from typing import Any

from kubernetes.client.exceptions import ApiException
from urllib3 import exceptions as u3

from .errors import (
    ApiError,
    ClusterError,
    ClusterTimeoutError,
    ConnectionFailedError,
    Origin,
    ServerError,
    Target,
    TooManyRequestsError,
    api_error,
)


def _unwrap(exc: BaseException) -> BaseException:
    """urllib3 wraps the interesting cause (MaxRetryError.reason, ProtocolError's args)."""
    if isinstance(exc, u3.MaxRetryError) and exc.reason is not None:
        return exc.reason
    return exc


def _what(target: Target) -> str:
    described = target.describe()
    return f"{target.verb} {described}".strip()


def translate_exception(
    exc: BaseException, origin: Origin, target: Target, timeout: tuple[float, float]
) -> ClusterError | None:
    """The typed error for a transport failure; None for exceptions that are not about the network."""
    cause = _unwrap(exc)
    where = f"{origin.server or 'the server'}{origin.suffix(with_user=False)}"
    if isinstance(cause, u3.NewConnectionError):  # before ConnectTimeoutError: it subclasses it
        reason = "connection refused" if _is_refused(cause) else str(cause).split(": ", 1)[-1]
        return ConnectionFailedError(
            f"cannot connect to {where}: {reason} (while trying to {_what(target)})", origin=origin, target=target
        )
    if isinstance(cause, u3.ConnectTimeoutError):
        return ClusterTimeoutError(
            f"timed out after {timeout[0]:g} s connecting to {where} (while trying to {_what(target)})",
            origin=origin,
            target=target,
        )
    if isinstance(cause, u3.ReadTimeoutError | socket.timeout | TimeoutError):
        return ClusterTimeoutError(
            f"timed out after {timeout[1]:g} s waiting for {where} to answer (while trying to {_what(target)})",
            origin=origin,
            target=target,
        )
    if isinstance(
        cause,
        u3.ProtocolError
        | u3.IncompleteRead
        | http.client.HTTPException
        | ConnectionError
        | u3.SSLError
        | u3.ProxyError,
    ):
        return ConnectionFailedError(
            f"connection to {where} failed: {_describe(cause)} (while trying to {_what(target)})",
            origin=origin,
            target=target,
        )
    return None


def _describe(exc: BaseException) -> str:
    inner = exc.args[1] if isinstance(exc, u3.ProtocolError) and len(exc.args) > 1 else exc
    if isinstance(inner, BaseException):
        return f"{type(inner).__name__}: {inner}" if str(inner) else type(inner).__name__
    return str(exc)


def _is_refused(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "refused" in text or isinstance(exc.__cause__ or exc.__context__, ConnectionRefusedError)


def is_reset(exc: BaseException) -> bool:
    """A pooled connection the server had closed: the request may be repeated if it is idempotent."""
    cause = _unwrap(exc)
    if isinstance(cause, u3.ProtocolError):
        inner = cause.args[1] if len(cause.args) > 1 else None
        return isinstance(inner, ConnectionResetError | http.client.RemoteDisconnected | BrokenPipeError)
    return isinstance(cause, ConnectionResetError | http.client.RemoteDisconnected)


def tls_error(exc: ApiException, origin: Origin, target: Target) -> ClusterError:
    reason = (exc.reason or "").replace("\n", ": ")
    return ConnectionFailedError(
        f"TLS handshake with {origin.server or 'the server'}{origin.suffix(False)} failed: {reason}",
        origin=origin,
        target=target,
    )


def response_error(response: Any, data: bytes | None, origin: Origin, target: Target) -> ApiError:
    headers = response.headers or {}
    return api_error(response.status, data, retry_after=headers.get("Retry-After"), origin=origin, target=target)


def retry_delay(error: ApiError, cap: float) -> float | None:
    """Seconds to wait before repeating a request the server refused without processing, else None.

    429 (API priority and fairness) always means "not processed"; 503 only when the server says when to
    come back. A Retry-After longer than `cap` goes back to the caller rather than blocking a thread.
    """
    if isinstance(error, TooManyRequestsError):
        delay = error.retry_after if error.retry_after is not None else 1.0
    elif isinstance(error, ServerError) and error.status == 503 and error.retry_after is not None:
        delay = error.retry_after
    else:
        return None
    if delay > cap:
        return None
    return delay + random.uniform(0, 0.1 * max(delay, 0.1))  # spread clients that were told the same second
