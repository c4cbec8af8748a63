"""Each command imports what it uses: `--help` and `apps` start without the kubernetes client, textual or
deepdiff (each costs a user a noticeable fraction of a second on every command)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

HEAVY = ("kubernetes", "textual", "deepdiff", "git", "urllib3", "asyncio")

PROBE = """
import contextlib, io, sys
from gitops_tui.cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
    main(sys.argv[1:])
print("loaded:" + ",".join(sorted({m.split(".")[0] for m in sys.modules} & set(%r))))
"""
EVERY_MODULE = """
import contextlib, io, sys
from gitops_tui.cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
    main(sys.argv[1:])
print("loaded:" + ",".join(sorted(sys.modules)))
"""


def imported_by(*argv: str, env: Mapping[str, str] | None = None) -> set[str]:
    """The heavy libraries `gitops-tui ARGV...` imports, run in a fresh interpreter."""
    done = subprocess.run([sys.executable, "-c", PROBE % (HEAVY,), *argv], capture_output=True, text=True,
                          check=False, env=env)  # fmt: skip
    last = done.stdout.strip().splitlines()[-1:]
    assert last and last[0].startswith("loaded:"), done.stderr
    return {name for name in last[0].removeprefix("loaded:").split(",") if name}


def modules_loaded_by(*argv: str, env: Mapping[str, str] | None = None) -> set[str]:
    """Every module `gitops-tui ARGV...` loads, run in a fresh interpreter."""
    done = subprocess.run([sys.executable, "-c", EVERY_MODULE, *argv], capture_output=True, text=True,
                          check=False, env=env)  # fmt: skip
    last = done.stdout.strip().splitlines()[-1:]
    assert last and last[0].startswith("loaded:"), done.stderr
    return set(last[0].removeprefix("loaded:").split(","))


APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: guestbook}
spec:
  source: {repoURL: 'https://example.test/repo.git', path: guestbook}
  destination: {server: https://kubernetes.default.svc, namespace: guestbook}
"""


@pytest.mark.parametrize("argv", [["--help"], ["diff", "--help"], ["apps", "--apps", "{apps}"]],
                         ids=["help", "diff-help", "apps"])  # fmt: skip
def test_light_commands_import_no_heavy_library(argv: list[str], tmp_path: Path) -> None:
    apps = tmp_path / "apps.yaml"
    apps.write_text(APP)
    assert imported_by(*(arg.replace("{apps}", str(apps)) for arg in argv)) == set()
