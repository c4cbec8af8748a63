"""`Sandbox`: the API server on its own asyncio loop in a background thread, for tests and the CLI.

    with Sandbox() as sandbox:
        kubernetes.config.load_kube_config(str(sandbox.kubeconfig_path))
        ...
        sandbox.forbid(ForbidRule(verbs={"delete"}))
        sandbox.call(lambda store: store.create("configmaps", {...}, "default"))

The store lives on the sandbox's loop; touch it only through `call()` (or from controllers running
on that loop).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import tempfile
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any, TypeVar

from .access import ForbidRule
from .faults import ErrorFault, Faults, LatencyFault
from .kubeconfig import write_kubeconfig
from .persistence import StateSaver, load_state
from .server import ApiServer
from .store import Store

T = TypeVar("T")
log = logging.getLogger(__name__)

STOP_DEADLINE = 2.0
"""Seconds `Sandbox.stop()` gives connections and controllers before it stops without them."""
SAVE_ALLOWANCE = 5.0
"""Extra seconds for the final save of a state file (a large store takes a moment to write)."""


def check_loopback(host: str) -> None:
    if host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"the sandbox binds to loopback addresses only, not {host!r}")


class Sandbox:
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        token: str | None = None,
        forbid: Iterable[ForbidRule] = (),
        kubeconfig_path: str | Path | None = None,
        state_file: str | Path | None = None,
        controllers: bool = False,
        speed: float = 1.0,
        nodes: int = 1,
        bookmark_interval: float = 1.0,
        history: int = 100_000,
        gc_delay: float = 0.05,
        pod_termination: float = 0.2,
    ) -> None:
        check_loopback(host)
        self.host = host
        self.port = port
        self.token = token
        self._forbid = list(forbid)
        self._tempdir: tempfile.TemporaryDirectory[str] | None = None
        if kubeconfig_path is None:
            self._tempdir = tempfile.TemporaryDirectory(prefix="gitops-sandbox-")
            kubeconfig_path = Path(self._tempdir.name) / "kubeconfig"
        self.kubeconfig_path = Path(kubeconfig_path)
        self.state_file = Path(state_file) if state_file else None
        self.controllers = controllers
        self.speed = speed
        self.nodes = nodes
        self.bookmark_interval = bookmark_interval
        self.history = history
        self.gc_delay = gc_delay
        self.pod_termination = pod_termination
        self.server: ApiServer | None = None
        self.store: Store | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._saver: StateSaver | None = None
        self._runner: Any = None

    # ---- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> Sandbox:
        ready: Future[None] = Future()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, args=(ready,), name="k8s-sandbox", daemon=True)
        self._thread.start()
        ready.result(timeout=30)
        write_kubeconfig(self.kubeconfig_path, self.url, self.token)
        return self

    def _run(self, ready: Future[None]) -> None:
        assert self._loop is not None
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._start_async())
        except BaseException as exc:
            ready.set_exception(exc)
            return
        ready.set_result(None)
        self._loop.run_forever()
        self._loop.run_until_complete(self._loop.shutdown_asyncgens())
        self._loop.close()

    async def _start_async(self) -> None:
        clock = None
        if self.controllers:
            from .controllers.clock import SimClock

            clock = SimClock(speed=self.speed)
        store = Store(
            clock=clock.now if clock else _utc_now,
            history=self.history,
            gc_delay=self.gc_delay,
            pod_termination_delay=self.pod_termination,
        )
        if self.state_file is not None:
            state = load_state(self.state_file)
            if state is not None:
                store.load_state(state)
            self._saver = StateSaver(store, self.state_file)
        self.store = store
        self.server = ApiServer(store, host=self.host, port=self.port, token=self.token, forbid=self._forbid)
        self.server.watches.bookmark_interval = self.bookmark_interval
        await self.server.start()
        self.port = self.server.port
        if clock is not None:
            from .controllers.runner import ControllerRunner

            self._runner = ControllerRunner(store, clock, nodes=self.nodes)
            await self._runner.start()

    def stop(self, deadline: float = STOP_DEADLINE) -> None:
        """Stop within about `deadline` seconds (plus the final state save), even with clients that vanished.

        Connections go first (listener, watch streams, open sockets), so nothing a client does or fails
        to do can hold the rest up; controllers stop and the state is saved; whatever still runs on the
        sandbox's loop after the deadline is abandoned (its thread is a daemon) rather than waited for.
        """
        if self._loop is None or self._thread is None:
            return
        if self._loop.is_running():
            stopping = asyncio.run_coroutine_threadsafe(self._stop_async(deadline), self._loop)
            try:
                stopping.result(timeout=deadline + SAVE_ALLOWANCE)
            except FutureTimeout:
                log.warning("sandbox: shutdown took longer than %.1f s; leaving the rest behind", deadline)
                stopping.cancel()
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=deadline)
        self._loop = None
        if self._tempdir is not None:
            self._tempdir.cleanup()
            self._tempdir = None

    async def _stop_async(self, deadline: float) -> None:
        if self.server is not None:
            await self.server.stop(timeout=deadline / 2)
        if self._runner is not None:
            try:
                await asyncio.wait_for(self._runner.stop(), deadline / 2)
            except TimeoutError:
                log.warning("sandbox: controllers did not stop within %.1f s", deadline / 2)
        if self._saver is not None:
            await self._saver.close()
        # Anything else still running on this loop (a handler that ignored cancellation) is cancelled,
        # so the loop closes without "Task was destroyed but it is pending".
        current = asyncio.current_task()
        leftovers = [task for task in asyncio.all_tasks() if task is not current]
        for task in leftovers:
            task.cancel()
        if leftovers:
            await asyncio.wait(leftovers, timeout=0.2)

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # ---- touching the store from other threads ----------------------------------------------------

    def call(self, fn: Callable[[Store], T]) -> T:
        """Run `fn(store)` on the sandbox's loop and return its result (exceptions propagate)."""
        return self.run(self._call(fn))

    async def _call(self, fn: Callable[[Store], T]) -> T:
        assert self.store is not None
        return fn(self.store)

    def run(self, coro: Any) -> Any:
        assert self._loop is not None, "the sandbox is not running"
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=30)

    def _on_loop(self, fn: Callable[[], T]) -> T:
        async def wrapper() -> T:
            return fn()

        return self.run(wrapper())

    def request_counts(self) -> dict[str, int]:
        """Resource requests served so far, by verb (`{"get": 12, "patch": 40, ...}`)."""
        return self._on_loop(lambda: dict(self._server().requests))

    # ---- authorization ------------------------------------------------------------------------------

    def forbid(self, *rules: ForbidRule) -> None:
        self._on_loop(lambda: self._server().access.rules.extend(rules))

    def set_forbid_rules(self, rules: Iterable[ForbidRule]) -> None:
        new_rules = list(rules)
        self._on_loop(lambda: setattr(self._server().access, "rules", new_rules))

    def allow_all(self) -> None:
        self.set_forbid_rules([])

    # ---- faults -------------------------------------------------------------------------------------

    @property
    def faults(self) -> Faults:
        return self._server().faults

    def set_latency(self, seconds: float, verbs: Iterable[str] | None = None, resource: str = "*") -> None:
        """Delay every request, or (with verbs/resource) only matching API requests, by `seconds`."""
        if verbs is None and resource == "*":
            self._on_loop(lambda: setattr(self._server().faults, "latency", seconds))
            return
        rule = LatencyFault(seconds, frozenset(verbs) if verbs else None, resource)
        self._on_loop(lambda: self._server().faults.latencies.append(rule))

    def inject_errors(self, fault: ErrorFault) -> None:
        self._on_loop(lambda: self._server().faults.errors.append(fault))

    def clear_faults(self) -> None:
        def clear() -> None:
            self._server().faults.clear()
            self._server().close_watches_every(None)

        self._on_loop(clear)

    def close_watches(self) -> int:
        return self._on_loop(lambda: self._server().watches.close_all())

    def close_watches_every(self, seconds: float | None) -> None:
        self._on_loop(lambda: self._server().close_watches_every(seconds))

    def compact(self) -> None:
        self.call(lambda store: store.compact())

    def refuse_connections(self, seconds: float) -> None:
        self.run(self._server().refuse_connections(seconds))

    def open_watches(self) -> int:
        return self._on_loop(lambda: len(self._server().watches))

    def _server(self) -> ApiServer:
        assert self.server is not None, "the sandbox is not running"
        return self.server


def _utc_now() -> Any:
    from .store import utc_now

    return utc_now()
