"""Custom health checks in Lua, as Argo CD runs them (`resource.customizations.health.<group>_<kind>`).

A script gets the live object as the global `obj` (a Lua table: nested tables, arrays from 1, nil for
what is absent) and returns a table `{status = ..., message = ...}` with one of Argo CD's statuses. A
custom check replaces the built-in one for its kind, as in Argo CD, and gives a custom resource a
health it would not have otherwise.

What can go wrong stays with the resource: a script that does not compile, raises, returns something
other than a table with a valid status, or runs past its instruction or memory budget makes that
resource Unknown with a message naming the check's key and the Lua error. A script that ran past its
budget is switched off for the rest of the session (every object of its kinds says so), so a runaway
check costs a few milliseconds once, not on every object of the kind, and never stalls the console.

Secrets: a check that matches a Secret sees its `data` and `stringData` values masked (`++++++++`), so
nothing a script returns can carry a Secret's value into a view, a log or `-o json`.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from gitops_tui.engine.health_lua_config import HealthScript
from gitops_tui.engine.health_lua_runtime import LuaLimits, LuaSandbox, LuaScriptError
from gitops_tui.engine.masking import SecretMasker, is_secret
from gitops_tui.model import Health, HealthStatus, ResourceKey

_STATUSES = {status.value: status for status in HealthStatus}
_GLOB_CHARACTERS = re.compile(r"[*?\[{]")


class LuaHealthChecks:
    """The custom checks of one argocd-cm: which applies to a kind, and what it says about an object."""

    def __init__(self, scripts: Sequence[HealthScript], limits: LuaLimits | None = None) -> None:
        self.scripts = tuple(scripts)
        self._exact = {s.pattern: s for s in self.scripts}
        # In definition order, so the first matching wildcard wins every time (Argo CD's pick among
        # several is left to Go's map order).
        self._wildcards = [(_glob(s.pattern), s) for s in self.scripts if _GLOB_CHARACTERS.search(s.pattern)]
        self._by_kind: dict[tuple[str, str], HealthScript | None] = {}
        self._sandbox = LuaSandbox(limits)
        self._switched_off: dict[HealthScript, str] = {}
        self._lock = threading.Lock()

    def script_for(self, group: str, kind: str) -> HealthScript | None:
        found = self._by_kind.get((group, kind), False)
        if found is False:
            name = f"{group}/{kind}" if group else kind  # Argo CD's key: the core group has none
            found = self._exact.get(name) or next((s for glob, s in self._wildcards if glob.fullmatch(name)), None)
            self._by_kind[(group, kind)] = found
        return found

    def covers(self, group: str, kind: str) -> bool:
        return self.script_for(group, kind) is not None

    def assess(self, obj: Mapping[str, Any]) -> Health | None:
        """The custom check's verdict; None when no custom check applies to the object's kind."""
        key = ResourceKey.of(obj)
        script = self.script_for(key.group, key.kind)
        if script is None:
            return None
        switched_off = self._switched_off.get(script)
        if switched_off is not None:
            return Health(HealthStatus.UNKNOWN, switched_off)
        if is_secret(obj):
            obj = SecretMasker().mask(obj)
        try:
            result = self._sandbox.run(script.script, obj, open_libs=script.use_open_libs)
        except LuaScriptError as exc:
            if exc.over_limit:
                return self._switch_off(script, key, exc.message)
            return Health(HealthStatus.UNKNOWN, f"{script.source}: {exc.message}")
        except Exception as exc:  # lupa itself failing (an object it cannot convert): the resource's problem only
            return Health(HealthStatus.UNKNOWN, f"{script.source}: cannot run the script: {exc}")
        if result.lua_type != "table":
            return Health(
                HealthStatus.UNKNOWN, f"{script.source}: expected the script to return a table, not {result.lua_type}"
            )
        status = _STATUSES.get(result.status) if isinstance(result.status, str) else None
        if status is None:
            return Health(
                HealthStatus.UNKNOWN,
                f"{script.source}: Lua returned an invalid health status "
                f"({_shown(result.status)}; expected one of {', '.join(_STATUSES)})",
            )
        message = result.message
        if isinstance(message, bool):  # as Lua would print it, not Python
            message = "true" if message else "false"
        elif isinstance(message, float) and message.is_integer():
            message = int(message)
        return Health(status, "" if message is None else str(message))

    def _switch_off(self, script: HealthScript, key: ResourceKey, error: str) -> Health:
        where = f"{key.kind} {key.namespace}/{key.name}" if key.namespace else f"{key.kind} {key.name}"
        message = f"{script.source}: switched off: {error} on {where}; fix the script and restart"
        with self._lock:
            message = self._switched_off.setdefault(script, message)
        return Health(HealthStatus.UNKNOWN, message)


def _shown(value: Any) -> str:
    return "nothing" if value is None else repr(value)


def _glob(pattern: str) -> re.Pattern[str]:
    """Argo CD's glob (gobwas/glob, no separators): `*` any run, `?` one character, `[...]` a class
    (`[!...]` negated), `{a,b}` alternatives; everything else literal."""
    out: list[str] = []
    index, depth = 0, 0
    while index < len(pattern):
        char = pattern[index]
        if char == "*":
            out.append(".*")
        elif char == "?":
            out.append(".")
        elif char == "[" and "]" in pattern[index + 1 :]:
            end = pattern.index("]", index + 1)
            body = pattern[index + 1 : end]
            negate = body.startswith("!")
            body = re.escape(body[1:] if negate else body).replace(r"\-", "-")
            out.append(f"[{'^' if negate else ''}{body}]")
            index = end
        elif char == "{":
            depth += 1
            out.append("(?:")
        elif char == "," and depth:
            out.append("|")
        elif char == "}" and depth:
            depth -= 1
            out.append(")")
        else:
            out.append(re.escape(char))
        index += 1
    if depth:  # an unclosed brace: take the pattern literally rather than guess
        return re.compile(re.escape(pattern))
    return re.compile("".join(out))
