"""The command line: one-shot commands for scripts and CI, and the entry to the console.

Exit codes: 0 success, 1 drift (diff), 2 an error that prevented an answer. A user never
sees a traceback: unexpected errors print one line and the path of the log that holds it.

`diff` and `status` that a running console answers are printed before anything else is imported
(served.py): no argparse, no config, no model. Everything else parses its options here.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["sandbox"]:
        # The sandbox stands alone and parses its own options (argparse's REMAINDER drops leading ones).
        from gitops_tui import sandbox

        return int(sandbox.main(argv[1:]) or 0)
    from gitops_tui.cli.served import answer_from_console

    served = answer_from_console(argv)
    if served is not None:
        return served
    from gitops_tui.cli.health_options import custom_health
    from gitops_tui.cli.output import EXIT_ERROR, EXIT_OK, run_guarded

    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_ERROR

    def run() -> int:
        with custom_health(args):
            return int(args.handler(args) or EXIT_OK)

    return run_guarded(run)


def build_parser() -> argparse.ArgumentParser:
    import argparse

    from gitops_tui import __version__
    from gitops_tui.cli.cluster_commands import add_cluster_commands
    from gitops_tui.cli.health_options import add_argocd_cm_option
    from gitops_tui.cli.source_commands import add_source_commands
    from gitops_tui.cli.write_commands import add_write_commands

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
    cluster_options.add_argument(
        "--read-only",
        action="store_true",
        help="write nothing to clusters: every write (sync, rollback, autosync) is refused",
    )
    add_argocd_cm_option(cluster_options)
    add_source_commands(commands, apps_options)
    add_cluster_commands(commands, cluster_options)
    add_write_commands(commands, cluster_options)
    return parser


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
