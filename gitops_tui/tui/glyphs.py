"""Every state the console shows, as glyph + word + style: never colour alone.

One table, so the tree, the details, the log and the modals say the same thing the same way, and a
NO_COLOR, 16-colour or colour-blind user reads the glyph and the word. Styles are plain ANSI colour
names: they survive tmux, ssh and 16-colour terminals, and the high-contrast theme only brightens them.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.theme import Theme

from gitops_tui.model import HealthStatus, OperationPhase, Severity, SyncStatus


class _Display:
    monochrome = False
    """Set by the console under NO_COLOR: colours become attributes, so the worst states stand out most
    (a monochrome filter would turn red into the darkest grey on screen)."""


display = _Display()

_MONOCHROME = {"bold red": "bold reverse", "red": "bold", "yellow": "bold", "magenta": "bold underline"}


@dataclass(frozen=True)
class Glyph:
    symbol: str
    word: str
    colour_style: str

    @property
    def style(self) -> str:
        if display.monochrome:
            return _MONOCHROME.get(self.colour_style, "bold reverse" if "reverse" in self.colour_style else "")
        return self.colour_style

    def text(self, *, width: int = 0) -> Text:
        """`✓ Synced`, padded to `width` cells so columns line up."""
        label = f"{self.symbol} {self.word}"
        return Text(label.ljust(width), style=self.style)


SYNC: dict[SyncStatus, Glyph] = {
    SyncStatus.SYNCED: Glyph("✓", "Synced", "green"),
    SyncStatus.OUT_OF_SYNC: Glyph("≠", "OutOfSync", "yellow"),
    SyncStatus.UNKNOWN: Glyph("?", "Unknown", "magenta"),
}

HEALTH: dict[HealthStatus, Glyph] = {
    HealthStatus.HEALTHY: Glyph("●", "Healthy", "green"),
    HealthStatus.SUSPENDED: Glyph("‖", "Suspended", "cyan"),
    HealthStatus.PROGRESSING: Glyph("◐", "Progressing", "cyan"),
    HealthStatus.MISSING: Glyph("○", "Missing", "yellow"),
    HealthStatus.DEGRADED: Glyph("✗", "Degraded", "bold red"),
    HealthStatus.UNKNOWN: Glyph("?", "Unknown", "magenta"),
}
COMPARE_ERROR = Glyph("✗", "Error", "bold red")
"""An app that could not be compared (render error, unknown cluster): its status is unknown for a reason."""
NO_HEALTH = Glyph("·", "—", "dim")
"""Kinds without a health check (ConfigMap, Secret): a dot, not a false "Healthy"."""

SEVERITY: dict[Severity, Glyph] = {
    Severity.INFO: Glyph("·", "info", "default"),
    Severity.WARNING: Glyph("!", "warn", "yellow"),
    Severity.ERROR: Glyph("✗", "error", "bold red"),
}

OPERATION: dict[OperationPhase, Glyph] = {
    OperationPhase.RUNNING: Glyph("⟳", "Running", "cyan"),
    OperationPhase.SUCCEEDED: Glyph("✓", "Succeeded", "green"),
    OperationPhase.FAILED: Glyph("✗", "Failed", "bold red"),
    OperationPhase.ERROR: Glyph("✗", "Error", "bold red"),
    OperationPhase.TERMINATING: Glyph("■", "Terminating", "yellow"),
    OperationPhase.INTERRUPTED: Glyph("!", "Interrupted", "yellow"),
}

AUTO_SYNC_ON = Glyph("⟳", "auto", "green")
AUTO_SYNC_SELF_HEAL = Glyph("⟳", "auto+heal", "green")
AUTO_SYNC_PAUSED = Glyph("‖", "paused", "yellow")
AUTO_SYNC_MANUAL = Glyph("◇", "manual", "dim")
AUTO_SYNC_ELSEWHERE = Glyph("↔", "by another console", "cyan")
"""Another console holds the app's auto-sync claim; this one watches (its word names that console)."""
AUTO_SYNC_COLUMN = 11
"""Cells of the tree's auto-sync column ("⟳ auto+heal"): `↔ by <console>` is cut to fit it."""

CLUSTER_LIVE = Glyph("●", "live", "green")
CLUSTER_LOST = Glyph("✗", "watch lost, retrying", "bold red")
CLUSTER_CONNECTING = Glyph("◐", "connecting", "cyan")
CLUSTER_STALE = Glyph("!", "stale", "yellow")

READ_ONLY = Glyph("⊘", "READ-ONLY", "bold reverse yellow")
GIT_WORK = Glyph("⇣", "Git", "cyan")
"""Long Git work (a first clone) in progress; the words say what and how far."""

# Diff gutters: a changed line is marked by its glyph, not only by its colour.
DIFF_REMOVED = Glyph("-", "live only", "red")
DIFF_ADDED = Glyph("+", "desired only", "green")
DIFF_CHANGED = Glyph("~", "changed", "yellow")


def health_glyph(status: HealthStatus | None) -> Glyph:
    return NO_HEALTH if status is None else HEALTH[status]


def auto_sync_glyph(configured: bool, self_heal: bool, enabled: bool, by: str = "", width: int = 0) -> Glyph:
    """`enabled` is False when the user switched it off or a rollback paused it; `by` names the other console
    that runs this app's automated syncs (`↔ by bastion-b`, the name cut to fit `width` cells if given)."""
    if not configured:
        return AUTO_SYNC_MANUAL
    if by:
        word = f"by {by}"
        room = width - len(AUTO_SYNC_ELSEWHERE.symbol) - 1
        if width and len(word) > room:
            word = word[: room - 1] + "…"
        return Glyph(AUTO_SYNC_ELSEWHERE.symbol, word, AUTO_SYNC_ELSEWHERE.colour_style)
    if not enabled:
        return AUTO_SYNC_PAUSED
    return AUTO_SYNC_SELF_HEAL if self_heal else AUTO_SYNC_ON


# A theme for low vision and washed-out projectors: pure black and white, saturated status colours.
HIGH_CONTRAST = Theme(
    name="gitops-high-contrast",
    primary="#FFFF00",
    secondary="#00FFFF",
    accent="#00FFFF",
    foreground="#FFFFFF",
    background="#000000",
    surface="#000000",
    panel="#202020",
    success="#00FF00",
    warning="#FFFF00",
    error="#FF4040",
    dark=True,
)

# Styles for words that are not a status of their own but must stand out as one (NO_COLOR-aware).
ALARM = Glyph("✗", "", "bold red")
CAUTION = Glyph("!", "", "yellow")
