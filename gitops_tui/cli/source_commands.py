"""Commands that need Git but no cluster: `apps`, `manifests`, `demo`, `sandbox`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

from gitops_tui.cli.common import (
    EXIT_ERROR,
    EXIT_OK,
    CommandError,
    dump,
    find_app,
    load_apps,
    print_table,
    report_problems,
)
from gitops_tui.cli.console_options import add_mouse_option, console_config
from gitops_tui.engine.masking import SecretMasker
from gitops_tui.model import AppSpec


def add_source_commands(commands: Any, apps_options: argparse.ArgumentParser) -> None:
    apps = commands.add_parser("apps", parents=[apps_options], help="list the Application definitions")
    apps.add_argument("-o", "--output", choices=["table", "json", "yaml"], default="table")
    apps.set_defaults(handler=cmd_apps)

    manifests = commands.add_parser("manifests", parents=[apps_options], help="render an app's manifests at a revision")
    manifests.add_argument("app", metavar="APP")
    manifests.add_argument("--revision", help="branch, tag or commit to render (default: the app's targetRevision)")
    manifests.add_argument("-o", "--output", choices=["yaml", "json"], default="yaml")
    manifests.set_defaults(handler=cmd_manifests)

    # Listed for --help only: main() hands `sandbox ...` to the sandbox's own parser.
    commands.add_parser("sandbox", help="run the built-in Kubernetes API emulator on loopback", add_help=False)

    demo = commands.add_parser(
        "demo", help="the console on a built-in sandbox cluster and a demo Git repository (no cluster needed)"
    )
    demo.add_argument("--state-dir", type=Path, help="keep the demo's cluster state and repository here")
    demo.add_argument("--headless", action="store_true", help="print the event log instead of opening the console")
    demo.add_argument(
        "--scenario",
        action="store_true",
        help="play a story: a new commit auto-syncs, a hand edit is healed, a bad build degrades",
    )
    demo.add_argument(
        "--for", dest="duration", type=float, metavar="SECONDS", help="stop by itself after this long (headless)"
    )
    add_mouse_option(demo)
    demo.set_defaults(handler=cmd_demo)


def cmd_apps(args: argparse.Namespace) -> int:
    result = load_apps(args.apps)
    if args.output == "table":
        print_table(
            ["NAME", "PROJECT", "REPO", "PATH", "REVISION", "DESTINATION", "NAMESPACE", "SYNC POLICY"],
            [_app_row(app) for app in result.apps],
        )
    else:
        dump({"apps": [_app_summary(app) for app in result.apps], "errors": list(result.errors)}, args.output)
    report_problems(result)
    return EXIT_ERROR if result.errors else EXIT_OK


def cmd_manifests(args: argparse.Namespace) -> int:
    app = find_app(load_apps(args.apps), args.app)
    # Imported here so that `apps` and `--help` stay fast: GitPython is slow to import.
    from gitops_tui.source.git import GitError, MirrorPool
    from gitops_tui.source.render import Renderer, RenderError

    pool = MirrorPool()
    try:
        mirror = pool.get(app.source.repo_url)
        mirror.fetch()
        commit = mirror.resolve(args.revision or app.source.target_revision)
        rendered = Renderer(pool).render(app, commit.sha)
    except (GitError, RenderError) as exc:
        raise CommandError(f"app '{app.name}': {exc.message}") from None
    for warning in rendered.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    objects = SecretMasker().mask_all(rendered.objects)
    if args.output == "json":
        dump({"apiVersion": "v1", "kind": "List", "items": objects}, "json")
    else:
        sys.stdout.write(yaml.safe_dump_all(objects, sort_keys=False, explicit_start=True))
    print(
        f"# {len(objects)} objects from {app.source.repo_url} at {commit.short_sha} ({commit.subject})", file=sys.stderr
    )
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from gitops_tui.demo import run_demo

    return run_demo(
        args.state_dir,
        headless=args.headless,
        scenario=args.scenario,
        duration=args.duration,
        mouse=args.mouse,
        settings=console_config(strict=False),
    )


def sync_policy_word(app: AppSpec) -> str:
    policy = app.sync_policy
    if not policy.automated:
        return "manual"
    extras = [word for word, on in (("prune", policy.prune), ("self-heal", policy.self_heal)) if on]
    return "auto" + (f" ({', '.join(extras)})" if extras else "")


def _app_row(app: AppSpec) -> list[str]:
    dest = app.destination
    return [
        app.name, app.project, app.source.repo_url, app.source.path, app.source.target_revision,
        dest.name or dest.server, dest.namespace or "-", sync_policy_word(app),
    ]  # fmt: skip


def _app_summary(app: AppSpec) -> dict[str, Any]:
    destination = {"server": app.destination.server, "name": app.destination.name,
                   "namespace": app.destination.namespace}  # fmt: skip
    return {
        "name": app.name,
        "project": app.project,
        "repoURL": app.source.repo_url,
        "path": app.source.path,
        "targetRevision": app.source.target_revision,
        "destination": {k: v for k, v in destination.items() if v},
        "syncPolicy": sync_policy_word(app),
        "definedIn": str(app.origin),
    }
