"""Ask a running console (query_server.py) for `diff` / `status`, the way `argocd app diff` asks its server.

The fast path of those commands: it needs the standard library, the app definitions and the kubeconfig's
names, never the kubernetes client, GitPython or textual. Any doubt (no console, a stale socket file, a
timeout, another version, a console that cannot vouch for its state) returns None, and the command works
the answer out by itself, so a console makes commands faster, never different.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import time
from collections.abc import Sequence
from typing import Any

from gitops_tui.config import resolve_app_paths
from gitops_tui.engine.query_protocol import (
    ConsoleIdentity,
    console_disabled,
    decode,
    encode,
    private_dir_problem,
    request,
    socket_path,
)
from gitops_tui.model import AppSpec

CONNECT_TIMEOUT = 0.5
ANSWER_TIMEOUT = 10.0
"""A little longer than the console's own limit (query_server.ANSWER_TIMEOUT), so it can say why it gave up."""
TIMEOUT_ENV = "GITOPS_TUI_CONSOLE_TIMEOUT"
DEBUG_ENV = "GITOPS_TUI_CONSOLE_DEBUG"

last_refusal = ""
"""Why the last question found no answer (said only with $GITOPS_TUI_CONSOLE_DEBUG: output must not depend on it)."""


def ask_console(args: argparse.Namespace, query: str, specs: Sequence[AppSpec]) -> dict[str, Any] | None:
    """The console's answer to `query` about `specs`, or None when none may be used.

    With $GITOPS_TUI_CONSOLE_DEBUG set, why no console answered is said on stderr (output differs then)."""
    answer = _ask(args, query, specs)
    if answer is None and os.environ.get(DEBUG_ENV) and last_refusal != "not asked":
        print(f"console: {last_refusal}; working it out here", file=sys.stderr)
    return answer


def _ask(args: argparse.Namespace, query: str, specs: Sequence[AppSpec]) -> dict[str, Any] | None:
    global last_refusal
    if getattr(args, "no_console", False) or console_disabled() or not specs:
        last_refusal = "not asked"
        return None
    identity = _identity(args)
    if identity is None:
        last_refusal = "the kubeconfig cannot be read here"
        return None
    path = socket_path(identity)
    if not path.exists():
        last_refusal = f"no console answers for these apps and this kubeconfig/context ({path})"
        return None
    problem = private_dir_problem(path.parent)
    if problem:
        last_refusal = problem
        return None
    try:
        reply = exchange(str(path), request(identity, query, specs), _timeout())
    except (OSError, ValueError) as exc:  # refused (stale socket), timed out, cut short, garbled
        last_refusal = f"{path}: {exc}"
        return None
    answer = reply.get("answer")
    if reply.get("ok") is not True or not isinstance(answer, dict):
        last_refusal = str(reply.get("reason") or "the console gave no answer")
        return None
    last_refusal = ""
    return answer


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


def console_identity(args: argparse.Namespace, kubeconfig: Any) -> ConsoleIdentity:
    """What a console started with these options watches (the console and the CLI both ask this)."""
    from gitops_tui.cli.health_options import argocd_cm_source

    checks = argocd_cm_source(args) if hasattr(args, "argocd_cm") else None
    return ConsoleIdentity.of(resolve_app_paths(args.apps), kubeconfig, checks)


def _identity(args: argparse.Namespace) -> ConsoleIdentity | None:
    from gitops_tui.cluster.errors import KubeconfigError
    from gitops_tui.cluster.kubeconfig import load_kubeconfig

    try:
        kubeconfig = load_kubeconfig(args.kubeconfig, context=args.context)
    except KubeconfigError:
        return None  # the one-shot path says what is wrong with it, in its words
    return console_identity(args, kubeconfig)


def _timeout() -> float:
    try:
        return max(0.1, float(os.environ.get(TIMEOUT_ENV, "") or ANSWER_TIMEOUT))
    except ValueError:
        return ANSWER_TIMEOUT
