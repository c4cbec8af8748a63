"""CPU the console spends per API request: ClusterClient now, against the same request made as it was before.

    python -m benchmarks.bench_requests [--requests 200] [--runs 11]
    python -m benchmarks.bench_requests --instructions [--requests 50]

The sandbox runs in a child process (bench_reconciler's), so only the client's CPU is counted here: each
figure is `time.thread_time()` of the thread making the requests (urllib3 makes them in that thread, and
the kernel's share of loopback sends is charged to it too), divided by the number of requests. Measured, one
request at a time over a kept-alive loopback connection:

- get:     `ClusterClient.get` of one Deployment;
- dry-run: `ClusterClient.apply(deployment, app=..., dry_run=True, force=True)`, the console's compare
  request (server-side apply, dryRun=All);
- list:    `ClusterClient.list_page` of one namespace's 17 ConfigMaps.

Each is set against the same request made as ClusterClient made it before (up to commit 97d9102): the body
a deep copy of the object with the tracking annotation stamped in, `ApiClient.param_serialize` with the dict
body and `auth_settings=["BearerToken"]` (the credential's refresh hook on every request), `call_api`,
`json.loads` of the answer (ClusterClient's own bookkeeping, unchanged, is left out of this reference, so
the ratio errs low). The two alternate within each run, so both see the same load on a shared
machine; the figures are medians over the runs, the ratio the median of each run's ratio. The server's
share of the round trip is in the child process and not counted.

CPU time on a shared machine scatters with its load. `--instructions` counts instead the instructions the
client executes per request (valgrind's callgrind, a few minutes): a figure the load does not move.
"""

from __future__ import annotations

import argparse
import copy
import functools
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from benchmarks.bench_reconciler import app_manifests, start_server
from gitops_tui.cluster.client import APPLY_PATCH, ClusterClient
from gitops_tui.cluster.kubeconfig import load_kubeconfig
from gitops_tui.cluster.tracking import TrackingId
from gitops_tui.model import ResourceKey

APPS = 4
SCENARIO_NAMES = ("get", "dry-run apply", "list (17 items)")


def cpu_ms(call: Callable[[], Any], requests: int) -> float:
    """This thread's CPU milliseconds per call over `requests` calls."""
    started = time.thread_time()
    for _ in range(requests):
        call()
    return (time.thread_time() - started) / requests * 1000


def request_as_before(
    client: ClusterClient,
    method: str,
    path: str,
    query: list[tuple[str, Any]],
    body: Any = None,
    content_type: str | None = None,
) -> Any:
    """The request as ClusterClient.request made it before: param_serialize with the dict and the auth hook."""
    api = client.api_client
    headers = {"Accept": "application/json"}
    if content_type:
        headers["Content-Type"] = content_type
    serialized = api.param_serialize(
        method=method,
        resource_path=path,
        query_params=list(query),
        header_params=dict(headers),
        body=body,
        auth_settings=["BearerToken"],
    )
    response = api.call_api(*serialized, _request_timeout=(5.0, 30.0))
    data = response.read()
    assert 200 <= response.status < 300, (response.status, data[:300])
    return json.loads(data)


def stamped_as_before(obj: Mapping[str, Any], app: str, key: ResourceKey, annotation: str) -> dict[str, Any]:
    """The apply body as it was built before: a deep copy of the object, stamped."""
    stamped = copy.deepcopy(dict(obj))
    metadata = stamped.setdefault("metadata", {})
    metadata["annotations"] = {**(metadata.get("annotations") or {}), annotation: str(TrackingId.for_key(app, key))}
    return stamped


def scenarios(client: ClusterClient) -> dict[str, tuple[Callable[[], Any], Callable[[], Any]]]:
    """name -> (ClusterClient call, the same request made as before)."""
    deployment = app_manifests(0)[0]
    app, namespace, name = "app-0000", deployment["metadata"]["namespace"], deployment["metadata"]["name"]
    key = ResourceKey("apps", "Deployment", namespace, name)
    deployments = client.mapper.resource_for("apps/v1", "Deployment")
    configmaps = client.mapper.resource_for("v1", "ConfigMap")
    annotation = client.settings.tracking_annotation
    apply_query = [("fieldManager", client.settings.field_manager), ("dryRun", "All"), ("force", "true")]
    return {
        SCENARIO_NAMES[0]: (
            lambda: client.get(key),
            lambda: request_as_before(client, "GET", deployments.path(namespace, name), []),
        ),
        SCENARIO_NAMES[1]: (
            lambda: client.apply(deployment, app=app, dry_run=True, force=True),
            lambda: request_as_before(
                client,
                "PATCH",
                deployments.path(namespace, name),
                apply_query,
                stamped_as_before(deployment, app, key, annotation),
                APPLY_PATCH,
            ),
        ),
        SCENARIO_NAMES[2]: (
            lambda: client.list_page(configmaps, namespace, limit=500),
            lambda: request_as_before(client, "GET", configmaps.path(namespace), [("limit", 500)]),
        ),
    }


def prepared(client: ClusterClient, warm_up: int) -> dict[str, tuple[Callable[[], Any], Callable[[], Any]]]:
    """The scenarios, after seeding a few apps' objects and a warm-up (connections, discovery, caches)."""
    for index in range(APPS):
        client.ensure_namespace(app_manifests(index)[0]["metadata"]["namespace"])
        for obj in app_manifests(index):
            client.apply(obj, app=f"app-{index:04d}")
    measured = scenarios(client)
    for now, before in measured.values():
        for _ in range(warm_up):
            now()
            before()
    return measured


def run(kubeconfig: str, requests: int, runs: int) -> None:
    client = ClusterClient.from_kubeconfig(load_kubeconfig(kubeconfig))
    try:
        measured = prepared(client, max(10, requests // 10))
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in measured}
        for _ in range(runs):
            for name, (now, before) in measured.items():
                samples[name].append((cpu_ms(now, requests), cpu_ms(before, requests)))
        print(f"CPU of the requesting thread per request (medians of {runs} runs x {requests} requests each):")
        print(f"  {'request':<18}{'now':>11}{'before':>12}{'before/now':>12}")
        for name, pairs in samples.items():
            now_ms = statistics.median(p[0] for p in pairs)
            before_ms = statistics.median(p[1] for p in pairs)
            ratio = statistics.median(p[1] / p[0] for p in pairs)
            print(f"  {name:<18}{now_ms:>8.3f} ms{before_ms:>9.3f} ms{ratio:>11.2f}x")
        print("(at 100 requests a second, 1 ms of CPU per request is 10% of a core)", flush=True)
    finally:
        client.close()


# ---- instructions: a figure the machine's load does not move ------------------------------------------
# CPU time on a shared machine scatters (caches are cold after each wait for the server); instructions
# executed do not. Under `--instructions` this module runs itself under valgrind's callgrind, counting only
# inside functools.reduce (nothing on the request path calls it), and each variant's requests run inside
# one reduce call, whose count callgrind writes to a file of its own when the call returns.

COUNTED = "functools_reduce"


def run_counted(kubeconfig: str, requests: int) -> None:
    """Inside callgrind: each variant's `requests` calls inside one functools.reduce, in a fixed order."""
    client = ClusterClient.from_kubeconfig(load_kubeconfig(kubeconfig))
    try:
        for now, before in prepared(client, 5).values():
            for call in (now, before):
                functools.reduce(lambda _, __, call=call: call(), range(requests), None)
    finally:
        client.close()


def count_instructions(requests: int) -> None:
    if shutil.which("valgrind") is None:
        print("--instructions needs valgrind (apt-get install valgrind)", file=sys.stderr)
        return
    names = list(SCENARIO_NAMES)
    with tempfile.TemporaryDirectory(prefix="bench-requests-") as folder:
        out = Path(folder) / "callgrind.out"
        command = [
            "valgrind",
            "--tool=callgrind",
            "--collect-atstart=no",
            f"--toggle-collect={COUNTED}",
            f"--dump-after={COUNTED}",
            f"--callgrind-out-file={out}",
            sys.executable,
            "-m",
            "benchmarks.bench_requests",
            "--counted-child",
            "--requests",
            str(requests),
        ]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        dumps = sorted(Path(folder).glob("callgrind.out.*"), key=lambda p: int(p.suffix[1:]))
        counts = [_summary(dump) for dump in dumps[-2 * len(names) :]]
    print(f"instructions per request, under callgrind ({requests} requests per variant):")
    print(f"  {'request':<18}{'now':>12}{'before':>12}{'before/now':>12}")
    for index, name in enumerate(names):
        now, before = counts[2 * index] / requests, counts[2 * index + 1] / requests
        print(f"  {name:<18}{now / 1e6:>10.2f} M{before / 1e6:>10.2f} M{before / now:>11.2f}x", flush=True)


def _summary(dump: Path) -> int:
    for line in dump.read_text().splitlines():
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    raise RuntimeError(f"no instruction count in {dump}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, help="requests per run and variant (200; 50 with --instructions)")
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="count instructions per request under valgrind instead of measuring CPU time",
    )
    parser.add_argument("--counted-child", action="store_true", help=argparse.SUPPRESS)
    # Known arguments only: `python -m benchmarks bench_requests` leaves the module's name in sys.argv.
    args, _ = parser.parse_known_args(argv)
    if args.instructions:
        count_instructions(args.requests or 50)
        return
    server, kubeconfig = start_server()
    try:
        if args.counted_child:
            run_counted(kubeconfig, args.requests)
        else:
            run(kubeconfig, args.requests or 200, args.runs)
    finally:
        assert server.stdin is not None
        server.stdin.write("done\n")
        server.stdin.close()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
