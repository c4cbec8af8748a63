"""`python -m gitops_tui.sandbox`: run the sandbox API server in the foreground."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from .runtime import Sandbox, check_loopback


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gitops-tui sandbox", description="Run a Kubernetes API emulator on loopback."
    )
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port (default 0: any free port)")
    parser.add_argument(
        "--kubeconfig-out",
        type=Path,
        default=Path("sandbox.kubeconfig"),
        help="where to write the kubeconfig (default ./sandbox.kubeconfig)",
    )
    parser.add_argument("--state-file", type=Path, help="keep state here across restarts")
    parser.add_argument("--speed", type=float, default=1.0, help="simulated time speed for controllers")
    parser.add_argument("--token", help="require this bearer token (401 without it)")
    parser.add_argument(
        "--no-controllers", action="store_true", help="serve the API only: no Deployment/ReplicaSet/Pod controllers"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        check_loopback(args.host)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    sandbox = Sandbox(
        args.host,
        args.port,
        token=args.token,
        kubeconfig_path=args.kubeconfig_out,
        state_file=args.state_file,
        controllers=not args.no_controllers,
        speed=args.speed,
    )
    # Both signals stop it cleanly (state saved); SIGINT explicitly, since a shell may start
    # background jobs with SIGINT ignored.
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        with sandbox:
            print(f"Kubernetes sandbox serving at {sandbox.url}", flush=True)
            print(f"kubeconfig: {sandbox.kubeconfig_path} (context sandbox)", flush=True)
            while not stop.wait(0.5):
                pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
