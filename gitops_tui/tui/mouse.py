"""Whether the console captures the mouse: off by default over ssh, so the terminal's text selection works.

A pure decision (tests call it with any environment): `--mouse` / `--no-mouse` wins, then `mouse: on|off`
in the config file, and `auto` (the default) captures the mouse unless the session came in over ssh
($SSH_CONNECTION or $SSH_TTY set, as sshd sets them). Textual applies it with `App.run(mouse=...)`.
"""

from __future__ import annotations

from collections.abc import Mapping

SSH_VARIABLES = ("SSH_CONNECTION", "SSH_TTY")


def over_ssh(env: Mapping[str, str]) -> bool:
    return any(env.get(name, "").strip() for name in SSH_VARIABLES)


def capture_mouse(flag: bool | None, setting: str, env: Mapping[str, str]) -> bool:
    """`flag`: --mouse (True), --no-mouse (False) or neither (None); `setting`: the config file's on/off/auto."""
    if flag is not None:
        return flag
    if setting == "on":
        return True
    if setting == "off":
        return False
    return not over_ssh(env)
