"""First-sync throughput: N apps x 20 resources, all automated, synced from scratch by the production reconciler.

    python -m benchmarks.bench_sync [--apps 100] [--apps 1000]    (sizes run one after another)
    python -m benchmarks bench_sync                               (100, then 1000)

Each size gets its own sandbox (in a child process, with simulated controllers so Deployments roll out),
its own bare Git repository (file://) holding one folder per app, and a reconciler built as the console
builds it (engine/console.py `build_reconciler`: the sync executor, Leases, history in the cluster). Every
app has `syncPolicy.automated`, so starting the reconciler is all it takes. Measured from `start()`:

- until every app is Synced (its first sync succeeded and the compare after it agrees), in apps/s,
  against Argo CD's published ~20 apps/s (tuned, sharded controllers on far bigger machines);
- until every app is also Healthy (the Deployments rolled out), reported apart: it includes the simulated
  controllers' rollout time, which is the sandbox's, not ours;
- the requests the sandbox served (by verb) and their rate; the console's peak RSS; the loop's worst stall.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.bench_reconciler import NAMESPACES, RESOURCES_PER_APP, app_manifests
from benchmarks.looplag import LoopLag
from gitops_tui.cluster.client import ClientSettings, ClusterClient
from gitops_tui.cluster.errors import Target
from gitops_tui.cluster.kubeconfig import load_kubeconfig
from gitops_tui.engine.console import build_reconciler
from gitops_tui.engine.reconciler import ReconcilerSettings
from gitops_tui.model import AppSource, AppSpec, Destination, HealthStatus, OperationPhase, SyncPolicy, SyncStatus
from gitops_tui.source.git import MirrorPool

ARGO_CD_APPS_PER_SECOND = 20.0
DEFAULT_SIZES = (100, 1000)
DEADLINE = 1800.0
STALL = 120.0
"""Seconds without one more app Synced before the benchmark stops and says which apps are left, and why."""
"""Seconds one size may take before the benchmark gives up and says how far it got."""


def bench_manifests(index: int) -> list[dict[str, Any]]:
    """bench_reconciler's 20 objects per app, with one replica per Deployment (a thousand rollouts is plenty)."""
    objects = copy.deepcopy(app_manifests(index))
    for obj in objects:
        if obj["kind"] == "Deployment":
            obj["spec"]["replicas"] = 1
    return objects


# ---- the sandbox, in a child process -----------------------------------------------------------------


def serve(speed: float) -> None:
    from gitops_tui.sandbox.runtime import Sandbox

    with Sandbox(controllers=True, speed=speed, bookmark_interval=1.0) as sandbox:
        print(json.dumps({"kubeconfig": str(sandbox.kubeconfig_path)}), flush=True)
        sys.stdin.readline()  # until the parent is done


def start_server(speed: float) -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, "-m", "benchmarks.bench_sync", "--serve", "--speed", str(speed)]
    server = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    return server, json.loads(server.stdout.readline())["kubeconfig"]


def stop_server(server: subprocess.Popen[str]) -> None:
    assert server.stdin is not None
    server.stdin.write("done\n")
    server.stdin.close()
    server.wait(timeout=60)


# ---- setup -------------------------------------------------------------------------------------------


def git(*args: str, cwd: Path | None = None) -> None:
    env = {
        **os.environ,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": "Bench",
        "GIT_AUTHOR_EMAIL": "bench@example.test",
        "GIT_COMMITTER_NAME": "Bench",
        "GIT_COMMITTER_EMAIL": "bench@example.test",
    }
    subprocess.run(["git", *args], cwd=cwd, check=True, env=env)


def make_repo(root: Path, apps: int) -> str:
    work, bare = root / "work", root / "apps.git"
    git("init", "-q", "--bare", "--initial-branch=main", str(bare))
    git("init", "-q", "--initial-branch=main", str(work))
    for index in range(apps):
        folder = work / f"app-{index:04d}"
        folder.mkdir()
        (folder / "all.json").write_text(
            json.dumps({"apiVersion": "v1", "kind": "List", "items": bench_manifests(index)}, indent=1)
        )
    git("add", "-A", cwd=work)
    git("commit", "-q", "-m", "apps", cwd=work)
    git("push", "-q", str(bare), "main", cwd=work)
    return bare.as_uri()


def app_specs(url: str, apps: int) -> list[AppSpec]:
    policy = SyncPolicy(automated=True, prune=True)
    return [
        AppSpec(
            f"app-{i:04d}",
            AppSource(url, f"app-{i:04d}"),
            Destination(server="https://kubernetes.default.svc", namespace=f"ns-{i % NAMESPACES:02d}"),
            sync_policy=policy,
        )
        for i in range(apps)
    ]


def request_counts(client: ClusterClient) -> Counter[str]:
    """The sandbox's counts by verb and resource ("patch configmaps")."""
    return Counter(
        client.request_json(
            "GET", "/_sandbox/requests", Target("read the sandbox's request counts"), query=[("by", "resource")]
        )
    )


def cpu_seconds(pid: int | None = None) -> float:
    """User + system CPU time of a process (this one by default), from /proc."""
    with open(f"/proc/{pid or 'self'}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def describe_stragglers(reconciler: Any, limit: int = 5) -> None:
    left = [state for state in reconciler.snapshot().values() if state.sync is not SyncStatus.SYNCED]
    for state in left[:limit]:
        activity = reconciler.activity(state.spec.name)
        operation = activity.operation
        said = (
            f"{operation.kind} #{operation.id} {operation.phase.value}: {operation.message}"
            if operation
            else "no operation"
        )
        print(
            f"    {state.spec.name}: {state.sync.value}/{state.health.status.value} compared "
            f"{'yes' if state.compared_at else 'no'}; error {state.error or '-'}; {said}; auto-sync "
            f"{activity.auto_sync} {activity.auto_sync_note or ''} {activity.auto_sync_by or ''}"
        )
        for resource in [r for r in state.resources if r.sync is not SyncStatus.SYNCED][:3]:
            key = resource.key
            print(f"      {key.kind} {key.namespace}/{key.name}: {resource.sync.value}: {resource.reason or '-'}")
    print(f"    ({len(left)} apps not Synced)")


# ---- one size ----------------------------------------------------------------------------------------


async def run(kubeconfig: str, apps: int, workdir: Path, server_pid: int, healthy_grace: float) -> None:
    config = load_kubeconfig(kubeconfig)
    admin = ClusterClient.from_kubeconfig(config, settings=ClientSettings(read_timeout=60))
    url = await asyncio.to_thread(make_repo, workdir / "repo", apps)
    for index in range(NAMESPACES):  # as an administrator would, before pointing the console at them
        await asyncio.to_thread(admin.ensure_namespace, f"ns-{index:02d}")
    reconciler = build_reconciler(
        app_specs(url, apps),
        config,
        pool=MirrorPool(workdir / "mirrors"),
        settings=ReconcilerSettings(poll_interval=3600, poll_jitter=0),
    )
    lag = LoopLag()
    lag.start()
    counts_before = await asyncio.to_thread(request_counts, admin)
    cpu_before = cpu_seconds(), cpu_seconds(server_pid)
    started = time.perf_counter()
    await reconciler.start()
    synced_at = healthy_at = None
    at_synced: tuple[Counter[str], float, float, float] | None = None
    progress_at = moved_at = started
    healthy = last_synced = 0
    while time.perf_counter() - started < DEADLINE:
        states = list(reconciler.snapshot().values())
        synced = sum(s.sync is SyncStatus.SYNCED for s in states)
        healthy = sum(s.sync is SyncStatus.SYNCED and s.health.status is HealthStatus.HEALTHY for s in states)
        now = time.perf_counter()
        if synced_at is None and synced == apps:
            synced_at = now
            # What the sync itself cost: requests and CPU until the last app is Synced (not the rollouts after).
            counts = await asyncio.to_thread(request_counts, admin)
            at_synced = (
                counts - counts_before,
                now - started,
                cpu_seconds() - cpu_before[0],
                cpu_seconds(server_pid) - cpu_before[1],
            )
        if healthy == apps:
            healthy_at = now
            break
        if synced_at is not None and now - synced_at > healthy_grace:
            break  # the sandbox's simulated rollouts are not what is measured here
        if synced != last_synced:
            last_synced, moved_at = synced, now
        elif synced_at is None and now - moved_at > STALL:
            print(f"  no app became Synced for {STALL:.0f} s: stopping; the first apps left behind:")
            describe_stragglers(reconciler)
            break
        if now - progress_at >= 10:
            progress_at = now
            print(f"  {now - started:6.1f} s: {synced} Synced, {healthy} Synced and Healthy", flush=True)
        await asyncio.sleep(0.5)  # a thousand states looked at ten times a second cost the console 7% of its CPU
    if at_synced is None:
        counts = await asyncio.to_thread(request_counts, admin)
        at_synced = (
            counts - counts_before,
            time.perf_counter() - started,
            cpu_seconds() - cpu_before[0],
            cpu_seconds(server_pid) - cpu_before[1],
        )
    counts, elapsed, console_cpu, server_cpu = at_synced
    operations = Counter(
        op.phase.value for name in reconciler.snapshot() if (op := reconciler.activity(name).operation) is not None
    )
    failures = [
        op.message
        for name in reconciler.snapshot()
        if (op := reconciler.activity(name).operation) is not None and op.phase is not OperationPhase.SUCCEEDED
    ]
    # Stalled: automated apps left OutOfSync with no operation at all (nothing ever started their sync).
    stalled = [
        name
        for name, state in reconciler.snapshot().items()
        if state.sync is not SyncStatus.SYNCED and reconciler.activity(name).operation is None
    ]
    if stalled:
        print(f"  stalled (not Synced, no operation): {len(stalled)}; the first of them:")
        describe_stragglers(reconciler)
    lag.stop()
    await reconciler.stop()
    admin.close()

    print(f"{apps} apps x {RESOURCES_PER_APP} resources, first sync of all (automated):")
    if synced_at is None:
        print(
            f"  NOT all Synced within {DEADLINE:.0f} s; operations: {dict(operations)}; first failures: {failures[:3]}"
        )
    else:
        seconds = synced_at - started
        rate = apps / seconds
        print(
            f"  all Synced after {seconds:.1f} s: {rate:.1f} apps/s "
            f"({rate / ARGO_CD_APPS_PER_SECOND:.2f}x Argo CD's published ~{ARGO_CD_APPS_PER_SECOND:.0f} apps/s)"
        )
    if healthy_at is not None:
        print(
            f"  all Synced and Healthy after {healthy_at - started:.1f} s "
            f"(includes the simulated controllers' rollouts)"
        )
    elif synced_at is not None:
        print(
            f"  {healthy} of {apps} Healthy {healthy_grace:.0f} s after the last was Synced (the sandbox's simulated "
            "controllers roll out slower than we sync)"
        )
    total = sum(counts.values())
    by_verb: Counter[str] = Counter()
    for what, n in counts.items():
        by_verb[what.split()[0]] += n
    verbs = ", ".join(f"{verb} {n}" for verb, n in by_verb.most_common())
    print(
        f"  until all Synced, requests served: {total} in {elapsed:.1f} s ({total / elapsed:.0f}/s; "
        f"{total / apps:.1f} per app): {verbs}"
    )
    print(f"  per app: {', '.join(f'{what} {n / apps:.1f}' for what, n in counts.most_common(14))}")
    print(
        f"  CPU until then: console {console_cpu:.1f} s ({console_cpu / elapsed:.0%} of a core, "
        f"{console_cpu / apps * 1000:.0f} ms per app), sandbox {server_cpu:.1f} s ({server_cpu / elapsed:.0%}); "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    print(
        f"  operations: {dict(operations)}; stalled apps (not Synced, no operation): {len(stalled)}; "
        f"console peak RSS {peak_rss_bytes() / 2**20:.0f} MiB; "
        f"worst loop stall {lag.worst * 1000:.0f} ms",
        flush=True,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, action="append", help="apps to sync; repeat for several sizes")
    parser.add_argument("--speed", type=float, default=20.0, help="the simulated controllers' time factor")
    parser.add_argument(
        "--healthy-grace", type=float, default=120.0, help="seconds to wait for Healthy once every app is Synced"
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    # Known arguments only: `python -m benchmarks bench_sync` leaves the module's name in sys.argv.
    args, _ = parser.parse_known_args(argv)
    if args.serve:
        serve(args.speed)
        return
    for apps in args.apps or DEFAULT_SIZES:
        server, kubeconfig = start_server(args.speed)
        try:
            with tempfile.TemporaryDirectory(prefix="bench-sync-") as workdir:
                asyncio.run(run(kubeconfig, apps, Path(workdir), server.pid, args.healthy_grace))
        finally:
            stop_server(server)


if __name__ == "__main__":
    main()
