"""The wire between a running console and `gitops-tui diff` / `status`: where the socket is, what is said on it.

Both sides import this module, and the CLI does so before it has parsed its options, so it needs only the
standard library: no model, no YAML, no kubernetes client, no GitPython, no textual.

One request per connection, one JSON document per line each way:

    → {"protocol": 3, "version": "0.1.0", "address": "<key>", "query": "diff", "apps": ["shop"], "spelled": [...],
       "context": ""}
    ← {"ok": true, "answer": {...}}          or      ← {"ok": false, "reason": "why the console cannot answer"}

The address (cli/console_address.py) is what the command's options and environment name: the apps source,
the kubeconfig files and --context, the custom health checks; the socket's name is derived from it. A
command without --context may also ask the console started with `--context` its current context names,
and one with it the console started without; `context` says which the command would use, and the console
answers only when that is the context it watches. The
CLI reads none of those files: the console itself checks, after the question came, that the files it was started
from still say what it watches (query_server.py), so an edited apps file never gets a stale answer.
An empty `apps` list asks `status` about every app. The answers (query_answers.py) carry what the CLI
prints, already masked by the engine: Secret values never travel.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Mapping, Sequence
from pathlib import Path

from gitops_tui import __version__

PROTOCOL = 3
MAX_REQUEST_BYTES = 1 << 20
NO_CONSOLE_ENV = "GITOPS_TUI_NO_CONSOLE"
_SOCKET_PATH_LIMIT = 100
"""sun_path holds 108 bytes on Linux (104 on the BSDs): longer paths go to a short directory instead."""


def console_disabled(environ: Mapping[str, str] = os.environ) -> bool:
    return environ.get(NO_CONSOLE_ENV, "").strip().lower() not in ("", "0", "false", "no")


# ---- where the socket lives ---------------------------------------------------------------------------------


def socket_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """$XDG_RUNTIME_DIR/gitops-tui (per user, 0700 by systemd), else a 0700 directory under the state dir."""
    runtime = environ.get("XDG_RUNTIME_DIR", "").strip()
    if runtime and Path(runtime).is_absolute():
        return Path(runtime) / "gitops-tui"
    # config.settings.state_home(), spelled out: importing the config package costs the CLI YAML and the model.
    state = environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "gitops-tui" / "run"


def socket_path(address: object, environ: Mapping[str, str] = os.environ) -> Path:
    """The socket of the console at `address` (its key, or anything with a `key`)."""
    key = address if isinstance(address, str) else str(getattr(address, "key"))  # noqa: B009
    name = f"console-{key[:24]}.sock"
    path = socket_dir(environ) / name
    if len(str(path)) > _SOCKET_PATH_LIMIT:
        import tempfile  # rarely needed, and it imports shutil and random

        path = Path(tempfile.gettempdir()) / f"gitops-tui-{os.getuid()}" / name
    return path


def private_dir_problem(directory: Path) -> str:
    """Why `directory` may not hold a console socket ("" when it may): it must be ours and closed to others."""
    try:
        info = directory.lstat()
    except OSError as exc:
        return f"{directory}: {exc.strerror}"
    if not stat.S_ISDIR(info.st_mode):
        return f"{directory} is not a directory"
    if info.st_uid != os.getuid():
        return f"{directory} belongs to another user"
    if info.st_mode & 0o077:
        return f"{directory} is open to other users (mode {stat.S_IMODE(info.st_mode):o}; expected 700)"
    return ""


def make_private_dir(directory: Path) -> str:
    """Create `directory` 0700 if missing; the reason it cannot be used, or ""."""
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        return f"cannot create {directory}: {exc.strerror}"
    return private_dir_problem(directory)


# ---- messages ---------------------------------------------------------------------------------------------


def request(
    address_key: str, query: str, apps: Sequence[str], spelled: Sequence[str] = (), context: str | None = None
) -> dict[str, object]:
    """`apps`: the names asked about (repeats allowed); none: every app (`status` only). `spelled`: the apps
    paths as the command's options spell them (definition warnings name files so). `context`: the command's
    `--context` ("": none, so the kubeconfig's current context), which the console checks is the one it
    uses; None says the address's own context."""
    message: dict[str, object] = {"protocol": PROTOCOL, "version": __version__, "address": address_key,
                                  "query": query, "apps": list(apps), "spelled": list(spelled)}  # fmt: skip
    if context is not None:
        message["context"] = context
    return message


def encode(message: Mapping[str, object]) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode() + b"\n"


def decode(line: bytes) -> dict[str, object]:
    message = json.loads(line)
    if not isinstance(message, dict):
        raise ValueError("a message is a JSON object")
    return message


def unavailable(reason: str) -> dict[str, object]:
    return {"ok": False, "reason": reason}


def answered(answer: Mapping[str, object]) -> dict[str, object]:
    return {"ok": True, "answer": answer}
