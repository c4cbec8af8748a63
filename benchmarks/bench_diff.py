"""`gitops-tui diff` of a 200-resource app against `kubectl diff -f` of the same manifests.

Three contenders run as whole commands (process start included) against one sandbox in its own
process, in turn, several times; the figures that matter are the ratios of the medians (target >= 5x):

- kubectl diff: asks the server about every object, one after the other;
- gitops-tui diff, standalone (`--no-console`): reads Git, lists each kind once and asks the server to
  predict only the objects that differ, with discovery from its copy on disk (written by the warm-up run,
  as kubectl's is); it pays for importing the kubernetes client and GitPython;
- gitops-tui diff answered by a running console (`gitops-tui watch` for the same apps and kubeconfig):
  the console refreshes Git and answers from its watch cache over a Unix socket, as `argocd app diff`
  asks the Argo CD server; the command itself imports only the standard library.

Wall time is the target; CPU time (user + system of the command and its children) is reported beside it
because it is the steadier figure on a busy machine, and so is what answering cost the console (its CPU,
its `git` runs included, while the served command ran).

A sixth of the resources are drifted first, so every tool has real diffs to print, and the two gitops-tui
outputs are checked to be byte-identical. It runs on loopback, and with 20 ms added to every API request
(a cluster in another region, or behind a VPN, as it is for an SRE on a bastion host).

    python -m benchmarks.bench_diff [--resources 200] [--runs 5] [--latency-ms 0,20] [--no-console-run]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import yaml

from benchmarks.fixtures import commit_all, sandbox_server
from gitops_tui.cluster.client import ClusterClient
from gitops_tui.cluster.kubeconfig import load_kubeconfig

ROOT = Path(__file__).resolve().parents[1]


def manifests(count: int) -> dict[str, str]:
    """A mix of Deployments, Services and ConfigMaps, one file per object, as repositories often hold them."""
    files = {}
    for i in range(count):
        kind = ("Deployment", "Service", "ConfigMap")[i % 3]
        name = f"part-{i:03d}"
        if kind == "Deployment":
            body = (
                f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, labels: {{app: {name}}}}}\n"
                f"spec:\n  replicas: 2\n  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n"
                f"    metadata: {{labels: {{app: {name}}}}}\n    spec:\n      containers:\n"
                f"        - name: app\n          image: registry.example/{name}:1.0\n"
                "          ports: [{containerPort: 8080}]\n          resources: {requests: {cpu: 100m, memory: 64Mi}}\n"
            )
        elif kind == "Service":
            body = (
                f"apiVersion: v1\nkind: Service\nmetadata: {{name: {name}}}\n"
                f"spec:\n  selector: {{app: {name}}}\n  ports: [{{port: 80, targetPort: 8080}}]\n"
            )
        else:
            body = f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}}}\ndata: {{LEVEL: info, INDEX: '{i}'}}\n"
        files[f"app/{name}.yaml"] = body
    return files


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall time and CPU time (user + system, the command and its children) of one whole command, and
    what it printed. CPU time is the steadier figure on a shared machine: waiting for a core is not in it."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode not in (0, 1):
        raise RuntimeError(f"{command[0]} failed ({result.returncode}): {result.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu, result.stdout


def start_console(apps: Path, env: dict[str, str], temp: Path) -> tuple[subprocess.Popen[str], dict[str, str]]:
    """`gitops-tui watch` on the same apps and kubeconfig (its own Git cache); the env that finds its socket."""
    runtime = temp / "run"
    runtime.mkdir(mode=0o700)
    console_env = {**env, "XDG_RUNTIME_DIR": str(runtime), "XDG_CACHE_HOME": str(temp / "console-cache")}
    console = subprocess.Popen(
        [sys.executable, "-m", "gitops_tui.cli", "watch", "--apps", str(apps)],
        env=console_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    return console, {**env, "XDG_RUNTIME_DIR": str(runtime)}


def wait_for_console(apps: Path, env: dict[str, str], timeout: float = 180.0) -> None:
    """Until the console answers `diff bench` (its caches are filled and its first compare is done)."""
    from gitops_tui.cli.console_address import address_of
    from gitops_tui.cli.console_client import exchange
    from gitops_tui.engine.query_protocol import request, socket_path

    key = address_of([str(apps)], environ=env).key
    path = socket_path(key, env)
    deadline = time.monotonic() + timeout
    reply: dict[str, object] = {"reason": "no socket yet"}
    while time.monotonic() < deadline:
        if path.exists():
            try:
                reply = exchange(str(path), request(key, "diff", ["bench"]), 30.0)
            except OSError as exc:
                reply = {"reason": str(exc)}
            if reply.get("ok"):
                return
        time.sleep(0.5)
    raise RuntimeError(f"the console did not answer within {timeout:g} s: {reply.get('reason')}")


def set_latency(kubeconfig: Path, seconds: float) -> None:
    server = yaml.safe_load(kubeconfig.read_text())["clusters"][0]["cluster"]["server"]
    request = urllib.request.Request(
        f"{server}/_sandbox/faults/latency", method="POST", data=json.dumps({"seconds": seconds}).encode()
    )
    urllib.request.urlopen(request, timeout=10).read()


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system, all threads, and the children it waited for: its `git` runs) a running
    process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


class Figures:
    """Wall and CPU seconds per contender over the runs of one latency."""

    def __init__(self) -> None:
        self.wall: dict[str, list[float]] = {}
        self.cpu: dict[str, list[float]] = {}

    def add(self, who: str, wall: float, cpu: float) -> None:
        self.wall.setdefault(who, []).append(wall)
        self.cpu.setdefault(who, []).append(cpu)

    def medians(self, tag: str) -> dict[str, float]:
        results: dict[str, float] = {}
        wall = {who: statistics.median(v) for who, v in self.wall.items()}
        cpu = {who: statistics.median(v) for who, v in self.cpu.items()}
        for who in wall:
            if not who.startswith("console "):  # the console's share has no wall time of its own
                results[f"{tag}: {who} median wall s"] = wall[who]
            results[f"{tag}: {who} median CPU s"] = cpu[who]
            if who != "kubectl diff" and not who.startswith("console "):
                results[f"{tag}: {who} speed-up x (wall)"] = wall["kubectl diff"] / wall[who]
                results[f"{tag}: {who} speed-up x (CPU)"] = cpu["kubectl diff"] / cpu[who]
        return results


def measure(runs: int, latencies_ms: list[float], kubeconfig: Path, env: dict[str, str],
            served_env: dict[str, str] | None, console_pid: int | None, standalone: list[str], ours: list[str],
            theirs: list[str]) -> dict[str, float]:  # fmt: skip
    results: dict[str, float] = {}
    for latency in latencies_ms:
        set_latency(kubeconfig, latency / 1000)
        figures = Figures()
        for _ in range(runs):
            wall, cpu, printed = timed(standalone, env)
            figures.add("standalone", wall, cpu)
            if served_env is not None and console_pid is not None:
                console_before = process_cpu(console_pid)
                wall, cpu, answered = timed(ours, served_env)
                if answered != printed:
                    raise RuntimeError("the console's diff differs from the standalone one")
                figures.add("console-served", wall, cpu)
                # What answering cost the console (its own work between questions included: a few ms).
                figures.add("console answering it", 0.0, process_cpu(console_pid) - console_before)
            wall, cpu, _ = timed(theirs, env)
            figures.add("kubectl diff", wall, cpu)
        results.update(figures.medians(f"{latency:g}ms"))
    return results


def run(resources: int, runs: int, latencies_ms: list[float], with_console: bool = True) -> dict[str, float]:
    # The sandbox (benchmarks/fixtures.py) in a process of its own, stopped after the console.
    with tempfile.TemporaryDirectory() as temp_name, sandbox_server() as kubeconfig_path:
        temp, kubeconfig = Path(temp_name), Path(kubeconfig_path)
        work = temp / "work"
        work.mkdir()
        for rel, text in manifests(resources).items():
            (work / rel).parent.mkdir(parents=True, exist_ok=True)
            (work / rel).write_text(text)
        commit_all(work, "bench")
        apps = temp / "apps.yaml"
        apps.write_text(
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: bench}\nspec:\n"
            f"  source: {{repoURL: '{work.as_uri()}', path: app}}\n"
            "  destination: {server: https://kubernetes.default.svc, namespace: bench}\n"
        )
        client = ClusterClient.from_kubeconfig(load_kubeconfig(kubeconfig))
        client.ensure_namespace("bench")
        for i, text in enumerate(manifests(resources).values()):
            obj = yaml.safe_load(text)
            obj["metadata"]["namespace"] = "bench"
            if i % 2 == 0 and obj["kind"] == "ConfigMap":  # every other ConfigMap: a sixth of all
                obj["data"]["LEVEL"] = "debug"  # drift for both tools to find
            client.apply(obj, app="bench")
        client.close()
        env = {**os.environ, "KUBECONFIG": str(kubeconfig), "XDG_CACHE_HOME": str(temp / "cache")}
        env.pop("GITOPS_TUI_NO_CONSOLE", None)
        ours = [str(Path(sys.executable).with_name("gitops-tui")), "diff", "bench", "--apps", str(apps)]
        standalone = [*ours, "--no-console"]
        theirs = ["kubectl", "diff", "-n", "bench", "-f", str(work / "app")]
        timed(standalone, env)  # first run clones the mirror; steady use is what we compare
        console = served_env = None
        if with_console:
            console, served_env = start_console(apps, env, temp)
        try:
            if served_env is not None:
                wait_for_console(apps, served_env)
            pid = console.pid if console is not None else None
            return measure(runs, latencies_ms, kubeconfig, env, served_env, pid, standalone, ours, theirs)
        finally:
            if console is not None:
                console.terminate()
                console.wait(15)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--latency-ms", default="0,20", help="comma-separated extra latency per API request")
    parser.add_argument("--no-console-run", action="store_true", help="skip the console-served contender")
    args = parser.parse_args(argv)
    if not shutil.which("kubectl"):
        print("bench_diff: kubectl is not installed; nothing to compare against")
        return 0
    latencies = [float(v) for v in args.latency_ms.split(",")]
    results = run(args.resources, args.runs, latencies, with_console=not args.no_console_run)
    print(
        f"diff of a {args.resources}-resource app, {args.runs} runs each (whole commands, process start included;"
        f" load average at the end {os.getloadavg()[0]:.2f})"
    )
    for name, value in results.items():
        print(f"  {name:48s} {value:8.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
