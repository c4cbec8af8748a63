"""Sandbox API server throughput: 20,000 ConfigMaps across 1,000 namespaces.

Measures, against a sandbox running in its own process (so its memory can be read alone):
create time (concurrent HTTP clients), list-everything time (raw and through the official client),
fan-out latency of one change to 50 concurrent watchers, and the server's resident memory.

    python benchmarks/bench_sandbox.py [--objects 20000] [--namespaces 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

CONCURRENCY = 32
WATCHERS = 50


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def _post_all(session: aiohttp.ClientSession, url: str, bodies: list[tuple[str, dict[str, Any]]]) -> None:
    queue: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()
    for item in bodies:
        queue.put_nowait(item)

    async def worker() -> None:
        while not queue.empty():
            path, body = queue.get_nowait()
            async with session.post(url + path, json=body) as response:
                if response.status != 201:
                    raise RuntimeError(f"{path}: {response.status} {await response.text()}")

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))


async def _create(url: str, objects: int, namespaces: int) -> tuple[float, float]:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CONCURRENCY)) as session:
        started = time.perf_counter()
        await _post_all(
            session, url, [("/api/v1/namespaces", {"metadata": {"name": f"ns-{i}"}}) for i in range(namespaces)]
        )
        ns_done = time.perf_counter()
        bodies = [
            (
                f"/api/v1/namespaces/ns-{i % namespaces}/configmaps",
                {
                    "metadata": {"name": f"cm-{i}", "labels": {"app": f"app-{i % 7}", "bench": "yes"}},
                    "data": {"key": "value " * 8, "index": str(i)},
                },
            )
            for i in range(objects)
        ]
        await _post_all(session, url, bodies)
        return ns_done - started, time.perf_counter() - ns_done


async def _list_raw(url: str) -> tuple[float, int]:
    async with aiohttp.ClientSession() as session:
        started = time.perf_counter()
        async with session.get(url + "/api/v1/configmaps") as response:
            body = await response.read()
        items = len(json.loads(body)["items"])
        return time.perf_counter() - started, items


def _list_official_client(kubeconfig: Path) -> tuple[float, float, int]:
    from kubernetes import client, config

    api = client.CoreV1Api(config.new_client_from_config(config_file=str(kubeconfig)))
    started = time.perf_counter()
    response = api.list_config_map_for_all_namespaces(_preload_content=False)
    items = len(json.loads(response.data)["items"])
    raw = time.perf_counter() - started
    started = time.perf_counter()
    typed = api.list_config_map_for_all_namespaces()
    assert len(typed.items) == items
    return raw, time.perf_counter() - started, items


async def _fan_out(url: str) -> tuple[float, float]:
    """Seconds from one write until all watchers have its event (median over a few writes, and worst)."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=WATCHERS + 4)) as session:
        async with session.get(url + "/api/v1/namespaces/ns-0/configmaps?limit=1") as response:
            rv = (await response.json())["metadata"]["resourceVersion"]
        streams = [
            await session.get(
                url + f"/api/v1/configmaps?watch=true&resourceVersion={rv}&timeoutSeconds=60&labelSelector=bench%3Dyes"
            )
            for _ in range(WATCHERS)
        ]
        latencies = []
        try:
            for round_ in range(5):
                started = time.perf_counter()
                body = {"metadata": {"name": f"probe-{round_}", "labels": {"bench": "yes"}}}
                async with session.post(url + "/api/v1/namespaces/ns-0/configmaps", json=body) as response:
                    assert response.status == 201
                await asyncio.gather(*(stream.content.readline() for stream in streams))
                latencies.append(time.perf_counter() - started)
        finally:
            for stream in streams:
                stream.close()
        latencies.sort()
        return latencies[len(latencies) // 2], latencies[-1]


def _start_stop() -> dict[str, float]:
    """Seconds to start a Sandbox (thread, loop, listening socket, kubeconfig) and to stop it."""
    from gitops_tui.sandbox import Sandbox

    started = time.perf_counter()
    sandbox = Sandbox().start()
    ready = time.perf_counter()
    sandbox.stop()
    return {"sandbox_start_s": ready - started, "sandbox_stop_s": time.perf_counter() - ready}


def _in_process(objects: int, namespaces: int) -> dict[str, float]:
    """The store and list handler without HTTP: what the server itself costs per operation."""
    from gitops_tui.sandbox import handlers
    from gitops_tui.sandbox.routing import Target
    from gitops_tui.sandbox.store import Store

    store = Store()
    for i in range(namespaces):
        store.create("namespaces", {"metadata": {"name": f"ns-{i}"}})
    started = time.perf_counter()
    for i in range(objects):
        store.create(
            "configmaps",
            {
                "metadata": {"name": f"cm-{i}", "labels": {"app": f"app-{i % 7}"}},
                "data": {"key": "value " * 8, "index": str(i)},
            },
            f"ns-{i % namespaces}",
        )
    created = time.perf_counter() - started
    target = Target(store.resolve("configmaps"), "list", "", "", "")
    started = time.perf_counter()
    handlers.list_objects(store, target, {})
    return {"inprocess_creates_per_s": objects / created, "inprocess_list_all_s": time.perf_counter() - started}


def run(objects: int, namespaces: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as temp:
        kubeconfig = Path(temp) / "kubeconfig"
        process = subprocess.Popen(
            [sys.executable, "-m", "gitops_tui.sandbox", "--no-controllers", "--kubeconfig-out", str(kubeconfig)],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert process.stdout is not None
            url = process.stdout.readline().strip().rsplit(" ", 1)[-1]
            results: dict[str, float] = {"rss_idle_mib": _rss_mib(process.pid)}
            ns_seconds, cm_seconds = asyncio.run(_create(url, objects, namespaces))
            results.update(
                create_namespaces_s=ns_seconds, create_objects_s=cm_seconds, creates_per_s=objects / cm_seconds
            )
            raw_list, items = asyncio.run(_list_raw(url))
            assert items == objects, items
            results["list_all_raw_http_s"] = raw_list
            client_raw, client_typed, _ = _list_official_client(kubeconfig)
            results.update(list_all_client_json_s=client_raw, list_all_client_typed_s=client_typed)
            median, worst = asyncio.run(_fan_out(url))
            results.update(watch_fanout_50_median_s=median, watch_fanout_50_worst_s=worst)
            results["rss_loaded_mib"] = _rss_mib(process.pid)
            return results
        finally:
            process.terminate()
            process.wait(10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=20_000)
    parser.add_argument("--namespaces", type=int, default=1_000)
    args = parser.parse_args(argv)
    results = run(args.objects, args.namespaces)
    results.update(_in_process(args.objects, args.namespaces))
    results.update(_start_stop())
    print(f"sandbox: {args.objects} ConfigMaps in {args.namespaces} namespaces")
    for name, value in results.items():
        print(f"  {name:28s} {value:10.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
