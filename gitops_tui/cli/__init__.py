"""The command line: one-shot commands for scripts and CI, and the entry to the console.

Exit codes: 0 success, 1 drift (diff), 2 an error that prevented an answer. A user never
sees a traceback: unexpected errors print one line and the path of the log that holds it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from gitops_tui import __version__
from gitops_tui.config import (
    LoadResult,
    SettingsError,
    load_applications,
    resolve_app_paths,
    state_home,
)
from gitops_tui.engine.masking import SecretMasker
from gitops_tui.model import AppSpec

EXIT_OK, EXIT_DRIFT, EXIT_ERROR = 0, 1, 2


class CommandError(Exception):
    """An error the user can act on; printed as it is, exit 2."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_ERROR
    try:
        return int(args.handler(args) or EXIT_OK)
    except (CommandError, SettingsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `gitops-tui ... | head`: the reader left. Say nothing more, like other Unix tools.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as exc:  # the last line of defence: one line on screen, the rest in the log
        where = _write_crash_log(exc)
        print(f"error: {type(exc).__name__}: {exc} (details in {where})", file=sys.stderr)
        return EXIT_ERROR


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gitops-tui",
        description="A GitOps console for the terminal: Argo CD Applications, live health, diff, sync.",
    )
    parser.add_argument("--version", action="version", version=f"gitops-tui {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    apps_options = argparse.ArgumentParser(add_help=False)
    apps_options.add_argument(
        "--apps",
        action="append",
        default=[],
        metavar="PATH",
        help="file or directory of Argo CD Application manifests (repeatable; "
        "default: $GITOPS_TUI_APPS, ./apps, or 'apps:' in the config file)",
    )

    apps = commands.add_parser("apps", parents=[apps_options], help="list the Application definitions")
    apps.add_argument("-o", "--output", choices=["table", "json", "yaml"], default="table")
    apps.set_defaults(handler=cmd_apps)

    manifests = commands.add_parser(
        "manifests", parents=[apps_options], help="render an app's manifests at a revision"
    )
    manifests.add_argument("app", metavar="APP")
    manifests.add_argument(
        "--revision", help="branch, tag or commit to render (default: the app's targetRevision)"
    )
    manifests.add_argument("-o", "--output", choices=["yaml", "json"], default="yaml")
    manifests.set_defaults(handler=cmd_manifests)

    sandbox = commands.add_parser(
        "sandbox", help="run the built-in Kubernetes API emulator on loopback", add_help=False
    )
    sandbox.add_argument("rest", nargs=argparse.REMAINDER)
    sandbox.set_defaults(handler=cmd_sandbox)

    demo = commands.add_parser("demo", help="build the demo repository and show what the console sees")
    demo.add_argument("--state-dir", type=Path, help="keep the demo's repository and apps here")
    demo.set_defaults(handler=cmd_demo)
    return parser


# -- commands ---------------------------------------------------------------------------


def cmd_apps(args: argparse.Namespace) -> int:
    result = _load(args.apps)
    if args.output == "table":
        _print_table(
            ["NAME", "PROJECT", "REPO", "PATH", "REVISION", "DESTINATION", "NAMESPACE", "SYNC POLICY"],
            [_app_row(app) for app in result.apps],
        )
    else:
        payload = [_app_summary(app) for app in result.apps]
        _dump({"apps": payload, "errors": list(result.errors)}, args.output)
    _report_problems(result)
    return EXIT_ERROR if result.errors else EXIT_OK


def cmd_manifests(args: argparse.Namespace) -> int:
    app = _find_app(_load(args.apps), args.app)
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
        raise CommandError(f"app '{app.name}': {getattr(exc, 'message', exc)}") from None
    for warning in rendered.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    objects = SecretMasker().mask_all(rendered.objects)
    if args.output == "json":
        _dump({"apiVersion": "v1", "kind": "List", "items": objects}, "json")
    else:
        sys.stdout.write(yaml.safe_dump_all(objects, sort_keys=False, explicit_start=True))
    print(
        f"# {len(objects)} objects from {app.source.repo_url} at {commit.short_sha} ({commit.subject})",
        file=sys.stderr,
    )
    return EXIT_OK


def cmd_sandbox(args: argparse.Namespace) -> int:
    from gitops_tui import sandbox

    return int(sandbox.main(list(args.rest)) or EXIT_OK)


def cmd_demo(args: argparse.Namespace) -> int:
    from gitops_tui.demo import run_static_demo

    return run_static_demo(args.state_dir)


# -- helpers ----------------------------------------------------------------------------


def _load(cli_paths: Sequence[str]) -> LoadResult:
    paths = resolve_app_paths(cli_paths)
    if not paths:
        raise CommandError(
            "no Application definitions: pass --apps PATH, set $GITOPS_TUI_APPS, create ./apps, "
            "or set 'apps:' in the config file"
        )
    return load_applications(paths)


def _find_app(result: LoadResult, name: str) -> AppSpec:
    app = result.app(name)
    if app is None:
        _report_problems(result)
        known = ", ".join(a.name for a in result.apps) or "none"
        raise CommandError(f"no app named '{name}' (apps: {known})")
    return app


def _report_problems(result: LoadResult) -> None:
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for error in result.errors:
        print(f"error: {error}", file=sys.stderr)


def _sync_policy_word(app: AppSpec) -> str:
    policy = app.sync_policy
    if not policy.automated:
        return "manual"
    extras = [word for word, on in (("prune", policy.prune), ("self-heal", policy.self_heal)) if on]
    return "auto" + (f" ({', '.join(extras)})" if extras else "")


def _app_row(app: AppSpec) -> list[str]:
    dest = app.destination
    return [
        app.name,
        app.project,
        app.source.repo_url,
        app.source.path,
        app.source.target_revision,
        dest.name or dest.server,
        dest.namespace or "-",
        _sync_policy_word(app),
    ]


def _app_summary(app: AppSpec) -> dict[str, Any]:
    return {
        "name": app.name,
        "project": app.project,
        "repoURL": app.source.repo_url,
        "path": app.source.path,
        "targetRevision": app.source.target_revision,
        "destination": {
            k: v
            for k, v in (
                ("server", app.destination.server),
                ("name", app.destination.name),
                ("namespace", app.destination.namespace),
            )
            if v
        },
        "syncPolicy": _sync_policy_word(app),
        "definedIn": str(app.origin),
    }


def _print_table(headers: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    for row in [headers, *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def _dump(data: Any, output: str) -> None:
    if output == "json":
        json.dump(data, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(yaml.safe_dump(data, sort_keys=False))


def _write_crash_log(exc: BaseException) -> Path:
    path = state_home() / "gitops-tui.log"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as f:
            f.write("".join(traceback.format_exception(exc)))
    except OSError:
        pass
    return path


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
