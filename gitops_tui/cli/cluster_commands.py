"""Read-only commands that compare Git with a cluster: `status`, `diff`, and the offline `health`."""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from gitops_tui.cli.common import (
    EXIT_DRIFT,
    EXIT_ERROR,
    EXIT_OK,
    CommandError,
    dump,
    find_app,
    load_apps,
    paint,
    print_table,
    report_problems,
    status_colour,
    use_colour,
)
from gitops_tui.cli.diffview import resource_path, side_by_side, unified
from gitops_tui.model import AppState, ResourceState, SyncStatus


def add_cluster_commands(commands: Any, cluster_options: argparse.ArgumentParser) -> None:
    status = commands.add_parser("status", parents=[cluster_options], help="sync status and health of apps")
    status.add_argument("names", nargs="*", metavar="APP", help="apps to show (default: all)")
    status.add_argument("-o", "--output", choices=["table", "json", "yaml"], default="table")
    status.set_defaults(handler=cmd_status)

    diff = commands.add_parser(
        "diff", parents=[cluster_options], help="what differs between Git and the cluster (exit 1 on drift)"
    )
    diff.add_argument("app", metavar="APP")
    diff.add_argument("--revision", help="compare against this branch, tag or commit instead of targetRevision")
    diff.add_argument("--side-by-side", action="store_true", help="live on the left, desired on the right")
    diff.set_defaults(handler=cmd_diff)

    console = commands.add_parser("console", parents=[cluster_options],
                                  help="open the console on your clusters (Textual UI; q quits)")
    console.add_argument("--high-contrast", action="store_true", help="the high-contrast theme")
    console.set_defaults(handler=cmd_console)

    health = commands.add_parser("health", help="assess the health of live objects saved in YAML/JSON files")
    health.add_argument("files", nargs="+", type=Path, metavar="FILE")
    health.set_defaults(handler=cmd_health)


def _comparer(args: argparse.Namespace) -> Any:
    from gitops_tui.cluster.errors import KubeconfigError
    from gitops_tui.cluster.kubeconfig import load_kubeconfig
    from gitops_tui.engine.oneshot import OneShotComparer

    try:
        kubeconfig = load_kubeconfig(args.kubeconfig, context=args.context)
    except KubeconfigError as exc:
        raise CommandError(exc.message) from None
    return OneShotComparer(kubeconfig)


def cmd_console(args: argparse.Namespace) -> int:
    from gitops_tui.cluster.errors import KubeconfigError
    from gitops_tui.cluster.kubeconfig import load_kubeconfig
    from gitops_tui.engine.console import build_reconciler
    from gitops_tui.tui.app import run_console

    result = load_apps(args.apps)
    report_problems(result)
    if not result.apps:
        raise CommandError("no apps to watch: fix the definitions above or point --apps at a directory of them")
    try:
        kubeconfig = load_kubeconfig(args.kubeconfig, context=args.context)
    except KubeconfigError as exc:
        raise CommandError(exc.message) from None
    reconciler = build_reconciler(list(result.apps), kubeconfig, read_only=args.read_only)
    return run_console(reconciler, high_contrast=args.high_contrast)


def cmd_status(args: argparse.Namespace) -> int:
    result = load_apps(args.apps)
    apps = [find_app(result, name) for name in args.names] if args.names else list(result.apps)
    with _comparer(args) as comparer:
        states = [comparer.compare(app).state for app in apps]
    if args.output == "table":
        colour = use_colour()
        print_table(
            ["NAME", "SYNC", "HEALTH", "REVISION", "MESSAGE"],
            [_status_row(state) for state in states],
            colour=lambda column, text: paint(text, status_colour(text), colour and column in ("SYNC", "HEALTH")),
        )
    else:
        dump({"apps": [_state_document(s) for s in states]}, args.output)
    report_problems(result)
    # Out of sync is an answer, not an error; an app we could not compare at all is.
    return EXIT_ERROR if result.errors or any(s.error and not s.resources for s in states) else EXIT_OK


def cmd_diff(args: argparse.Namespace) -> int:
    app = find_app(load_apps(args.apps), args.app)
    with _comparer(args) as comparer:
        comparison = comparer.compare(app, args.revision)
    state = comparison.state
    if state.error:
        raise CommandError(f"app '{app.name}': {state.error}")
    colour = use_colour()
    width = shutil.get_terminal_size((160, 40)).columns
    drift = False
    for resource in state.resources:
        diff = comparison.diffs.get(resource.key)
        if resource.sync is SyncStatus.UNKNOWN:
            print(f"error: {resource_path(resource.key)}: {resource.reason}", file=sys.stderr)
        if diff is None or diff.in_sync:
            continue
        drift = True
        print(paint(f"# {resource.key}: {diff.reason}", "\033[1m", colour))
        lines: Iterator[str] = side_by_side(diff, width, colour) if args.side_by_side else unified(diff, colour)
        for line in lines:
            print(line)
    if drift:
        return EXIT_DRIFT
    return EXIT_ERROR if any(r.sync is SyncStatus.UNKNOWN for r in state.resources) else EXIT_OK


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


def _status_row(state: AppState) -> list[str]:
    revision = f"{state.revision.short_sha} {state.revision.subject}" if state.revision else "-"
    message = state.error or state.health.message
    return [state.name, state.sync.value, state.health.status.value, revision[:50], message]


def _state_document(state: AppState) -> dict[str, Any]:
    revision = state.revision
    return {
        "name": state.name,
        "targetRevision": state.spec.source.target_revision,
        "revision": {"sha": revision.sha, "subject": revision.subject, "author": revision.author} if revision else None,
        "sync": state.sync.value,
        "health": {"status": state.health.status.value, "message": state.health.message},
        "error": state.error,
        "resources": [_resource_document(r) for r in state.resources],
    }


def _resource_document(resource: ResourceState) -> dict[str, Any]:
    key = resource.key
    return {
        "group": key.group, "kind": key.kind, "namespace": key.namespace, "name": key.name,
        "sync": resource.sync.value,
        "health": resource.health.status.value if resource.health else None,
        "message": resource.health.message if resource.health else "",
        "reason": resource.reason,
        "requiresPruning": resource.requires_pruning,
        "hook": resource.hook,
    }  # fmt: skip
