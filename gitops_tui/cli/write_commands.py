"""Commands that write, or follow the console as it writes: `sync`, `history`, `rollback`, `autosync`, `watch`.

Each runs the same reconciler the TUI runs (engine/console.py) on `asyncio.run`, so read-only mode, leases,
history and the "one operation per app" rule are the reconciler's, not re-implemented here. Refusals are
one line and exit 2; a sync that ran and failed exits 1 (it is an answer, like drift in `diff`).
"""

from __future__ import annotations

import argparse
import sys
import time

# asyncio is imported by the functions that run a loop: `status`/`diff` answered by a console never do.
from typing import Any, TypeVar

from gitops_tui.cli.common import (
    EXIT_DRIFT,
    EXIT_OK,
    CommandError,
    dump,
    load_apps,
    print_table,
    report_problems,
)
from gitops_tui.cli.console_options import refuse_read_only_context
from gitops_tui.cli.write_runtime import app_spec, kubeconfig_of, wait_ready, with_history, with_reconciler
from gitops_tui.model import Event, HistoryEntry, Operation, OperationPhase, ResourceKey, ResourceResult

T = TypeVar("T")


def add_write_commands(commands: Any, cluster_options: argparse.ArgumentParser) -> None:
    sync = commands.add_parser("sync", parents=[cluster_options], help="sync an app to Git (prints the plan first)")
    sync.add_argument("app", metavar="APP")
    sync.add_argument("--revision", default="", help="sync this branch, tag or commit instead of targetRevision")
    sync.add_argument("--prune", action="store_true", help="delete the app's objects that Git no longer has")
    sync.add_argument("--dry-run", action="store_true", help="show what the sync would do; write nothing")
    sync.add_argument(
        "--resource",
        action="append",
        default=[],
        metavar="GROUP/KIND/NAMESPACE/NAME",
        help="sync only this resource (repeatable; core group and cluster scope are empty)",
    )
    sync.add_argument("--yes", action="store_true", help="do not ask before pruning (needed off a terminal)")
    sync.add_argument("--timeout", type=float, default=300.0, metavar="S", help="give up waiting after S seconds")
    sync.set_defaults(handler=cmd_sync)

    history = commands.add_parser("history", parents=[cluster_options], help="an app's deployment history")
    history.add_argument("app", metavar="APP")
    history.add_argument("-o", "--output", choices=["table", "json", "yaml"], default="table")
    history.set_defaults(handler=cmd_history)

    rollback = commands.add_parser(
        "rollback",
        parents=[cluster_options],
        help="sync a history entry's revision (default: the previous) and pause auto-sync",
    )
    rollback.add_argument("app", metavar="APP")
    rollback.add_argument("id", nargs="?", type=int, metavar="ID", help="history entry (see `history APP`)")
    rollback.add_argument("--prune", action="store_true", help="delete objects the old revision does not have")
    rollback.add_argument("--yes", action="store_true", help="do not ask before pruning (needed off a terminal)")
    rollback.add_argument("--timeout", type=float, default=300.0, metavar="S", help="give up waiting after S s")
    rollback.set_defaults(handler=cmd_rollback)

    autosync = commands.add_parser(
        "autosync", parents=[cluster_options], help="resume (on) or pause (off) an app's automated sync"
    )
    autosync.add_argument("app", metavar="APP")
    autosync.add_argument("state", choices=["on", "off"])
    autosync.set_defaults(handler=cmd_autosync)

    watch = commands.add_parser(
        "watch", parents=[cluster_options], help="run the console headless and print its events until Ctrl-C"
    )
    watch.add_argument("--for", dest="duration", type=float, metavar="SECONDS", help="stop after SECONDS")
    watch.set_defaults(handler=cmd_watch)


# ---- sync -------------------------------------------------------------------------------------------------


def cmd_sync(args: argparse.Namespace) -> int:
    from gitops_tui.engine.operations import SyncRequest

    spec = app_spec(args)
    _check_prune_allowed(args)
    request = SyncRequest(
        revision=args.revision,
        prune=args.prune,
        dry_run=args.dry_run,
        resources=frozenset(_resource_key(text) for text in args.resource) or None,
    )

    async def run(reconciler: Any) -> int:
        if reconciler.settings.read_only and not args.dry_run:
            await reconciler.sync(spec.name, request)  # refuses before anything connects: the reconciler's words
        await wait_ready(reconciler, spec.name)
        plan = await _follow(reconciler, await reconciler.sync(spec.name, _dry(request)), args.timeout, quiet=True)
        _print_plan(plan)
        if args.dry_run or plan.phase is not OperationPhase.SUCCEEDED:
            return EXIT_OK if plan.phase is OperationPhase.SUCCEEDED else EXIT_DRIFT
        prunes = sum(1 for r in plan.results if r.action.value == "pruned")
        if prunes and not args.yes and not _confirm(f"Prune {prunes} resource(s) of {spec.name}?"):
            raise CommandError("not synced: pruning was not confirmed")
        print(f"Syncing {spec.name}:")
        done = await _follow(reconciler, await reconciler.sync(spec.name, request), args.timeout)
        return _verdict(done)

    return with_reconciler(args, [spec], run)


def _dry(request: Any) -> Any:
    import dataclasses

    return dataclasses.replace(request, dry_run=True)


def _resource_key(text: str) -> ResourceKey:
    parts = text.split("/")
    if len(parts) != 4 or not parts[1] or not parts[3]:
        raise CommandError(
            f"--resource {text!r}: expected GROUP/KIND/NAMESPACE/NAME (e.g. apps/Deployment/shop/web, "
            "/ConfigMap/shop/settings)"
        )
    return ResourceKey(*parts)


def _check_prune_allowed(args: argparse.Namespace) -> None:
    # Off a terminal nobody can answer a question: a script must say --yes to delete things.
    if args.prune and not args.yes and not getattr(args, "dry_run", False) and not sys.stdin.isatty():
        raise CommandError("refusing to prune without --yes: not on a terminal to ask (add --yes, or --dry-run)")


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        return False
    try:
        return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")
    except EOFError:
        return False


def _print_plan(plan: Operation) -> None:
    if plan.phase is not OperationPhase.SUCCEEDED:
        print(f"Plan: the dry run {plan.phase.value.lower()}: {plan.message}")
    elif not plan.results:
        print("Plan: nothing to do")
    else:
        print("Plan:")
    for result in plan.results:
        print(_result_line(result, planned=True))


def _result_line(result: ResourceResult, planned: bool = False) -> str:
    action = result.action.value
    if planned and action in ("created", "configured", "pruned"):
        action = {"created": "create", "configured": "configure", "pruned": "prune"}[action]
    hook = f" ({result.phase} hook)" if result.hook else ""
    # The executor's messages repeat the action ("created", "dry run: would be created"): keep only news.
    message = result.message.removeprefix("dry run: ")
    redundant = message in ("", result.action.value, "no change") or message == f"would be {result.action.value}"
    note = "" if redundant else f"  {message}"
    return f"  {action:<10} {result.key}{hook}{note}"


async def _follow(reconciler: Any, started: Operation, timeout: float, quiet: bool = False) -> Operation:
    """Wait for the operation to end, printing each resource's result as it changes (unless `quiet`)."""
    import asyncio

    shown: dict[int, str] = {}
    deadline = time.monotonic() + timeout
    last_message = ""
    while True:
        found = reconciler.activity(started.app).operation
        operation = found if found is not None and found.id == started.id else started
        if not quiet:
            for index, result in enumerate(operation.results):
                line = _result_line(result)
                if shown.get(index) != line:
                    shown[index] = line
                    print(line, flush=True)
            if operation.message and operation.message != last_message and not operation.phase.completed:
                last_message = operation.message
                print(f"  ... {operation.message}", flush=True)
        if operation.phase.completed:
            await reconciler.settled(started.app)  # history is written just after the operation completes
            return operation
        if time.monotonic() > deadline:
            reconciler.terminate(started.app)
            raise CommandError(
                f"{started.app}: gave up after {timeout:g} s waiting for the {started.kind} (asked it to terminate)"
            )
        await asyncio.sleep(0.05)  # a poll of an in-memory value: cheap, and keeps output in order


def _verdict(done: Operation) -> int:
    extra = f": {done.message}" if done.message else ""
    print(f"{done.kind} of {done.app} to {done.revision[:7]}: {done.phase.value}{extra}")
    return EXIT_OK if done.phase is OperationPhase.SUCCEEDED else EXIT_DRIFT


# ---- history, rollback, autosync --------------------------------------------------------------------------


def cmd_history(args: argparse.Namespace) -> int:
    spec = app_spec(args)

    async def run(store: Any) -> int:
        entries = await store.entries(spec)
        if args.output == "table":
            print_table(["ID", "REVISION", "DEPLOYED", "BY", "AUTHOR", "SUBJECT"], [_history_row(e) for e in entries])
        else:
            dump({"app": spec.name, "history": [_history_document(e) for e in entries]}, args.output)
        return EXIT_OK

    return with_history(args, run)


def _history_row(entry: HistoryEntry) -> list[str]:
    return [
        str(entry.id),
        entry.revision[:7],
        f"{entry.deployed_at.astimezone():%Y-%m-%d %H:%M:%S}",
        entry.initiated_by,
        entry.author,
        entry.subject,
    ]


def _history_document(entry: HistoryEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "revision": entry.revision,
        "deployedAt": entry.deployed_at.isoformat(),
        "initiatedBy": entry.initiated_by,
        "author": entry.author,
        "subject": entry.subject,
    }


def cmd_rollback(args: argparse.Namespace) -> int:
    from gitops_tui.engine.history import rollback_target
    from gitops_tui.engine.operations import ReconcilerError

    spec = app_spec(args)
    _check_prune_allowed(args)

    async def run(reconciler: Any) -> int:
        if reconciler.settings.read_only:
            await reconciler.rollback(spec.name, args.id)  # the reconciler's refusal, before connecting
        await wait_ready(reconciler, spec.name)
        try:
            target = rollback_target(await reconciler.history(spec.name), args.id)
        except ReconcilerError as exc:
            raise CommandError(f"{spec.name}: {exc.message}") from None
        print(f"Rolling {spec.name} back to entry {target.id}: {target.revision[:7]} {target.subject}".rstrip())
        print(f"Automated sync of {spec.name} will be paused until `gitops-tui autosync {spec.name} on`.")
        if args.prune and not args.yes and not _confirm(f"Prune what {target.revision[:7]} does not have?"):
            raise CommandError("not rolled back: pruning was not confirmed")
        done = await _follow(reconciler, await reconciler.rollback(spec.name, target.id, args.prune), args.timeout)
        code = _verdict(done)
        note = reconciler.activity(spec.name).auto_sync_note
        print(f"auto-sync paused for {spec.name}" + (f": {note}" if note else ""))
        return code

    return with_reconciler(args, [spec], run)


def cmd_autosync(args: argparse.Namespace) -> int:
    spec = app_spec(args)
    enabled = args.state == "on"

    if getattr(args, "read_only", False):  # the same refusal the reconciler's set_auto_sync gives
        raise CommandError(
            f"read-only mode: refusing to switch auto-sync {args.state} for {spec.name} "
            "(nothing is synced in read-only mode)"
        )
    refuse_read_only_context(kubeconfig_of(args), spec, f"switch auto-sync {args.state} for {spec.name}")

    async def run(store: Any) -> int:
        # The pause is kept beside the history (it outlives this process): a one-shot command writes it there,
        # and every console reads it when it starts.
        if enabled:
            await store.resume_auto_sync(spec)
        else:
            await store.pause_auto_sync(spec, "automated sync switched off from the command line")
        automated = spec.sync_policy.automated
        print(
            f"automated sync of {spec.name} {'resumed' if enabled else 'paused'}"
            + ("" if automated else " (note: the app has no syncPolicy.automated, so nothing syncs by itself)")
        )
        return EXIT_OK

    return with_history(args, run)


# ---- watch ------------------------------------------------------------------------------------------------


def cmd_watch(args: argparse.Namespace) -> int:
    result = load_apps(args.apps)
    report_problems(result)
    if not result.apps:
        raise CommandError("no apps to watch")

    async def run(reconciler: Any) -> int:
        print(f"watching {len(result.apps)} app(s); Ctrl-C to stop", file=sys.stderr, flush=True)
        if getattr(reconciler, "query_problem", ""):
            print(f"warning: {reconciler.query_problem}", file=sys.stderr, flush=True)
        seen = 0
        deadline = None if args.duration is None else time.monotonic() + args.duration
        async for _changes in _ticks(reconciler, deadline):
            for event in reconciler.events(seen):
                seen = max(seen, event.seq)
                print(_event_line(event), flush=True)
        return EXIT_OK

    return with_reconciler(args, list(result.apps), run, answer_queries=True)


async def _ticks(reconciler: Any, deadline: float | None) -> Any:
    """Yield at start, then whenever events may be new, until the deadline (forever without one)."""
    import asyncio

    wake = asyncio.Event()
    subscription = reconciler.subscribe(lambda _changes: wake.set())
    try:
        yield None
        while deadline is None or time.monotonic() < deadline:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                async with asyncio.timeout(left):  # not wait_for: on Python 3.11 it can swallow a Ctrl-C
                    await wake.wait()
            except TimeoutError:
                break
            wake.clear()
            yield None
    finally:
        close = getattr(subscription, "close", None)
        if close is not None:
            close()


def _event_line(event: Event) -> str:
    return f"{event.at.astimezone():%H:%M:%S} {event.app or '-'} {event.severity.value} {event.message}"


__all__ = ["add_write_commands"]
