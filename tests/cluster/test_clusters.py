"""Several clusters at once: destinations → contexts → their own client, cache and reachability."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml

from gitops_tui.cluster.clusters import Clusters
from gitops_tui.cluster.errors import ConnectionFailedError
from gitops_tui.cluster.kubeconfig import load_kubeconfig
from gitops_tui.model import Destination, ResourceKey
from gitops_tui.sandbox.runtime import Sandbox

from .conftest import FAST_CACHE, FAST_CLIENT, configmap, eventually


def kubeconfig_for(path: Path, name: str, url: str) -> Path:
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": name,
                "clusters": [{"name": name, "cluster": {"server": url}}],
                "users": [{"name": f"{name}-admin", "user": {"token": "t"}}],
                "contexts": [{"name": name, "context": {"cluster": name, "user": f"{name}-admin"}}],
            }
        )
    )
    return path


async def test_each_context_has_its_own_client_cache_and_reachability(tmp_path: Path) -> None:
    with Sandbox() as prod, Sandbox() as staging:
        env = {
            "KUBECONFIG": f"{kubeconfig_for(tmp_path / 'prod', 'prod-eu', prod.url)}:"
            f"{kubeconfig_for(tmp_path / 'staging', 'staging', staging.url)}"
        }
        clusters = Clusters(load_kubeconfig(env=env), client_settings=FAST_CLIENT, cache_settings=FAST_CACHE)
        try:
            prod_client = clusters.for_destination(Destination(server=prod.url + "/"))
            staging_client = clusters.for_destination(Destination(name="staging"))
            assert (prod_client.context, staging_client.context) == ("prod-eu", "staging")
            assert clusters.for_destination(Destination(server="https://kubernetes.default.svc")) is prod_client
            await asyncio.to_thread(prod_client.apply, configmap("only-in-prod"))
            prod_cache, staging_cache = clusters.cache("prod-eu"), clusters.cache("staging")
            for cache in (prod_cache, staging_cache):
                await cache.register("t", [("", "ConfigMap")])
                await cache.start()
                assert await cache.wait_synced(5)
            item = ResourceKey("", "ConfigMap", "default", "only-in-prod")
            assert item in prod_cache.store and item not in staging_cache.store
            staging.stop()
            with pytest.raises(ConnectionFailedError):
                await asyncio.to_thread(staging_client.get, item)
            await asyncio.to_thread(prod_client.get, item)
            assert {name: r.reachable for name, r in clusters.reachability().items()} == {
                "prod-eu": True,
                "staging": False,
            }
            await eventually(lambda: not staging_cache.synced and prod_cache.synced, 3.0, "staging to fail alone")
        finally:
            await clusters.aclose()
