"""The console's half of bench_tui_churn: the process it measures (the reconciler, with the real
`GitOpsApp` or without it), which reports on one pipe and is told when to mark, tally and stop on another.

It runs as `python -m benchmarks.bench_tui_churn --console ...` (the driver starts it so), and reports its
threads' CPU-seconds between `mark` and `tally`, by kind of thread, and its RSS at the end.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from pathlib import Path

from benchmarks.fixtures import NAMESPACES, rss_bytes
from gitops_tui.cluster.kubeconfig import load_kubeconfig
from gitops_tui.model import AppSource, AppSpec, Destination


def console_main(
    kubeconfig: str, repo: str, apps: int, workdir: Path, ui: bool, profile: str | None, fds: tuple[int, int]
) -> None:
    """Run in the console's process: the reconciler (and the UI), reporting and told to stop on two pipes."""
    from gitops_tui.engine.console import build_reconciler
    from gitops_tui.engine.reconciler import ReconcilerSettings
    from gitops_tui.source.git import MirrorPool

    status, control = os.fdopen(fds[0], "w", buffering=1), fds[1]
    specs = [
        AppSpec(
            f"app-{i:04d}",
            AppSource(repo, f"app-{i:04d}"),
            Destination(server="https://kubernetes.default.svc", namespace=f"ns-{i % NAMESPACES:02d}"),
        )
        for i in range(apps)
    ]
    reconciler = build_reconciler(
        specs,
        load_kubeconfig(kubeconfig),
        read_only=True,
        settings=ReconcilerSettings(poll_interval=3600, poll_jitter=0),
        pool=MirrorPool(workdir / "mirrors"),
    )

    async def until_compared() -> None:
        while not all(s.compared_at is not None for s in reconciler.snapshot().values()) or not reconciler.snapshot():
            await asyncio.sleep(0.2)

    async def run() -> None:
        loop = asyncio.get_running_loop()
        stop = loop.create_future()
        marked: dict[int, tuple[str, float]] = {}
        tallied: dict[int, tuple[str, float]] = {}

        def on_control() -> None:
            for word in os.read(control, 64).decode().split():
                if word == "mark":  # the churn starts: per-thread CPU counts from here...
                    marked.clear()
                    marked.update(thread_cpu())
                elif word == "tally":  # ...until here, when it ends
                    tallied.clear()
                    tallied.update(thread_cpu())
                elif not stop.done():
                    stop.set_result(word)

        loop.add_reader(control, on_control)
        profiler = None
        if ui:
            from gitops_tui.tui.app import GitOpsApp

            app = GitOpsApp(reconciler)
            shown = asyncio.ensure_future(app.run_async())
        else:
            await reconciler.start()
        await until_compared()
        status.write(json.dumps({"ready": time.time()}) + "\n")
        if profile:
            import cProfile

            profiler = cProfile.Profile(time.thread_time)  # the loop's CPU, not the time other processes took
            profiler.enable()
        await stop
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(profile)
        status.write(json.dumps({"rss": rss_bytes(), "threads": thread_groups(marked, tallied or thread_cpu())}) + "\n")
        if ui:
            app.exit(0)
            await shown
        else:
            await reconciler.stop()

    asyncio.run(run())


def thread_cpu() -> dict[int, tuple[str, float]]:
    """CPU-seconds of each live thread of this process so far, by thread id, with its name."""
    seconds = {}
    for thread in threading.enumerate():
        if thread.ident is None:
            continue
        try:
            seconds[thread.ident] = (thread.name, time.clock_gettime(time.pthread_getcpuclockid(thread.ident)))
        except OSError:  # it ended meanwhile
            continue
    return seconds


THREAD_GROUPS = (
    ("MainThread", "event loop"),
    ("textual", "terminal I/O threads (UI)"),
    ("watch", "watch streams"),
    ("reconciler-cluster", "cluster requests"),
    ("reconciler-compare", "compare threads"),
)


def thread_groups(before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]) -> dict[str, float]:
    """CPU-seconds between two `thread_cpu` readings per kind of thread (threads that ended are not counted)."""
    groups: dict[str, float] = {}
    for ident, (name, used) in after.items():
        group = next((label for prefix, label in THREAD_GROUPS if name.startswith(prefix)), "other threads")
        groups[group] = groups.get(group, 0.0) + used - before.get(ident, (name, 0.0))[1]
    return groups
