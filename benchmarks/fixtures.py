"""What the benchmarks share: a sandbox API server in a child process, Git repositories of many apps, and
the cluster seeded with those apps' objects.

    python -m benchmarks.fixtures [--controllers] [--speed S]

runs the sandbox child on its own: it prints `{"kubeconfig": PATH}` once serving, and serves until a line
(or the end) on its stdin. The sandbox runs in a child process so that a benchmark's CPU and memory figures
hold the code it measures, not the server's. Not a benchmark itself: `python -m benchmarks` runs only
`bench_*` modules.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the sandbox child needs no client
    from gitops_tui.cluster.client import ClusterClient
    from gitops_tui.sandbox.runtime import Sandbox

RESOURCES_PER_APP = 20
NAMESPACES = 20
BOOKMARK_INTERVAL = 1.0
"""Seconds between the sandbox's watch bookmarks, in every benchmark's sandbox."""
GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.test",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.test",
}
"""Git runs alike on every machine: no user or system configuration, one identity."""


# ---- the apps ----------------------------------------------------------------------------------------------


def app_manifests(index: int) -> list[dict[str, Any]]:
    """One app's 20 objects: a Deployment, a Service, a ServiceAccount and 17 ConfigMaps."""
    name, namespace = f"app-{index:04d}", f"ns-{index % NAMESPACES:02d}"
    meta = {"namespace": namespace, "labels": {"app.kubernetes.io/name": name, "team": f"team-{index % 7}"}}
    objects: list[dict[str, Any]] = [
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, **meta},
         "spec": {"replicas": 2, "selector": {"matchLabels": {"app": name}},
                  "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{
                      "name": "web", "image": f"registry.example.com/{name}:1.{index % 9}.0",
                      "ports": [{"containerPort": 8080}], "env": [{"name": "MODE", "value": "fast"}],
                      "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}}}]}}}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, **meta},
         "spec": {"selector": {"app": name}, "ports": [{"port": 80, "targetPort": 8080}]}},
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, **meta}},
    ]  # fmt: skip
    for n in range(RESOURCES_PER_APP - len(objects)):
        objects.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"{name}-cfg-{n:02d}", **meta},
                        "data": {"LEVEL": "info", "SHARD": str(n), "NOTE": f"config {n} of {name} " * 4}})  # fmt: skip
    return objects


def seed(client: ClusterClient, apps: int) -> float:
    """Apply every app's objects (as that app's), 16 at a time; the seconds it took."""
    started = time.perf_counter()
    for index in range(NAMESPACES):
        client.ensure_namespace(f"ns-{index:02d}")

    def apply_app(index: int) -> None:
        for obj in app_manifests(index):
            client.apply(obj, app=f"app-{index:04d}")

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(apply_app, range(apps)))
    return time.perf_counter() - started


# ---- Git ------------------------------------------------------------------------------------------------------


def git(cwd: Path, *args: str) -> None:
    """One git command in `cwd`; its output is kept out of the benchmark's (and said if it fails)."""
    result = subprocess.run(["git", *args], cwd=cwd, env={**os.environ, **GIT_ENV}, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed ({result.returncode}): {result.stderr.strip()}")


def commit_all(work: Path, message: str) -> None:
    """`work`, its files written, becomes a repository on `main` with one commit holding them all."""
    git(work.parent, "init", "-q", "--initial-branch=main", str(work))
    git(work, "add", "-A")
    git(work, "commit", "-qm", message)


def make_repo(root: Path, apps: int) -> str:
    """A bare repository under `root` with a folder per app (`app-0000/all.json`); its file:// URL."""
    work, bare = root / "work", root / "apps.git"
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "--bare", "--initial-branch=main", str(bare))
    for index in range(apps):
        folder = work / f"app-{index:04d}"
        folder.mkdir(parents=True)
        (folder / "all.json").write_text(json.dumps({"apiVersion": "v1", "kind": "List",
                                                     "items": app_manifests(index)}, indent=1))  # fmt: skip
    commit_all(work, "apps")
    git(work, "push", "-q", str(bare), "main")
    return bare.as_uri()


# ---- the sandbox, in a child process ------------------------------------------------------------------------


def announce(sandbox: Sandbox) -> None:
    """The child's one line to its parent: the sandbox serves, and this is its kubeconfig."""
    print(json.dumps({"kubeconfig": str(sandbox.kubeconfig_path)}), flush=True)


def serve(argv: Sequence[str] | None = None) -> None:
    """The child: a sandbox until a line (or the end) on stdin."""
    from gitops_tui.sandbox.runtime import Sandbox

    parser = argparse.ArgumentParser(description="a sandbox for the benchmarks, in a child process")
    parser.add_argument("--controllers", action="store_true", help="simulate Deployment, ReplicaSet, Pod... too")
    parser.add_argument("--speed", type=float, default=1.0, help="simulated time speed for the controllers")
    args = parser.parse_args(argv)
    with Sandbox(controllers=args.controllers, speed=args.speed, bookmark_interval=BOOKMARK_INTERVAL) as sandbox:
        announce(sandbox)
        sys.stdin.readline()  # until the parent is done


def start_server(*options: str, module: str = "benchmarks.fixtures") -> tuple[subprocess.Popen[str], str]:
    """A sandbox in a child process (`module` run with `options`; it must `announce` the sandbox), and the
    path of its kubeconfig once it serves. Stop it with `stop_server`."""
    # Run as a module (from the repository root, as `make bench` does) so `benchmarks.*` imports resolve.
    command = [sys.executable, "-m", module, *options]
    server = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    return server, json.loads(server.stdout.readline())["kubeconfig"]


def stop_server(server: subprocess.Popen[str], word: str = "done") -> None:
    """Tell the child to stop (a line on its stdin) and wait for it."""
    if server.stdin is not None:
        server.stdin.write(f"{word}\n")
        server.stdin.close()
    server.wait(timeout=30)


@contextmanager
def sandbox_server(*options: str) -> Iterator[str]:
    """`python -m benchmarks.fixtures OPTIONS` while the block runs; yields its kubeconfig's path."""
    server, kubeconfig = start_server(*options)
    try:
        yield kubeconfig
    finally:
        stop_server(server)


# ---- measuring -------------------------------------------------------------------------------------------


def rss_bytes(pid: int | str = "self") -> int:
    """A process's resident memory (this one's by default), from /proc."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


if __name__ == "__main__":
    serve()
