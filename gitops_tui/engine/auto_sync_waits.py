"""Why an automated app is not being synced right now, in words an SRE reads in the app's details and events.

The auto-sync driver (auto_sync_driver.py) asks here to remember every wait it leaves an app in, so that no
automated app is ever held back silently:

- held back by its claim: `consider` found that this console does not own the app's auto-sync claim at
  that moment. When the claim is ours but this console's heartbeat is late (a busy console, a slow API
  server: other consoles may already judge this one gone), that is said once per lapse, and every app held
  back is decided on again after the claims round that renews the heartbeat (`ready`);
- waiting for an operation: another console's operation holds the app's operation Lease, or an operation
  of this console is already running; the activity note names it, the events say it once per holder;
- waiting out self-heal's backoff: the note says until when.
"""

from __future__ import annotations

from gitops_tui.engine.auto_sync_claims import AutoSyncClaims
from gitops_tui.engine.change_feed import ChangeFeed
from gitops_tui.engine.events import EventLog


class AutoSyncWaits:
    def __init__(self, events: EventLog, feed: ChangeFeed) -> None:
        self._events = events
        self._feed = feed
        self._held_back: dict[str, set[str]] = {}
        """By context: apps `consider` left because this console did not own their claim at that moment."""
        self._lapse_said: set[str] = set()
        """Contexts whose heartbeat lapse has been said in the events (once per lapse)."""
        self._notes: dict[str, str] = {}
        """App -> why its automated sync waits for an operation ("auto-sync waiting: ..."), while it does."""
        self._said: dict[str, str] = {}
        """App -> what its last wait event was about (a holder, an operation): said once, not at every recheck."""

    # ---- held back by the claim ------------------------------------------------------------------------

    def hold_back(self, app: str, claims: AutoSyncClaims) -> None:
        context = claims.client.context
        self._held_back.setdefault(context, set()).add(app)
        age = claims.lapsed(app)
        if age is None:
            return
        self._feed.app_changed(app)  # its note now says it waits
        if context not in self._lapse_said:
            self._lapse_said.add(context)
            self._events.warning(
                "",
                f"context {context}: this console's heartbeat Lease was last renewed {age:.0f} s ago (more than "
                f"the {claims.duration.total_seconds():.0f} s other consoles wait before taking over); its "
                "automated syncs wait until it is renewed",
            )

    def released(self, app: str, claims: AutoSyncClaims) -> None:
        """`consider` went ahead for the app: it is no longer held back."""
        self._held_back.get(claims.client.context, set()).discard(app)

    def ready(self, claims: AutoSyncClaims, adopting: set[str]) -> list[str]:
        """After a claims round: the apps held back that this console owns now, forgotten here (to be decided
        on again by the caller); the end of a heartbeat lapse is said."""
        context = claims.client.context
        held = self._held_back.get(context)
        if not held:
            return []
        ready = sorted(app for app in held if claims.owns(app) and app not in adopting)
        held.difference_update(ready)
        if ready and context in self._lapse_said:
            self._lapse_said.discard(context)
            self._events.info(
                "",
                f"context {context}: this console's heartbeat Lease is renewed again; the automated syncs of "
                f"{len(ready)} apps held back meanwhile are decided on now",
            )
        for app in ready:
            self._feed.app_changed(app)
        return ready

    def claim_note(self, app: str, claims: AutoSyncClaims) -> str:
        """Why an app this console should auto-sync is held back by its claim ("" when it is not)."""
        context = claims.client.context
        if app not in self._held_back.get(context, ()):
            return ""
        age = claims.lapsed(app)
        if age is not None:
            return (
                f"auto-sync waiting: this console's heartbeat Lease {claims.namespace}/console.* on context "
                f"{context} was last renewed {age:.0f} s ago (other consoles may take over after "
                f"{claims.duration.total_seconds():.0f} s); automated syncs resume once it is renewed"
            )
        if not claims.holder(app):
            return (
                f"auto-sync waiting: this console has not taken the app's auto-sync claim on context {context} "
                f"yet (Lease {claims.namespace}/{app}.auto-sync)"
            )
        return ""

    # ---- waiting for an operation ----------------------------------------------------------------------

    def wait(self, app: str, note: str, about: str) -> None:
        """The app's automated sync waits: `note` for its details (kept current), an event when `about` (the
        holder, the operation) is new."""
        if self._notes.get(app) != note:
            self._notes[app] = note
            self._feed.app_changed(app)
        if self._said.get(app) != about:
            self._said[app] = about
            self._events.info(app, note)

    def done(self, app: str) -> None:
        """Nothing to wait for any more (the sync started, or the policy has its own reason not to sync)."""
        self._said.pop(app, None)
        if self._notes.pop(app, None) is not None:
            self._feed.app_changed(app)

    def note(self, app: str) -> str:
        return self._notes.get(app, "")
