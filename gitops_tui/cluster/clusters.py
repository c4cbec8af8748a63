"""Several clusters at once: one client and one cache per kubeconfig context, each reachable or not on its own.

Applications name their cluster by `destination.server` or `destination.name`; `for_destination` maps that
to a context (kubeconfig.py) and hands back that context's client, built on first use.
"""

from __future__ import annotations

import asyncio
import threading

from gitops_tui.model import Destination

from .cache import CacheSettings, LiveCache
from .client import ClientSettings, ClusterClient, Reachability
from .kubeconfig import KubeConfig


class Clusters:
    def __init__(
        self,
        kubeconfig: KubeConfig,
        *,
        client_settings: ClientSettings | None = None,
        cache_settings: CacheSettings | None = None,
    ) -> None:
        self.kubeconfig = kubeconfig
        self.client_settings = client_settings or ClientSettings()
        self.cache_settings = cache_settings or CacheSettings()
        self._clients: dict[str, ClusterClient] = {}
        self._caches: dict[str, LiveCache] = {}
        self._lock = threading.Lock()  # clients are also created from worker threads

    def context_for(self, destination: Destination) -> str:
        """The kubeconfig context an Application's destination points at (DestinationError if none)."""
        return self.kubeconfig.context_for_destination(destination.server, destination.name)

    def client(self, context: str | None = None) -> ClusterClient:
        """The context's client (the current context by default), created on first use."""
        name = self.kubeconfig.context(context).name
        with self._lock:
            found = self._clients.get(name)
            if found is None:
                found = ClusterClient.from_kubeconfig(self.kubeconfig, name, self.client_settings)
                self._clients[name] = found
            return found

    def for_destination(self, destination: Destination) -> ClusterClient:
        return self.client(self.context_for(destination))

    def cache(self, context: str | None = None) -> LiveCache:
        """The context's live cache (not started: register kinds, then `await cache.start()`)."""
        client = self.client(context)
        found = self._caches.get(client.context)
        if found is None:
            found = LiveCache(client, self.cache_settings)
            self._caches[client.context] = found
        return found

    def reachability(self) -> dict[str, Reachability]:
        """Per context already in use: did its last request reach the server?"""
        with self._lock:
            return {name: client.reachability for name, client in self._clients.items()}

    async def aclose(self) -> None:
        await asyncio.gather(*(cache.aclose() for cache in self._caches.values()))
        self._caches.clear()
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()
