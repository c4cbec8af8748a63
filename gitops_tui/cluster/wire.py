"""What one request hands the official client: URL, headers and body, prepared as `ApiClient.param_serialize`
would, without the per-request work that does not change (benchmarks/bench_requests.py measures it).

The request itself still goes through `ApiClient.call_api` → `RESTClientObject.request` → urllib3's pool.
param_serialize is left out because, for our requests, all it adds to this is cost: it copies the headers,
query and body through `sanitize_for_serialization` (a recursive walk that rebuilds every dict and list of
the object) and asks the configuration for the auth header, whose refresh hook rewrites the configuration
and re-reads the proxy environment each time (credentials.py keeps that header between requests instead).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

from kubernetes.client import ApiClient

from .credentials import DEFAULT_CHECK_INTERVAL, AuthHeaders


class RequestParts:
    """URL, headers and body of a request to one ApiClient's server, in the forms RESTClientObject takes."""

    def __init__(self, api_client: ApiClient, credential_check_interval: float = DEFAULT_CHECK_INTERVAL) -> None:
        self._api_client = api_client
        self._host = api_client.configuration.host
        self.auth = AuthHeaders(api_client.configuration, credential_check_interval)
        # `default` only sees what JSON cannot encode itself (a datetime, say): the client's conversion then.
        self._json = json.JSONEncoder(default=api_client.sanitize_for_serialization)

    def url(self, path: str, query: Iterable[tuple[str, Any]] = ()) -> str:
        """The server's URL of `path`, with the query encoded as param_serialize encodes it."""
        encoded = "&".join(f"{name}={quote(_query_value(value))}" for name, value in query)
        return f"{self._host}{path}?{encoded}" if encoded else f"{self._host}{path}"

    def headers(self, content_type: str | None) -> dict[str, str]:
        """The client's default headers (User-Agent), the credential's and ours; raises what a credential
        refresh raises (ConfigException, OSError)."""
        headers = {**self._api_client.default_headers, **self.auth.current(), "Accept": "application/json"}
        if self._api_client.cookie:
            headers["Cookie"] = self._api_client.cookie
        if content_type:
            headers["Content-Type"] = content_type
        return headers

    def body(self, body: Any, content_type: str | None) -> Any:
        """The body as RESTClientObject takes it for `content_type`.

        YAML (server-side apply): JSON text, encoded here in one pass; JSON is YAML, and it is what the
        client would have sent for the dict. JSON content types: the plain dict the client itself encodes
        (it JSON-encodes whatever it gets for those, so text would arrive as one JSON string), through the
        client's sanitize_for_serialization as param_serialize does.
        """
        if body is None or isinstance(body, str | bytes):
            return body
        if (content_type or "").endswith("yaml"):
            return self._json.encode(body).encode()
        return self._api_client.sanitize_for_serialization(body)


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, Mapping):
        return json.dumps(value)
    return str(value)
