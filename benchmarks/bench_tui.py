"""The console with 1,000 apps x 20 resources: time to first paint, key-press latency, memory.

CPU under 100 live changes a second, on a real reconciler and sandbox: benchmarks/bench_tui_churn.py.

The apps are constructed AppStates served from memory (`StaticSource`), so the figures are the
console's own: building rows, drawing visible lines, reacting to keys. Targets: first paint < 1 s,
p99 key-press-to-screen < 50 ms while moving through the tree, memory < 200 MB for the fleet.

    python -m benchmarks.bench_tui [--apps 1000] [--resources 20] [--presses 300] [--churn SECONDS]

`--churn SECONDS` also measures the UI's own CPU under churn, in this process and without a terminal
(Textual's headless driver composes every frame but writes none): `--rate` apps a second flip between
Synced and OutOfSync (their Deployment row with them), each with an event, delivered in ten batches a
second as the reconciler's change feed does. It is the UI's share without the engine's and without the
noise of subtracting two whole-process runs (bench_tui_churn.py measures those, on a real reconciler).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
import tracemalloc
from dataclasses import replace
from datetime import UTC, datetime

from gitops_tui.model import (
    AppState,
    ClusterFreshness,
    Event,
    Health,
    HealthStatus,
    ResourceKey,
    ResourceState,
    Severity,
    SyncStatus,
)
from gitops_tui.tui.app import GitOpsApp
from gitops_tui.tui.screenshots import NOW, StaticSource, commit, fixed_clock, spec

KINDS = ["Deployment", "Service", "ConfigMap", "Secret", "Ingress"]


def fleet(apps: int, resources: int) -> StaticSource:
    states = {}
    for index in range(apps):
        name = f"app-{index:04d}"
        drifted = index % 7 == 0
        members = tuple(
            ResourceState(
                ResourceKey("", KINDS[r % len(KINDS)], name, f"{name}-{r}"),
                SyncStatus.OUT_OF_SYNC if drifted and r == 0 else SyncStatus.SYNCED,
                Health(HealthStatus.DEGRADED if index % 11 == 0 and r == 0 else HealthStatus.HEALTHY),
            )
            for r in range(resources)
        )
        worst = max((m.health.status for m in members if m.health), key=lambda s: s.severity)
        states[name] = AppState(
            spec(name, name),
            SyncStatus.OUT_OF_SYNC if drifted else SyncStatus.SYNCED,
            Health(worst),
            commit(index % 50, f"{name}: change"),
            members,
            "",
            NOW,
        )
    return StaticSource(states)


async def measure(apps: int, resources: int, presses: int) -> dict[str, float]:
    source = fleet(apps, resources)
    started = time.perf_counter()
    app = GitOpsApp(source, clock=fixed_clock)
    results: dict[str, float] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        results["first_paint_s"] = time.perf_counter() - started
        harness = []
        for index in range(min(presses, 60)):
            before = time.perf_counter()
            await pilot.press("j" if index < 30 else "k")
            harness.append(time.perf_counter() - before)
        results["pilot_press_p50_ms"] = statistics.median(harness) * 1000
        # The console's own share of a key press: the action, the details it shows, and drawing every
        # visible tree line (Pilot's press adds Textual's idle wait, which is the same for 7 apps or 1,000).
        tree = app.tree
        latencies, cpu = [], []
        for index in range(presses):
            before, cpu_before = time.perf_counter(), time.thread_time()
            if index % 25 == 0:
                tree.action_expand() if index % 50 == 0 else tree.action_collapse()
            else:
                tree.action_cursor(1 if (index // 100) % 2 == 0 else -1)
            if tree.selected is not None:
                app.selection = (tree.selected.app, tree.selected.identity[2])
            app._show_details()
            for y in range(tree.size.height):
                tree.render_line(y)
            latencies.append(time.perf_counter() - before)
            cpu.append(time.thread_time() - cpu_before)
        latencies.sort()
        cpu.sort()
        results["key_p50_ms"] = statistics.median(latencies) * 1000
        results["key_p99_ms"] = latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000
        # The CPU a press took: on a shared machine the wall-clock p99 includes waiting for a core.
        results["key_cpu_p99_ms"] = cpu[max(0, int(len(cpu) * 0.99) - 1)] * 1000
    return results


def flipped(state: AppState) -> AppState:
    """The app with its first resource (and so the app) gone OutOfSync, or back in sync."""
    drift = SyncStatus.SYNCED if state.sync is SyncStatus.OUT_OF_SYNC else SyncStatus.OUT_OF_SYNC
    first, *rest = state.resources
    return replace(state, sync=drift, resources=(replace(first, sync=drift), *rest))


async def measure_churn(apps: int, resources: int, seconds: float, rate: int) -> dict[str, float]:
    """% of a core the UI used while `rate` apps a second changed (ten batches a second)."""
    source = fleet(apps, resources)
    source.clusters = [ClusterFreshness("bench", True, 0.5, True)]
    order = sorted(source.states)
    random.Random(7).shuffle(order)
    other = {name: flipped(state) for name, state in source.states.items()}
    app = GitOpsApp(source)  # the real clock: the header's countdown moves as it does in use
    per_batch = max(1, rate // 10)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await asyncio.sleep(1.0)  # first paint and the first diff are not what is measured
        started, cpu_before = time.monotonic(), time.process_time()
        batches = changes = 0
        while (now := time.monotonic()) - started < seconds:
            await asyncio.sleep(max(0.0, started + (batches + 1) * 0.1 - now))  # on a schedule: 10 a second
            at = datetime.now(UTC)
            batch, events = [], []
            for _ in range(per_batch):
                name = order[changes % len(order)]
                changes += 1
                new, other[name] = other[name], source.states[name]
                batch.append(new)
                events.append(Event(at, name, Severity.WARNING, f"{name}: {other[name].sync} → {new.sync}"))
            source.publish(batch, events)
            batches += 1
        await pilot.pause()
        took, cpu = time.monotonic() - started, time.process_time() - cpu_before
    return {"cpu_pct": cpu / took * 100, "changes_per_s": changes / took, "batches_per_s": batches / took}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=1000)
    parser.add_argument("--resources", type=int, default=20)
    parser.add_argument("--presses", type=int, default=300)
    parser.add_argument("--churn", type=float, default=0.0, help="seconds of churn to measure the UI's CPU")
    parser.add_argument("--rate", type=int, default=100, help="app changes a second during --churn")
    parser.add_argument("--runs", type=int, default=3, help="churn runs (the median is reported)")
    args, _ = parser.parse_known_args()
    # Timings without tracemalloc (it slows every allocation several times over); memory in a run of its own.
    results = asyncio.run(measure(args.apps, args.resources, args.presses))
    tracemalloc.start()
    asyncio.run(measure(args.apps, args.resources, 30))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"{args.apps} apps x {args.resources} resources, 120x40")
    print(f"  first paint          {results['first_paint_s'] * 1000:8.0f} ms   (target < 1000)")
    print(f"  Pilot press p50      {results['pilot_press_p50_ms']:8.1f} ms   (Textual's test harness included)")
    print(f"  key press p50        {results['key_p50_ms']:8.1f} ms   (action + details + drawing the tree)")
    print(f"  key press p99        {results['key_p99_ms']:8.1f} ms   (target < 50)")
    print(f"  key press p99 CPU    {results['key_cpu_p99_ms']:8.1f} ms   (the same presses in CPU time)")
    print(f"  peak traced memory   {peak / 2**20:8.1f} MB   (target < 200)")
    if args.churn:
        runs = [asyncio.run(measure_churn(args.apps, args.resources, args.churn, args.rate)) for _ in range(args.runs)]
        shown = ", ".join(f"{r['cpu_pct']:.1f}% at {r['changes_per_s']:.0f} changes/s" for r in runs)
        print(f"  UI CPU under churn   {statistics.median(r['cpu_pct'] for r in runs):8.1f} %    ({shown}; headless)")


if __name__ == "__main__":
    main()
