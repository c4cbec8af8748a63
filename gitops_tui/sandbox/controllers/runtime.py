"""The simulated container runtime: one container's life over simulated time, and pod-level facts.

A `ContainerRuntime` is a small state machine (creating -> running -> exited / back-off, or
pull error <-> pull back-off). `advance(now)` applies every transition that is due and names them
so the kubelet can record Events; `status()` renders the container status exactly as a kubelet does.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from gitops_tui.sandbox.controllers.clock import STAMP_FORMAT, parse_time
from gitops_tui.sandbox.controllers.kube import image_tag

JSON = dict[str, Any]

PULL_SECONDS = 1.5
CRASH_AFTER_SECONDS = 2.0
ERR_IMAGE_PULL_SECONDS = 1.0
BACKOFF_START_SECONDS = 10.0
BACKOFF_MAX_SECONDS = 300.0

SERVE = "serve"  # runs until stopped
COMPLETE = "complete"  # runs for a while, exits 0
FAIL = "fail"  # runs for a while, exits 1
MISSING = "missing"  # the image cannot be pulled


def behaviour_for(image: str, restart_policy: str) -> str:
    tag = image_tag(image)
    if tag == "missing":
        return MISSING
    if tag in ("crashloop", "fail"):
        return FAIL
    return SERVE if restart_policy == "Always" else COMPLETE


def backoff_seconds(restarts: int) -> float:
    return min(BACKOFF_START_SECONDS * 2 ** max(restarts, 0), BACKOFF_MAX_SECONDS)


def plain_stamp(moment: datetime) -> str:
    return moment.strftime(STAMP_FORMAT)


def _container_id() -> str:
    return "containerd://" + secrets.token_hex(32)


def _image_id(image: str) -> str:
    repository = image.split("@")[0].rsplit(":", 1)[0] if ":" in image.rsplit("/", 1)[-1] else image
    if "/" not in repository:
        repository = f"docker.io/library/{repository}"
    return f"{repository}@sha256:{secrets.token_hex(32)}"


@dataclass
class ContainerRuntime:
    behaviour: str
    since: datetime  # when the current state began
    run_seconds: float = 3.0
    ready_delay: float = 0.5
    restart_policy: str = "Always"
    state: str = "creating"
    restarts: int = 0
    pull_attempts: int = 0
    container_id: str = ""
    image_id: str = ""
    last_terminated: JSON = field(default_factory=dict)
    exit_code: int = 0
    announced_pull: bool = False
    # Renders a simulated instant as the wall timestamp objects carry (SimClock.timestamp).
    stamp: Callable[[datetime], str] = plain_stamp
    # Maps a wall time read from an object back to simulated time (SimClock.to_sim).
    to_sim: Callable[[datetime], datetime] = lambda moment: moment

    def resume(self, status: JSON, now: datetime) -> None:
        """Pick up a container the store already knows (a restored sandbox) instead of restarting it."""
        state = status.get("state") or {}
        self.restarts = int(status.get("restartCount") or 0)
        self.container_id = status.get("containerID", "")
        self.image_id = status.get("imageID", "")
        self.last_terminated = (status.get("lastState") or {}).get("terminated") or {}
        self.announced_pull = True
        if "running" in state:
            started = parse_time(state["running"].get("startedAt"))
            since = self.to_sim(started) if started else now
            # Already ready before the restore: stay ready rather than wait out the delay again.
            self.state = "running"
            self.since = min(since, now - timedelta(seconds=self.ready_delay))
        elif (state.get("waiting") or {}).get("reason") == "CrashLoopBackOff":
            self.state, self.since = "crash_backoff", now
        elif "terminated" in state:
            self.state, self.since, self.last_terminated = "exited", now, state["terminated"]

    def _due(self) -> float | None:
        """Simulated seconds the current state lasts; None when it lasts until something else happens."""
        if self.state == "creating":
            return PULL_SECONDS
        if self.state == "err_image_pull":
            return ERR_IMAGE_PULL_SECONDS
        if self.state in ("image_pull_backoff", "crash_backoff"):
            return backoff_seconds((self.pull_attempts if self.state == "image_pull_backoff" else self.restarts) - 1)
        if self.state == "running":
            if self.behaviour == SERVE:
                return None
            if self.behaviour == FAIL and self.restart_policy == "Always":
                return CRASH_AFTER_SECONDS
            return self.run_seconds
        return None

    def seconds_until_next(self, now: datetime) -> float | None:
        elapsed = (now - self.since).total_seconds()
        if self.state == "running" and self.behaviour == SERVE:
            return self.ready_delay - elapsed if elapsed < self.ready_delay else None
        due = self._due()
        return None if due is None else max(due - elapsed, 0.01)

    def advance(self, now: datetime) -> list[str]:
        transitions: list[str] = []
        if not self.announced_pull:
            self.announced_pull = True
            transitions.append("pulling")
        for _ in range(100):  # bounded: a long pause (speed change, suspend) must not spin forever
            due = self._due()
            if due is None or (now - self.since).total_seconds() < due:
                break
            self.since += timedelta(seconds=due)
            transitions += self._next_state()
        return transitions

    def _next_state(self) -> list[str]:
        if self.state in ("creating", "err_image_pull", "image_pull_backoff"):
            return self._after_pull()
        if self.state == "running":
            self.exit_code = 0 if self.behaviour == COMPLETE else 1
            self.last_terminated = {
                "containerID": self.container_id,
                "exitCode": self.exit_code,
                "finishedAt": self.stamp(self.since),
                "reason": "Completed" if self.exit_code == 0 else "Error",
                "startedAt": self.stamp(self.since - timedelta(seconds=self._due() or 0)),
            }
            if self.exit_code == 0 or self.restart_policy == "Never":
                self.state = "exited"
                return []
            self.restarts += 1
            self.state = "crash_backoff"
            return ["crashed"]
        if self.state == "crash_backoff":
            self.state = "running"
            self.container_id = _container_id()
            return ["created", "started"]
        return []

    def _after_pull(self) -> list[str]:
        if self.state == "err_image_pull":
            self.state = "image_pull_backoff"
            return ["pull_backoff"]
        if self.behaviour == MISSING:
            self.pull_attempts += 1
            self.state = "err_image_pull"
            return ["pulling", "pull_failed"] if self.pull_attempts > 1 else ["pull_failed"]
        self.state = "running"
        self.container_id = _container_id()
        return ["pulled", "created", "started"]

    def status(self, container: JSON, now: datetime, pod_ref: str) -> JSON:
        image = container["image"]
        name = container["name"]
        running_for = (now - self.since).total_seconds()
        ready = self.state == "running" and self.behaviour == SERVE and running_for >= self.ready_delay
        if self.state == "running" and not self.image_id:
            self.image_id = _image_id(image)
        state = self._state_block(image, name, pod_ref)
        status: JSON = {
            "containerID": self.container_id if self.state != "creating" and self.container_id else None,
            "image": image,
            "imageID": self.image_id,
            "lastState": {"terminated": self.last_terminated}
            if self.last_terminated and self.state != "exited"
            else {},
            "name": name,
            "ready": ready,
            "restartCount": self.restarts,
            "started": self.state == "running",
            "state": state,
        }
        return {k: v for k, v in status.items() if v is not None}

    def _state_block(self, image: str, name: str, pod_ref: str) -> JSON:
        if self.state == "creating":
            return {"waiting": {"reason": "ContainerCreating"}}
        if self.state == "err_image_pull":
            return {
                "waiting": {
                    "reason": "ErrImagePull",
                    "message": (
                        f'failed to pull and unpack image "{image}": failed to resolve reference "{image}": '
                        f'"{image}": not found'
                    ),
                }
            }
        if self.state == "image_pull_backoff":
            return {"waiting": {"reason": "ImagePullBackOff", "message": f'Back-off pulling image "{image}"'}}
        if self.state == "crash_backoff":
            return {
                "waiting": {
                    "reason": "CrashLoopBackOff",
                    "message": (
                        f"back-off {int(backoff_seconds(self.restarts - 1))}s restarting failed "
                        f"container={name} pod={pod_ref}"
                    ),
                }
            }
        if self.state == "exited":
            return {"terminated": self.last_terminated}
        return {"running": {"startedAt": self.stamp(self.since)}}


def pod_phase(container_statuses: list[JSON], restart_policy: str) -> str:
    if not container_statuses:
        return "Pending"
    terminated = [cs["state"].get("terminated") for cs in container_statuses]
    if all(terminated):
        return "Succeeded" if all(t["exitCode"] == 0 for t in terminated if t) else "Failed"
    if any(
        "running" in cs["state"] or cs["restartCount"] > 0 or "terminated" in cs["state"] for cs in container_statuses
    ):
        return "Running"
    return "Pending"


def claim_names(pod: JSON) -> list[str]:
    return [
        volume["persistentVolumeClaim"]["claimName"]
        for volume in (pod.get("spec") or {}).get("volumes") or []
        if isinstance(volume.get("persistentVolumeClaim"), dict)
    ]


def node_fits(pod: JSON, node: JSON) -> bool:
    """nodeSelector labels and required node affinity on `metadata.name` (what DaemonSets use)."""
    labels = node.get("metadata", {}).get("labels") or {}
    spec = pod.get("spec") or {}
    if any(labels.get(k) != v for k, v in (spec.get("nodeSelector") or {}).items()):
        return False
    required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    ) or {}
    terms = required.get("nodeSelectorTerms") or []
    if not terms:
        return True
    node_name = node["metadata"]["name"]
    for term in terms:
        fields = term.get("matchFields") or []
        expressions = term.get("matchExpressions") or []
        if all(_requirement_holds(f, {"metadata.name": node_name}) for f in fields) and all(
            _requirement_holds(e, labels) for e in expressions
        ):
            return True
    return False


def _requirement_holds(requirement: JSON, values: dict[str, str]) -> bool:
    key, operator = requirement.get("key", ""), requirement.get("operator", "In")
    allowed = requirement.get("values") or []
    if operator == "In":
        return values.get(key) in allowed
    if operator == "NotIn":
        return values.get(key) not in allowed
    if operator == "Exists":
        return key in values
    if operator == "DoesNotExist":
        return key not in values
    return True
