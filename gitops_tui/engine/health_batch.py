"""Health of Jobs and CronJobs.

Job follows Argo CD's built-in check (its conditions). CronJob follows the check Argo CD ships
in `resource_customizations/batch/CronJob`: a CronJob is judged by whether its last scheduled run
succeeded, and is given the benefit of the doubt while a run is active or none has succeeded yet.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gitops_tui.engine.health_fields import (
    degraded,
    find_condition,
    healthy,
    items,
    progressing,
    section,
    suspended,
    text,
    timestamp,
)
from gitops_tui.model import Health


def job_health(obj: Mapping[str, Any]) -> Health:
    conditions = section(obj, "status").get("conditions")
    failed = find_condition(conditions, "Failed")
    if failed is not None and failed.get("status") == "True":
        return degraded(text(failed.get("message")))
    complete = find_condition(conditions, "Complete")
    if complete is not None and complete.get("status") == "True":
        return healthy(text(complete.get("message")))
    # Argo CD reads any Suspended condition as the end of the story; a resumed Job keeps the
    # condition with status False while it runs again, so only a True one means suspended.
    suspended_condition = find_condition(conditions, "Suspended")
    if suspended_condition is not None and suspended_condition.get("status") == "True":
        return suspended(text(suspended_condition.get("message")))
    return progressing()


def cronjob_health(obj: Mapping[str, Any]) -> Health:
    if section(obj, "spec").get("suspend") is True:
        return suspended("CronJob is Suspended")
    status = obj.get("status")
    if status is None:
        return progressing("Waiting for CronJob")
    status = section(obj, "status")

    last_schedule = timestamp(status.get("lastScheduleTime"))
    if last_schedule is None:
        # The status cannot tell a missed schedule from one that is not due yet.
        return healthy("CronJob has not been scheduled yet")
    last_success = timestamp(status.get("lastSuccessfulTime"))
    if last_success is None:
        # Either the first run is still going or it never succeeded: the status cannot tell.
        # The misspelling is Argo CD's; kept so the message reads the same in both consoles.
        return healthy("The Cronjob never completed succesfully. It may not be healthy")
    if items(status.get("active")):
        return healthy("The job is running. Its last execution may not have been successful")
    if last_success < last_schedule:
        return degraded("CronJob has not completed its last execution successfully")
    return healthy("CronJob has completed its last execution successfully")
