"""A sandboxed Lua 5.4 (lupa) that runs Argo CD-style health scripts with bounded cost.

Two Lua states, one per trust level, as Argo CD has two: scripts run with only the harmless libraries
(base functions, string, table, math, utf8, os.time/date/clock/difftime) unless the ConfigMap opts them
into the open libraries (`useOpenLibs`: os, io, require, ...). In both:

- each run gets fresh globals, so `hs = {}` in one run never leaks into the next (Argo CD makes a new
  Lua state per run; we reuse the compiled chunk and swap its `_ENV` instead, which is much cheaper);
- an instruction budget (a count hook) stops endless loops, and the state's memory is capped; scripts
  cannot remove the hook (`debug.sethook` is taken away) and `print` goes nowhere, not over the console;
- lupa's `python` bridge is removed, so no script reaches the Python process.

Lupa holds no GIL while Lua runs, and a lock per state makes the hook, the `_ENV` swap and the call one
step, so threads may assess health concurrently.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# Lupa reports errors with a traceback appended; the first line is the message a user needs.
_TRACEBACK = "\nstack traceback:"
# The chunk name; errors read "script:3: attempt to index a nil value", rewritten to "line 3: ...".
_CHUNK_NAME = "script"
LIMIT_MARKER = "gitops-tui stopped the script"

_SETUP = """
local sandboxed, limit_message = ...
local G = _G
local load, type, rawget = G.load, G.type, G.rawget
G.python = nil
if G.package then G.package.loaded.python = nil end

local debug_setupvalue, debug_sethook = G.debug.setupvalue, G.debug.sethook
-- Scripts must not lift the instruction budget: the hook setter is ours alone.
G.debug.sethook = nil
G.print = function() end
G.warn = function() end
if G.os then
  G.os.exit = function() error("os.exit is not available to health checks", 2) end
end

local function copy(library)
  local copied = {}
  for name, value in pairs(library) do copied[name] = value end
  return copied
end

local function read_only(library, name)
  return setmetatable({}, {
    __index = library,
    __newindex = function() error("the " .. name .. " library is read-only", 2) end,
    __metatable = false,
  })
end

local globals
if sandboxed then
  globals = {}
  for _, name in ipairs({"assert", "error", "getmetatable", "ipairs", "next", "pairs", "pcall", "rawequal",
                         "rawget", "rawlen", "rawset", "select", "setmetatable", "tonumber", "tostring", "type",
                         "xpcall", "_VERSION", "print"}) do
    globals[name] = G[name]
  end
  for _, name in ipairs({"string", "table", "math", "utf8"}) do
    globals[name] = read_only(copy(G[name]), name)
  end
  globals.os = read_only({time = os.time, date = os.date, clock = os.clock, difftime = os.difftime}, "os")
  -- Argo CD lets `local os = require("os")` find its safe os; the same for the libraries here, nothing more.
  local modules = {string = globals.string, table = globals.table, math = globals.math, utf8 = globals.utf8,
                   os = globals.os}
  globals.require = function(name)
    local module = modules[name]
    if module == nil then
      error("module '" .. tostring(name) .. "' is not available to health checks without useOpenLibs", 2)
    end
    return module
  end
  -- Strings index the string library through their metatable: keep that one out of reach too.
  getmetatable("").__metatable = false
  for _, name in ipairs({"io", "os", "package", "require", "debug", "load", "loadfile", "dofile",
                         "collectgarbage", "coroutine"}) do
    G[name] = nil
  end
else
  globals = G
end
local environment = {__index = globals}

local function stop_every_instruction()
  error(limit_message, 0)
end
-- The first time the budget runs out the script is stopped; from then on every instruction raises, so a
-- script that catches the error with pcall cannot carry on.
local function over_budget()
  debug_sethook(stop_every_instruction, "", 1)
  error(limit_message, 0)
end

-- Only plain values leave the state: a table (or a function) would run code of the script when read.
local function plain(value)
  local kind = type(value)
  if kind == "string" or kind == "number" or kind == "boolean" or kind == "nil" then return value end
  return "<" .. kind .. ">"
end

local function run(chunk, obj, budget)
  debug_setupvalue(chunk, 1, setmetatable({obj = obj}, environment))  -- a main chunk's only upvalue is _ENV
  debug_sethook(over_budget, "", budget)
  local result = chunk()
  -- rawget: a metatable on the result must not run code once the budget is lifted.
  if type(result) == "table" then return "table", plain(rawget(result, "status")), plain(rawget(result, "message")) end
  return type(result)
end

-- debug.sethook itself, not a Lua wrapper: a C function runs no VM instruction, so it can lift the hook
-- even when the hook raises on every instruction.
return run, debug_sethook, load
"""


@dataclass(frozen=True)
class LuaLimits:
    instructions: int = 1_000_000
    """Lua VM instructions one run may take: a few milliseconds; real health scripts need a few thousand."""
    memory_mb: int = 64
    """The state's memory cap, scripts and converted objects together."""


class LuaScriptError(Exception):
    """The script could not be compiled or run; `message` is for the user, `over_limit` marks a runaway."""

    def __init__(self, message: str, over_limit: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.over_limit = over_limit


@dataclass(frozen=True)
class LuaResult:
    """What the script returned: its Lua type, and for a table its `status` and `message` fields."""

    lua_type: str
    status: Any = None
    message: Any = None


class _LuaState:
    def __init__(self, sandboxed: bool, limits: LuaLimits) -> None:
        from lupa import lua54  # only needed once custom checks are configured

        self._lupa = lua54
        self.limits = limits
        self.limit_message = f"{LIMIT_MARKER} after {limits.instructions:,} instructions (an endless loop?)"
        self.runtime = lua54.LuaRuntime(
            max_memory=limits.memory_mb * 1024 * 1024,
            register_eval=False,
            register_builtins=False,
            unpack_returned_tuples=True,
            attribute_filter=_no_python_attributes,
        )
        self._run, self._disarm, self._load = self.runtime.execute(_SETUP, sandboxed, self.limit_message)
        self._lock = threading.Lock()
        self._chunks: dict[str, Any] = {}
        """Compiled chunks by script text (Python keeps a string's hash, so a lookup costs no hashing);
        a script that does not compile keeps its error message."""

    def _compiled(self, script: str) -> Any:
        found = self._chunks.get(script)
        if found is None:
            loaded = self._load(script, "=" + _CHUNK_NAME, "t", self.runtime.table())
            # Lua's load returns the chunk, or nil and the error message.
            found = f"syntax error: {_readable(str(loaded[1]))}" if isinstance(loaded, tuple) else loaded
            self._chunks[script] = found
        if isinstance(found, str):
            raise LuaScriptError(found)
        return found

    def run(self, script: str, obj: Mapping[str, Any]) -> LuaResult:
        with self._lock:
            chunk = self._compiled(script)
            try:
                lua_obj = self.runtime.table_from(obj if _is_plain(obj) else json_like(obj), recursive=True)
                try:
                    returned = self._run(chunk, lua_obj, self.limits.instructions)
                finally:
                    self._disarm()
                if not isinstance(returned, tuple):
                    returned = (returned,)
                return LuaResult(*returned)
            except self._lupa.LuaMemoryError:
                raise LuaScriptError(
                    f"the script went over the {self.limits.memory_mb} MiB memory cap", over_limit=True
                ) from None
            except self._lupa.LuaError as exc:
                message = _readable(str(exc))
                raise LuaScriptError(message, over_limit=LIMIT_MARKER in message) from None


_SCALARS = frozenset((str, int, float, bool, type(None)))


def _is_plain(value: Any) -> bool:
    """Only dicts, lists and JSON scalars (objects from the API always are): checking is 3x cheaper than
    copying, so the copy is made only for objects read from YAML files."""
    kind = type(value)
    if kind is dict:
        return all(type(key) is str for key in value) and all(map(_is_plain, value.values()))
    if kind is list:
        return all(map(_is_plain, value))
    return kind in _SCALARS


def json_like(value: Any) -> Any:
    """The object as JSON would carry it. Objects read from YAML files hold datetimes (and could hold
    anything); only plain values may reach Lua, or a script would hold a live Python object."""
    if isinstance(value, Mapping):
        return {str(k): json_like(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_like(v) for v in value]
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return str(value)


def _no_python_attributes(obj: Any, name: Any, is_setting: bool) -> Any:
    raise AttributeError("health checks cannot reach Python objects")


def _readable(error: str) -> str:
    first = error.split(_TRACEBACK, 1)[0].strip()
    if not first:  # error({}) or error(nil): nothing to show but the fact
        return "the script raised an error without a message"
    prefix = _CHUNK_NAME + ":"
    # "script:3: msg" -> "line 3: msg", the position in the script as the user wrote it.
    if first.startswith(prefix):
        line, sep, rest = first[len(prefix) :].partition(":")
        if sep and line.isdigit():
            return f"line {line}:{rest}"
    return first


class LuaSandbox:
    """Runs health scripts; the Lua states are made on first use (a console without custom checks pays nothing)."""

    def __init__(self, limits: LuaLimits | None = None) -> None:
        self.limits = limits or LuaLimits()
        self._states: dict[bool, _LuaState] = {}
        self._lock = threading.Lock()

    def _state(self, open_libs: bool) -> _LuaState:
        state = self._states.get(open_libs)
        if state is None:
            with self._lock:
                state = self._states.get(open_libs)
                if state is None:
                    state = self._states[open_libs] = _LuaState(sandboxed=not open_libs, limits=self.limits)
        return state

    def run(self, script: str, obj: Mapping[str, Any], *, open_libs: bool = False) -> LuaResult:
        """Run `script` with `obj` as its global `obj`; raises LuaScriptError when it fails."""
        return self._state(open_libs).run(script, obj)
