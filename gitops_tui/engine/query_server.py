"""A running console answers `gitops-tui diff` and `status` from its watch cache, as Argo CD's server does.

An asyncio Unix socket server on the reconciler's loop (query_protocol.py has the wire and the socket's
place). It reads only: it calls the reconciler's public API (`refresh`, `snapshot`, `activity`,
`freshness`, `diff`) and nothing that writes. It answers only when its answer is as good as a one-shot
command's: the definition files still say what the console watches and the command would use the context
it watches (checked after the question came, by the `WatchedApps` it was given: cli/console_definitions.py),
Git was fetched after the question came (so a commit pushed a second ago is seen), the app's compare
reflects that fetch, and the app's cluster is reachable with its watches in sync. Otherwise it says why
not, and the CLI computes the answer itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from gitops_tui import __version__
from gitops_tui.engine.oneshot import LEFTOVER_KINDS
from gitops_tui.engine.query_answers import diff_answer, drifted, spec_fingerprint, status_entry
from gitops_tui.engine.query_protocol import (
    MAX_REQUEST_BYTES,
    PROTOCOL,
    answered,
    decode,
    encode,
    make_private_dir,
    socket_path,
    unavailable,
)
from gitops_tui.model import AppActivity, AppSpec, AppState, ClusterFreshness, Destination, ResourceKey, SyncStatus

log = logging.getLogger(__name__)

ANSWER_TIMEOUT = 8.0
"""Longest a question waits for a fresh state; the CLI waits a little longer, then works it out itself."""
_ATTEMPTS = 3
"""A state that changes while its diffs are read is read again, this many times at most."""


class QueryReconciler(Protocol):
    """The part of the reconciler's public API the server uses: reads and `refresh` (which only polls Git)."""

    def snapshot(self) -> Mapping[str, AppState]: ...
    def refresh(self, app: str, hard: bool = False) -> asyncio.Future[AppState]: ...
    def activity(self, app: str) -> AppActivity: ...
    def freshness(self) -> list[ClusterFreshness]: ...
    async def diff(self, app: str, key: ResourceKey) -> Any: ...


class Definitions(Protocol):
    """Application definitions as loaded (config.LoadResult)."""

    @property
    def apps(self) -> Sequence[AppSpec]: ...
    @property
    def warnings(self) -> Sequence[str]: ...
    @property
    def errors(self) -> Sequence[str]: ...


class WatchedApps(Protocol):
    """What the console answers for: the address a command names it by, and what its files say now."""

    @property
    def key(self) -> str: ...
    @property
    def apps_spelled(self) -> tuple[str, ...]: ...
    def current(self, context: str | None = None) -> Definitions:
        """Blocking (reads files); raises ValueError saying why the files no longer mean what is watched, or why
        a command with this `--context` ("": none; None: the address's own) would not use the watched one."""
        ...


class Unavailable(Exception):
    """This console cannot give an answer as good as a one-shot command's; the message says why."""


class QueryServer:
    def __init__(
        self,
        reconciler: QueryReconciler,
        watched: WatchedApps,
        context_for: Any,
        *,
        path: Path | None = None,
        answer_timeout: float = ANSWER_TIMEOUT,
    ) -> None:
        """`context_for(destination) -> str` names the kubeconfig context of an app's destination."""
        self.reconciler = reconciler
        self.watched = watched
        self.context_for = context_for
        self.path = path or socket_path(watched.key)
        self.answer_timeout = answer_timeout
        self.answered = 0
        """Questions answered (not refused): for the curious and the tests."""
        self._server: asyncio.AbstractServer | None = None
        self._inode: int | None = None

    # ---- lifecycle ----------------------------------------------------------------------------------

    async def start(self) -> str:
        """Listen; returns why not ("" when serving). Never fatal: the console runs on without it."""
        problem = make_private_dir(self.path.parent)
        if problem:
            return f"not answering CLI queries: {problem}"
        if (self.path.exists() or self.path.is_symlink()) and await _answers(self.path):
            return f"not answering CLI queries: another console already does at {self.path}"
        await _remove_dead_sockets(self.path.parent)  # left behind by consoles that were killed
        old_umask = os.umask(0o177)  # the socket is born 0600: no window in which others may connect
        try:
            self._server = await asyncio.start_unix_server(self._handle, path=str(self.path), limit=MAX_REQUEST_BYTES)
        except OSError as exc:
            return f"not answering CLI queries: cannot listen on {self.path}: {exc.strerror}"
        finally:
            os.umask(old_umask)
        os.chmod(self.path, 0o600)
        self._inode = self.path.stat().st_ino
        log.info("answering CLI queries on %s", self.path)
        return ""

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._server.wait_closed(), 2.0)
        self._server = None
        # Remove the socket only if it is still ours (a console started after us may have replaced it).
        with contextlib.suppress(OSError):
            if self.path.stat().st_ino == self._inode:
                self.path.unlink()

    @property
    def serving(self) -> bool:
        return self._server is not None

    # ---- one connection, one question -----------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            try:
                line = await asyncio.wait_for(reader.readline(), 5.0)
                reply = await self.answer(decode(line))
            except (ValueError, asyncio.LimitOverrunError, TimeoutError) as exc:
                reply = unavailable(f"bad request: {exc}")
            writer.write(encode(reply))
            await writer.drain()
        except (ConnectionError, OSError):
            pass  # the CLI gave up waiting: nothing to tell anyone
        except Exception:  # a bug must cost one answer (the CLI falls back), never the console
            log.exception("answering a CLI query failed")
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def answer(self, message: Mapping[str, Any]) -> dict[str, Any]:
        """The reply to one request (query_protocol.py): an answer, or why there is none."""
        if message.get("protocol") != PROTOCOL or message.get("version") != __version__:
            return unavailable(f"this console speaks protocol {PROTOCOL} of gitops-tui {__version__}")
        if message.get("address") != self.watched.key:
            return unavailable("this console watches other apps or another kubeconfig/context")
        names = message.get("apps")
        query = message.get("query")
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names) or query not in ("diff", "status"):
            return unavailable("bad request: expected a diff or status query naming apps")
        if query == "diff" and len(names) != 1:
            return unavailable("bad request: a diff query names one app")
        context = message.get("context")
        if context is not None and not isinstance(context, str):
            return unavailable("bad request: the context is a name")
        deadline = time.monotonic() + self.answer_timeout
        try:
            try:  # the files are read after the question came: an edit made before it is seen
                definitions = await asyncio.to_thread(self.watched.current, context)
            except ValueError as exc:
                raise Unavailable(str(exc)) from None
            wanted = list(dict.fromkeys(names)) or [spec.name for spec in definitions.apps]
            self._check_definitions(wanted, definitions)
            if query == "diff":
                body = await self._diff(wanted[0], deadline)
            else:
                problems = self._problems(definitions, message.get("spelled"))
                states = await asyncio.gather(*(self._current(name, deadline) for name in wanted))
                body = {"apps": [status_entry(state) for state in states], **problems}
        except Unavailable as exc:
            return unavailable(str(exc))
        self.answered += 1
        return answered(body)

    def _check_definitions(self, names: list[str], definitions: Definitions) -> None:
        """Each app asked about is defined in the files as this console watches it."""
        defined = {spec.name: spec for spec in definitions.apps}
        if not names:
            raise Unavailable("no apps are defined")
        snapshot = self.reconciler.snapshot()
        for name in names:
            spec = defined.get(name)
            if spec is None:
                raise Unavailable(f"no app named {name!r} is defined")  # the command says it in its words
            state = snapshot.get(name)
            if state is None:
                raise Unavailable(f"this console does not watch an app named {name!r}")
            if spec_fingerprint(state.spec) != spec_fingerprint(spec):
                raise Unavailable(f"the definition of {name} changed since this console read it")

    def _problems(self, definitions: Definitions, spelled: Any) -> dict[str, list[str]]:
        """The definitions' warnings and errors, which `status` prints after its table."""
        problems = {"warnings": list(definitions.warnings), "errors": list(definitions.errors)}
        if (problems["warnings"] or problems["errors"]) and spelled != list(self.watched.apps_spelled):
            # They name files by the paths the console was given; the command may spell them otherwise.
            raise Unavailable("the definitions have problems, named by paths the command spells differently")
        return problems

    async def _diff(self, name: str, deadline: float) -> dict[str, Any]:
        for _attempt in range(_ATTEMPTS):
            state = await self._current(name, deadline)
            diffs = {}
            for resource in drifted(state):
                diff = await self.reconciler.diff(name, resource.key)
                if diff is None:
                    raise Unavailable(f"{name}: no diff for {resource.key} in this console")
                diffs[resource.key] = diff
            if self.reconciler.snapshot().get(name) is state:
                # YAML is made lazily and for big objects takes a while: not on the console's loop.
                return await asyncio.to_thread(diff_answer, state, diffs)
        raise Unavailable(f"{name} kept changing while its diff was read")

    async def _current(self, name: str, deadline: float) -> AppState:
        """The app's state after a Git poll that began after this call, if the cluster side is fresh too."""
        asked_at = datetime.now(UTC)
        left = deadline - time.monotonic()
        try:
            state = await asyncio.wait_for(asyncio.shield(self.reconciler.refresh(name)), max(0.0, left))
        except TimeoutError:
            raise Unavailable(f"{name}: no fresh comparison within {self.answer_timeout:g} s") from None
        polled = self.reconciler.activity(name).last_polled_at
        if polled is None or polled < asked_at:
            raise Unavailable(f"{name}: Git was not polled after the question")
        if state.error or state.revision is None:
            raise Unavailable(f"{name}: the console's comparison has an error ({state.error or 'no revision'})")
        if any(r.sync is SyncStatus.UNKNOWN for r in state.resources):
            raise Unavailable(f"{name}: some resources could not be compared by the console")
        unseen = beyond_one_shot(state)
        if unseen is not None:
            raise Unavailable(f"{name}: it tracks {unseen}, where a one-shot command does not look")
        self._check_cluster(name, state.spec.destination)
        return state

    def _check_cluster(self, name: str, destination: Destination) -> None:
        try:
            context = self.context_for(destination)
        except Exception as exc:  # DestinationError: the one-shot command says it in its own words
            raise Unavailable(f"{name}: {exc}") from None
        for cluster in self.reconciler.freshness():
            if cluster.context == context:
                if cluster.reachable is not True or not cluster.synced:
                    raise Unavailable(f"{name}: the live cache of {context} is not in sync")
                return
        raise Unavailable(f"{name}: this console does not watch context {context}")


def beyond_one_shot(state: AppState) -> ResourceKey | None:
    """A resource the app tracks but no longer renders that a one-shot command would not find, if any.

    The console watches its kinds in every namespace; a one-shot command lists only the kinds the app
    renders and LEFTOVER_KINDS, in the namespaces it renders into and its destination's (oneshot.py). An
    object left in another namespace, or of another kind, is the console's to see and not the command's: an
    answer would differ, so the command works it out itself.
    """
    rendered = [r for r in state.resources if r.in_git]
    namespaces = {r.key.namespace for r in rendered if r.key.namespace} | {state.spec.destination.namespace or ""}
    kinds = {(r.key.group, r.key.kind) for r in rendered} | set(LEFTOVER_KINDS)
    for resource in state.resources:
        key = resource.key
        if resource.in_git:
            continue
        if (key.group, key.kind) not in kinds or (key.namespace and key.namespace not in namespaces):
            return key
    return None


async def _remove_dead_sockets(directory: Path) -> None:
    """Sockets of consoles that died without removing them (SIGKILL, a crash): nobody listens on them."""
    for path in directory.glob("console-*.sock"):
        if not await _answers(path):
            with contextlib.suppress(OSError):
                path.unlink()


async def _answers(path: Path) -> bool:
    """Whether something listens on `path` (a console that is alive), as opposed to a stale file."""
    try:
        _reader, writer = await asyncio.wait_for(asyncio.open_unix_connection(str(path)), 1.0)
    except (OSError, TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(Exception):
        await writer.wait_closed()
    return True


__all__ = ["QueryServer", "Unavailable"]
