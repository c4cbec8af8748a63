"""The config file's console settings: keys, read-only contexts, mouse; what is lenient and what is strict."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_tui.config.settings import ContextSettings, SettingsError, load_settings


def config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def test_a_full_file(tmp_path: Path) -> None:
    path = config(
        tmp_path,
        """
apps: apps
keys: {sync: ctrl+s, rollback: "ctrl+r,R", refresh: [f5, r]}
contexts:
  prod: {readOnly: true}
  dev: {readOnly: false}
mouse: off
""",
    )
    settings = load_settings(path)
    assert settings.apps == (tmp_path / "apps",)
    assert dict(settings.keys) == {"sync": "ctrl+s", "rollback": "ctrl+r,R", "refresh": "f5,r"}
    assert dict(settings.contexts) == {"prod": ContextSettings(read_only=True), "dev": ContextSettings()}
    assert settings.mouse == "off"  # YAML reads a bare off as false
    assert settings.read_only_contexts() == {"prod": f"context prod is read-only in {path}"}
    assert settings.warnings == ()


def test_the_home_directory_is_shown_as_tilde(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    path = config(tmp_path, "contexts: {prod: {readOnly: true}}\n")
    assert load_settings(path).read_only_contexts() == {"prod": "context prod is read-only in ~/config.yaml"}


def test_no_file_means_defaults(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "absent.yaml")
    assert settings.mouse == "auto" and not settings.keys and not settings.contexts and not settings.warnings


def test_comfort_settings_warn_and_fall_back(tmp_path: Path) -> None:
    path = config(tmp_path, "keys: {sync: 5, rollback: ctrl+r}\nmouse: sometimes\ncontext: {prod: {readOnly: true}}\n")
    settings = load_settings(path)
    assert dict(settings.keys) == {"rollback": "ctrl+r"}
    assert settings.mouse == "auto"
    keys_warning, mouse_warning, unknown_warning = settings.warnings
    assert keys_warning == (
        f'{path}: keys.sync: expected a key such as "ctrl+s" or "ctrl+r,R", got 5; its default key is kept'
    )
    assert mouse_warning == f"{path}: mouse: expected on, off or auto, got 'sometimes'; auto is used"
    assert unknown_warning.startswith(f"{path}: unknown setting 'context' is ignored (known settings: apps, ")
    assert "contexts" in unknown_warning


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("contexts: [prod]\n", "'contexts' must map kubeconfig context names to settings"),
        ("contexts: {prod: true}\n", "contexts.prod: expected settings such as {readOnly: true}"),
        ("contexts: {prod: {readonly: true}}\n", "contexts.prod.readonly: unknown setting (known: readOnly)"),
        ("contexts: {prod: {readOnly: 'yes please'}}\n", "contexts.prod.readOnly: expected true or false"),
    ],
)
def test_a_doubtful_read_only_context_stops_loading(tmp_path: Path, text: str, message: str) -> None:
    # A typo must not leave a production cluster writable without a word.
    path = config(tmp_path, text)
    with pytest.raises(SettingsError, match=f"^{path}: .*") as raised:
        load_settings(path)
    assert message in str(raised.value)
