"""Ask a running console (engine/query_server.py) for `diff` / `status`, the way `argocd app diff` asks its server.

The fast path of those commands: standard library only. The command names its console by its options and
environment (console_address.py), sends the question and prints the answer; it parses no app definition,
kubeconfig or config file (the console checks those are unchanged, after the question came). Any doubt (no
console, a stale socket file, a timeout, another version, a console that cannot vouch for its state) returns
None, and the command works the answer out by itself, so a console makes commands faster, never different.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from collections.abc import Sequence

from gitops_tui.cli.console_address import addresses_to_ask, spelled_apps
from gitops_tui.engine.query_protocol import (
    console_disabled,
    decode,
    encode,
    private_dir_problem,
    request,
    socket_path,
)

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs an import the fast path does without
    from typing import Any

CONNECT_TIMEOUT = 0.5
ANSWER_TIMEOUT = 10.0
"""A little longer than the console's own limit (query_server.ANSWER_TIMEOUT), so it can say why it gave up."""
TIMEOUT_ENV = "GITOPS_TUI_CONSOLE_TIMEOUT"
DEBUG_ENV = "GITOPS_TUI_CONSOLE_DEBUG"

answered_by = ""
"""Who answered the last `status` / `diff` of this process: "console" or "standalone" (tests look)."""
last_refusal = ""
"""Why the last question found no answer (said only with $GITOPS_TUI_CONSOLE_DEBUG: output must not depend on it)."""
_refused: tuple[str, str, tuple[str, ...]] | None = None
"""The question a console already turned down in this command (asking again would only wait again)."""


def forget_refusals() -> None:
    """A new command begins (tests run several in one process)."""
    global _refused, answered_by
    _refused, answered_by = None, ""


def ask_console(options: Any, query: str, names: Sequence[str]) -> dict[str, Any] | None:
    """The console's answer to `query` about the apps `names` (none: every app), or None when none may be used.

    `options`: the command's options as argparse holds them (apps, kubeconfig, context, argocd_cm, no_console).
    With $GITOPS_TUI_CONSOLE_DEBUG set, why no console answered is said on stderr (output differs then)."""
    answer = _ask(options, query, tuple(names))
    if answer is None and os.environ.get(DEBUG_ENV) and last_refusal != "not asked":
        print(f"console: {last_refusal}; working it out here", file=sys.stderr)
    return answer


def _ask(options: Any, query: str, names: tuple[str, ...]) -> dict[str, Any] | None:
    global last_refusal, _refused
    if getattr(options, "no_console", False) or console_disabled():
        last_refusal = "not asked"
        return None
    argocd_cm = getattr(options, "argocd_cm", None)
    own, *others = addresses_to_ask(options.apps, options.kubeconfig, options.context, argocd_cm)
    question = (own.key, query, names)
    if question == _refused:
        last_refusal = "not asked"  # said once already
        return None
    refusals = []
    for address in (own, *others):
        path = socket_path(address.key)
        if address is not own and not path.exists():
            continue  # no console on the same context under the other spelling: nothing to say about it
        refusal = _refusal(address, path)
        if not refusal:
            message = request(address.key, query, names, spelled_apps(options.apps), options.context or "")
            try:
                reply = exchange(str(path), message, _timeout())
            except (OSError, ValueError) as exc:  # refused (stale socket), timed out, cut short, garbled
                reply = {"reason": f"{path}: {exc}"}
            answer = reply.get("answer")
            if reply.get("ok") is True and isinstance(answer, dict):
                return answer
            refusal = str(reply.get("reason") or "the console gave no answer")
        refusals.append(refusal)
    last_refusal = "; ".join(refusals)
    _refused = question
    return None


def _refusal(address: Any, path: Any) -> str:
    if not address.kubeconfig and not os.environ.get("KUBERNETES_SERVICE_HOST"):
        return "no kubeconfig here"  # the one-shot path says so in its words
    if not path.exists():
        return f"no console answers for these apps and this kubeconfig/context ({path})"
    return private_dir_problem(path.parent)


def exchange(path: str, message: dict[str, Any], timeout: float) -> dict[str, Any]:
    """One request, one reply, within `timeout` seconds in all."""
    deadline = time.monotonic() + timeout
    chunks: list[bytes] = []
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(min(CONNECT_TIMEOUT, timeout))
        sock.connect(path)
        sock.sendall(encode(message))
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no answer within {timeout:g} s")
            sock.settimeout(left)
            chunk = sock.recv(1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    return decode(b"".join(chunks))


def console_identity(args: Any, kubeconfig: Any) -> Any:
    """What a console started with these options answers for (`console`, `watch`): its address and the files
    behind it, as cli/console_definitions.py reads them."""
    from gitops_tui.cli.console_definitions import WatchedDefinitions

    return WatchedDefinitions.of_options(args, kubeconfig)


def _timeout() -> float:
    try:
        return max(0.1, float(os.environ.get(TIMEOUT_ENV, "") or ANSWER_TIMEOUT))
    except ValueError:
        return ANSWER_TIMEOUT
