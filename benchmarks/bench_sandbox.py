"""Sandbox API server throughput: 20,000 ConfigMaps across 1,000 namespaces.

Measures, against a sandbox running in its own process (so its memory can be read alone):
create time (concurrent HTTP clients), list-everything time (raw and through the official client),
fan-out latency of one change to 50 concurrent watchers, and the server's resident memory.

    python benchmarks/bench_sandbox.py [--objects 20000] [--namespaces 1000]

With `--rollouts N`, the simulated controllers instead (in process, no HTTP): N Deployments (one
replica) with a Service each, across 20 namespaces, created at once as a thousand-app first sync
does; until every rollout completes: real seconds, controller CPU per rollout, how many Deployments
were ever reported ProgressDeadlineExceeded (must be 0), and how long simulated time stood still
waiting for the controllers.

    python -m benchmarks.bench_sandbox --rollouts 1000 [--speed 20]
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
ROLLOUT_NAMESPACES = 20


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


def _rollout_objects(index: int) -> list[tuple[str, dict[str, Any]]]:
    name, namespace = f"app-{index:04d}", f"ns-{index % ROLLOUT_NAMESPACES:02d}"
    labels = {"app": name}
    container = {"name": "web", "image": f"registry.example.com/{name}:1.0", "ports": [{"containerPort": 8080}]}
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}},
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"selector": labels, "ports": [{"port": 80, "targetPort": 8080}]},
    }
    return [("deployments.apps", deployment), ("services", service)]


async def _rollouts(count: int, speed: float) -> dict[str, float]:
    from gitops_tui.sandbox.controllers.clock import SimClock
    from gitops_tui.sandbox.controllers.runner import ControllerRunner
    from gitops_tui.sandbox.store import Store

    clock = SimClock(speed)
    store = Store(clock=clock.now)
    for index in range(ROLLOUT_NAMESPACES):
        store.create("namespaces", {"metadata": {"name": f"ns-{index:02d}"}})
    runner = ControllerRunner(store, clock, nodes=2)
    timed_out: set[str] = set()
    completed: set[str] = set()

    def watch(event: Any) -> None:
        if event.resource != "deployments.apps":
            return
        reasons = {c.get("reason") for c in (event.obj.get("status") or {}).get("conditions") or []}
        if "ProgressDeadlineExceeded" in reasons:
            timed_out.add(event.obj["metadata"]["name"])
        if "NewReplicaSetAvailable" in reasons:
            completed.add(event.obj["metadata"]["name"])

    store.subscribe(watch)
    await runner.start()
    started, cpu, sim_started = time.perf_counter(), time.process_time(), clock.sim_now()
    for index in range(count):
        for resource, obj in _rollout_objects(index):
            store.create(resource, obj, obj["metadata"]["namespace"])
    while len(completed | timed_out) < count:
        await asyncio.sleep(0.05)
    elapsed = time.perf_counter() - started
    results = {
        "rollouts_all_done_s": elapsed,
        "rollouts_per_s": count / elapsed,
        "controller_cpu_ms_per_rollout": (time.process_time() - cpu) / count * 1000,
        "ever_progress_deadline_exceeded": float(len(timed_out)),
        "simulated_s_passed": (clock.sim_now() - sim_started).total_seconds(),
        "simulated_time_held_real_s": clock.held_seconds,
    }
    await runner.stop()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=20_000)
    parser.add_argument("--namespaces", type=int, default=1_000)
    parser.add_argument("--rollouts", type=int, help="measure the simulated controllers on this many rollouts instead")
    parser.add_argument("--speed", type=float, default=20.0, help="simulated time factor for --rollouts")
    args = parser.parse_args(argv)
    if args.rollouts:
        results = asyncio.run(_rollouts(args.rollouts, args.speed))
        print(f"sandbox controllers: {args.rollouts} rollouts created at once, {args.speed:g}x simulated time")
        for name, value in results.items():
            print(f"  {name:32s} {value:10.3f}")
        return 0
    results = run(args.objects, args.namespaces)
    results.update(_in_process(args.objects, args.namespaces))
    results.update(_start_stop())
    print(f"sandbox: {args.objects} ConfigMaps in {args.namespaces} namespaces")
    for name, value in results.items():
        print(f"  {name:28s} {value:10.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
