"""Health of a Pod, as Argo CD's built-in check judges it.

Long-running pods (restartPolicy Always) are Degraded as soon as a container is stuck waiting
for a reason that will not fix itself (CrashLoopBackOff, ErrImagePull, ...). Pods that run to
completion are only judged by their phase: they are usually sync hooks, and calling a hook
Degraded while its image is still being pulled would fail the sync too early.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gitops_tui.engine.health_fields import (
    count,
    degraded,
    find_condition,
    healthy,
    items,
    progressing,
    section,
    text,
    unknown,
)
from gitops_tui.model import Health

RESTART_ALWAYS = "Always"


def _is_stuck(waiting_reason: str) -> bool:
    """Waiting reasons Argo CD treats as failures: ErrImagePull, CrashLoopBackOff, CreateContainerConfigError..."""
    return waiting_reason.startswith("Err") or waiting_reason.endswith(("Error", "BackOff"))


def _failure_message(container_status: Mapping[str, Any]) -> str:
    terminated = section(container_status, "state", "terminated")
    if not terminated:
        return ""
    if terminated.get("message"):
        return text(terminated.get("message"))
    if terminated.get("reason") == "OOMKilled":
        return "OOMKilled"
    exit_code = count(terminated.get("exitCode"))
    if exit_code != 0:
        return f'container "{text(container_status.get("name"))}" failed with exit code {exit_code}'
    return ""


def pod_health(obj: Mapping[str, Any]) -> Health:
    spec, status = section(obj, "spec"), section(obj, "status")
    restart_policy = text(spec.get("restartPolicy")) or RESTART_ALWAYS
    container_statuses = [s for s in items(status.get("containerStatuses")) if isinstance(s, Mapping)]
    pod_message = text(status.get("message"))

    if restart_policy == RESTART_ALWAYS:
        stuck_messages = [
            text(waiting.get("message"))
            for waiting in (section(s, "state", "waiting") for s in container_statuses)
            if _is_stuck(text(waiting.get("reason")))
        ]
        if stuck_messages:
            return degraded(", ".join(stuck_messages))

    phase = text(status.get("phase"))
    if phase == "Pending":
        return progressing(pod_message)
    if phase == "Succeeded":
        return healthy(pod_message)
    if phase == "Failed":
        if pod_message:
            return degraded(pod_message)
        init_statuses = [s for s in items(status.get("initContainerStatuses")) if isinstance(s, Mapping)]
        for container_status in [*init_statuses, *container_statuses]:
            if message := _failure_message(container_status):
                return degraded(message)
        return degraded()
    if phase == "Running":
        if restart_policy != RESTART_ALWAYS:
            # OnFailure/Never pods have a finite life (typically hooks): running is not done yet.
            return progressing(pod_message)
        ready = find_condition(status.get("conditions"), "Ready")
        if ready is not None and ready.get("status") == "True":
            return healthy(pod_message)
        # Not ready after a container has already died once: it is failing, not starting.
        if any(section(s, "lastState", "terminated") for s in container_statuses):
            return degraded(pod_message)
        return progressing(pod_message)
    return unknown(pod_message)
