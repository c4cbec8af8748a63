"""ClusterClient: one kubeconfig context's reads and writes, through the official `kubernetes` client.

Requests go through the official client's `ApiClient.call_api` (its RESTClientObject and urllib3 pool), so
authentication (tokens, client certificates, exec plugins and their refresh) is the client's; wire.py prepares
what param_serialize would, without its per-request copies and auth hook (the header is kept between requests,
credentials.py says why that is safe). Responses are read raw and parsed with `json.loads`, never through the
generated model classes (their deserialisation is a known hot spot).

Every call is blocking, has a connect and a read timeout, and is meant to run off the event loop
(`asyncio.to_thread`). Retries happen only where they are safe: 429, and 503 with Retry-After (the server did
not process the request), and idempotent reads whose pooled connection was reset.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any

from kubernetes.client import ApiClient, Configuration
from kubernetes.client.exceptions import ApiException
from kubernetes.client.rest import RESTResponse
from kubernetes.config.config_exception import ConfigException
from kubernetes.config.incluster_config import load_incluster_config
from kubernetes.config.kube_config import load_kube_config_from_dict

from gitops_tui.model import ResourceKey

from . import json_codec, transport
from .client_types import FIELD_MANAGER, ClientSettings, ListPage, Reachability
from .client_writes import ClientSideWrites
from .discovery import ApiResource, RESTMapper
from .discovery_cache import DiscoveryCache
from .errors import (
    ClusterError,
    CredentialsError,
    InvalidManifestError,
    NotFoundError,
    Origin,
    ReadOnlyError,
    Target,
)
from .kubeconfig import KubeConfig
from .tracking import stamp_tracking
from .wire import RequestParts

log = logging.getLogger(__name__)

__all__ = ["APPLY_PATCH", "FIELD_MANAGER", "ClientSettings", "ClusterClient", "ListPage", "Reachability"]

APPLY_PATCH = "application/apply-patch+yaml"
POOL_SIZE = 64
# Fields the server owns: sending them in an apply would claim them or trip a precondition.
_SERVER_OWNED_METADATA = ("managedFields", "resourceVersion", "uid", "creationTimestamp", "generation")


class ClusterClient(ClientSideWrites):
    def __init__(
        self,
        api_client: ApiClient,
        *,
        context: str,
        user: str = "",
        default_namespace: str = "",
        settings: ClientSettings | None = None,
    ) -> None:
        self.api_client = api_client
        self.settings = settings or ClientSettings()
        self.origin = Origin(context, user, api_client.configuration.host)
        self.default_namespace = default_namespace or "default"
        self.reachability = Reachability()
        self._wire = RequestParts(api_client, self.settings.credential_check_interval)
        self._reachability_lock = threading.Lock()
        disk = DiscoveryCache(api_client.configuration.host) if self.settings.discovery_on_disk else None
        self.mapper = RESTMapper(self._discovery_get, origin=self.origin, ttl=self.settings.discovery_ttl, disk=disk)

    @classmethod
    def from_kubeconfig(
        cls, kubeconfig: KubeConfig, context: str | None = None, settings: ClientSettings | None = None
    ) -> ClusterClient:
        info = kubeconfig.context(context)
        configuration = Configuration()
        try:
            if kubeconfig.in_cluster:
                load_incluster_config(client_configuration=configuration)
            else:
                load_kube_config_from_dict(
                    dict(kubeconfig.data), context=info.name, client_configuration=configuration, persist_config=False
                )
        except (ConfigException, OSError, ValueError) as exc:
            raise CredentialsError(
                f"cannot load credentials for context {info.name}: {exc}",
                origin=Origin(info.name, info.user, info.server),
            ) from exc
        # Our own retry policy decides what is safe to repeat; urllib3's would repeat blindly.
        configuration.retries = False
        # Every watch stream holds a connection, and syncs and compares run side by side: the default pool
        # (5 per core) would keep closing and reopening connections ("Connection pool is full").
        configuration.connection_pool_maxsize = max(configuration.connection_pool_maxsize or 0, POOL_SIZE)
        return cls(
            ApiClient(configuration),
            context=info.name,
            user=info.user,
            default_namespace=info.namespace,
            settings=settings,
        )

    @property
    def context(self) -> str:
        return self.origin.context

    def close(self) -> None:
        self.api_client.rest_client.close()

    # ---- raw HTTP -----------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        target: Target,
        *,
        query: Iterable[tuple[str, Any]] = (),
        body: Any = None,
        content_type: str | None = None,
        read_timeout: float | None = None,
        stream: bool = False,
    ) -> RESTResponse:
        """One API call with timeouts, typed errors and safe retries; returns the (unread if `stream`) response."""
        timeout = (self.settings.connect_timeout, read_timeout or self.settings.read_timeout)
        idempotent = method in ("GET", "HEAD")
        url = self._wire.url(path, query)
        payload = self._wire.body(body, content_type)
        attempt = 0
        while True:
            attempt += 1
            try:
                headers = self._wire.headers(content_type)
            except (ConfigException, OSError) as exc:  # exec plugin or token refresh failed
                raise CredentialsError(
                    f"cannot get credentials for context {self.context}: {exc}", origin=self.origin, target=target
                ) from exc
            try:
                response = self.api_client.call_api(method, url, headers, payload, _request_timeout=timeout)
                # Read the body inside the try: a timeout or reset can strike while it arrives, too.
                data = response.read() if not (stream and 200 <= response.status < 300) else None
            except ApiException as exc:  # the client wraps TLS failures this way
                raise self._unreachable(transport.tls_error(exc, self.origin, target)) from exc
            except Exception as exc:
                error = transport.translate_exception(exc, self.origin, target, timeout)
                if error is None:
                    raise
                if idempotent and transport.is_reset(exc) and attempt <= self.settings.max_retries:
                    log.debug("retrying %s %s after a reset connection", method, path)
                    continue
                raise self._unreachable(error) from exc
            self._mark_reachable()
            if 200 <= response.status < 300:
                return response
            error = transport.response_error(response, data, self.origin, target)
            if response.status == 401:  # ask the credential's hook again next time, in case it has news
                self._wire.auth.expire()
            delay = transport.retry_delay(error, self.settings.max_retry_after)
            if delay is not None and attempt <= self.settings.max_retries:
                time.sleep(delay)
                continue
            raise error

    def request_json(self, method: str, path: str, target: Target, **kwargs: Any) -> dict[str, Any]:
        response = self.request(method, path, target, **kwargs)
        return json_codec.loads(response.data) if response.data else {}

    def _discovery_get(self, path: str) -> dict[str, Any]:
        return self.request_json("GET", path, Target(f"read discovery {path}"))

    def _mark_reachable(self) -> None:
        if self.reachability.reachable is not True:
            with self._reachability_lock:
                self.reachability = Reachability(True)

    def _unreachable(self, error: ClusterError) -> ClusterError:
        with self._reachability_lock:
            self.reachability = Reachability(False, error.message)
        return error

    # ---- reads --------------------------------------------------------------------------------------

    def get(self, key: ResourceKey) -> dict[str, Any] | None:
        """The live object (managedFields included), or None when it does not exist."""
        resource = self.mapper.resource_for_group_kind(key.group, key.kind)
        target = Target("get", resource.group_resource, key.name, key.namespace if resource.namespaced else "")
        try:
            obj = self.request_json("GET", resource.path(key.namespace, key.name), target)
        except NotFoundError:
            return None
        return obj

    def list_page(
        self,
        resource: ApiResource,
        namespace: str = "",
        *,
        limit: int | None = None,
        continue_token: str = "",
        label_selector: str = "",
    ) -> ListPage:
        """One page of a list; items get apiVersion/kind set (servers omit them inside lists)."""
        query: list[tuple[str, Any]] = []
        if limit:
            query.append(("limit", limit))
        if continue_token:
            query.append(("continue", continue_token))
        if label_selector:
            query.append(("labelSelector", label_selector))
        target = Target("list", resource.group_resource, "", namespace if resource.namespaced else "")
        try:
            document = self.request_json("GET", resource.path(namespace), target, query=query)
        except NotFoundError:
            self.mapper.invalidate()  # a collection that is not there: the kind is no longer served
            raise
        items = document.get("items") or []
        for item in items:
            item["apiVersion"] = resource.api_version
            item["kind"] = resource.kind
        metadata = document.get("metadata") or {}
        return ListPage(items, str(metadata.get("resourceVersion") or ""), str(metadata.get("continue") or ""))

    def list(self, resource: ApiResource, namespace: str = "", *, label_selector: str = "") -> ListPage:
        """Every item, fetched in pages of `settings.page_size`; the resourceVersion is the first page's."""
        items: list[dict[str, Any]] = []
        page = self.list_page(resource, namespace, limit=self.settings.page_size, label_selector=label_selector)
        version = page.resource_version
        items.extend(page.items)
        while page.continue_token:
            page = self.list_page(
                resource,
                namespace,
                limit=self.settings.page_size,
                continue_token=page.continue_token,
                label_selector=label_selector,
            )
            items.extend(page.items)
        return ListPage(items, version, "")

    def open_watch(
        self,
        resource: ApiResource,
        namespace: str,
        resource_version: str,
        *,
        timeout_seconds: int,
        read_timeout: float,
    ) -> RESTResponse:
        """A watch stream from `resource_version` with bookmarks; the caller reads and closes it."""
        query: list[tuple[str, Any]] = [
            ("watch", "true"),
            ("allowWatchBookmarks", "true"),
            ("timeoutSeconds", timeout_seconds),
        ]
        if resource_version:
            query.append(("resourceVersion", resource_version))
        target = Target("watch", resource.group_resource, "", namespace if resource.namespaced else "")
        return self.request(
            "GET", resource.path(namespace), target, query=query, read_timeout=read_timeout, stream=True
        )

    # ---- writes -------------------------------------------------------------------------------------

    def _refuse_if_read_only(self, verb: str, what: str) -> None:
        if self.settings.read_only:
            raise ReadOnlyError(
                f"read-only mode: refusing to {verb} {what} on context {self.context}",
                origin=self.origin,
                target=Target(verb),
            )

    def apply(
        self,
        obj: Mapping[str, Any],
        *,
        app: str | None = None,
        dry_run: bool = False,
        force: bool = False,
        validate: bool = True,
    ) -> dict[str, Any]:
        """Server-side apply as field manager `gitops-tui`; returns the resulting (or predicted) object.

        With `app`, our tracking annotation is stamped on the object. A dry run writes nothing, so it is
        allowed in read-only mode: it is how diffs get the server's predicted object. `validate=False`
        (Argo CD's Validate=false) lets unknown fields through instead of failing the request.
        """
        resource, key, body = self._write_body(obj, app, "apply", dry_run)
        query = self._write_query(dry_run, validate)
        if force:
            query.append(("force", "true"))
        target = Target("patch", resource.group_resource, key.name, key.namespace)
        return self.request_json(
            "PATCH", resource.path(key.namespace, key.name), target, query=query, body=body, content_type=APPLY_PATCH
        )

    def create(
        self, obj: Mapping[str, Any], *, app: str | None = None, dry_run: bool = False, validate: bool = True
    ) -> dict[str, Any]:
        """POST the object (409 AlreadyExists when it exists); returns what the server stored."""
        resource, key, body = self._write_body(obj, app, "create", dry_run)
        target = Target("create", resource.group_resource, key.name, key.namespace)
        query = self._write_query(dry_run, validate)
        return self.request_json(
            "POST", resource.path(key.namespace), target, query=query, body=body, content_type="application/json"
        )

    def _write_body(
        self, obj: Mapping[str, Any], app: str | None, verb: str, dry_run: bool
    ) -> tuple[ApiResource, ResourceKey, dict[str, Any]]:
        api_version, kind, name = (
            str(obj.get("apiVersion") or ""),
            str(obj.get("kind") or ""),
            str((obj.get("metadata") or {}).get("name") or ""),
        )
        if not (api_version and kind and name):
            raise InvalidManifestError(
                f"cannot {verb} an object without apiVersion, kind and metadata.name "
                f"({kind or '?'} {name or '?'}) on context {self.context}",
                origin=self.origin,
            )
        if not dry_run:  # before anything touches the network, discovery included
            self._refuse_if_read_only(verb, str(ResourceKey.of(obj)))
        resource = self.mapper.resource_for(api_version, kind)
        body = self._apply_body(obj, resource)
        key = ResourceKey(resource.group, kind, body["metadata"].get("namespace", ""), name)
        if app:
            body = stamp_tracking(body, app, key, self.settings.tracking_annotation)
        return resource, key, body

    def _write_query(self, dry_run: bool, validate: bool) -> list[tuple[str, Any]]:
        query: list[tuple[str, Any]] = [("fieldManager", self.settings.field_manager)]
        if dry_run:
            query.append(("dryRun", "All"))
        if not validate:
            query.append(("fieldValidation", "Ignore"))
        return query

    def _apply_body(self, obj: Mapping[str, Any], resource: ApiResource) -> dict[str, Any]:
        body = dict(obj)
        metadata = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in _SERVER_OWNED_METADATA}
        if resource.namespaced:
            metadata["namespace"] = metadata.get("namespace") or self.default_namespace
        else:
            metadata.pop("namespace", None)
        body["metadata"] = metadata
        body.pop("status", None)
        return body

    def delete(
        self, key: ResourceKey, *, propagation: str = "Foreground", dry_run: bool = False, missing_ok: bool = True
    ) -> dict[str, Any] | None:
        """Delete an object; returns what the server answered (the object while finalizers run, or a
        Status), None when it was already gone and `missing_ok`."""
        if not dry_run:
            self._refuse_if_read_only("delete", str(key))
        resource = self.mapper.resource_for_group_kind(key.group, key.kind)
        namespace = key.namespace if resource.namespaced else ""
        options: dict[str, Any] = {"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": propagation}
        if dry_run:
            options["dryRun"] = ["All"]
        target = Target("delete", resource.group_resource, key.name, namespace)
        try:
            return self.request_json(
                "DELETE", resource.path(namespace, key.name), target, body=options, content_type="application/json"
            )
        except NotFoundError:
            if missing_ok:
                return None
            raise

    def ensure_namespace(self, name: str, *, dry_run: bool = False) -> bool:
        """Create the namespace unless it exists (Argo CD's CreateNamespace=true); True when created."""
        resource = self.mapper.resource_for("v1", "Namespace")
        if self.get(ResourceKey("", "Namespace", "", name)) is not None:
            return False
        if not dry_run:
            self._refuse_if_read_only("create", f"namespace {name}")
        query = [("dryRun", "All")] if dry_run else []
        body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
        try:
            self.request_json(
                "POST",
                resource.path(),
                Target("create", "namespaces", name),
                query=query,
                body=body,
                content_type="application/json",
            )
        except ClusterError as exc:
            if getattr(exc, "status", 0) == 409:  # created meanwhile by someone else: the goal is met
                return False
            raise
        return True
