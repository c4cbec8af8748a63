"""Argo CD's custom health checks, read from an argocd-cm-shaped ConfigMap (a file, or its `data` alone).

Both forms Argo CD reads are understood, with its precedence (the per-kind keys win over the older form):

    data:
      resource.customizations.health.cert-manager.io_Certificate: |     # <group>_<kind>; <kind> for core
        hs = {status = "Healthy"} ... return hs
      resource.customizations.useOpenLibs.cert-manager.io_Certificate: "true"
      resource.customizations.health.all: ...                           # "all" means every group and kind
      resource.customizations: |                                        # the older nested form
        cert-manager.io/Certificate:
          health.lua: |
            ...
          health.lua.useOpenLibs: true

Group and kind may hold glob wildcards (`*.crossplane.io_*`); an exact key is preferred to a wildcard,
as in Argo CD. Other customizations (actions, ignoreDifferences, ...) and other settings are skipped:
health is all this reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from gitops_tui.config.yamlload import Loader, yaml_problem

CUSTOMIZATIONS_KEY = "resource.customizations"
HEALTH_PREFIX = "resource.customizations.health."
OPEN_LIBS_PREFIX = "resource.customizations.useOpenLibs."
NESTED_SCRIPT_FIELD = "health.lua"
NESTED_OPEN_LIBS_FIELD = "health.lua.useOpenLibs"
# strconv.ParseBool's spellings, which Argo CD uses for useOpenLibs.
_TRUE = {"1", "t", "T", "true", "TRUE", "True"}
_FALSE = {"0", "f", "F", "false", "FALSE", "False"}


class HealthConfigError(Exception):
    """The customizations cannot be read; the message names the file and key, and what to fix."""


@dataclass(frozen=True)
class HealthScript:
    pattern: str
    """Argo CD's override key: `group/Kind`, or `Kind` for the core group; may hold glob wildcards."""
    script: str
    use_open_libs: bool
    source: str
    """Where the script is defined, as the user wrote it: the ConfigMap key (and group/kind when nested)."""


def load_health_scripts(path: Path) -> tuple[HealthScript, ...]:
    """The health scripts of an argocd-cm file: a ConfigMap, a list of documents holding one named
    argocd-cm, or a bare mapping of its `data`."""
    try:
        documents = [d for d in yaml.load_all(path.read_text(encoding="utf-8"), Loader=Loader) if d is not None]
    except OSError as exc:
        raise HealthConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise HealthConfigError(f"{path}: {yaml_problem(exc)}") from None
    return parse_health_scripts(_argocd_cm_data(documents, path), str(path))


def _argocd_cm_data(documents: list[Any], path: Path) -> Mapping[str, Any]:
    maps = [d for d in documents if isinstance(d, dict) and d.get("kind") == "ConfigMap"]
    if len(maps) > 1:
        maps = [d for d in maps if (d.get("metadata") or {}).get("name") == "argocd-cm"]
    if len(maps) == 1:
        data = maps[0].get("data") or {}
        if not isinstance(data, dict):
            raise HealthConfigError(f"{path}: the ConfigMap's data must be a mapping of keys to strings")
        return data
    if len(documents) == 1 and isinstance(documents[0], dict) and "kind" not in documents[0]:
        return documents[0]  # the data alone
    raise HealthConfigError(
        f"{path}: expected the argocd-cm ConfigMap (kind: ConfigMap with data: resource.customizations...), "
        "or the mapping of its data keys"
    )


@dataclass
class _Override:
    script: str = ""
    use_open_libs: bool = False
    source: str = ""


def parse_health_scripts(data: Mapping[str, Any], origin: str) -> tuple[HealthScript, ...]:
    overrides: dict[str, _Override] = {}
    nested = data.get(CUSTOMIZATIONS_KEY)
    if nested:
        _read_nested(nested, origin, overrides)
    for key, value in data.items():
        key = str(key)
        if key.startswith(HEALTH_PREFIX):
            override = overrides.setdefault(_override_key(key, HEALTH_PREFIX, origin), _Override())
            if not isinstance(value, str):
                raise HealthConfigError(f"{origin}: {key}: expected a Lua script (a string), got {_kind(value)}")
            override.script, override.source = value, key
        elif key.startswith(OPEN_LIBS_PREFIX):
            override = overrides.setdefault(_override_key(key, OPEN_LIBS_PREFIX, origin), _Override())
            override.use_open_libs = _flag(value, f"{origin}: {key}")
    return tuple(
        HealthScript(pattern, o.script, o.use_open_libs, o.source)
        for pattern, o in overrides.items()
        if o.script.strip()  # an override without a script (only useOpenLibs, or empty) checks nothing
    )


def _read_nested(text: Any, origin: str, overrides: dict[str, _Override]) -> None:
    where = f"{origin}: {CUSTOMIZATIONS_KEY}"
    if not isinstance(text, str):
        raise HealthConfigError(f"{where}: expected a YAML document in a string (use `{CUSTOMIZATIONS_KEY}: |`)")
    try:
        parsed = yaml.load(text, Loader=Loader) or {}
    except yaml.YAMLError as exc:
        raise HealthConfigError(f"{where}: {yaml_problem(exc)}") from None
    if not isinstance(parsed, dict):
        raise HealthConfigError(f"{where}: expected a mapping of <group>/<kind> to customizations")
    for group_kind, fields in parsed.items():
        if not isinstance(fields, dict):
            raise HealthConfigError(f"{where}: {group_kind}: expected a mapping such as `health.lua: |`")
        script = fields.get(NESTED_SCRIPT_FIELD)
        if script is not None and not isinstance(script, str):
            raise HealthConfigError(f"{where}: {group_kind}: {NESTED_SCRIPT_FIELD} must be a Lua script (a string)")
        override = overrides.setdefault(str(group_kind), _Override())
        override.script = script or ""
        override.source = f"{CUSTOMIZATIONS_KEY} {group_kind} {NESTED_SCRIPT_FIELD}"
        if NESTED_OPEN_LIBS_FIELD in fields:
            override.use_open_libs = _flag(fields[NESTED_OPEN_LIBS_FIELD], f"{where}: {group_kind}")


def _override_key(key: str, prefix: str, origin: str) -> str:
    """`cert-manager.io_Certificate` -> `cert-manager.io/Certificate`; `Pod` stays `Pod`; `all` is `*/*`."""
    group_kind = key[len(prefix) :]
    parts = group_kind.split("_")
    if len(parts) == 2 and parts[1]:
        # `_Pod` (an empty core group) would never match in Argo CD; it plainly means Pod.
        return f"{parts[0]}/{parts[1]}" if parts[0] else parts[1]
    if len(parts) == 1 and group_kind:
        return "*/*" if group_kind == "all" else group_kind
    raise HealthConfigError(
        f"{origin}: {key}: expected {prefix}<group>_<kind> (or {prefix}<kind> for the core group), got '{group_kind}'"
    )


def _flag(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise HealthConfigError(f"{where}: useOpenLibs must be true or false, got '{value}'")


def _kind(value: Any) -> str:
    return "nothing" if value is None else type(value).__name__
