"""Job controller: run pods until `completions` succeed, or fail after `backoffLimit` failures.

Pods that exit non-zero (image tag `fail` or `crashloop`) count as failures; with
`restartPolicy: OnFailure` their container restarts count too, as upstream does. Replacement pods
wait an exponential back-off (10 s, 20 s, 40 s ... of simulated time) after each failure.
"""

from __future__ import annotations

from typing import Any

from gitops_tui.sandbox.controllers.base import Controller, Key, KeyMapper, controller_owner, same_key
from gitops_tui.sandbox.controllers.events import NORMAL, WARNING
from gitops_tui.sandbox.controllers.kube import (
    condition_true,
    is_terminating,
    name_of,
    owned_objects,
    pod_from_template,
    pod_is_active,
    pod_is_ready,
    random_suffix,
)

JSON = dict[str, Any]
COMPONENT = "job-controller"
BACKOFF_START_SECONDS = 10.0
BACKOFF_MAX_SECONDS = 360.0


def job_finished(job: JSON) -> bool:
    return condition_true(job, "Complete") or condition_true(job, "Failed")


def _finished_at(pod: JSON) -> str:
    times = [
        (cs.get("state", {}).get("terminated") or cs.get("lastState", {}).get("terminated") or {}).get("finishedAt")
        for cs in (pod.get("status") or {}).get("containerStatuses") or []
    ]
    return max((t for t in times if t), default="")


class JobController(Controller):
    name = "jobs"
    primary = "jobs.batch"

    def watches(self) -> dict[str, KeyMapper]:
        return {"jobs.batch": same_key, "pods": controller_owner("Job")}

    def reconcile(self, key: Key) -> float | None:
        namespace, name = key
        job = self.store.try_get("jobs.batch", namespace, name)
        if job is None or is_terminating(job) or job_finished(job):
            return None
        spec = job["spec"]
        pods = owned_objects(self.store, "pods", job)
        active = [p for p in pods if pod_is_active(p)]
        succeeded = sum(1 for p in pods if (p.get("status") or {}).get("phase") == "Succeeded")
        failed = sum(1 for p in pods if (p.get("status") or {}).get("phase") == "Failed")
        if spec.get("template", {}).get("spec", {}).get("restartPolicy") == "OnFailure":
            failed += sum(
                cs.get("restartCount", 0)
                for p in active
                for cs in (p.get("status") or {}).get("containerStatuses") or []
            )
        status = dict(job.get("status") or {})
        if failed > int(status.get("failed", 0)):
            # Back-off counts from when the failure was seen, more precisely than its timestamp.
            self.stopwatch.note_once((job["metadata"]["uid"], "failure", failed))
        now = self.clock.timestamp()
        status.setdefault("startTime", now)
        completions = spec.get("completions")
        conditions = list(status.get("conditions") or [])
        requeue: float | None = None

        if failed > int(spec.get("backoffLimit", 6)):
            for pod in active:
                self.store.delete("pods", namespace, name_of(pod))
            active = []
            message = "Job has reached the specified backoff limit"
            conditions += [
                self._condition("FailureTarget", "BackoffLimitExceeded", message, now),
                self._condition("Failed", "BackoffLimitExceeded", message, now),
            ]
            self.events.record(job, WARNING, "BackoffLimitExceeded", message, COMPONENT)
        elif (completions is not None and succeeded >= int(completions)) or (
            completions is None and succeeded > 0 and not active
        ):
            message = "Reached expected number of succeeded pods"
            conditions += [
                self._condition("SuccessCriteriaMet", "CompletionsReached", message, now),
                self._condition("Complete", "CompletionsReached", message, now),
            ]
            status["completionTime"] = now
            self.events.record(job, NORMAL, "Completed", "Job completed", COMPONENT)
        elif not spec.get("suspend"):
            requeue = self._start_pods(job, pods, active, succeeded, failed)

        status.update(
            {
                "active": len(active),
                "ready": sum(1 for p in active if pod_is_ready(p)),
                "succeeded": succeeded,
                "failed": failed,
                "terminating": 0,
                "uncountedTerminatedPods": {},
            }
        )
        # `ready` and `terminating` are pointers upstream and print at zero; the counts are omitempty.
        for field in ("active", "succeeded", "failed"):
            if not status[field]:
                del status[field]
        if conditions:
            status["conditions"] = conditions
        if job.get("status") != status:
            job["status"] = status
            self.store.update_status("jobs.batch", job, manager=self.manager)
        return requeue

    def _start_pods(self, job: JSON, pods: list[JSON], active: list[JSON], succeeded: int, failed: int) -> float | None:
        spec = job["spec"]
        parallelism = int(spec.get("parallelism", 1))
        completions = spec.get("completions")
        remaining = (int(completions) - succeeded) if completions is not None else parallelism
        wanted = max(min(parallelism, remaining) - len(active), 0)
        if not wanted:
            return None
        if failed:
            last_failure = max((_finished_at(p) for p in pods), default="")
            backoff = min(BACKOFF_START_SECONDS * 2 ** (failed - 1), BACKOFF_MAX_SECONDS)
            key = (job["metadata"]["uid"], "failure", failed)
            waited = (
                self.stopwatch.elapsed(key)
                if self.stopwatch.noted(key)
                else self.clock.sim_seconds_since(last_failure or None)
            )
            if waited < backoff:
                return backoff - waited
        for _ in range(wanted):
            pod_name = f"{name_of(job)}-{random_suffix()}"
            pod = pod_from_template(job["spec"]["template"], job, pod_name, {})
            self.store.create("pods", pod, manager=self.manager)
            self.events.record(job, NORMAL, "SuccessfulCreate", f"Created pod: {pod_name}", COMPONENT)
        return None

    @staticmethod
    def _condition(kind: str, reason: str, message: str, now: str) -> JSON:
        return {
            "type": kind,
            "status": "True",
            "lastProbeTime": now,
            "lastTransitionTime": now,
            "reason": reason,
            "message": message,
        }
