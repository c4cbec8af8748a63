"""The console's settings: the config file and where Application definitions come from."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from gitops_tui.config.yamlload import Loader, yaml_problem

APPS_ENV = "GITOPS_TUI_APPS"


@dataclass(frozen=True)
class Settings:
    """The config file (`$XDG_CONFIG_HOME/gitops-tui/config.yaml`), validated."""

    apps: tuple[Path, ...] = ()
    path: Path | None = None


class SettingsError(Exception):
    pass


def config_home() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "gitops-tui"


def state_home() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "gitops-tui"


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
    apps = data.get("apps", [])
    if isinstance(apps, str):
        apps = [apps]
    if not isinstance(apps, list) or not all(isinstance(a, str) for a in apps):
        raise SettingsError(f"{path}: 'apps' must be a path or a list of paths")
    # Relative paths in the config file are relative to the file, not to wherever the user stands.
    resolved = tuple((path.parent / Path(a).expanduser()) for a in apps)
    return Settings(apps=resolved, path=path)


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
