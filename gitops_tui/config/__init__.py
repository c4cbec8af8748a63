"""Settings and Argo CD `Application` definitions (no Textual, no Kubernetes here)."""

from gitops_tui.config.application import DefinitionError
from gitops_tui.config.loader import LoadResult, load_applications
from gitops_tui.config.settings import (
    APPS_ENV,
    Settings,
    SettingsError,
    config_home,
    load_settings,
    resolve_app_paths,
    state_home,
)

__all__ = [
    "APPS_ENV",
    "DefinitionError",
    "LoadResult",
    "Settings",
    "SettingsError",
    "config_home",
    "load_applications",
    "load_settings",
    "resolve_app_paths",
    "state_home",
]
