"""The rooms of DESIGN.md, enforced: who may import what.

Imports are read from the source with `ast`, so the test sees every import, including
those inside functions, without importing anything.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "gitops_tui"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            found.add("." * node.level + (node.module or ""))
    return found


def files_in(room: str) -> list[Path]:
    target = PACKAGE / room
    return sorted(target.rglob("*.py")) if target.is_dir() else [target]


def top(module: str) -> str:
    return module.split(".")[0]


def all_python_files() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", all_python_files(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_textual_only_in_tui(path: Path) -> None:
    if (PACKAGE / "tui") in path.parents:
        return
    assert not {m for m in imported_modules(path) if top(m) == "textual"}, f"{path} imports textual"


@pytest.mark.parametrize("path", files_in("tui"), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_tui_never_talks_to_kubernetes_or_git(path: Path) -> None:
    banned = {"kubernetes", "git", "urllib3"}
    forbidden_rooms = {"gitops_tui.cluster", "gitops_tui.source", "gitops_tui.sandbox"}
    modules = imported_modules(path)
    assert not {m for m in modules if top(m) in banned}, f"{path} talks to a cluster or Git directly"
    assert not {m for m in modules if any(m.startswith(r) for r in forbidden_rooms)}


RULES = {
    # room: package prefixes it must not import
    "model.py": {"gitops_tui", "yaml", "kubernetes", "git", "textual", "deepdiff", "aiohttp"},
    "config": {
        "kubernetes",
        "git",
        "textual",
        "gitops_tui.source",
        "gitops_tui.cluster",
        "gitops_tui.engine",
    },
    "source": {"kubernetes", "textual", "gitops_tui.cluster", "gitops_tui.engine", "gitops_tui.tui"},
    "cluster": {"git", "textual", "gitops_tui.source", "gitops_tui.engine", "gitops_tui.tui"},
    "engine": {"textual", "gitops_tui.tui", "gitops_tui.cli"},
    # `diff`/`status` answered by a running console: the wire, the client and the printer stay light
    # (tests/test_cli_imports.py checks they load only the standard library), so that path never pays for
    # the client libraries.
    **{
        light: {
            "kubernetes",
            "git",
            "textual",
            "deepdiff",
            "asyncio",
            "gitops_tui.cluster.client",
            "gitops_tui.source",
            "gitops_tui.engine.oneshot",
            "gitops_tui.engine.diff",
        }
        for light in (
            "engine/query_protocol.py",
            "cli/console_client.py",
            "cli/answers.py",
            "cli/diffview.py",
            "cli/served.py",
            "cli/console_address.py",
            "cli/output.py",
        )
    },
    # The sandbox stands alone, like a real cluster: nothing of the console, no client library.
    "sandbox": {
        "gitops_tui.model",
        "gitops_tui.config",
        "gitops_tui.source",
        "gitops_tui.cluster",
        "gitops_tui.engine",
        "gitops_tui.tui",
        "gitops_tui.cli",
        "kubernetes",
        "git",
        "textual",
    },
}


@pytest.mark.parametrize(
    ("room", "path"),
    [(room, path) for room in RULES for path in files_in(room)],
    ids=lambda v: str(v.relative_to(PACKAGE)) if isinstance(v, Path) else v,
)
def test_room_imports(room: str, path: Path) -> None:
    banned = RULES[room]
    bad = {m for m in imported_modules(path) if any(m == b or m.startswith(b + ".") for b in banned)}
    if room == "model.py":
        bad -= {"gitops_tui.model"}
    assert not bad, f"{path.relative_to(PACKAGE)} ({room}) imports {sorted(bad)}"


def test_the_checker_sees_imports_inside_functions(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from textual.app import App\n    import kubernetes.client\n")
    assert imported_modules(probe) == {"textual.app", "kubernetes.client"}
