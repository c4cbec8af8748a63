"""The command line: one-shot commands for scripts and CI, and the entry to the console.

Exit codes: 0 success, 1 drift (diff), 2 an error that prevented an answer. A user never
sees a traceback: unexpected errors print one line and the path of the log that holds it.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from gitops_tui import __version__
from gitops_tui.cli.cluster_commands import add_cluster_commands
from gitops_tui.cli.common import EXIT_ERROR, EXIT_OK, CommandError
from gitops_tui.cli.health_options import add_argocd_cm_option, custom_health
from gitops_tui.cli.source_commands import add_source_commands
from gitops_tui.cli.write_commands import add_write_commands
from gitops_tui.config import SettingsError, state_home


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["sandbox"]:
        # The sandbox stands alone and parses its own options (argparse's REMAINDER drops leading ones).
        from gitops_tui import sandbox

        return int(sandbox.main(argv[1:]) or EXIT_OK)
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_ERROR
    try:
        with custom_health(args):
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
    cluster_options = argparse.ArgumentParser(add_help=False, parents=[apps_options])
    cluster_options.add_argument(
        "--kubeconfig", metavar="PATH", help="kubeconfig file (default: $KUBECONFIG, ~/.kube/config)"
    )
    cluster_options.add_argument("--context", help="kubeconfig context for apps whose destination is the current one")
    cluster_options.add_argument("--read-only", action="store_true",
                                 help="write nothing to clusters: every write (sync, rollback, autosync) is refused")
    add_argocd_cm_option(cluster_options)
    add_source_commands(commands, apps_options)
    add_cluster_commands(commands, cluster_options)
    add_write_commands(commands, cluster_options)
    return parser


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
