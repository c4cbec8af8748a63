"""The auto-sync pause every console honours, kept beside the sync history (the history store's
`pause_auto_sync` / `resume_auto_sync` / `auto_sync_pause`).

A rollback, `gitops-tui autosync APP off|on` and `a` in the console (`Reconciler.set_auto_sync`) all write
it, so switching auto-sync off means the same in every console and across restarts, as disabling it does
in Argo CD. Each console also keeps the switch in memory (`AppWorker.auto_override`), read by every
decision; this module keeps that copy in step with the shared one:

- `write` records this console's switch in the store (with who switched it off);
- `run` reads the store again every PAUSE_RECHECK_SECONDS for the apps paused here, so a pause cleared
  elsewhere (another console's `a`, `gitops-tui autosync APP on`) resumes this console too: an in-memory
  pause the store has stopped holding is dropped. A pause the store never showed (its write failed, or is
  still under way) is left alone, so a failed write never undoes a rollback's pause.

New pauses set elsewhere reach this console when it next reads them: at start (`load_pause`) and before
each automated sync it would run (auto_sync_driver.py).
"""

from __future__ import annotations

import asyncio
import getpass
import logging
from typing import TYPE_CHECKING

from gitops_tui.engine.app_worker import AppWorker

if TYPE_CHECKING:
    from gitops_tui.engine.reconciler import Reconciler

log = logging.getLogger(__name__)

PAUSE_RECHECK_SECONDS = 15.0
"""How often the shared pause of an app paused here is read again (one small read per paused app)."""
FIRST_RECHECK_SECONDS = 1.0


def switched_off_note() -> str:
    """The pause's reason when `a` switches auto-sync off: who did it, for the other consoles to show."""
    try:
        user = getpass.getuser()
    except Exception:  # no USER/LOGNAME and no passwd entry (a bare container): still a sentence
        user = "a user"
    return f"automated sync switched off in the console by {user}"


class SharedPause:
    def __init__(self, reconciler: Reconciler, interval: float = PAUSE_RECHECK_SECONDS) -> None:
        self._r = reconciler
        self._interval = interval
        self._held: set[str] = set()
        """Apps whose pause this console has seen in the store: only these resume when it is cleared there."""
        self._writing: set[str] = set()

    def switch(self, worker: AppWorker, enabled: bool) -> None:
        """`a` or `Reconciler.set_auto_sync`: switch the app's automated sync here at once, and in every console
        through the pause beside the history (as a rollback's pause and `gitops-tui autosync` are)."""
        app, r = worker.name, self._r
        note = "" if enabled else switched_off_note()
        if enabled:  # nothing of the switch stays in memory: the app follows its spec (and the shared pause)
            worker.auto_override = None if worker.spec.sync_policy.automated else True
            self.forget(app)
        else:
            worker.auto_override = False
        worker.auto_note = note
        r._spawn(self.write(worker, enabled, note), f"write auto-sync switch {app}")
        r._events.info(app, f"automated sync {'resumed' if enabled else 'switched off'} in every console")
        r._feed.app_changed(app)  # switched on, it is decided on once the shared pause is cleared (write)

    async def write(self, worker: AppWorker, enabled: bool, note: str) -> None:
        """Record this console's switch in the store; a failure is said, and the switch holds here alone.
        Switched on, the app is decided on only once the pause is cleared: an automated sync reads the pause
        first (auto_sync_driver.py) and would find the old one still there."""
        store = self._r.history_store
        method = getattr(store, "resume_auto_sync" if enabled else "pause_auto_sync", None)
        self._writing.add(worker.name)
        try:
            if method is not None:
                await (method(worker.spec) if enabled else method(worker.spec, note))
                if enabled:
                    self._held.discard(worker.name)
                else:
                    self._held.add(worker.name)
        except Exception as exc:
            log.warning("writing the auto-sync switch of %s failed: %s", worker.name, exc)
            self._r._events.warning(
                worker.name,
                f"could not {'clear' if enabled else 'write'} the shared auto-sync pause ({exc}); "
                "the switch holds in this console only",
            )
        finally:
            self._writing.discard(worker.name)
        if enabled:
            self._r._consider_auto_sync(worker)

    def forget(self, app: str) -> None:
        """This console resumed the app itself: its in-memory pause is gone already."""
        self._held.discard(app)

    async def run(self) -> None:
        """Every PAUSE_RECHECK_SECONDS; the first round soon after start, once the pauses read at start are in
        (so a pause cleared elsewhere in the first seconds is not missed)."""
        delay = min(FIRST_RECHECK_SECONDS, self._interval)
        while True:
            await asyncio.sleep(delay)
            delay = self._interval
            for worker in list(self._r._workers.values()):
                if worker.auto_override is False and worker.spec.sync_policy.automated:
                    await self.recheck(worker)

    async def recheck(self, worker: AppWorker) -> None:
        """Read the app's shared pause; drop the in-memory one if the store held it and holds it no more."""
        read = getattr(self._r.history_store, "auto_sync_pause", None)
        if read is None or worker.name in self._writing:
            return
        try:
            pause = await read(worker.spec)
        except Exception as exc:  # cannot tell: stay paused, as a pause is the safe side
            log.warning("reading the auto-sync pause of %s failed: %s", worker.name, exc)
            return
        if worker.auto_override is not False or worker.name in self._writing:
            return  # switched here while the read was under way: that switch stands
        if pause is not None:
            self._held.add(worker.name)
            return
        if worker.name not in self._held:
            return
        self._held.discard(worker.name)
        was = worker.auto_note
        worker.auto_override, worker.auto_note = None, ""
        self._r._events.info(
            worker.name,
            f"automated sync resumed: the shared pause ({was or 'no reason given'}) was cleared "
            "elsewhere (another console's a, or gitops-tui autosync on)",
        )
        self._r._feed.app_changed(worker.name)
        self._r._consider_auto_sync(worker)
