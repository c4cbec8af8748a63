"""What git says while it fetches (`--progress` on stderr), as values the console can show.

git writes lines such as `Receiving objects:  45% (1200/2700), 1.20 MiB | 2.00 MiB/s`, updated in place
with carriage returns. GitPython's `RemoteProgress` knows their grammar; `ProgressLines` feeds it the
lines from raw stderr chunks and hands each step on as a `FetchProgress`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import git

RECEIVING = "receiving objects"
UNPACKING = "unpacking objects"
OBJECT_STAGES = (RECEIVING, UNPACKING)
"""The stages whose total is the number of objects the fetch brought."""
_STAGES = {
    git.RemoteProgress.COUNTING: "counting objects",
    git.RemoteProgress.COMPRESSING: "compressing objects",
    git.RemoteProgress.RECEIVING: RECEIVING,
    git.RemoteProgress.RESOLVING: "resolving deltas",
    git.RemoteProgress.FINDING_SOURCES: "finding sources",
    git.RemoteProgress.CHECKING_OUT: "checking out files",
}


@dataclass(frozen=True)
class FetchProgress:
    """One step of a fetch: `cloning https://… 45% (receiving objects 1200/2700)`."""

    url: str
    """Redacted: no credentials."""
    cloning: bool
    """The first fetch of the repository (the long one)."""
    stage: str
    """"receiving objects", "resolving deltas", ..."""
    current: int
    total: int | None
    done: bool = False
    """The stage finished."""

    @property
    def percent(self) -> int | None:
        return None if not self.total else min(100, self.current * 100 // self.total)

    def describe(self) -> str:
        verb = "cloning" if self.cloning else "fetching"
        counts = f"{self.current}/{self.total}" if self.total else str(self.current)
        percent = f" {self.percent}%" if self.percent is not None else ""
        return f"{verb} {self.url}{percent} ({self.stage} {counts})"


class _Parser(git.RemoteProgress):
    def __init__(self, report: Callable[[str, int, int | None, bool], None]) -> None:
        super().__init__()
        self._report = report

    def update(
        self, op_code: int, cur_count: str | float, max_count: str | float | None = None, message: str = ""
    ) -> None:
        stage = _STAGES.get(op_code & self.OP_MASK)
        if stage is None or cur_count in (None, ""):
            return
        total = int(float(max_count)) if max_count not in (None, "") else None
        self._report(stage, int(float(cur_count)), total, bool(op_code & self.END))

    def line_dropped(self, line: str) -> None:
        # Small fetches (under transfer.unpackLimit objects) say "Unpacking objects", which GitPython's
        # grammar does not know; it is the same count "Receiving objects" gives for big ones.
        match = self.re_op_relative.match(line)
        if match is not None and match.group(2) == "Unpacking objects":
            _remote, _name, _percent, current, total, rest = match.groups()
            self._report(UNPACKING, int(current), int(total), rest.strip().endswith(self.DONE_TOKEN))


class ProgressLines:
    """Feed git's stderr chunks in (any thread); `report` gets a FetchProgress per progress line."""

    def __init__(self, url: str, cloning: bool, report: Callable[[FetchProgress], None]) -> None:
        self._pending = ""
        self._lock = threading.Lock()
        self._parser = _Parser(
            lambda stage, cur, total, done: report(FetchProgress(url, cloning, stage, cur, total, done))
        )
        self._handle = self._parser.new_message_handler()

    def feed(self, chunk: bytes) -> None:
        with self._lock:
            text = self._pending + chunk.decode("utf-8", "replace")
            lines = text.replace("\r", "\n").split("\n")
            self._pending = lines.pop()  # the unfinished last line waits for its end
            for line in lines:
                if line.strip():
                    self._handle(line)
