"""LiveCache benchmark: time to a synced cache, memory per cached object, change-to-callback latency.

    .venv/bin/python benchmarks/bench_cache.py [--objects 20000] [--burst 1000]

The sandbox runs in a child process (this file with `--serve`), so the parent's memory figures hold the
cache alone. The objects are realistic Pods (~3.8 KB of JSON as served, ~2.1 KB once managedFields is
dropped) over 20 namespaces, all tracked by one app and owned by one ReplicaSet.

Memory is measured with tracemalloc (every Python allocation still alive once the cache is synced, minus
what was alive before it started), in a second run: tracing slows allocation, so the timed run is untraced.
The RSS delta of the timed run is reported too; it is higher, because it also holds freed-but-not-returned
memory from the transient list pages (the allocator keeps arenas).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Sequence
from typing import Any

from benchmarks.fixtures import BOOKMARK_INTERVAL, announce, start_server, stop_server
from benchmarks.looplag import LoopLag
from gitops_tui.cluster.cache import CacheEvent, LiveCache
from gitops_tui.cluster.client import ClientSettings, ClusterClient
from gitops_tui.cluster.kubeconfig import load_kubeconfig
from gitops_tui.model import ResourceKey

NAMESPACES = 20
SENT_AT = "bench.gitops-tui.dev/sent-at"


def pod(i: int) -> dict[str, Any]:
    name, namespace = f"web-{i:05d}", f"ns-{i % NAMESPACES}"
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {"app": "web", "pod-template-hash": "5d8f7c9b4"},
            "annotations": {"gitops-tui.dev/tracking-id": f"shop:/Pod:{namespace}/{name}"},
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "name": "web-5d8f7c9b4",
                    "uid": "0b7c2c1e-8f7a-4a53-9d55-3f1c2f0a9e1b",
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": {
            "containers": [
                {
                    "name": "web",
                    "image": "registry.example.com/shop/web:1.27.3",
                    "ports": [{"containerPort": 8080, "name": "http"}],
                    "env": [{"name": "LOG_LEVEL", "value": "info"}, {"name": "DB_HOST", "value": "db.shop.svc"}],
                    "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
                    "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080}},
                    "volumeMounts": [{"name": "config", "mountPath": "/etc/web"}],
                }
            ],
            "volumes": [{"name": "config", "configMap": {"name": "web-config"}}],
            "nodeName": "node-1",
        },
        "status": {
            "phase": "Running",
            "podIP": f"10.1.{i // 250}.{i % 250}",
            "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2026-11-26T10:00:00Z"}],
            "containerStatuses": [
                {
                    "name": "web",
                    "ready": True,
                    "restartCount": 0,
                    "started": True,
                    "image": "registry.example.com/shop/web:1.27.3",
                    "imageID": "sha256:abc",
                    "state": {"running": {"startedAt": "2026-11-26T10:00:00Z"}},
                }
            ],
        },
    }


# ---- the child: a seeded sandbox that applies bursts on request ----------------------------------------


def serve(objects: int) -> None:
    from gitops_tui.sandbox.runtime import Sandbox

    with Sandbox(bookmark_interval=BOOKMARK_INTERVAL) as sandbox:

        def seed(start: int, stop: int) -> None:
            def run(store: Any) -> None:
                for i in range(start, stop):
                    store.create("pods", pod(i), f"ns-{i % NAMESPACES}", keep_status=True)

            sandbox.call(run)

        sandbox.call(
            lambda store: [store.create("namespaces", {"metadata": {"name": f"ns-{n}"}}) for n in range(NAMESPACES)]
        )
        for start in range(0, objects, 1000):  # batches keep each call on the sandbox loop short
            seed(start, min(start + 1000, objects))
        announce(sandbox)
        for line in sys.stdin:
            command, _, argument = line.strip().partition(" ")
            if command == "burst":

                def burst(store: Any, count: int = int(argument)) -> None:
                    for i in range(count):

                        def stamp(obj: dict[str, Any]) -> None:
                            obj["metadata"]["annotations"][SENT_AT] = repr(time.monotonic())

                        store.mutate("pods", f"ns-{i % NAMESPACES}", f"web-{i:05d}", stamp)

                sandbox.call(burst)
                # The sandbox sends nothing while the burst runs on its loop: every event leaves after this.
                print(f"done {time.monotonic()!r}", flush=True)
            elif command == "quit":
                return


# ---- the parent: measurements ------------------------------------------------------------------------


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


async def synced_cache(kubeconfig: str, page_size: int, lag: LoopLag | None = None) -> tuple[LiveCache, float]:
    client = ClusterClient.from_kubeconfig(load_kubeconfig(kubeconfig), settings=ClientSettings(page_size=page_size))
    client.mapper.refresh()  # discovery is not what is measured
    cache = LiveCache(client)
    await cache.register("bench", [("", "Pod")], include_children=False)
    started = time.perf_counter()
    with lag or contextlib.nullcontext():
        await cache.start()
        if not await cache.wait_synced(300):
            raise RuntimeError(f"cache did not sync: {cache.status()}")
    return cache, time.perf_counter() - started


async def timed_run(
    server: subprocess.Popen[str], kubeconfig: str, objects: int, burst: int, page_size: int
) -> dict[str, Any]:
    gc.collect()
    rss_before = rss_bytes()
    lag = LoopLag()
    cache, elapsed = await synced_cache(kubeconfig, page_size, lag)
    gc.collect()
    rss_delta = rss_bytes() - rss_before
    assert len(cache.store) == objects, len(cache.store)

    received: dict[ResourceKey, float] = {}
    done = asyncio.Event()

    def on_change(event: CacheEvent) -> None:
        received.setdefault(event.key, time.monotonic())
        if len(received) >= burst:
            done.set()

    cache.subscribe(on_change)
    assert server.stdin is not None and server.stdout is not None
    server.stdin.write(f"burst {burst}\n")
    server.stdin.flush()
    with LoopLag() as burst_lag:
        await asyncio.wait_for(done.wait(), 120)
    burst_end = float((await asyncio.to_thread(server.stdout.readline)).split()[1])
    since_commit = sorted(
        (at - float(cache.get(key)["metadata"]["annotations"][SENT_AT])) * 1000  # type: ignore[index]
        for key, at in received.items()
    )
    since_sent = sorted((at - burst_end) * 1000 for at in received.values())
    await cache.aclose()
    return {
        "sync_seconds": elapsed,
        "rss_per_object": rss_delta / objects,
        "latency_ms": percentiles(since_sent),
        "commit_latency_ms": percentiles(since_commit),
        "loop_lag_ms": {"sync": lag.worst * 1000, "burst": burst_lag.worst * 1000},
    }


def percentiles(values: list[float]) -> dict[str, float]:
    return {"p50": statistics.median(values), "p99": values[max(0, int(len(values) * 0.99) - 1)], "max": values[-1]}


def list_seconds(kubeconfig: str, page_size: int) -> float:
    """A plain paged list of every Pod (no cache): how much of the sync time is the server's."""
    client = ClusterClient.from_kubeconfig(load_kubeconfig(kubeconfig), settings=ClientSettings(page_size=page_size))
    resource = client.mapper.resource_for("v1", "Pod")
    started = time.perf_counter()
    client.list(resource)
    return time.perf_counter() - started


async def memory_run(kubeconfig: str, objects: int, page_size: int) -> dict[str, Any]:
    gc.collect()
    tracemalloc.start()
    baseline = tracemalloc.get_traced_memory()[0]
    cache, _ = await synced_cache(kubeconfig, page_size)
    gc.collect()
    retained = tracemalloc.get_traced_memory()[0] - baseline
    tracemalloc.stop()
    json_bytes = sum(len(cache.store.entry(k).raw) for k in cache.store)  # type: ignore[union-attr]
    await cache.aclose()
    return {
        "bytes_per_object": retained / objects,
        "json_per_object": json_bytes / objects,
        "overhead_per_object": (retained - json_bytes) / objects,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=20_000)
    parser.add_argument("--burst", type=int, default=1_000)
    parser.add_argument("--page-size", type=int, default=ClientSettings().page_size, help="list page size (limit)")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve is not None:
        serve(args.serve)
        return 0
    server, kubeconfig = start_server("--serve", str(args.objects), module="benchmarks.bench_cache")
    try:
        plain_list = list_seconds(kubeconfig, args.page_size)
        timed = asyncio.run(timed_run(server, kubeconfig, args.objects, min(args.burst, args.objects), args.page_size))
        memory = asyncio.run(memory_run(kubeconfig, args.objects, args.page_size))
    finally:
        stop_server(server, "quit")
    latency = timed["latency_ms"]
    print(f"bench_cache: {args.objects} Pods, list pages of {args.page_size}")
    print(
        f"  start → synced:            {timed['sync_seconds']:.2f} s "
        f"(a plain paged list of the same objects takes {plain_list:.2f} s)"
    )
    print(
        f"  worst event-loop stall:    {timed['loop_lag_ms']['sync']:.1f} ms while syncing, "
        f"{timed['loop_lag_ms']['burst']:.1f} ms during the burst"
    )
    print(
        f"  memory per object:         {memory['bytes_per_object'] / 1024:.2f} KiB traced "
        f"(JSON kept {memory['json_per_object'] / 1024:.2f} KiB + overhead "
        f"{memory['overhead_per_object'] / 1024:.2f} KiB; target overhead ≤ 3 KiB)"
    )
    print(f"  RSS growth per object:     {timed['rss_per_object'] / 1024:.2f} KiB (includes allocator slack)")
    commit = timed["commit_latency_ms"]
    print(
        f"  burst of {args.burst} changes, server sends → callback: p50 {latency['p50']:.1f} ms, "
        f"p99 {latency['p99']:.1f} ms, max {latency['max']:.1f} ms"
    )
    print(
        f"  same, from each change's commit (includes the sandbox's time to commit the whole burst): "
        f"p50 {commit['p50']:.1f} ms, p99 {commit['p99']:.1f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
