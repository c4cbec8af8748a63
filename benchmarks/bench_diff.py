"""`gitops-tui diff` of a 200-resource app against `kubectl diff -f` of the same manifests.

Both run as whole commands (process start included) against one sandbox in its own process,
alternating, several times; the figure that matters is the ratio of the medians (target >= 5x).
A sixth of the resources are drifted first, so both tools have real diffs to print.

It runs twice: on loopback, and with 20 ms added to every API request (a cluster in another
region, or behind a VPN, as it is for an SRE on a bastion host). kubectl diff asks the server
about every object one after the other; gitops-tui lists each kind once and asks the server to
predict only the objects that differ.

    python -m benchmarks.bench_diff [--resources 200] [--runs 5] [--latency-ms 0,20]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import yaml

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


def git(cwd: Path, *args: str) -> None:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "b@x", "GIT_COMMITTER_NAME": "bench",
           "GIT_COMMITTER_EMAIL": "b@x"}  # fmt: skip
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def timed(command: list[str], env: dict[str, str]) -> tuple[float, int]:
    start = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode not in (0, 1):
        raise RuntimeError(f"{command[0]} failed ({result.returncode}): {result.stderr[-2000:]}")
    return elapsed, result.returncode


def set_latency(kubeconfig: Path, seconds: float) -> None:
    server = yaml.safe_load(kubeconfig.read_text())["clusters"][0]["cluster"]["server"]
    request = urllib.request.Request(
        f"{server}/_sandbox/faults/latency", method="POST", data=json.dumps({"seconds": seconds}).encode()
    )
    urllib.request.urlopen(request, timeout=10).read()


def run(resources: int, runs: int, latencies_ms: list[float]) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as temp_name:
        temp = Path(temp_name)
        kubeconfig = temp / "kubeconfig"
        sandbox = subprocess.Popen(
            [sys.executable, "-m", "gitops_tui.sandbox", "--no-controllers", "--kubeconfig-out", str(kubeconfig)],
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            assert sandbox.stdout is not None
            sandbox.stdout.readline()
            work = temp / "work"
            work.mkdir()
            for rel, text in manifests(resources).items():
                (work / rel).parent.mkdir(parents=True, exist_ok=True)
                (work / rel).write_text(text)
            git(temp, "init", "-q", "--initial-branch=main", str(work))
            git(work, "add", "-A")
            git(work, "commit", "-qm", "bench")
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
            ours = [str(Path(sys.executable).with_name("gitops-tui")), "diff", "bench", "--apps", str(apps)]
            theirs = ["kubectl", "diff", "-n", "bench", "-f", str(work / "app")]
            timed(ours, env)  # first run clones the mirror; steady use is what we compare
            results: dict[str, float] = {}
            for latency in latencies_ms:
                set_latency(kubeconfig, latency / 1000)
                mine, kubectl = [], []
                for _ in range(runs):
                    mine.append(timed(ours, env)[0])
                    kubectl.append(timed(theirs, env)[0])
                tag = f"{latency:g}ms"
                results.update({
                    f"{tag}: gitops-tui diff median s": statistics.median(mine),
                    f"{tag}: gitops-tui diff min s": min(mine),
                    f"{tag}: kubectl diff median s": statistics.median(kubectl),
                    f"{tag}: kubectl diff min s": min(kubectl),
                    f"{tag}: speed-up (medians) x": statistics.median(kubectl) / statistics.median(mine),
                })  # fmt: skip
            return results
        finally:
            sandbox.terminate()
            sandbox.wait(10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--latency-ms", default="0,20", help="comma-separated extra latency per API request")
    args = parser.parse_args(argv)
    if not shutil.which("kubectl"):
        print("bench_diff: kubectl is not installed; nothing to compare against")
        return 0
    results = run(args.resources, args.runs, [float(v) for v in args.latency_ms.split(",")])
    print(f"diff of a {args.resources}-resource app, {args.runs} runs each (whole commands, process start included)")
    for name, value in results.items():
        print(f"  {name:34s} {value:8.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
