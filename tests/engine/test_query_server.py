"""The console's query server (engine/query_server.py) on a real reconciler, sandbox and Git repository:
where it listens, when it refuses, and that one console's socket is never taken by another."""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
import socket
import stat
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from gitops_tui.cli.console_client import exchange
from gitops_tui.config import LoadResult
from gitops_tui.engine.console import ServingReconciler, build_reconciler
from gitops_tui.engine.query_protocol import request, socket_path
from gitops_tui.model import AppSpec, SyncStatus
from gitops_tui.sandbox import testing as sandbox_testing
from gitops_tui.sandbox.runtime import Sandbox
from gitops_tui.source.git import MirrorPool
from tests.engine.test_reconciler import QUIET, World, app, compared
from tests.waiting import eventually

sandbox = sandbox_testing.sandbox


@pytest.fixture
def runtime_dir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    # Short: a socket path must fit in 108 bytes, pytest's temp paths may not.
    path = Path(tempfile.mkdtemp(prefix="gtq-"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(path))
    yield path
    shutil.rmtree(path, ignore_errors=True)


class Definitions:
    """What the console's definition files say (cli/console_definitions.py reads real files; the CLI tests
    use it): here the apps as the tests define them, or why they cannot be vouched for."""

    def __init__(self, key: str, apps: list[AppSpec]) -> None:
        self.key = key
        self.apps_spelled = ("apps.yaml",)
        self.result = LoadResult(tuple(apps), (), ())
        self.problem = ""

    def current(self, context: str | None = None) -> LoadResult:
        if self.problem:
            raise ValueError(self.problem)
        return self.result


class Consoles:
    def __init__(self, world: World) -> None:
        self.world = world
        self.identity = Definitions(f"test-{world.tmp_path.name}", self.apps())
        self.started: list[ServingReconciler] = []

    def apps(self) -> list[AppSpec]:
        return [app("shop", self.world.remote, "shop"), app("broken", self.world.remote, "broken")]

    async def start(self) -> ServingReconciler:
        made = build_reconciler(self.apps(), self.world.kubeconfig, settings=QUIET,
                                pool=MirrorPool(self.world.tmp_path / "mirrors"),
                                answer_queries_as=self.identity)  # fmt: skip
        assert isinstance(made, ServingReconciler)
        self.started.append(made)
        await made.start()
        await eventually(compared(made, "shop"), what="shop compared")
        return made

    async def ask(self, query: str, names: tuple[str, ...] = ("shop",), **change: Any) -> dict[str, Any]:
        message = {**request(self.identity.key, query, names, ["apps.yaml"]), **change}
        return await asyncio.to_thread(exchange, str(socket_path(self.identity.key)), message, 15.0)


@pytest.fixture
async def consoles(tmp_path: Path, sandbox: Sandbox, runtime_dir: Path) -> AsyncIterator[Consoles]:
    world = World(tmp_path, sandbox)
    await world.deploy("shop", world.remote.work.joinpath("shop/settings.yaml").read_text())
    made = Consoles(world)
    yield made
    for reconciler in made.started:
        await reconciler.stop()
    world.client.close()


async def test_a_console_answers_on_a_private_socket_and_removes_it_when_it_stops(consoles: Consoles) -> None:
    console = await consoles.start()
    path = socket_path(consoles.identity)
    assert console.query_problem == ""
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700 and stat.S_IMODE(path.stat().st_mode) == 0o600
    reply = await consoles.ask("status")
    assert reply["ok"] is True, reply
    (entry,) = reply["answer"]["apps"]
    assert entry["document"]["name"] == "shop" and entry["row"][1] == console.snapshot()["shop"].sync.value
    assert console.query_server.answered == 1
    await console.stop()
    assert not path.exists()


async def test_it_refuses_what_it_cannot_vouch_for(consoles: Consoles) -> None:
    console = await consoles.start()
    await eventually(compared(console, "broken", SyncStatus.UNKNOWN), what="broken compared")
    broken = await consoles.ask("diff", ("broken",))
    assert broken["ok"] is False and "error" in broken["reason"]  # its state has an error: work it out alone
    assert (await consoles.ask("diff", ("shop", "broken")))["ok"] is False  # one app per diff
    assert (await consoles.ask("status", apps=["ghost"]))["ok"] is False
    assert (await consoles.ask("sync"))["ok"] is False
    assert (await consoles.ask("status", protocol=99))["ok"] is False
    assert console.query_server.answered == 0


async def test_it_answers_only_for_definitions_as_it_watches_them(consoles: Consoles) -> None:
    console = await consoles.start()
    assert (await consoles.ask("status"))["ok"] is True
    edited = dataclasses.replace(consoles.apps()[0], project="elsewhere")
    consoles.identity.result = LoadResult((edited, consoles.apps()[1]), (), ())
    refused = await consoles.ask("status")
    assert refused["ok"] is False and "definition of shop changed" in refused["reason"]
    consoles.identity.problem = "the kubeconfig names other clusters or another current context now"
    assert (await consoles.ask("status"))["reason"] == consoles.identity.problem
    consoles.identity.problem = ""
    consoles.identity.result = LoadResult(tuple(consoles.apps()), (), ("about apps.yaml",))
    answer = await consoles.ask("status")
    assert answer["ok"] is True and answer["answer"]["warnings"] == ["about apps.yaml"]
    # Warnings name files by the console's spelling of the apps path; a command spelling it otherwise works alone.
    assert (await consoles.ask("status", spelled=["./apps.yaml"]))["ok"] is False
    assert console.query_server.answered == 2


async def test_a_second_console_for_the_same_apps_leaves_the_first_one_answering(consoles: Consoles) -> None:
    first = await consoles.start()
    second = await consoles.start()
    assert "another console already does" in second.query_problem
    assert (await consoles.ask("status"))["ok"] is True
    await second.stop()  # must not remove the first console's socket
    assert socket_path(consoles.identity).exists()
    assert (await consoles.ask("status"))["ok"] is True
    assert first.query_server.answered == 2


async def test_sockets_left_by_dead_consoles_are_replaced_and_swept(consoles: Consoles) -> None:
    path = socket_path(consoles.identity)
    path.parent.mkdir(mode=0o700, parents=True)
    other = path.with_name("console-of-another-dead-console.sock")
    for stale in (path, other):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as dead:
            dead.bind(str(stale))
    console = await consoles.start()
    assert console.query_problem == ""
    assert (await consoles.ask("status"))["ok"] is True
    assert not other.exists()  # swept: nobody listened on it


async def test_a_directory_open_to_others_is_not_used(consoles: Consoles) -> None:
    directory = socket_path(consoles.identity).parent
    directory.mkdir(mode=0o700, parents=True)
    directory.chmod(0o755)
    console = await consoles.start()
    assert "open to other users" in console.query_problem
    assert not socket_path(consoles.identity).exists()
