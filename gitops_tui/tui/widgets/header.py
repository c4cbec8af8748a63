"""The header line: which clusters, whether their data is live, READ-ONLY, and the next Git poll."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from rich.text import Text
from textual.visual import VisualType
from textual.widgets import Static

from gitops_tui.model import ClusterFreshness
from gitops_tui.tui import glyphs
from gitops_tui.tui.widgets.timefmt import age, countdown

STALE_AFTER = 120.0
"""Seconds without news from a cluster (not even a watch bookmark) before its data is called stale."""


class ConsoleHeader(Static):
    DEFAULT_CSS = """
    ConsoleHeader { height: 1; background: $panel; color: $text; padding: 0 1; }
    """

    _shown: object = None

    def update(self, content: VisualType = "", *, layout: bool = False) -> None:
        """Repaint only when the text differs: it is set every second and on every batch of changes.

        No layout pass: the header is one line high whatever it says, and a layout pass repaints the
        scrollbars of every pane (and the rows under them).
        """
        if content == self._shown:
            return
        self._shown = content
        super().update(content, layout=layout)


def cluster_text(cluster: ClusterFreshness) -> Text:
    text = Text(f"{cluster.context} ", style="bold")
    if cluster.reachable is None:
        return text.append_text(glyphs.CLUSTER_CONNECTING.text())
    if not cluster.reachable or not cluster.synced:
        glyph = glyphs.CLUSTER_LOST if cluster.reachable is False else glyphs.CLUSTER_CONNECTING
        return text.append_text(glyph.text())
    seen = cluster.newest_event_age
    if seen is not None and seen > STALE_AFTER:
        return text.append_text(glyphs.CLUSTER_STALE.text()).append(f", last news {age(seen)} ago")
    text.append_text(glyphs.CLUSTER_LIVE.text())
    return text.append(f", {age(seen)} ago" if seen is not None else "")


def header_text(
    clusters: Sequence[ClusterFreshness],
    *,
    read_only: bool,
    app: str | None,
    next_poll: datetime | None,
    now: datetime,
    polling: bool = True,
    read_only_contexts: Collection[str] = (),
    progress: str = "",
) -> Text:
    """`read_only_contexts` get a READ-ONLY badge of their own (config file); `progress` is long Git work."""
    text = Text("gitops-tui", style="bold")
    if read_only:
        text.append("  ")
        text.append_text(glyphs.READ_ONLY.text())
    for cluster in clusters:
        text.append(" │ ", style="dim")
        text.append_text(cluster_text(cluster))
        if cluster.context in read_only_contexts and not read_only:
            text.append(" ").append_text(glyphs.READ_ONLY.text())
    if not clusters:
        text.append(" │ ", style="dim").append("no clusters", style="dim")
    if app is not None and progress:
        text.append(" │ ", style="dim").append(f"{glyphs.GIT_WORK.symbol} {app}: {progress}", glyphs.GIT_WORK.style)
    elif app is not None and polling:
        text.append(" │ ", style="dim").append(f"{app}: Git poll {countdown(next_poll, now)}")
    return text
