"""CronJob controller: creates Jobs on schedule (in simulated time), tracks them, trims history.

Like upstream, a CronJob that missed several schedules (the sandbox was stopped, or time jumped)
runs only the most recent one; `concurrencyPolicy` Forbid skips a run while one is active and
Replace deletes the active ones first. Schedules are read in UTC (`timeZone` is not simulated).
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from gitops_tui.sandbox.controllers.base import Controller, Key, KeyMapper, controller_owner, same_key
from gitops_tui.sandbox.controllers.clock import parse_time
from gitops_tui.sandbox.controllers.cron import CronError, CronSchedule
from gitops_tui.sandbox.controllers.events import NORMAL, WARNING
from gitops_tui.sandbox.controllers.job import job_finished
from gitops_tui.sandbox.controllers.kube import (
    condition_true,
    is_terminating,
    name_of,
    owned_objects,
    owner_reference,
)

JSON = dict[str, Any]
COMPONENT = "cronjob-controller"
SCHEDULED_AT = "batch.kubernetes.io/cronjob-scheduled-timestamp"
MAX_MISSED = 100


class CronJobController(Controller):
    name = "cronjobs"
    primary = "cronjobs.batch"

    def watches(self) -> dict[str, KeyMapper]:
        return {"cronjobs.batch": same_key, "jobs.batch": controller_owner("CronJob")}

    def reconcile(self, key: Key) -> float | None:
        namespace, name = key
        cron_job = self.store.try_get("cronjobs.batch", namespace, name)
        if cron_job is None or is_terminating(cron_job):
            return None
        spec = cron_job["spec"]
        try:
            schedule = CronSchedule.parse(spec["schedule"])
        except (CronError, KeyError) as error:
            self.events.record(cron_job, WARNING, "UnparseableSchedule", f"unparseable schedule: {error}", COMPONENT)
            return None
        jobs = sorted(
            owned_objects(self.store, "jobs.batch", cron_job),
            key=lambda j: j["metadata"].get("creationTimestamp") or "",
        )
        status = dict(cron_job.get("status") or {})
        now = self.clock.sim_now()
        due = self._most_recent_due(schedule, cron_job, now)
        active = [j for j in jobs if not job_finished(j)]
        if due is not None and not spec.get("suspend"):
            stamp = self.clock.timestamp(due)
            active = self._run(cron_job, due, stamp, active)
            status["lastScheduleTime"] = stamp
            self.stopwatch.note((cron_job["metadata"]["uid"], "scheduled"), stamp, at=due)
        self._trim_history(cron_job, [j for j in jobs if job_finished(j)])
        succeeded = [j for j in jobs if condition_true(j, "Complete")]
        if succeeded:
            status["lastSuccessfulTime"] = max(j["status"].get("completionTime", "") for j in succeeded)
        refs = [
            {
                "apiVersion": "batch/v1",
                "kind": "Job",
                "name": name_of(j),
                "namespace": namespace,
                "uid": j["metadata"]["uid"],
                "resourceVersion": j["metadata"].get("resourceVersion"),
            }
            for j in active
        ]
        if refs:
            status["active"] = refs
        else:
            status.pop("active", None)
        if cron_job.get("status") != status:
            cron_job["status"] = status
            self.store.update_status("cronjobs.batch", cron_job, manager=self.manager)
        return (schedule.next_after(now) - now).total_seconds() + 0.1

    def _most_recent_due(self, schedule: CronSchedule, cron_job: JSON, now: datetime) -> datetime | None:
        """The latest schedule in (last run, now], in simulated time; None when nothing is due."""
        uid = cron_job["metadata"]["uid"]
        last_stamp = (cron_job.get("status") or {}).get("lastScheduleTime")
        since = self.stopwatch.noted((uid, "scheduled"), last_stamp) if last_stamp else None
        if since is None and last_stamp:
            since = self.clock.to_sim(parse_time(last_stamp) or self.clock.now())
        if since is None:
            self.stopwatch.note_once((uid, "created"))
            since = self.stopwatch.noted((uid, "created")) or now
        due = None
        moment = schedule.next_after(since)
        for _ in range(MAX_MISSED):
            if moment > now:
                break
            due = moment
            moment = schedule.next_after(moment)
        return due

    def _run(self, cron_job: JSON, due: datetime, stamp: str, active: list[JSON]) -> list[JSON]:
        policy = cron_job["spec"].get("concurrencyPolicy", "Allow")
        if active and policy == "Forbid":
            self.events.record(
                cron_job,
                NORMAL,
                "JobAlreadyActive",
                "Not starting job because prior execution is running and concurrency policy is Forbid",
                COMPONENT,
            )
            return active
        if active and policy == "Replace":
            for job in active:
                self.store.delete("jobs.batch", job["metadata"]["namespace"], name_of(job), propagation="Background")
                self.events.record(cron_job, NORMAL, "SuccessfulDelete", f"Deleted job {name_of(job)}", COMPONENT)
            active = []
        template = cron_job["spec"].get("jobTemplate") or {}
        job_name = f"{name_of(cron_job)}-{int(due.timestamp() // 60)}"
        if self.store.try_get("jobs.batch", cron_job["metadata"]["namespace"], job_name) is not None:
            return active
        template_meta = template.get("metadata") or {}
        job = {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {
                "name": job_name,
                "namespace": cron_job["metadata"]["namespace"],
                "labels": dict(template_meta.get("labels") or {}),
                "annotations": {**(template_meta.get("annotations") or {}), SCHEDULED_AT: stamp},
                "ownerReferences": [owner_reference(cron_job)],
            },
            "spec": copy.deepcopy(template.get("spec") or {}),
        }
        if not job["metadata"]["labels"]:
            del job["metadata"]["labels"]
        created = self.store.create("jobs.batch", job, manager=self.manager)
        self.events.record(cron_job, NORMAL, "SuccessfulCreate", f"Created job {job_name}", COMPONENT)
        return [*active, created]

    def _trim_history(self, cron_job: JSON, finished: list[JSON]) -> None:
        spec = cron_job["spec"]
        for outcome, limit in (
            ("Complete", spec.get("successfulJobsHistoryLimit", 3)),
            ("Failed", spec.get("failedJobsHistoryLimit", 1)),
        ):
            done = [j for j in finished if condition_true(j, outcome)]
            for job in done[: max(len(done) - int(limit), 0)]:
                self.store.delete("jobs.batch", job["metadata"]["namespace"], name_of(job), propagation="Background")
                self.events.record(cron_job, NORMAL, "SuccessfulDelete", f"Deleted job {name_of(job)}", COMPONENT)
