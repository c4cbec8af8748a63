"""The Textual console answers `gitops-tui diff` / `status` while it runs, and stops answering when it quits."""

from __future__ import annotations

from gitops_tui.engine.console import build_reconciler
from gitops_tui.engine.query_protocol import socket_path
from gitops_tui.source.git import MirrorPool
from gitops_tui.tui.app import GitOpsApp
from tests.engine.test_query_server import Consoles, consoles, runtime_dir, sandbox
from tests.engine.test_reconciler import QUIET
from tests.tui import wait_for

__all__ = ["consoles", "runtime_dir", "sandbox"]  # fixtures, re-exported for pytest


async def test_the_textual_console_answers_cli_queries_while_it_runs(consoles: Consoles) -> None:
    reconciler = build_reconciler(consoles.apps(), consoles.world.kubeconfig, settings=QUIET,
                                  pool=MirrorPool(consoles.world.tmp_path / "console-mirrors"),
                                  answer_queries_as=consoles.identity)  # fmt: skip
    app = GitOpsApp(reconciler)  # starts the reconciler (and its query server) on mount, stops both on exit
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: "shop" in app.tree.states and app.tree.states["shop"].compared_at is not None,
                       attempts=500)  # fmt: skip
        reply = await consoles.ask("diff")
        assert reply["ok"] is True, reply
        assert reply["answer"]["app"] == "shop"
        await pilot.press("q")
    assert not socket_path(consoles.identity).exists()
