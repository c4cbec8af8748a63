"""How the writing commands run: the app from the app files, a reconciler (or just the history store) on
`asyncio.run`, always stopped, and the reconciler's and the cluster's refusals as one `error:` line.

Split from write_commands.py, which keeps the commands themselves. Heavy modules (asyncio, the engine,
the kubernetes client) are imported inside the functions: `--help` and console-answered commands load
none of them (tests/test_cli_imports.py).
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from typing import Any

from gitops_tui.cli.common import CommandError, find_app, load_apps, report_problems
from gitops_tui.cli.console_options import read_only_contexts
from gitops_tui.model import AppSpec

READY_TIMEOUT = 120.0
"""Longest a command waits for the app's first comparison (a first clone of a big repository is slow)."""


def app_spec(args: argparse.Namespace) -> AppSpec:
    result = load_apps(args.apps)
    spec = find_app(result, args.app)
    report_problems(result)
    return spec


async def wait_ready(reconciler: Any, app: str) -> None:
    """Wait for the app's first comparison: a sync needs what Git holds and what the cluster has."""
    import asyncio

    try:
        state = await asyncio.wait_for(reconciler.refresh(app), READY_TIMEOUT)
    except TimeoutError:
        raise CommandError(f"{app}: not compared after {READY_TIMEOUT:g} s (is the repository reachable?)") from None
    if state.revision is None and state.error:
        raise CommandError(state.error)


def kubeconfig_of(args: argparse.Namespace) -> Any:
    from gitops_tui.cluster.errors import KubeconfigError
    from gitops_tui.cluster.kubeconfig import load_kubeconfig

    try:
        return load_kubeconfig(args.kubeconfig, context=args.context)
    except KubeconfigError as exc:
        raise CommandError(exc.message) from None


def run_main(main: Awaitable[int]) -> int:
    import asyncio

    from gitops_tui.cluster.errors import ClusterError
    from gitops_tui.engine.operations import ReconcilerError

    try:
        return asyncio.run(main)  # type: ignore[arg-type]
    except (ReconcilerError, ClusterError) as exc:
        raise CommandError(exc.message) from None
    except asyncio.CancelledError:
        return 143  # stopped by SIGTERM (128 + 15), after a clean stop


def stop_on_sigterm() -> None:
    """`kill` stops a headless console as Ctrl-C does: its query socket removed, its leases given back."""
    import asyncio
    import contextlib
    import signal

    task = asyncio.current_task()
    # Not in the main thread (tests), or no signals here: SIGTERM keeps its default.
    with contextlib.suppress(NotImplementedError, RuntimeError):
        if task is not None:
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)


def with_reconciler(
    args: argparse.Namespace, apps: list[AppSpec], body: Callable[[Any], Awaitable[int]], answer_queries: bool = False
) -> int:
    """Build the console's reconciler, run `body` with it, always stop it; reconciler refusals become one line.

    With `answer_queries` it is a console: it answers `diff` and `status` for the same apps and kubeconfig."""
    from gitops_tui.cli.console_client import console_identity
    from gitops_tui.engine.console import build_reconciler
    from gitops_tui.engine.reconciler import ReconcilerSettings

    kubeconfig = kubeconfig_of(args)
    identity = console_identity(args, kubeconfig) if answer_queries else None
    settings = ReconcilerSettings(read_only_contexts=read_only_contexts())  # config file: contexts.*.readOnly

    async def main() -> int:
        reconciler = build_reconciler(
            apps, kubeconfig, read_only=getattr(args, "read_only", False), settings=settings, answer_queries_as=identity
        )
        if answer_queries:
            stop_on_sigterm()
        try:
            await reconciler.start()
            return await body(reconciler)
        finally:
            await reconciler.stop()

    return run_main(main())


def with_history(args: argparse.Namespace, body: Callable[[Any], Awaitable[int]]) -> int:
    """The history store alone (no reconciler to start): for commands that only read or mark the history."""
    from gitops_tui.engine.console import console_settings, open_clusters
    from gitops_tui.engine.history import HistoryStore

    kubeconfig = kubeconfig_of(args)

    async def main() -> int:
        clusters = open_clusters(kubeconfig, console_settings(getattr(args, "read_only", False)))
        try:
            return await body(HistoryStore.for_clusters(clusters))
        finally:
            await clusters.aclose()

    return run_main(main())
