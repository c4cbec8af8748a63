"""The fast path's command-line reader (cli/served.py) takes only what argparse would read the same way,
and leaves everything else to argparse (which then parses, errs or helps as it always did)."""

from __future__ import annotations

import pytest

from gitops_tui.cli import build_parser
from gitops_tui.cli.served import parse

READ_THE_SAME = [
    ["diff", "shop"],
    ["diff", "shop", "--apps", "a.yaml", "--apps", "b", "--kubeconfig", "kc", "--context", "prod"],
    ["diff", "--apps=apps.yaml", "--side-by-side", "shop", "--read-only"],
    ["diff", "--argocd-cm", "cm.yaml", "shop", "--context=prod", "--context", "dev"],
    ["status"],
    ["status", "shop", "calm", "shop", "-o", "json"],
    ["status", "--output", "yaml", "--apps", "x", "calm"],
    ["status", "-o", "table", "--argocd-cm=cluster:argocd/argocd-cm", "a", "b"],
]

LEFT_TO_ARGPARSE = [
    [],
    ["apps"],
    ["sync", "shop"],
    ["diff"],
    ["diff", "a", "b"],
    ["diff", "shop", "--help"],
    ["diff", "shop", "--no-console"],
    ["diff", "shop", "--revision", "main"],
    ["diff", "shop", "--side"],  # an abbreviation: argparse expands it
    ["diff", "shop", "--apps"],
    ["diff", "shop", "--apps", "--context", "x"],
    ["diff", "shop", "--apps="],
    ["diff", "shop", "-o", "json"],
    ["diff", "--", "shop"],
    ["status", "-ojson"],
    ["status", "-o", "xml"],
    ["status", "--side-by-side"],
    ["status", "a", "--apps", "x", "b"],  # APP... interleaved with options
    ["status", "-x"],
]


def argparse_reads(argv: list[str]) -> dict[str, object]:
    args = build_parser().parse_args(argv)
    names = [args.app] if argv[0] == "diff" else args.names
    return {"names": names, "apps": args.apps, "kubeconfig": args.kubeconfig, "context": args.context,
            "argocd_cm": args.argocd_cm, "output": getattr(args, "output", "table"),
            "side_by_side": getattr(args, "side_by_side", False)}  # fmt: skip


@pytest.mark.parametrize("argv", READ_THE_SAME, ids=" ".join)
def test_plain_spellings_are_read_as_argparse_reads_them(argv: list[str]) -> None:
    options = parse(argv)
    assert options is not None
    assert {name: getattr(options, name) for name in argparse_reads(argv)} == argparse_reads(argv)


@pytest.mark.parametrize("argv", LEFT_TO_ARGPARSE, ids=lambda argv: " ".join(argv) or "nothing")
def test_everything_else_is_left_to_argparse(argv: list[str]) -> None:
    assert parse(argv) is None


def test_the_light_printer_colours_every_status_the_model_has() -> None:
    # output.py spells the words out so a console's answer prints without loading the model.
    from gitops_tui.cli.output import STATUS_COLOURS
    from gitops_tui.model import HealthStatus, SyncStatus

    assert set(STATUS_COLOURS) == {s.value for s in SyncStatus} | {h.value for h in HealthStatus}
