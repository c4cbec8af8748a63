"""The console's settings: the config file and where Application definitions come from.

`$XDG_CONFIG_HOME/gitops-tui/config.yaml`, every field optional:

    apps: ~/gitops/apps                 # a path or a list of paths, relative to this file
    keys: {sync: "ctrl+s", rollback: "ctrl+r,R"}   # binding id -> Textual key string(s)
    contexts: {prod: {readOnly: true}}  # kubeconfig context -> settings for that cluster
    mouse: auto                         # on | off | auto (auto: off over ssh)
    argocdCM: ~/argocd/argocd-cm.yaml   # Argo CD's ConfigMap: its custom Lua health checks are used

Each field has its own parse function below (add a field: a `Settings` attribute, a `_parse_*`
function, an entry in `_FIELDS`). Problems that only cost comfort (a key name, the mouse) become
`warnings` and loading goes on with the default; problems that could make the console write where
the user said it must not (`contexts`) or lose the apps stop loading with a SettingsError.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from gitops_tui.config.yamlload import Loader, yaml_problem

APPS_ENV = "GITOPS_TUI_APPS"
MOUSE_CHOICES = ("on", "off", "auto")


@dataclass(frozen=True)
class ContextSettings:
    """Settings for one kubeconfig context (one cluster)."""

    read_only: bool = False
    """Refuse every write to apps whose destination is this context (the reconciler enforces it)."""


@dataclass(frozen=True)
class Settings:
    """The config file (`$XDG_CONFIG_HOME/gitops-tui/config.yaml`), validated."""

    apps: tuple[Path, ...] = ()
    path: Path | None = None
    keys: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Binding id -> key string(s), as written ("ctrl+s", "ctrl+r,R"); the console checks ids and names."""
    contexts: Mapping[str, ContextSettings] = field(default_factory=lambda: MappingProxyType({}))
    mouse: str = "auto"
    """"on", "off" or "auto" (capture the mouse unless the console runs over ssh)."""
    argocd_cm: Path | None = None
    """An argocd-cm ConfigMap file whose `resource.customizations.health.*` Lua checks judge health."""
    warnings: tuple[str, ...] = ()
    """Problems that did not stop loading (each names the file and the field), for the console to show."""

    @property
    def shown_path(self) -> str:
        """The file as a person would type it (`~/.config/gitops-tui/config.yaml`)."""
        return display_path(self.path or config_home() / "config.yaml")

    def read_only_contexts(self) -> dict[str, str]:
        """Context -> why it takes no writes, for the reconciler's refusals and the console's badge."""
        return {
            name: f"context {name} is read-only in {self.shown_path}"
            for name, context in self.contexts.items()
            if context.read_only
        }


class SettingsError(Exception):
    pass


def config_home() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "gitops-tui"


def state_home() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "gitops-tui"


def display_path(path: Path) -> str:
    home = str(Path.home())
    text = str(path)
    return "~" + text[len(home) :] if home not in ("", "/") and text.startswith(home + os.sep) else text


def load_settings(path: Path | None = None) -> Settings:
    path = path or config_home() / "config.yaml"
    if not path.is_file():
        return Settings()
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=Loader) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise SettingsError(f"{path}: {yaml_problem(exc)}") from None
    if not isinstance(data, dict):
        raise SettingsError(f"{path}: expected a mapping of settings, got {type(data).__name__}")
    warnings: list[str] = []
    values: dict[str, Any] = {}
    for name, value in data.items():
        parse = _FIELDS.get(str(name))
        if parse is None:
            known = ", ".join(sorted(_FIELDS))
            warnings.append(f"{path}: unknown setting {name!r} is ignored (known settings: {known})")
            continue
        values[_ATTRIBUTES.get(str(name), str(name))] = parse(path, value, warnings.append)
    return Settings(path=path, warnings=tuple(warnings), **values)


Warn = Callable[[str], None]


def _parse_apps(path: Path, apps: Any, warn: Warn) -> tuple[Path, ...]:
    if isinstance(apps, str):
        apps = [apps]
    if not isinstance(apps, list) or not all(isinstance(a, str) for a in apps):
        raise SettingsError(f"{path}: 'apps' must be a path or a list of paths")
    # Relative paths in the config file are relative to the file, not to wherever the user stands.
    return tuple((path.parent / Path(a).expanduser()) for a in apps)


def _parse_keys(path: Path, keys: Any, warn: Warn) -> Mapping[str, str]:
    if keys is None:
        return MappingProxyType({})
    if not isinstance(keys, dict):
        warn(f"{path}: 'keys' must map action ids to keys (e.g. sync: ctrl+s); the default keys are used")
        return MappingProxyType({})
    parsed: dict[str, str] = {}
    for action, value in keys.items():
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            value = ",".join(value)
        if not isinstance(value, str) or not value.strip():
            warn(
                f'{path}: keys.{action}: expected a key such as "ctrl+s" or "ctrl+r,R", got {value!r}; '
                "its default key is kept"
            )
            continue
        parsed[str(action)] = value.strip()
    return MappingProxyType(parsed)


_CONTEXT_FIELDS = {"readOnly": "read_only"}


def _parse_contexts(path: Path, contexts: Any, warn: Warn) -> Mapping[str, ContextSettings]:
    # Strict: a typo here could leave a production cluster writable, so it stops the console.
    if contexts is None:
        return MappingProxyType({})
    if not isinstance(contexts, dict):
        raise SettingsError(
            f"{path}: 'contexts' must map kubeconfig context names to settings, "
            "e.g. contexts: {prod: {readOnly: true}}"
        )
    parsed: dict[str, ContextSettings] = {}
    for name, entry in contexts.items():
        if not isinstance(entry, dict):
            raise SettingsError(f"{path}: contexts.{name}: expected settings such as {{readOnly: true}}, got {entry!r}")
        values: dict[str, bool] = {}
        for key, value in entry.items():
            attribute = _CONTEXT_FIELDS.get(str(key))
            if attribute is None:
                raise SettingsError(
                    f"{path}: contexts.{name}.{key}: unknown setting (known: {', '.join(_CONTEXT_FIELDS)})"
                )
            if not isinstance(value, bool):
                raise SettingsError(f"{path}: contexts.{name}.{key}: expected true or false, got {value!r}")
            values[attribute] = value
        parsed[str(name)] = ContextSettings(**values)
    return MappingProxyType(parsed)


def _parse_mouse(path: Path, mouse: Any, warn: Warn) -> str:
    if isinstance(mouse, bool):  # YAML 1.1 reads a bare on/off as a boolean
        return "on" if mouse else "off"
    if isinstance(mouse, str) and mouse.strip().lower() in MOUSE_CHOICES:
        return mouse.strip().lower()
    warn(f"{path}: mouse: expected on, off or auto, got {mouse!r}; auto is used")
    return "auto"


def _parse_argocd_cm(path: Path, value: Any, warn: Warn) -> Path | None:
    # Strict: silently judging health without the user's checks would show the wrong health.
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise SettingsError(f"{path}: 'argocdCM' must be the path of an argocd-cm ConfigMap file, got {value!r}")
    if value.strip().startswith("cluster:"):  # the ConfigMap in the cluster, not a file
        return Path(value.strip())
    return path.parent / Path(value.strip()).expanduser()


_FIELDS: dict[str, Callable[[Path, Any, Warn], Any]] = {
    "apps": _parse_apps,
    "keys": _parse_keys,
    "contexts": _parse_contexts,
    "mouse": _parse_mouse,
    "argocdCM": _parse_argocd_cm,
}
"""Config file field -> its parse function (which returns the value of the Settings attribute)."""
_ATTRIBUTES: dict[str, str] = {"argocdCM": "argocd_cm"}
"""Config file fields whose Settings attribute is named differently (camelCase -> snake_case)."""


def resolve_app_paths(cli_paths: Sequence[str] = (), settings: Settings | None = None) -> tuple[Path, ...]:
    """Where definitions come from: `--apps`, else `$GITOPS_TUI_APPS`, else `./apps`, else the config file."""
    if cli_paths:
        return tuple(Path(p).expanduser() for p in cli_paths)
    from_env = os.environ.get(APPS_ENV, "")
    if from_env.strip():
        return tuple(Path(p).expanduser() for p in from_env.split(os.pathsep) if p.strip())
    if Path("apps").is_dir():
        return (Path("apps"),)
    settings = settings if settings is not None else load_settings()
    return settings.apps
