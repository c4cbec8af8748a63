"""Keys remapped in the config file (`keys: {sync: "ctrl+s"}`): checked, applied, shown in `?` and the footer."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console
from textual.widgets import Footer

from gitops_tui.tui.app import GitOpsApp
from gitops_tui.tui.bindings import CONSOLE_BINDINGS, remappable_bindings
from gitops_tui.tui.keymap import check_keymap, key_problem
from gitops_tui.tui.screens.help import HelpScreen, help_table
from gitops_tui.tui.screens.sync_modal import SyncModal
from gitops_tui.tui.screenshots import demo_fleet, fixed_clock
from tests.tui import settle

CONFIG = "~/.config/gitops-tui/config.yaml"


@pytest.fixture(autouse=True)
def _state_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


def remapped(keys: dict[str, str]) -> GitOpsApp:
    return GitOpsApp(demo_fleet(), clock=fixed_clock, keys=keys, config_file=CONFIG)


def rendered(table: object) -> str:
    console = Console(width=120, record=True, file=io.StringIO())
    console.print(table)
    return console.export_text()


def test_every_console_binding_has_an_id() -> None:
    ids = [binding.id for binding in CONSOLE_BINDINGS]  # type: ignore[union-attr]
    assert all(ids) and len(set(ids)) == len(ids)
    assert {"sync", "sync-prune", "rollback", "refresh", "auto-sync", "help", "quit"} <= set(ids)


@pytest.mark.parametrize("key", ["ctrl+s", "R", "f5", "?", "question_mark", "slash", "shift+tab", "alt+x", "escape"])
def test_keys_textual_can_send_are_accepted(key: str) -> None:
    assert key_problem(key) == ""


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("ctrl+", "no key after its modifiers"),
        ("cmd+s", "unknown modifier 'cmd'"),
        ("contrl+s", "unknown modifier"),
        ("f99", "unknown key name 'f99'"),
        ("", "an empty key"),
    ],
)
def test_key_names_textual_never_sends_are_refused(key: str, problem: str) -> None:
    assert problem in key_problem(key)


def test_unknown_ids_and_bad_names_are_reported_with_the_file_and_the_entry() -> None:
    checked = check_keymap({"sync": "ctrl+s", "synk": "x", "rollback": "ctrl+r,cmd+r"}, remappable_bindings(), CONFIG)
    assert checked.keymap == {"sync": "ctrl+s"}
    assert any(
        p.startswith(f"{CONFIG}: keys.synk: no action with that id") and "sync-prune" in p for p in checked.problems
    )
    assert any(
        p.startswith(f"{CONFIG}: keys.rollback: unknown modifier 'cmd'") and "default key is kept" in p
        for p in checked.problems
    )


def test_a_key_given_to_two_actions_is_reported() -> None:
    checked = check_keymap({"sync": "r"}, remappable_bindings(), CONFIG)
    assert checked.keymap == {"sync": "r"}
    assert checked.problems == [f"{CONFIG}: keys: 'r' is given to sync and refresh; only one of them can have it"]


async def test_remapped_keys_act_and_show_in_the_footer_and_help() -> None:
    app = remapped({"sync": "ctrl+s", "rollback": "ctrl+r,R", "help": "f1"})
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.tree.select_app("web")
        await pilot.press("s")  # the old key does nothing now
        await pilot.pause()
        assert not isinstance(app.screen, SyncModal)
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, SyncModal)
        await pilot.press("escape")
        footer_keys = {key for key, active in app.screen.active_bindings.items() if active.binding.id == "sync"}
        assert footer_keys == {"ctrl+s"}
        assert app.query_one(Footer)  # the footer reads the same active bindings
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        text = rendered(help_table(app.screen.keys))
        assert f"Keys remapped by {CONFIG}" in text
        assert "^s" in text and "sync the selected app" in text
        rollback_line = next(line for line in text.splitlines() if "roll back to a previous sync" in line)
        assert "R / ^r" in rollback_line
        assert "^s, S, R / ^r ask first" in text
        await pilot.press("f1")  # the remapped help key closes the help too
        assert not isinstance(app.screen, HelpScreen)


async def test_bad_entries_leave_the_defaults_and_say_so() -> None:
    app = remapped({"synk": "ctrl+s", "refresh": "hyperspace+r"})
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        messages = [n.message for n in app._notifications]
        assert any(f"{CONFIG}: keys.synk: no action with that id" in m for m in messages)
        assert any(f"{CONFIG}: keys.refresh: unknown modifier 'hyperspace'" in m for m in messages)
        app.tree.select_app("web")
        await pilot.press("s")  # defaults still work
        assert isinstance(app.screen, SyncModal)


async def test_help_without_remapping_lists_the_default_keys() -> None:
    app = GitOpsApp(demo_fleet(), clock=fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        text = rendered(help_table(app.key_help()))
        assert "remapped" not in text
        for key, what in [
            ("s", "sync the selected app"),
            ("S", "sync with prune"),
            ("?", "this help"),
            ("j / ↓", "move down"),
            ("tab", "next pane"),
            ("^p", "command palette"),
            ("n", "next changed hunk"),
            ("F", "follow new events"),
        ]:
            assert any(line.strip().startswith(key) and what in line for line in text.splitlines()), (key, what)
