"""`gitops-tui demo`: the demo repository, and the headless story from start to end."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from gitops_tui.config import load_applications
from gitops_tui.sandbox.demorepo import DEMO_APPS, HISTORY, INITIAL, build_demo_repository, kustomize_available


def test_demo_repository_has_real_history_and_valid_apps(tmp_path: Path) -> None:
    repo = build_demo_repository(tmp_path)
    log = subprocess.run(
        ["git", "--git-dir", str(repo.bare), "log", "--format=%s", "main"], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert log == [c.subject for c in reversed((INITIAL, *HISTORY))]
    assert any("crashloop" in subject for subject in log)  # rollback has something to undo
    loaded = load_applications([repo.apps_dir])
    assert loaded.errors == ()
    expected = {a.name for a in DEMO_APPS if kustomize_available() or not a.needs_kustomize}
    assert {a.name for a in loaded.apps} == expected
    # A second build over the first works (a second `make demo`).
    assert build_demo_repository(tmp_path).bare == repo.bare


def test_headless_scenario_tells_its_story_and_leaves_nothing_behind(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "XDG_STATE_HOME": str(tmp_path / "state")}
    exe = Path(sys.executable).with_name("gitops-tui")
    run = subprocess.run(
        [exe, "demo", "--headless", "--scenario", "--for", "240"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    out = run.stdout
    assert run.returncode == 0, out[-3000:] + run.stderr[-3000:]
    story = [line for line in out.splitlines() if line.startswith("scenario:")]
    assert len(story) == 4 and story[-1].startswith("scenario: done"), out[-3000:]
    # The console saw what happened: the new build synced, the drift healed, the bad build degraded.
    assert len(re.findall(r"guestbook: sync to \w+: Succeeded", out)) >= 3  # first, new build, heal
    assert "(self-heal: drift from" in out
    assert re.search(r"orders: sync to \w+: Failed: .*exceeded its progress deadline", out)
    summary = {line.split()[0]: line.split() for line in out.split("\nAPP ")[-1].splitlines()[1:] if line.strip()}
    assert summary["guestbook"][1:3] == ["Synced", "Healthy"]
    assert summary["orders"][2] == "Degraded"
    # The failed revision is not retried automatically.
    assert len(re.findall(r"orders: automated sync to", out)) == 2
    # Quitting stopped the sandbox and removed the temp state.
    root = Path(re.search(r"kubeconfig (\S+)/kubeconfig", out).group(1))  # type: ignore[union-attr]
    assert not root.exists()
    processes = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True).stdout
    assert str(root) not in processes
