"""Worker failures and crashes, handled in one place: a dialog that says what to do, a log file for bugs.

A mixin of `GitOpsApp`. Never a traceback on screen; tracebacks go to `$XDG_STATE_HOME/gitops-tui/`.
"""

from __future__ import annotations

import logging
import traceback
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual.worker import Worker, WorkerState

from gitops_tui.config import state_home
from gitops_tui.engine.reconciler import ReadOnlyModeError, ReconcilerError
from gitops_tui.tui.screens.error_modal import ErrorModal

if TYPE_CHECKING:
    from gitops_tui.tui.app import GitOpsApp

    _Base = GitOpsApp
else:
    _Base = object

log = logging.getLogger(__name__)


def crash_log_path() -> Path:
    return state_home() / "console.log"


def write_crash_log(what: str, error: BaseException) -> Path:
    """Append the traceback to the console's log file; the screen only ever says where it is."""
    path = crash_log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as f:
            f.write(f"--- {datetime.now().astimezone().isoformat()} {what}\n")
            f.write("".join(traceback.format_exception(error)))
    except OSError:
        log.exception("could not write %s", path)
    return path


class ErrorsMixin(_Base):
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            self.report_error(event.worker.name or "a background task", event.worker.error)

    def report_error(self, what: str, error: BaseException) -> None:
        """`what`: the action, as its worker is named ("sync", "rollback", "reading sync history")."""
        if isinstance(error, ReadOnlyModeError):
            hint = (
                "Restart the console without --read-only to make changes."
                if self.read_only
                else f"Nothing was changed. The context's readOnly is set in {self.config_file} (contexts:)."
            )
            self.push_screen(ErrorModal(error.message, hint, title=f"{what} refused: read-only"))
        elif isinstance(error, ReconcilerError):
            self.push_screen(
                ErrorModal(
                    error.message, "Nothing was changed. Check the app in the details pane.", title=f"{what} refused"
                )
            )
        elif isinstance(error, NotImplementedError):
            self.push_screen(
                ErrorModal(
                    f"{what}: {error}",
                    "This build cannot do that yet; nothing was changed.",
                    title=f"{what} not available",
                )
            )
        else:
            path = write_crash_log(what, error)
            self.push_screen(
                ErrorModal(
                    f"{what} failed: {error}",
                    "This is a bug in gitops-tui; nothing else was affected. Please report it with the log file.",
                    str(path),
                    title=f"{what} failed",
                )
            )

    def _handle_exception(self, error: Exception) -> None:
        # Textual would print a traceback over the terminal on exit; the SRE gets one line and a log file.
        path = write_crash_log("unhandled error", error)
        self._return_code = 1
        if self._exception is None:
            self._exception = error
            self._exception_event.set()
        self._exit_renderables.append(
            Text(f"gitops-tui stopped after an internal error: {error!r}\nThe details are in {path}")
        )
        self._close_messages_no_wait()
