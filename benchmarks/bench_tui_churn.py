"""The console's CPU while 100 live objects change per second: 1,000 apps x 20 resources on the sandbox.

    python -m benchmarks.bench_tui_churn [--apps 1000] [--rate 100] [--seconds 25] [--runs 3]
                                         [--profile FILE] [--py-spy FILE] [--ui-only]

Three processes, as in real use: the sandbox API server (the cluster), the console (the real `GitOpsApp`
on a real reconciler, drawing into a pseudo-terminal whose output this process reads and throws away),
and this driver, which seeds every app's objects, waits until the console has compared every app, then
patches `spec.replicas` of tracked Deployments through the API at `--rate` changes a second (each app's
Deployment goes 2 -> 3 -> 2, so apps flip OutOfSync and back and watch events flow). The console
process's CPU time (every thread: UI, reconciler, watch streams, the client's HTTP) is read from
/proc: the figure is its CPU-seconds over the whole churn divided by the churn's seconds, as % of one
core (5-second windows are shown too; on a shared machine they scatter more). The same churn then runs
against the engine alone (the reconciler without the UI, in the same kind of process): the difference
is the UI's share. `--runs N` alternates N console and N engine-alone runs and reports the medians. RSS at the end
of each run gives the memory the UI adds. Target (issue 7): <= 30% of one core, <= 200 MiB added by the UI.

`--profile FILE` writes a cProfile (CPU time) of the console's event loop thread during the churn (of the
engine alone with --engine-only);
`--py-spy FILE` a py-spy speedscope profile of every thread of the console (first run only, both).

This module is the driver; the console's process runs churn_console.py, and the sandbox, the repository
and the seeding are benchmarks/fixtures.py's, as for the other benchmarks.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import pty
import random
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from benchmarks.churn_console import console_main
from benchmarks.fixtures import NAMESPACES, make_repo, seed, start_server, stop_server
from gitops_tui.cluster.client import ClientSettings, ClusterClient
from gitops_tui.cluster.errors import Target
from gitops_tui.cluster.kubeconfig import load_kubeconfig

WINDOW = 5.0
TICKS = os.sysconf("SC_CLK_TCK")

# ---- the driver ---------------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system time of every thread of `pid` so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


class Console:
    """The console process, in a 120x40 pseudo-terminal whose output is read and dropped."""

    def __init__(self, kubeconfig: str, repo: str, apps: int, workdir: Path, ui: bool, profile: str | None) -> None:
        self.controller, terminal = pty.openpty()
        fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        status_read, status_write = os.pipe()
        control_read, control_write = os.pipe()
        command = [
            sys.executable,
            "-m",
            "benchmarks.bench_tui_churn",
            "--console",
            "--kubeconfig",
            kubeconfig,
            "--repo",
            repo,
            "--apps",
            str(apps),
            "--workdir",
            str(workdir),
            "--fds",
            f"{status_write},{control_read}",
        ]
        if not ui:
            command.append("--no-ui")
        if profile:
            command += ["--profile", profile]
        env = {
            **os.environ,
            "TERM": "xterm-256color",
            "COLUMNS": "120",
            "LINES": "40",
            "XDG_STATE_HOME": str(workdir / "state"),
        }
        self.process = subprocess.Popen(
            command,
            stdin=terminal,
            stdout=terminal,
            stderr=terminal,
            env=env,
            pass_fds=(status_write, control_read),
            start_new_session=True,
        )
        for fd in (terminal, status_write, control_read):
            os.close(fd)
        self.status = os.fdopen(status_read)
        self.control = control_write
        self.screen_bytes = 0
        self._tail = b""
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        while True:
            try:
                chunk = os.read(self.controller, 65536)
            except OSError:
                return
            if not chunk:
                return
            self.screen_bytes += len(chunk)
            self._tail = (self._tail + chunk)[-4000:]

    def wait_ready(self) -> float:
        line = self.status.readline()
        if not line:
            raise RuntimeError(f"the console exited before it had state; last output: {self._tail!r}")
        return json.loads(line)["ready"]

    def mark(self) -> None:
        os.write(self.control, b"mark\n")

    def tally(self) -> None:
        os.write(self.control, b"tally\n")

    def stop(self) -> tuple[int, dict[str, float]]:
        """Stop the console; its RSS and its threads' CPU-seconds from `mark` to `tally`, by kind of thread."""
        os.write(self.control, b"stop\n")
        final = json.loads(self.status.readline())
        self.process.wait(60)
        os.close(self.control)
        os.close(self.controller)
        return final["rss"], final["threads"]


class Churn:
    """Patches `spec.replicas` of the apps' Deployments at `rate` a second, each app's between 2 and 3."""

    def __init__(self, client: ClusterClient, apps: int, rate: float) -> None:
        self.client = client
        self.order = list(range(apps))
        random.Random(7).shuffle(self.order)
        self.rate = rate
        self.replicas = dict.fromkeys(range(apps), 2)
        self.sent = 0
        self.late = 0

    def patch(self, index: int) -> None:
        name, namespace = f"app-{index:04d}", f"ns-{index % NAMESPACES:02d}"
        self.replicas[index] = 5 - self.replicas[index]
        self.client.request_json(
            "PATCH",
            f"/apis/apps/v1/namespaces/{namespace}/deployments/{name}",
            Target("patch", "deployments.apps", name, namespace),
            body={"spec": {"replicas": self.replicas[index]}},
            content_type="application/merge-patch+json",
        )

    def run(self, seconds: float, pool: ThreadPoolExecutor) -> None:
        started = time.monotonic()
        pending = []
        for n in range(int(seconds * self.rate)):
            due = started + n / self.rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)  # pacing the load, not waiting for a result
            elif delay < -0.1:
                self.late += 1
            pending.append(pool.submit(self.patch, self.order[n % len(self.order)]))
            self.sent += 1
        for future in pending:
            future.result()


def measure_churn(console: Console, churn: Churn, seconds: float) -> tuple[list[float], float, float]:
    """% of one core the console used in each window while the churn ran, over the whole churn, and how
    long the churn took (longer than asked when the machine could not keep the pace).

    The whole-churn figure is the console's CPU-seconds divided by the churn's wall-clock seconds: on a
    shared machine it is steadier than any one window (the work per change is what it counts).
    """
    windows: list[float] = []
    with ThreadPoolExecutor(8) as pool:
        driver = threading.Thread(target=churn.run, args=(seconds, pool))
        driver.start()
        console.mark()
        before, at = cpu_seconds(console.process.pid), time.monotonic()
        first, started = before, at
        while driver.is_alive():
            driver.join(WINDOW)
            now = time.monotonic()
            if now - at >= WINDOW * 0.9:
                used = cpu_seconds(console.process.pid)
                windows.append((used - before) / (now - at) * 100)
                before, at = used, now
        console.tally()
        took = time.monotonic() - started
        whole = (cpu_seconds(console.process.pid) - first) / took * 100
    return windows, whole, took


def start_py_spy(pid: int, seconds: float, out: str) -> subprocess.Popen[bytes]:
    """py-spy sampling every thread of the console for `seconds` (a speedscope file; --nonblocking: the
    console is not paused to be sampled, so its CPU figures stay honest)."""
    py_spy = Path(sys.executable).with_name("py-spy")
    command = [str(py_spy), "record", "--nonblocking", "--format", "speedscope", "--rate", "100"]
    command += ["--duration", str(int(seconds)), "--pid", str(pid), "-o", out]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def run_one(
    kubeconfig: str,
    repo: str,
    apps: int,
    workdir: Path,
    ui: bool,
    rate: float,
    seconds: float,
    profile: str | None,
    py_spy: str | None = None,
) -> dict[str, Any]:
    client = ClusterClient.from_kubeconfig(load_kubeconfig(kubeconfig), settings=ClientSettings(read_timeout=60))
    started = time.time()
    console = Console(kubeconfig, repo, apps, workdir, ui, profile)
    try:
        ready = console.wait_ready() - started
        settle_from = cpu_seconds(console.process.pid)
        time.sleep(WINDOW)  # a quiet window: what the console costs when nothing changes
        idle = (cpu_seconds(console.process.pid) - settle_from) / WINDOW * 100
        churn = Churn(client, apps, rate)
        spy = start_py_spy(console.process.pid, seconds, py_spy) if py_spy else None
        windows, whole, took = measure_churn(console, churn, seconds)
        if spy is not None:
            spy.wait(60)
        # Put every Deployment back as Git has it, so the next run starts in sync.
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(churn.patch, [i for i, r in churn.replicas.items() if r != 2]))
        rss, threads = console.stop()
    finally:
        if console.process.poll() is None:
            console.process.kill()
            console.process.wait()
        client.close()
    return {
        "ready_s": ready,
        "idle": idle,
        "windows": windows,
        "whole": whole,
        "took": took,
        "rss": rss,
        "threads": threads,
        "sent": churn.sent,
        "late": churn.late,
        "screen_bytes": console.screen_bytes,
    }


def report(label: str, result: dict[str, Any]) -> None:
    windows = result["windows"]
    load = Path("/proc/loadavg").read_text().split()[0]
    print(
        f"{label}: compared every app {result['ready_s']:.1f} s after start; idle {result['idle']:.1f}% of a core; "
        f"under churn {result['whole']:.1f}% (CPU-s / churn s; "
        f"{result['whole'] / 100 * result['took'] / result['sent'] * 1000:.1f} ms of CPU per change), "
        f"median window {statistics.median(windows):.1f}% ("
        f"{', '.join(f'{w:.0f}' for w in windows)}); RSS {result['rss'] / 2**20:.0f} MiB; "
        f"{result['sent']} changes in {result['took']:.0f} s ({result['sent'] / result['took']:.0f}/s; "
        f"{result['late']} sent late by > 100 ms); "
        f"{result['screen_bytes'] / 1024:.0f} KiB drawn; load average {load}",
        flush=True,
    )
    # The threads' CPU during the churn, as % of a core.
    by_thread = sorted(result["threads"].items(), key=lambda item: -item[1])
    print("    by thread: " + "; ".join(f"{group} {used / result['took'] * 100:.1f}%" for group, used in by_thread))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=100.0, help="live changes per second")
    parser.add_argument("--seconds", type=float, default=25.0, help="how long the churn runs (per run)")
    parser.add_argument("--profile", help="write a cProfile of the console's loop under churn here")
    parser.add_argument("--ui-only", action="store_true", help="skip the engine-alone run")
    parser.add_argument("--engine-only", action="store_true", help="skip the console (UI + engine) run")
    parser.add_argument("--runs", type=int, default=1, help="repeat each run (console, engine alone) this often")
    parser.add_argument("--py-spy", help="record a py-spy speedscope profile of the console (every thread) here")
    parser.add_argument("--console", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--no-ui", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--kubeconfig", help=argparse.SUPPRESS)
    parser.add_argument("--repo", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--fds", help=argparse.SUPPRESS)
    # Known arguments only: `python -m benchmarks bench_tui_churn` leaves the module's name in sys.argv.
    args, _ = parser.parse_known_args(argv)
    if args.console:
        status_fd, control_fd = (int(fd) for fd in args.fds.split(","))
        console_main(
            args.kubeconfig, args.repo, args.apps, args.workdir, not args.no_ui, args.profile, (status_fd, control_fd)
        )
        return
    server, kubeconfig = start_server()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-tui-churn-") as tmp:
            workdir = Path(tmp)
            url = make_repo(workdir / "repo", args.apps)
            client = ClusterClient.from_kubeconfig(
                load_kubeconfig(kubeconfig), settings=ClientSettings(read_timeout=60)
            )
            seeded = seed(client, args.apps)
            client.close()
            print(
                f"{args.apps} apps x 20 resources seeded in {seeded:.0f} s; {args.rate:.0f} changes/s for "
                f"{args.seconds:.0f} s per run; {os.cpu_count()} cores",
                flush=True,
            )
            # Console and engine-alone runs alternate, so a change in the machine's load hits both alike.
            with_ui: list[dict[str, Any]] = []
            engine: list[dict[str, Any]] = []
            for run in range(args.runs):
                spy = args.py_spy if run == 0 else None
                profile = args.profile if run == 0 else None
                if not args.engine_only:
                    result = run_one(
                        kubeconfig, url, args.apps, workdir / f"ui{run}", True, args.rate, args.seconds, profile, spy
                    )
                    with_ui.append(result)
                    report(f"console (UI + engine) #{run + 1}", result)
                if not args.ui_only:
                    result = run_one(
                        kubeconfig,
                        url,
                        args.apps,
                        workdir / f"engine{run}",
                        False,
                        args.rate,
                        args.seconds,
                        profile if args.engine_only else None,
                        spy if args.engine_only else None,
                    )
                    engine.append(result)
                    report(f"engine alone         #{run + 1}", result)
            if not with_ui:
                engine_cpu = statistics.median(r["whole"] for r in engine)
                print(f"engine alone under churn: {engine_cpu:.1f}% of a core (median of {len(engine)} runs)")
                return
            console_cpu = statistics.median(r["whole"] for r in with_ui)
            summary = f"console under churn: {console_cpu:.1f}% of a core (median of {len(with_ui)} runs)"
            if engine:
                engine_cpu = statistics.median(r["whole"] for r in engine)
                added = statistics.median(r["rss"] for r in with_ui) - statistics.median(r["rss"] for r in engine)
                summary += (
                    f"; engine alone {engine_cpu:.1f}%; UI share {console_cpu - engine_cpu:.1f}% of a core; "
                    f"memory the UI adds: {added / 2**20:.0f} MiB"
                )
            print(summary, flush=True)
            print(f"target: console <= 30% of one core under {args.rate:.0f} changes/s; UI memory <= 200 MiB")
    finally:
        stop_server(server)


if __name__ == "__main__":
    main()
