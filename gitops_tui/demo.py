"""`gitops-tui demo`: the whole product on a fresh machine, with no cluster and no network.

Glue like the CLI (it may use every room): it starts the sandbox cluster in its own process,
builds the demo Git repository with real history, and runs the reconciler on the demo apps. With
a console available it opens it; `--headless` prints the event log instead (a terminal that cannot
draw one, and the tests). `--scenario` plays a short story (demo_scenario.py) while it runs.
Quitting stops the sandbox and removes the temp state unless `--state-dir` was given.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from gitops_tui.cli.console_definitions import WatchedDefinitions
from gitops_tui.cluster.client import ClusterClient
from gitops_tui.cluster.kubeconfig import load_kubeconfig
from gitops_tui.config import Settings, load_applications
from gitops_tui.demo_env import DemoEnvironment, DemoError
from gitops_tui.demo_scenario import ScenarioError, run_story
from gitops_tui.engine.console import build_reconciler
from gitops_tui.engine.reconciler import Reconciler, ReconcilerSettings
from gitops_tui.model import AppSpec, AppState

# The demo repository is local and the story pushes to it; a short poll keeps the console honest
# without waiting for the production default of two minutes.
DEMO_SETTINGS = ReconcilerSettings(poll_interval=20.0, poll_jitter=5.0)


def run_demo(
    state_dir: Path | None,
    *,
    headless: bool,
    scenario: bool,
    duration: float | None,
    mouse: bool | None = None,
    settings: Settings | None = None,
) -> int:
    """`mouse`: --mouse/--no-mouse (None: the config file's, else off over ssh); `settings`: the config file."""
    try:
        with DemoEnvironment(state_dir) as env:
            assert env.repo is not None
            loaded = load_applications([env.repo.apps_dir])
            for reason in env.repo.left_out:
                print(f"demo: left out {reason}", flush=True)
            print(f"demo: sandbox cluster at {env.sandbox_url}, kubeconfig {env.kubeconfig}", flush=True)
            print(f"demo: Git repository {env.repo.url}, apps in {env.repo.apps_dir}", flush=True)
            if not headless and _console_available():
                return _run_console(env, loaded.apps, scenario, mouse, settings or Settings())
            if not headless:
                print("demo: the console is not built yet; showing the event log instead", flush=True)
            return asyncio.run(_headless(env, list(loaded.apps), scenario, duration))
    except DemoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0


def _identity(env: DemoEnvironment) -> WatchedDefinitions:
    """The demo answers `gitops-tui diff|status --apps APPS_DIR --kubeconfig KUBECONFIG` like any console."""
    assert env.repo is not None
    return WatchedDefinitions.of_paths(env.repo.apps_dir, env.kubeconfig, load_kubeconfig(env.kubeconfig))


def _console_available() -> bool:
    try:
        from gitops_tui.tui.app import GitOpsApp  # noqa: F401
    except ImportError:
        return False
    return True


def _run_console(
    env: DemoEnvironment, apps: Sequence[AppSpec], scenario: bool, mouse: bool | None, settings: Settings
) -> int:
    return asyncio.run(_console(env, apps, scenario, mouse, settings))


async def _console(
    env: DemoEnvironment, apps: Sequence[AppSpec], scenario: bool, mouse: bool | None, settings: Settings
) -> int:
    from gitops_tui.tui.app import console_app
    from gitops_tui.tui.mouse import capture_mouse

    # The config file's keys and mouse apply; its read-only contexts name the user's clusters, not the sandbox.
    reconciler = build_reconciler(
        apps, load_kubeconfig(env.kubeconfig), settings=DEMO_SETTINGS, answer_queries_as=_identity(env)
    )
    app = console_app(reconciler, settings)  # starts the reconciler on mount, stops it on exit
    story: asyncio.Task[None] | None = None
    client = ClusterClient.from_kubeconfig(load_kubeconfig(env.kubeconfig))
    if scenario:
        assert env.repo is not None
        # The story plays on the console's own loop; its narration arrives as notifications.
        story = asyncio.create_task(
            run_story(reconciler, env.repo, client, lambda line: app.notify(line.removeprefix("scenario: "), timeout=8))
        )
    try:
        await app.run_async(mouse=capture_mouse(mouse, settings.mouse, os.environ))
    finally:
        if story is not None:
            story.cancel()
            with contextlib.suppress(asyncio.CancelledError, ScenarioError):
                await story
        client.close()
    return app.return_code or 0


async def _headless(env: DemoEnvironment, apps: list, scenario: bool, duration: float | None) -> int:
    reconciler = build_reconciler(
        apps, load_kubeconfig(env.kubeconfig), settings=DEMO_SETTINGS, answer_queries_as=_identity(env)
    )
    await reconciler.start()
    printer = asyncio.create_task(_print_events(reconciler))
    outcome = 0
    try:
        if scenario:
            assert env.repo is not None
            client = ClusterClient.from_kubeconfig(load_kubeconfig(env.kubeconfig))
            try:
                story = run_story(reconciler, env.repo, client, lambda line: print(line, flush=True))
                await asyncio.wait_for(story, duration) if duration else await story
            except (ScenarioError, TimeoutError) as exc:
                print(f"error: {exc}", file=sys.stderr, flush=True)
                outcome = 1
            finally:
                client.close()
        elif duration:
            await asyncio.sleep(duration)
        else:
            await asyncio.Event().wait()  # until Ctrl-C
    finally:
        await asyncio.sleep(0.3)  # let the last coalesced events arrive before the summary
        printer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await printer
        _print_summary(reconciler.snapshot())
        await reconciler.stop()
    return outcome


async def _print_events(reconciler: Reconciler) -> None:
    seen = 0
    async for _ in reconciler.subscribe():
        for event in reconciler.events(since=seen):
            seen = event.seq
            where = f"{event.app}: " if event.app and not event.message.startswith(f"{event.app}:") else ""
            print(f"{event.at:%H:%M:%S} {event.severity.value:<7} {where}{event.message}", flush=True)


def _print_summary(states: dict[str, AppState] | object) -> None:
    print("\nAPP        SYNC       HEALTH       REVISION", flush=True)
    for name, state in sorted(dict(states).items()):  # type: ignore[call-overload]
        revision = f"{state.revision.short_sha} {state.revision.subject}" if state.revision else "-"
        print(f"{name:<10} {state.sync.value:<10} {state.health.status.value:<12} {revision}", flush=True)
