"""The HTTP front of the sandbox: one aiohttp app, one catch-all route, our own routing.

`ApiServer` owns the store and the per-request policies (auth token, forbid rules, faults) and runs
on one asyncio loop. `runtime.Sandbox` runs it in a background thread.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from typing import Any

from aiohttp import web

from . import discovery, errors, handlers, openapi, patch_handlers
from .access import AccessPolicy, ForbidRule, review_access
from .faults import Faults, LatencyFault, error_fault_from_json
from .routing import Target, parse_api_path, resolve_target
from .scale import apply_scale, scale_of
from .store import Store
from .watch import WatchRegistry, serve_watch

log = logging.getLogger(__name__)
ADMIN_PREFIX = "/_sandbox/"


def error_response(exc: errors.ApiError) -> web.Response:
    response = handlers.respond(exc.status(), exc.code)
    response.headers.update(exc.headers)
    return response


class ApiServer:
    def __init__(
        self,
        store: Store,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str | None = None,
        forbid: list[ForbidRule] | None = None,
        faults: Faults | None = None,
    ) -> None:
        self.store = store
        self.host = host
        self.port = port
        self.token = token
        self.access = AccessPolicy(forbid or [])
        self.faults = faults or Faults()
        self.watches = WatchRegistry()
        self.requests: Counter[str] = Counter()
        """Resource requests served, by RBAC verb (get, list, watch, patch...): how chatty a client is."""
        self.requests_by_resource: Counter[str] = Counter()
        """The same, by verb and resource ("get configmaps", "patch deployments.apps")."""
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._watch_closer: asyncio.Task[None] | None = None
        self._reopen: asyncio.TimerHandle | None = None

    # ---- lifecycle ---------------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self.dispatch)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
        await self._runner.setup()
        await self._listen()

    async def _listen(self) -> None:
        assert self._runner is not None
        self._site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True)
        await self._site.start()
        server = self._site._server
        if self.port == 0 and server is not None and getattr(server, "sockets", None):
            self.port = server.sockets[0].getsockname()[1]

    async def stop(self, timeout: float = 1.0) -> None:
        """Stop serving within about `timeout` seconds, whatever the clients do.

        The listener closes first (nothing new arrives), then every watch stream ends and every open
        connection is closed by force: a client that vanished without closing its socket (killed, its
        network gone) would otherwise keep its handler waiting on a write that never drains. The
        runner's graceful cleanup then has nothing left to wait for; it is bounded all the same.
        """
        if self._watch_closer:
            self._watch_closer.cancel()
        if self._reopen:
            self._reopen.cancel()
        if self._site is not None:
            await self._site.stop()
            self._site = None
        self.watches.close_all()
        self._drop_connections(abort=True)
        if self._runner is not None:
            try:
                await asyncio.wait_for(self._runner.cleanup(), timeout)
            except TimeoutError:
                log.warning("sandbox: connections still open after %.1f s; stopping anyway", timeout)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # ---- faults that act on connections -----------------------------------------------------------

    async def refuse_connections(self, seconds: float, drop_after: float = 0.0) -> None:
        """Close the listening socket (new connections are refused) and re-open it on the same port.

        Established keep-alive connections are dropped too, as a restarting API server drops them;
        otherwise a client with pooled connections would never see the outage. The admin endpoint
        delays the drop a moment (`drop_after`) so the request that asked for it still gets its answer.
        """
        if self._site is not None:
            await self._site.stop()
            self._site = None
        self.watches.close_all()
        loop = asyncio.get_running_loop()
        if drop_after:
            loop.call_later(drop_after, self._drop_connections)
        else:
            self._drop_connections()
        self._reopen = loop.call_later(seconds, lambda: asyncio.ensure_future(self._listen()))

    def _drop_connections(self, abort: bool = False) -> None:
        """Close every open connection; with `abort`, drop unsent data too (a closing socket otherwise
        waits until a client that stopped reading takes what is buffered for it)."""
        if self._runner is not None and self._runner.server is not None:
            for connection in list(self._runner.server.connections):
                transport = connection.transport
                connection.force_close()
                if abort and transport is not None:
                    transport.abort()

    def close_watches_every(self, seconds: float | None) -> None:
        if self._watch_closer:
            self._watch_closer.cancel()
            self._watch_closer = None
        if seconds:
            self._watch_closer = asyncio.ensure_future(self._close_watches_loop(seconds))

    async def _close_watches_loop(self, seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)
            self.watches.close_all()

    # ---- requests ----------------------------------------------------------------------------------

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        try:
            if self.token and request.headers.get("Authorization") != f"Bearer {self.token}":
                raise errors.unauthorized()
            if request.path.startswith(ADMIN_PREFIX):
                return await self._admin(request)
            if self.faults.latency:
                await asyncio.sleep(self.faults.latency)
            return await self._route(request)
        except errors.ApiError as exc:
            return error_response(exc)
        except Exception as exc:  # a sandbox bug must look like a real 500, not kill the connection
            log.exception("sandbox request failed: %s %s", request.method, request.path_qs)
            return error_response(errors.internal_error(str(exc)))

    async def _route(self, request: web.Request) -> web.StreamResponse:
        path = request.path.rstrip("/") or "/"
        registry = self.store.registry
        accept = request.headers.get("Accept", "")
        if path == "/version":
            return handlers.respond(discovery.version_info())
        if path in ("/healthz", "/livez", "/readyz"):
            return web.Response(text="ok")
        if path.startswith("/openapi/"):
            return openapi.serve(registry, path, accept)
        if path in ("/api", "/apis"):
            if discovery.wants_aggregated(accept):
                body = discovery.aggregated(registry, core=path == "/api")
                return web.Response(body=json.dumps(body).encode(), headers={"Content-Type": discovery.AGGREGATED_V2})
            if path == "/api":
                return handlers.respond(discovery.core_versions(f"{self.host}:{self.port}"))
            return handlers.respond(discovery.group_list(registry))
        parts = path.strip("/").split("/")
        if parts[0] == "apis" and len(parts) == 2:
            doc = discovery.group_document(registry, parts[1])
            if doc is None:
                raise errors.unknown_resource()
            return handlers.respond(doc)
        parsed = parse_api_path(path)
        if parsed is None:
            raise errors.unknown_resource()
        group, version, rest = parsed
        if not rest:
            doc = discovery.resource_list(registry, group, version)
            if doc is None:
                raise errors.unknown_resource()
            return handlers.respond(doc)
        watch_param = request.query.get("watch") in ("true", "1")
        target = resolve_target(registry, group, version, rest, request.method, watch_param)
        self.requests[target.verb] += 1
        self.requests_by_resource[f"{target.verb} {target.rt.group_resource}"] += 1
        if target.rt.group_resource != "selfsubjectaccessreviews.authorization.k8s.io":
            self.access.check(target)  # asking about oneself is always allowed (system:basic-user)
        delay = self.faults.latency_for(target)
        if delay:
            await asyncio.sleep(delay)
        injected = self.faults.error_for(target)
        if injected is not None:
            raise injected
        return await self._serve(request, target)

    async def _serve(self, request: web.Request, target: Target) -> web.StreamResponse:
        store = self.store
        verb = target.verb
        if target.subresource == "scale" and verb in ("get", "update"):
            return await self._scale(request, target)
        accept = request.headers.get("Accept", "")
        if verb == "get":
            return handlers.get(store, target, accept)
        if verb == "list":
            return handlers.list_objects(store, target, request.query, accept)
        if verb == "watch":
            return await serve_watch(store, self.watches, request, target, handlers.storage_of(store, target.rt))
        if verb == "create":
            if target.rt.group_resource == "selfsubjectaccessreviews.authorization.k8s.io":
                review = review_access(self.access, store.registry, await handlers.read_body(request))
                return handlers.respond(review, 201)
            return await handlers.create(store, request, target)
        if verb == "update":
            return await handlers.update(store, request, target)
        if verb == "patch":
            return await patch_handlers.patch(store, request, target)
        if verb == "delete":
            if target.subresource:
                raise errors.method_not_allowed()
            return await handlers.delete(store, request, target)
        return await handlers.delete_collection(store, request, target)

    async def _scale(self, request: web.Request, target: Target) -> web.Response:
        rt = handlers.storage_of(self.store, target.rt)
        entry = self.store.entry(rt, target.namespace, target.name)
        if entry is None:
            raise errors.not_found(rt.plural, rt.group, target.name)
        if target.verb == "get":
            return handlers.respond(scale_of(rt, entry.obj))
        updated = self.store.writes.update(
            rt,
            apply_scale(rt, entry.obj, await handlers.read_body(request)),
            dry_run=handlers.is_dry_run(request),
            manager=handlers.field_manager(request),
            subresource="scale",
        )
        return handlers.respond(scale_of(rt, updated.obj))

    # ---- admin endpoint (never used by real clients) -----------------------------------------------

    async def _admin(self, request: web.Request) -> web.Response:
        action = request.path[len(ADMIN_PREFIX) :].strip("/")
        body: dict[str, Any] = {}
        if request.method == "POST" and request.can_read_body:
            raw = await request.read()
            body = json.loads(raw) if raw.strip() else {}
        if action == "faults" and request.method == "GET":
            return handlers.respond(self.faults.describe())
        if action == "faults/latency":
            if body.get("verbs") or body.get("resource", "*") != "*":
                self.faults.latencies.append(
                    LatencyFault(
                        float(body.get("seconds", 0)),
                        frozenset(body["verbs"]) if body.get("verbs") else None,
                        str(body.get("resource", "*")),
                    )
                )
            else:
                self.faults.latency = float(body.get("seconds", 0))
        elif action == "faults/errors":
            self.faults.errors.append(error_fault_from_json(body))
        elif action == "faults/clear":
            self.faults.clear()
            self.close_watches_every(None)
        elif action == "watches/close":
            return handlers.respond({"closed": self.watches.close_all()})
        elif action == "watches/close-every":
            self.close_watches_every(body.get("seconds"))
        elif action == "compact":
            self.store.compact()
        elif action == "refuse-connections":
            await self.refuse_connections(float(body.get("seconds", 1)), drop_after=0.05)
        elif action == "requests":
            by_resource = request.query.get("by") == "resource"
            return handlers.respond(dict(self.requests_by_resource if by_resource else self.requests))
        elif action == "state":
            return handlers.respond({"resourceVersion": self.store.resource_version, "watches": len(self.watches)})
        else:
            raise errors.unknown_resource()
        return handlers.respond({"ok": True})
