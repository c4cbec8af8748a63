"""External renderers (kustomize, kubectl, helm): finding them and running them safely."""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from gitops_tui.source import process


class ToolFailure(Exception):
    """A tool is missing, failed, timed out or wrote too much; the text says which, for people."""


@dataclass(frozen=True)
class Toolbox:
    """Where binaries are looked up: `search_path` is a PATH-like string, None means $PATH."""

    search_path: str | None = None

    def which(self, name: str) -> str | None:
        return shutil.which(name, path=self.search_path)

    def describe_search_path(self) -> str:
        return "PATH" if self.search_path is None else f"'{self.search_path}'"

    def run(self, args: Sequence[str], *, cwd: Path, timeout: float, max_output_bytes: int) -> bytes:
        """Run a tool (an argument list, never a shell) and return its standard output."""
        program = Path(args[0]).name
        if timeout <= 0:
            raise ToolFailure(f"no time left to run {program} (render timeout reached)")
        try:
            done = process.run(args, cwd=cwd, timeout=timeout, max_output_bytes=max_output_bytes, env=dict(os.environ))
        except process.ProcessTimeout as exc:
            raise ToolFailure(f"{program} did not finish within {exc.timeout:g} s") from None
        except process.OutputTooLarge as exc:
            raise ToolFailure(f"{program} output is larger than the {process.describe_size(exc.limit)} limit") from None
        except OSError as exc:
            raise ToolFailure(f"cannot run {program}: {exc}") from None
        if done.returncode != 0:
            lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
            reason = " / ".join(lines[-3:]) if lines else f"exit status {done.returncode}"
            raise ToolFailure(f"{program} failed: {reason}")
        return done.stdout
