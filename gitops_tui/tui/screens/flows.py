"""The console's write flows and the `:` command line: key → dialog → confirmation → reconciler call.

A mixin of `GitOpsApp`, kept apart so app.py stays about panes and news. Every write asks first (k9s
style) and runs the reconciler call in a worker whose failure reaches the app's one error handler. In
read-only mode a sync opens locked to a dry run (nothing is written; the reconciler allows dry runs);
the other writes say why they are disabled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import work

from gitops_tui.engine.diff import ResourceDiff
from gitops_tui.engine.reconciler import ReconcilerError, SyncRequest
from gitops_tui.model import AppState, HistoryEntry, OperationPhase
from gitops_tui.tui.screens.command_line import CommandError, CommandLine, parse_command
from gitops_tui.tui.screens.rollback_modal import RollbackModal
from gitops_tui.tui.screens.sync_modal import ConfirmModal, SyncModal
from gitops_tui.tui.widgets.operation_view import Wave

if TYPE_CHECKING:
    from gitops_tui.tui.app import GitOpsApp

    _Base = GitOpsApp
else:
    _Base = object

READ_ONLY_WHY = "read-only mode: {what} is disabled (the console was started read-only and writes nothing)"
CONTEXT_READ_ONLY_WHY = "read-only: {why}; {what} is disabled for {app}"
CONSOLE_READ_ONLY = "the console was started with --read-only"


class CommandsMixin(_Base):
    def _selected_app(self) -> AppState | None:
        """The app under the tree's cursor now. Not `self.selection`: that follows a message, and a write key
        typed right after a move (`G R`, a paste, a slow ssh link) would act on the app the cursor just left."""
        row = self.tree.selected  # None when nothing is listed (a filter that matches nothing): act on nothing
        if row is None:
            self.notify("Select an app first (j/k to move).", severity="warning", timeout=3)
            return None
        return self.tree.states.get(row.app)

    def _read_only_why(self, app: str) -> str:
        """Why the app takes no writes ("context prod is read-only in …"), "" when it does."""
        if self.read_only:
            return CONSOLE_READ_ONLY
        return str(getattr(self._activity(app), "read_only_reason", "") or "")

    def _refuse_read_only(self, what: str, app: str) -> bool:
        """Say why a write key does nothing: the console is read-only, or the app's context is (config file)."""
        context_why = self._read_only_why(app)
        if self.read_only:
            why = READ_ONLY_WHY.format(what=what)
        elif context_why:
            why = CONTEXT_READ_ONLY_WHY.format(why=context_why, what=what, app=app)
        else:
            return False
        self.notify(why, severity="warning", title="⊘ READ-ONLY", timeout=6)
        return True

    # ---- sync ------------------------------------------------------------------------------------

    def action_sync(self, prune: bool = False, app: str | None = None) -> None:
        """The sync dialog; in read-only mode locked to a dry run (the plan still shows what a sync would do)."""
        state = self.tree.states.get(app) if app else self._selected_app()
        if state is None:
            return
        modal = SyncModal(
            state, prune=prune, planner=getattr(self.source, "plan", None), dry_run_only=self._read_only_why(state.name)
        )

        def confirmed(request: SyncRequest | None) -> None:
            if request is not None:
                plan = modal.plan
                self.operation_waves[state.name] = tuple((str(g.phase), g.wave) for g in plan.waves()) if plan else ()
                self.tree.select_app(state.name)  # the progress shows in its details
                self.start_sync(state.name, request)

        self.push_screen(modal, confirmed)

    @property
    def operation_waves(self) -> dict[str, tuple[Wave, ...]]:
        """Per app, the (phase, wave) groups of the plan its running sync was confirmed with ("wave 2 of 3")."""
        return self.__dict__.setdefault("_operation_waves", {})  # type: ignore[no-any-return]

    @work(group="operations", name="sync", exit_on_error=False)
    async def start_sync(self, app: str, request: SyncRequest) -> None:
        operation = await self.source.sync(app, request)
        what = "Dry run" if request.dry_run else "Sync"
        self.notify(
            f"⟳ {what} of {app} started (operation #{operation.id}); follow it in Details and Events.", timeout=4
        )

    # ---- terminate -------------------------------------------------------------------------------

    def action_terminate(self) -> None:
        state = self._selected_app()
        if state is None or self._refuse_read_only("terminate", state.name):
            return
        activity = self._activity(state.name)
        operation = activity.operation if activity is not None else None
        if operation is None or operation.phase.completed:
            self.notify(f"{state.name}: no operation is running; nothing to terminate.", timeout=3)
            return
        if operation.phase is OperationPhase.TERMINATING:
            self.notify(f"{state.name}: {operation.kind} #{operation.id} is already stopping.", timeout=3)
            return
        question = (
            f"Stop {operation.kind} #{operation.id} of {state.name} to {operation.revision[:7] or '?'}?\n"
            "It stops after its current step: what it applied stays applied, the rest is not applied, "
            "and the operation ends Failed (terminated by user). Sync again to finish the job."
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self._terminate(state.name)

        self.push_screen(ConfirmModal(f"Terminate the {operation.kind} of {state.name}?", question), answered)

    def _terminate(self, app: str) -> None:
        terminate = getattr(self.source, "terminate", None)
        stopping = terminate(app) if terminate is not None else None
        if stopping is None:
            self.notify(
                f"{app}: the operation had already ended (or cannot be stopped); nothing was terminated.",
                severity="warning",
                timeout=4,
            )
        else:
            self.notify(
                f"■ Terminating {stopping.kind} #{stopping.id} of {app}: it stops after the current step.", timeout=4
            )

    # ---- rollback --------------------------------------------------------------------------------

    def action_rollback(self, app: str | None = None, history_id: int | None = None) -> None:
        state = self.tree.states.get(app) if app else self._selected_app()
        if state is None or self._refuse_read_only("rollback", state.name):
            return
        if history_id is not None:
            self._confirm_rollback(state, history_id)
        else:
            self.choose_rollback(state)

    @work(exclusive=True, group="history", name="reading sync history", exit_on_error=False)
    async def choose_rollback(self, state: AppState) -> None:
        entries = await self.source.history(state.name)
        activity = self._activity(state.name)
        auto = bool(activity and activity.auto_sync)
        current = state.revision.sha if state.revision else ""

        def chosen(history_id: int | None) -> None:
            if history_id is not None:
                entry = next((e for e in entries if e.id == history_id), None)
                self._confirm_rollback(state, history_id, entry, max((e.id for e in entries), default=0))

        revision_diff = getattr(self.source, "revision_diff", None)  # what rolling back to an entry changes

        async def load_diff(revision: str) -> list[ResourceDiff]:
            return await revision_diff(state.name, revision) if revision_diff is not None else []

        modal = RollbackModal(
            state.name,
            entries,
            zone=self.clock().tzinfo,
            current_revision=current,
            auto_sync=auto,
            load_diff=load_diff if revision_diff is not None else None,
        )
        self.push_screen(modal, chosen)

    def _confirm_rollback(
        self, state: AppState, history_id: int, entry: HistoryEntry | None = None, latest: int = 0
    ) -> None:
        """`entry`: the chosen one when the history was read; `latest`: the newest entry's id (the last sync)."""

        def answered(yes: bool | None) -> None:
            if yes:
                self.start_rollback(state.name, history_id)

        target = f"#{history_id}"
        if entry is not None:
            target += f" ({entry.revision[:7]}{f' {entry.subject}' if entry.subject else ''})"
        question = (
            f"Roll {state.name} back to history entry {target}?\n"
            "Its manifests are applied as they were then; nothing is pruned."
        )
        if entry is not None and entry.id == latest:
            question += (
                "\nIt is the last sync, deployed now: this re-applies it, undoing changes made in the cluster since."
            )
        if state.spec.sync_policy.automated:
            question += (
                "\nAuto-sync of this app is paused (in every console) until you resume it with a; "
                "until then it does not follow Git."
            )
        self.push_screen(ConfirmModal(f"Roll back {state.name}", question), answered)

    @work(group="operations", name="rollback", exit_on_error=False)
    async def start_rollback(self, app: str, history_id: int) -> None:
        operation = await self.source.rollback(app, history_id)
        self.notify(f"⟳ Rollback of {app} to #{history_id} started (operation #{operation.id}).", timeout=4)

    # ---- refresh and auto-sync -------------------------------------------------------------------

    def action_refresh(self, app: str | None = None, hard: bool = False) -> None:
        state = self.tree.states.get(app) if app else self._selected_app()
        if state is not None:
            self.run_refresh(state.name, hard)

    @work(group="refresh", name="refresh", exit_on_error=False)
    async def run_refresh(self, app: str, hard: bool) -> None:
        self.notify(f"Refreshing {app}: polling Git and comparing…", timeout=2)
        state = await self.source.refresh(app, hard=hard)
        if state.error:
            self.notify(f"{app}: {state.error}", severity="error", title="Refresh", timeout=6)
        else:
            self.notify(f"{app} refreshed: {state.sync.value}, {state.health.status.value}", timeout=3)

    def action_auto_sync(self) -> None:
        state = self._selected_app()
        if state is None or self._refuse_read_only("switching auto-sync", state.name):
            return
        if not state.spec.sync_policy.automated:
            self.notify(
                f"{state.name} has no automated sync configured (spec.syncPolicy.automated in its "
                "Application); sync it with s.",
                severity="warning",
                timeout=5,
            )
            return
        activity = self._activity(state.name)
        enabled = not (activity.auto_sync if activity else True)
        holder = activity.auto_sync_by if activity else ""
        if not holder:
            self._switch_auto_sync(state, enabled, "")
            return
        title, question = auto_sync_elsewhere_question(state.name, holder, enabled)

        def answered(yes: bool | None) -> None:
            if yes:
                self._switch_auto_sync(state, enabled, holder)

        self.push_screen(ConfirmModal(title, question), answered)

    def _switch_auto_sync(self, state: AppState, enabled: bool, holder: str) -> None:
        try:
            self.source.set_auto_sync(state.name, enabled)
        except ReconcilerError as exc:
            self.report_error("auto-sync", exc)
            return
        if holder:
            then = "runs it again shortly" if enabled else "stops before its next automated sync"
            word = "resumed" if enabled else "switched off"
            self.notify(f"{state.name}: automated sync {word} in every console; {holder} {then}.", timeout=5)
        elif enabled:
            self.notify(f"{state.name}: automated sync resumed in every console.", timeout=3)
        else:
            self.notify(
                f"{state.name}: automated sync switched off in every console, until resumed "
                f"(a, or gitops-tui autosync {state.name} on).",
                timeout=4,
            )
        self.tree.update_states({}, {state.name: self._auto_glyph(state)})
        self._show_details()

    # ---- quit ------------------------------------------------------------------------------------

    def _running_operations(self) -> list[str]:
        running = []
        for name in self.tree.states:
            activity = self._activity(name)
            operation = activity.operation if activity else None
            if operation is not None and operation.phase is OperationPhase.RUNNING:
                running.append(name)
        return running

    def action_quit_console(self) -> None:
        running = self._running_operations()
        if not running:
            self.exit(0)
            return
        question = (
            f"A sync is running for {', '.join(running[:5])}. Quitting stops watching it; the "
            "cluster may be left half-synced (the next start shows it as Interrupted). Quit anyway?"
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self.exit(0)

        self.push_screen(ConfirmModal("Quit while syncing?", question), answered)

    # ---- the command line ------------------------------------------------------------------------

    def action_command_line(self) -> None:
        self.push_screen(CommandLine(sorted(self.tree.states)), self.run_command)

    def run_command(self, line: str | None) -> None:
        if not line:
            return
        try:
            command = parse_command(line, set(self.tree.states))
        except CommandError as exc:
            self.notify(str(exc), severity="error", title=f":{line}", timeout=5)
            return
        handlers: dict[str, Any] = {
            "quit": self.action_quit_console,
            "help": self.action_help,
            "sync": lambda: self.action_sync("prune" in command.flags, command.app),
            "rollback": lambda: self.action_rollback(command.app, int(command.args[0])),
            "refresh": lambda: self.action_refresh(command.app, "hard" in command.flags),
            "diff": lambda: (self.tree.select_app(command.app), self.action_diff()),
            "sort": lambda: self._sort_command(command.args),
            "filter": lambda: self._filter_command(" ".join(command.args)),
        }
        handlers[command.verb]()

    def _sort_command(self, args: tuple[str, ...]) -> None:
        orders = {"name", "health", "sync"}
        if len(args) != 1 or args[0] not in orders:
            self.notify("usage: :sort name|health|sync", severity="error", timeout=4)
            return
        self.action_sort(args[0])

    def _filter_command(self, text: str) -> None:
        box = self.query_one("#filter-input")
        box.value = text  # type: ignore[attr-defined]
        box.set_class(bool(text), "shown")
        self.apply_filter(text)


def auto_sync_elsewhere_question(app: str, holder: str, enabled: bool) -> tuple[str, str]:
    """What `a` does on an app whose automated syncs another console runs, in words true to the engine.

    `Reconciler.set_auto_sync` writes the shared pause beside the sync history (as a rollback and
    `gitops-tui autosync APP off|on` do): the holder reads it before each automated sync and rereads a
    pause it holds, so switching off stops it and switching on resumes it. The claim stays where it is.
    """
    if enabled:
        return (
            f"Resume auto-sync of {app} everywhere?",
            f"{holder} runs {app}'s automated syncs; this console only watches.\n\n"
            f"y clears the shared pause (kept beside the sync history): every console resumes auto-sync of "
            f"{app}, {holder} included, and Git is followed again. It does not take the claim from {holder}.",
        )
    return (
        f"Switch auto-sync of {app} off everywhere?",
        f"{holder} runs {app}'s automated syncs and self-heal.\n\n"
        f"y pauses auto-sync of {app} in every console, as `gitops-tui autosync {app} off` does (the pause is "
        f"kept beside the sync history): {holder} stops before its next automated sync, and the pause outlives "
        f"restarts until someone resumes it (a, or `gitops-tui autosync {app} on`). It does not take {holder}'s "
        f"claim.",
    )
