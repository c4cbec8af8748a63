"""Read-only commands that compare Git with a cluster: `status`, `diff`, and the offline `health`."""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml

from gitops_tui.cli import console_client
from gitops_tui.cli.answers import finish_status, print_diff
from gitops_tui.cli.common import (
    EXIT_OK,
    CommandError,
    find_app,
    load_apps,
    paint,
    print_table,
    report_problems,
    status_colour,
    use_colour,
)
from gitops_tui.cli.console_client import ask_console, console_identity
from gitops_tui.cli.console_options import add_mouse_option, console_config
from gitops_tui.cli.health_options import add_argocd_cm_option
from gitops_tui.engine.query_protocol import NO_CONSOLE_ENV
from gitops_tui.model import AppSpec


def add_cluster_commands(commands: Any, cluster_options: argparse.ArgumentParser) -> None:
    status = commands.add_parser("status", parents=[cluster_options], help="sync status and health of apps")
    status.add_argument("names", nargs="*", metavar="APP", help="apps to show (default: all)")
    status.add_argument("-o", "--output", choices=["table", "json", "yaml"], default="table")
    _no_console_option(status)
    status.set_defaults(handler=cmd_status)

    diff = commands.add_parser(
        "diff", parents=[cluster_options], help="what differs between Git and the cluster (exit 1 on drift)"
    )
    diff.add_argument("app", metavar="APP")
    diff.add_argument("--revision", help="compare against this branch, tag or commit instead of targetRevision")
    diff.add_argument("--side-by-side", action="store_true", help="live on the left, desired on the right")
    _no_console_option(diff)
    diff.set_defaults(handler=cmd_diff)

    console = commands.add_parser(
        "console", parents=[cluster_options], help="open the console on your clusters (Textual UI; q quits)"
    )
    console.add_argument("--high-contrast", action="store_true", help="the high-contrast theme")
    add_mouse_option(console)
    console.set_defaults(handler=cmd_console)

    health = commands.add_parser("health", help="assess the health of live objects saved in YAML/JSON files")
    health.add_argument("files", nargs="+", type=Path, metavar="FILE")
    add_argocd_cm_option(health)
    health.set_defaults(handler=cmd_health)


def _no_console_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-console",
        action="store_true",
        help=f"work it out here even if a running console could answer (also ${NO_CONSOLE_ENV}=1)",
    )


def _comparer(args: argparse.Namespace, apps: Sequence[AppSpec]) -> Any:
    from gitops_tui.cluster.errors import KubeconfigError
    from gitops_tui.cluster.kubeconfig import load_kubeconfig

    try:
        kubeconfig = load_kubeconfig(args.kubeconfig, context=args.context)
    except KubeconfigError as exc:
        raise CommandError(exc.message) from None
    from gitops_tui.engine.oneshot_prefetch import start_fetches

    # Git is fetched (a git subprocess) while the kubernetes client is imported, which takes a while.
    pool, fetches = start_fetches(app.source.repo_url for app in apps)
    from gitops_tui.engine.oneshot import OneShotComparer, one_shot_settings

    return OneShotComparer(kubeconfig, pool=pool, fetches=fetches, settings=one_shot_settings())


def cmd_console(args: argparse.Namespace) -> int:
    from gitops_tui.cluster.errors import KubeconfigError
    from gitops_tui.cluster.kubeconfig import load_kubeconfig
    from gitops_tui.engine.console import build_reconciler
    from gitops_tui.engine.reconciler import ReconcilerSettings
    from gitops_tui.tui.app import run_console

    settings = console_config()
    result = load_apps(args.apps)
    report_problems(result)
    if not result.apps:
        raise CommandError("no apps to watch: fix the definitions above or point --apps at a directory of them")
    try:
        kubeconfig = load_kubeconfig(args.kubeconfig, context=args.context)
    except KubeconfigError as exc:
        raise CommandError(exc.message) from None
    reconciler = build_reconciler(
        list(result.apps),
        kubeconfig,
        read_only=args.read_only,
        settings=ReconcilerSettings(read_only_contexts=settings.read_only_contexts()),
        answer_queries_as=console_identity(args, kubeconfig),
    )
    return run_console(reconciler, high_contrast=args.high_contrast, settings=settings, mouse=args.mouse)


def cmd_status(args: argparse.Namespace) -> int:
    result = load_apps(args.apps)
    apps = [find_app(result, name) for name in args.names] if args.names else list(result.apps)
    answer = ask_console(args, "status", args.names)
    served = {entry["document"]["name"]: entry for entry in answer["apps"]} if answer is not None else {}
    if answer is not None and all(app.name in served for app in apps):
        console_client.answered_by, entries = "console", [served[app.name] for app in apps]  # as asked, repeats too
    else:
        from gitops_tui.engine.query_answers import status_entry

        with _comparer(args, apps) as comparer:
            entries = [status_entry(comparer.compare(app).state) for app in apps]
        console_client.answered_by = "standalone"
    return finish_status(entries, args.output, result.warnings, result.errors)


def cmd_diff(args: argparse.Namespace) -> int:
    app = find_app(load_apps(args.apps), args.app)
    # A console diffs against the app's targetRevision; another revision is worked out here.
    answer = None if args.revision else ask_console(args, "diff", [app.name])
    if answer is not None:
        console_client.answered_by = "console"
    else:
        from gitops_tui.engine.query_answers import diff_answer

        with _comparer(args, [app]) as comparer:
            comparison = comparer.compare(app, args.revision)
        console_client.answered_by, answer = "standalone", diff_answer(comparison.state, comparison.diffs)
    return print_diff(answer, args.side_by_side)


def cmd_health(args: argparse.Namespace) -> int:
    from gitops_tui.engine.health import assess_health
    from gitops_tui.model import ResourceKey

    rows = []
    for path in args.files:
        for obj in _objects_in(path):
            key = ResourceKey.of(obj)
            health = assess_health(obj)
            status, message = (
                (health.status.value, health.message) if health else ("-", "no health check for this kind")
            )
            name = f"{key.namespace}/{key.name}" if key.namespace else key.name
            rows.append([f"{key.kind}/{name}", status, message])
    colour = use_colour()
    print_table(
        ["RESOURCE", "HEALTH", "MESSAGE"],
        rows,
        colour=lambda column, text: paint(text, status_colour(text), colour and column == "HEALTH"),
    )
    return EXIT_OK


def _objects_in(path: Path) -> Iterator[dict[str, Any]]:
    try:
        docs = list(
            yaml.load_all(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        )
    except OSError as exc:
        raise CommandError(f"{path}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise CommandError(f"{path}{where}: invalid YAML: {getattr(exc, 'problem', exc)}") from None
    for doc in docs:
        if isinstance(doc, dict) and isinstance(doc.get("items"), list) and str(doc.get("kind", "")).endswith("List"):
            yield from (item for item in doc["items"] if isinstance(item, dict))
        elif isinstance(doc, dict):
            yield doc
