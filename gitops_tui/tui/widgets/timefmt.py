"""Ages and times as an SRE reads them: `2 s ago`, `5 min ago`, `in 1 min 32 s`, `14:02:11`."""

from __future__ import annotations

from datetime import datetime, tzinfo


def age(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{int(seconds)} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} min"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60)} min"
    return f"{int(seconds // 86400)} d"


def ago(then: datetime | None, now: datetime) -> str:
    return "never" if then is None else f"{age((now - then).total_seconds())} ago"


def countdown(due: datetime | None, now: datetime) -> str:
    if due is None:
        return "polling now"
    seconds = int((due - now).total_seconds())
    if seconds <= 0:
        return "due now"
    minutes, seconds = divmod(seconds, 60)
    return f"in {minutes} min {seconds:02d} s" if minutes else f"in {seconds} s"


def clock_time(at: datetime, zone: tzinfo | None) -> str:
    return at.astimezone(zone).strftime("%H:%M:%S")


def date_time(at: datetime, zone: tzinfo | None) -> str:
    return at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
