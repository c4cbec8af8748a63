"""One pass through a sync plan: the namespace, then each (phase, wave) applied, pruned, hooked and waited on.

Inside a wave every step is tried (as gitops-engine runs a wave's tasks together), so one refused resource
does not hide the others' errors; a failure ends the pass after that wave and runs the SyncFail hooks.
Each step's outcome becomes a `ResourceResult` through the operation control, as soon as it is known.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from gitops_tui.cluster.client import ClusterClient
from gitops_tui.cluster.errors import ClusterError, NotFoundError, ReadOnlyError
from gitops_tui.engine.sync_hooks import PreparedHook, delete_after, delete_before_creation, prepare_hook
from gitops_tui.engine.sync_plan import PlannedStep, SyncAction, SyncPlan
from gitops_tui.engine.sync_plan_text import display_key
from gitops_tui.engine.sync_threads import in_sync_thread
from gitops_tui.engine.sync_waits import (
    Judge,
    SyncStopped,
    Verdict,
    WaitSettings,
    health_verdict,
    hook_verdict,
    wait_for,
    wait_gone,
)
from gitops_tui.engine.sync_watch import CacheReader
from gitops_tui.engine.sync_writes import Written, write_step
from gitops_tui.model import ResourceAction, ResourceKey, ResourceResult

if TYPE_CHECKING:
    from gitops_tui.engine.sync import OperationControl


@dataclass(frozen=True)
class WalkOutcome:
    ok: bool
    message: str
    stopped: bool = False
    """Ended by a stop request (terminate, lost lease), not by a failure: never retried."""


@dataclass
class _Pending:
    """A written step whose wave still has to settle: its result index and what it waits for."""

    index: int
    key: ResourceKey
    judge: Judge | None
    hook: PreparedHook | None = None
    version: str | None = None
    """The resourceVersion our write returned: the watch cache is believed once it shows this one."""


class PlanWalker:
    def __init__(
        self,
        client: ClusterClient,
        app: str,
        plan: SyncPlan,
        live: Mapping[ResourceKey, Mapping[str, Any]],
        control: OperationControl,
        wait: WaitSettings,
        watch: CacheReader | None = None,
        on_written: Callable[[ResourceKey, Mapping[str, Any]], None] | None = None,
    ) -> None:
        """`watch` reads the reconciler's watch cache for the waits; without it they poll with GETs.
        `on_written` hears what each server-side apply returned (SyncJob.on_written)."""
        self.client = client
        self.app = app
        self.plan = plan
        self.live = live
        self.control = control
        self.wait = wait
        self.watch = watch
        self.on_written = on_written
        self.dry_run = plan.options.dry_run
        self.counts: dict[ResourceAction, int] = dict.fromkeys(ResourceAction, 0)

    def _check_stop(self) -> None:
        reason = self.control.should_stop()
        if reason:
            raise SyncStopped(reason)

    async def walk(self) -> WalkOutcome:
        try:
            failure = await self._walk_steps()
        except SyncStopped as stop:
            return WalkOutcome(False, stop.reason, stopped=True)
        except ReadOnlyError as exc:  # never half a sync in read-only mode: the first write is refused
            return WalkOutcome(False, exc.message, stopped=True)
        if not failure:
            return WalkOutcome(True, self._summary())
        if self.plan.on_failure and not self.dry_run:
            try:
                await self._run_sync_fail_hooks()
            except SyncStopped as stop:
                return WalkOutcome(False, f"{failure}; {stop.reason} during the SyncFail hooks", stopped=True)
        return WalkOutcome(False, failure)

    def _summary(self) -> str:
        said = [f"{n} {action.value}" for action, n in self.counts.items() if n]
        what = ", ".join(said) or "nothing to do"
        return f"{'dry run: would be ' if self.dry_run else ''}{what}"

    async def _walk_steps(self) -> str:
        for warning in self.plan.warnings:
            self.control.report(f"warning: {warning}")
        for skipped in self.plan.skipped:  # shown, so "why was X not pruned?" has its answer in the results
            self._record(skipped.key, ResourceAction.UNCHANGED, f"skipped: {skipped.reason}", "Sync", 0, counted=False)
        if self.plan.namespace_to_create:
            await self._create_namespace(self.plan.namespace_to_create)
        for group in self.plan.waves():
            self._check_stop()
            await self.control.writing()  # the previous wave's wait gave the writer's place back
            label = f"{group.phase} wave {group.wave}"
            self.control.report(f"{label}: {len(group.steps)} step(s)")
            pending, failures = await self._run_wave(group.steps, label)
            if failures:
                return "; ".join(failures)
            if self.dry_run:
                continue
            failures = await self._settle(pending, label)
            if failures:
                return "; ".join(failures)
        return ""

    async def _run_wave(self, steps: tuple[PlannedStep, ...], label: str) -> tuple[list[_Pending], list[str]]:
        pending: list[_Pending] = []
        failures: list[str] = []
        for step in steps:
            self._check_stop()
            if not step.writes:
                self._result(step, step.key, ResourceAction.UNCHANGED, step.reason)
                continue
            self.control.report(f"{label}: {step.action.value} {display_key(step.key)}")
            try:
                found = await self._run_step(step)
            except ReadOnlyError:
                raise
            except ClusterError as exc:
                self._result(step, step.key, ResourceAction.FAILED, exc.message)
                failures.append(f"{display_key(step.key)}: {exc.message}")
                continue
            if found is not None:
                pending.append(found)
        return pending, failures

    async def _run_step(self, step: PlannedStep) -> _Pending | None:
        if step.action is SyncAction.PRUNE:
            await in_sync_thread(self.client.delete, step.key, dry_run=self.dry_run)
            index = self._result(
                step, step.key, ResourceAction.PRUNED, "would be pruned" if self.dry_run else "deleting"
            )
            return _Pending(index, step.key, None)
        if step.action is SyncAction.HOOK:
            return await self._start_hook(step)
        assert step.obj is not None
        try:
            written = await write_step(
                self.client,
                step,
                step.obj,
                app=self.app,
                options=self.plan.options,
                live=self.live.get(step.key),
                wait_deleted=self._wait_deleted,
                on_written=self.on_written,
            )
        except NotFoundError:
            if not self._placed_later(step):
                raise
            written = Written(ResourceAction.CREATED, "dry run: would be created", None)
        index = self._result(step, step.key, written.action, written.words)
        return _Pending(index, step.key, health_verdict, version=written.version or None)

    async def _wait_deleted(self, key: ResourceKey) -> None:
        verdicts = await wait_gone(
            self.client,
            [key],
            settings=self.wait,
            should_stop=self.control.should_stop,
            report=self.control.report,
            what=f"recreating {display_key(key)}",
            watch=self.watch,
            wakers=self.control.wakers,
        )
        verdict = verdicts.get(key)
        if verdict is not None and not verdict.ok:
            raise ClusterError(f"not recreated: the old object was not deleted: {verdict.message}")

    def _placed_later(self, step: PlannedStep) -> bool:
        """A dry run cannot place an object in a namespace the same sync would create first."""
        return self.dry_run and bool(step.key.namespace) and step.key.namespace in self._created_namespaces()

    async def _apply(self, step: PlannedStep, obj: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
        try:
            return await in_sync_thread(
                self.client.apply, obj or step.obj, app=self.app, dry_run=self.dry_run, force=self.plan.options.force
            )
        except NotFoundError:
            if self._placed_later(step):
                return None
            raise

    def _created_namespaces(self) -> set[str]:
        names = {s.key.name for s in self.plan.steps if s.key.kind == "Namespace" and s.key.group == ""}
        return names | ({self.plan.namespace_to_create} if self.plan.namespace_to_create else set())

    async def _start_hook(self, step: PlannedStep) -> _Pending:
        hook = prepare_hook(step)
        if await in_sync_thread(delete_before_creation, self.client, hook, dry_run=self.dry_run):
            await wait_gone(
                self.client,
                [hook.key],
                settings=self.wait,
                should_stop=self.control.should_stop,
                report=self.control.report,
                what=f"{step.phase} hook {display_key(hook.key)}",
                watch=self.watch,
                wakers=self.control.wakers,
            )
        created = await self._apply(step, hook.obj)
        words = f"dry run: {step.phase} hook would run" if self.dry_run else f"{step.phase} hook started"
        index = self._result(step, hook.key, ResourceAction.CREATED, words, hook=True)
        return _Pending(index, hook.key, hook_verdict, hook, _version(created) or None)

    async def _settle(self, pending: list[_Pending], label: str) -> list[str]:
        """Wait for the wave: prunes gone, hooks finished, applied resources healthy; then hook clean-up."""
        judges: dict[ResourceKey, Judge] = {}
        written: dict[ResourceKey, str] = {}
        for item in pending:
            judges[item.key] = item.judge or _gone
            if item.version:
                written[item.key] = item.version
        async with self.control.waiting():
            verdicts = await wait_for(
                self.client,
                judges,
                settings=self.wait,
                should_stop=self.control.should_stop,
                report=self.control.report,
                what=label,
                watch=self.watch,
                written=written,
                wakers=self.control.wakers,
            )
        failures: list[str] = []
        if any(item.hook is not None for item in pending):
            await self.control.writing()  # deleting finished hooks writes
        for item in pending:
            verdict = verdicts.get(item.key, Verdict(True))
            result = self.control.results[item.index]
            if item.hook is not None:
                words = f"{result.phase} hook {verdict.message}"
                cleanup = await in_sync_thread(self._delete_after, item.hook, verdict.ok)
                words = f"{words}; {cleanup}" if cleanup else words
            elif item.judge is None:
                words = "pruned" if verdict.ok else f"not pruned: {verdict.message}"
            else:
                words = f"{result.message}; {verdict.message}" if verdict.message else result.message
            action = result.action if verdict.ok else ResourceAction.FAILED
            self._replace(item.index, action, words)
            if not verdict.ok:
                failures.append(f"{display_key(item.key)}: {verdict.message}")
        return failures

    def _delete_after(self, hook: PreparedHook, succeeded: bool) -> str:
        try:
            return delete_after(self.client, hook, succeeded=succeeded)
        except ClusterError as exc:  # the hook ran; failing to tidy it up is worth saying, not failing for
            return f"not deleted: {exc.message}"

    async def _run_sync_fail_hooks(self) -> None:
        self.control.report(f"sync failed: running {len(self.plan.on_failure)} SyncFail hook(s)")
        await self.control.writing()
        pending: list[_Pending] = []
        for step in self.plan.on_failure:
            self._check_stop()
            try:
                pending.append(await self._start_hook(step))
            except ClusterError as exc:
                self._result(step, step.key, ResourceAction.FAILED, exc.message)
        if pending:
            await self._settle(pending, "SyncFail")

    async def _create_namespace(self, name: str) -> None:
        key = ResourceKey("", "Namespace", "", name)
        try:
            created = await in_sync_thread(self.client.ensure_namespace, name, dry_run=self.dry_run)
        except ReadOnlyError:
            raise
        except ClusterError as exc:
            self._record(key, ResourceAction.FAILED, f"CreateNamespace: {exc.message}", "PreSync", 0)
            raise SyncStopped(f"namespace {name} could not be created: {exc.message}") from exc
        if created:
            words = "dry run: would be created (CreateNamespace)" if self.dry_run else "created (CreateNamespace)"
            self._record(key, ResourceAction.CREATED, words, "PreSync", 0)

    # ---- results -----------------------------------------------------------------------------------

    def _result(
        self, step: PlannedStep, key: ResourceKey, action: ResourceAction, message: str, *, hook: bool = False
    ) -> int:
        return self._record(key, action, message, str(step.phase), step.wave, hook=hook)

    def _record(
        self,
        key: ResourceKey,
        action: ResourceAction,
        message: str,
        phase: str,
        wave: int,
        *,
        hook: bool = False,
        counted: bool = True,
    ) -> int:
        if counted:
            self.counts[action] += 1
        return self.control.add(ResourceResult(key, action, message, phase, wave, hook, datetime.now(UTC)))

    def _replace(self, index: int, action: ResourceAction, message: str) -> None:
        before = self.control.results[index].action
        if before is not action:
            self.counts[before] -= 1
            self.counts[action] += 1
        self.control.replace(index, action=action, message=message, at=datetime.now(UTC))


def _gone(obj: Mapping[str, Any] | None) -> Verdict:
    return Verdict(True, message="") if obj is None else Verdict(False, message="being deleted")


def _version(obj: Mapping[str, Any] | None) -> str:
    return str(((obj or {}).get("metadata") or {}).get("resourceVersion") or "")
