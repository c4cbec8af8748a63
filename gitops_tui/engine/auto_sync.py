"""When automated sync and self-heal act: a pure decision, so the rules can be read and tested in a table.

Argo CD's rules (its `autoSync`), as the console applies them:

- only apps with `syncPolicy.automated`, not switched off by the user nor paused by a rollback;
- only when OutOfSync and nothing is running, and never for an app that could not be compared;
- a new revision is synced once; if that sync failed, the revision is never retried automatically;
- drift on an already-synced revision is corrected only with `selfHeal`, after a backoff of 2 s * 3^n
  (n heal attempts so far for that revision), capped at 300 s; the count starts again with a new revision;
- prune only with `automated.prune`; with prune on and `allowEmpty` off, a sync that would delete every
  resource of the app is refused (an emptied directory is more often a mistake than an intent);
- an app that only pruning would bring in sync is left alone when automated prune is off.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from gitops_tui.model import AppState, SyncPolicy, SyncStatus


@dataclass(frozen=True)
class AutoSyncMemory:
    """What the policy remembers about one app's automated syncs."""

    attempted_revision: str = ""
    attempt_failed: bool = False
    heal_attempts: int = 0
    last_attempt_at: float | None = None
    """Monotonic clock of the last automated attempt (for the self-heal backoff)."""


@dataclass(frozen=True)
class AutoSyncDecision:
    sync: bool
    reason: str
    prune: bool = False
    self_heal: bool = False
    retry_at: float | None = None
    """When a held-back self-heal becomes due: the caller should ask again then."""


@dataclass(frozen=True)
class AutoSyncPolicy:
    heal_backoff: float = 2.0
    heal_factor: float = 3.0
    heal_max: float = 300.0
    claim_seconds: int = 60
    """Where several consoles watch an app, the one holding its claim auto-syncs it (auto_sync_claims.py); a
    console that stops renewing is taken over after this long (at once when it stops cleanly)."""

    def heal_delay(self, attempts: int) -> float:
        """Seconds to wait after the last attempt before heal attempt number `attempts + 1`."""
        return min(self.heal_backoff * self.heal_factor ** max(attempts, 0), self.heal_max)

    def decide(
        self,
        policy: SyncPolicy,
        state: AppState,
        memory: AutoSyncMemory,
        now: float,
        *,
        enabled: bool = True,
        operation_running: bool = False,
    ) -> AutoSyncDecision:
        if not policy.automated:
            return AutoSyncDecision(False, "automated sync is not configured")
        if not enabled:
            return AutoSyncDecision(False, "automated sync is switched off")
        if operation_running:
            return AutoSyncDecision(False, "an operation is running")
        if state.error or state.revision is None:
            return AutoSyncDecision(False, "the app could not be compared")
        if state.sync is not SyncStatus.OUT_OF_SYNC:
            return AutoSyncDecision(False, f"the app is {state.sync.value}")
        compared = [r for r in state.resources if not r.hook]
        if policy.prune and not policy.allow_empty and compared and all(r.requires_pruning for r in compared):
            return AutoSyncDecision(False, "the sync would delete every resource of the app and allowEmpty is off")
        drifted = [r for r in compared if r.sync is SyncStatus.OUT_OF_SYNC]
        if not policy.prune and drifted and all(r.requires_pruning for r in drifted):
            return AutoSyncDecision(False, "only pruning would bring the app in sync and automated prune is off")
        revision = state.revision.sha
        short = revision[:7]
        if revision != memory.attempted_revision:
            return AutoSyncDecision(True, f"new revision {short}", prune=policy.prune)
        if memory.attempt_failed:
            return AutoSyncDecision(False, f"the automated sync to {short} failed; it is not retried automatically")
        if not policy.self_heal:
            return AutoSyncDecision(False, f"already synced to {short}; drift is not corrected (selfHeal is off)")
        due = (memory.last_attempt_at or float("-inf")) + self.heal_delay(memory.heal_attempts)
        if now < due:
            return AutoSyncDecision(False, f"self-heal backs off for {due - now:.0f} s", retry_at=due)
        return AutoSyncDecision(True, f"self-heal: drift from {short}", prune=policy.prune, self_heal=True)

    def attempted(self, memory: AutoSyncMemory, revision: str, now: float, *, self_heal: bool) -> AutoSyncMemory:
        """Remember an automated sync that has just been started."""
        if revision != memory.attempted_revision:
            return AutoSyncMemory(revision, False, 0, now)
        attempts = memory.heal_attempts + 1 if self_heal else memory.heal_attempts
        return replace(memory, attempt_failed=False, heal_attempts=attempts, last_attempt_at=now)

    def finished(self, memory: AutoSyncMemory, revision: str, *, succeeded: bool) -> AutoSyncMemory:
        """Remember how a sync to `revision` ended (a manual one too: it counts as an attempt)."""
        if revision != memory.attempted_revision:
            return replace(memory, attempted_revision=revision, attempt_failed=not succeeded, heal_attempts=0)
        return replace(memory, attempt_failed=not succeeded)
