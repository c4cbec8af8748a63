"""`gitops-tui demo` (until the console exists): builds the demo repository and renders every app."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from gitops_tui.sandbox.demorepo import DEMO_APPS, HISTORY, INITIAL, kustomize_available


def run_demo(state_dir: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("gitops-tui")
    return subprocess.run(
        [exe, "demo", "--state-dir", str(state_dir)], capture_output=True, text=True, timeout=120, check=False
    )


def test_demo_renders_every_app_and_can_run_twice(tmp_path: Path) -> None:
    first = run_demo(tmp_path / "state")
    assert first.returncode == 0, first.stderr + first.stdout
    expected = [a.name for a in DEMO_APPS if kustomize_available() or not a.needs_kustomize]
    for name in expected:
        assert f"✓ {name}" in first.stdout
    assert "guestbook/ renders 2 Deployment, 2 Service" in first.stdout
    # The history is real: every demo commit is in the repository.
    log = subprocess.run(
        ["git", "--git-dir", str(tmp_path / "state" / "demo.git"), "log", "--format=%s", "main"],
        capture_output=True, text=True, check=True,
    ).stdout.splitlines()
    assert log == [c.subject for c in reversed((INITIAL, *HISTORY))]
    # The suggested command for the broken build names a real commit.
    broken = next(line for line in first.stdout.splitlines() if "the broken build" in line)
    sha = broken.split("--revision ")[1].split()[0]
    shown = subprocess.run(
        ["git", "--git-dir", str(tmp_path / "state" / "demo.git"), "show", "--format=%s", "-s", sha],
        capture_output=True, text=True, check=True,
    ).stdout
    assert "crashloop" in shown
    second = run_demo(tmp_path / "state")
    assert second.returncode == 0, second.stderr
