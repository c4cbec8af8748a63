"""HorizontalPodAutoscaler controller: keeps its target within [minReplicas, maxReplicas] and reports.

There is no metrics pipeline in the sandbox: CPU utilisation reads as a steady `SIMULATED_CPU_PERCENT`,
so the autoscaler is always able to compute a recommendation and only the replica bounds move the
target. That is enough to make the HPA's conditions and the replicas it enforces real.
"""

from __future__ import annotations

from typing import Any

from gitops_tui.sandbox.controllers.base import Controller, Key
from gitops_tui.sandbox.controllers.events import NORMAL, WARNING
from gitops_tui.sandbox.controllers.kube import is_terminating, set_condition

JSON = dict[str, Any]
SYNC_PERIOD_SECONDS = 15.0
SIMULATED_CPU_PERCENT = 30
COMPONENT = "horizontal-pod-autoscaler"
_TARGETS = {"Deployment": "deployments.apps", "StatefulSet": "statefulsets.apps", "ReplicaSet": "replicasets.apps"}


class HorizontalPodAutoscalerController(Controller):
    name = "horizontalpodautoscalers"
    primary = "horizontalpodautoscalers.autoscaling"

    def reconcile(self, key: Key) -> float | None:
        namespace, name = key
        hpa = self.store.try_get(self.primary, namespace, name)
        if hpa is None or is_terminating(hpa):
            return None
        spec = hpa["spec"]
        ref = spec.get("scaleTargetRef") or {}
        resource = _TARGETS.get(ref.get("kind", ""))
        target = self.store.try_get(resource, namespace, ref.get("name", "")) if resource else None
        now = self.clock.timestamp()
        status = dict(hpa.get("status") or {})
        conditions = list(status.get("conditions") or [])

        def put(kind: str, state: str, reason: str, message: str) -> None:
            nonlocal conditions
            conditions = set_condition(
                conditions,
                {"type": kind, "status": state, "lastTransitionTime": now, "reason": reason, "message": message},
            )

        if target is None:
            message = (
                f"the HPA controller was unable to get the target's current scale: "
                f'{resource or ref.get("kind", "")} "{ref.get("name", "")}" not found'
            )
            put("AbleToScale", "False", "FailedGetScale", message)
            self.events.record(hpa, WARNING, "FailedGetScale", message, COMPONENT)
            status.update({"currentReplicas": 0, "desiredReplicas": 0, "conditions": conditions})
        else:
            current = int(target["spec"].get("replicas", 1))
            low, high = int(spec.get("minReplicas", 1)), int(spec["maxReplicas"])
            desired = min(max(current, low), high)
            put("AbleToScale", "True", "ReadyForNewScale", "recommended size matches current size")
            put(
                "ScalingActive",
                "True",
                "ValidMetricFound",
                "the HPA was able to successfully calculate a "
                "replica count from cpu resource utilization (percentage of request)",
            )
            if current < low:
                put(
                    "ScalingLimited",
                    "True",
                    "TooFewReplicas",
                    "the desired replica count is less than the minimum replica count",
                )
            elif current > high:
                put(
                    "ScalingLimited",
                    "True",
                    "TooManyReplicas",
                    "the desired replica count is more than the maximum replica count",
                )
            else:
                put("ScalingLimited", "False", "DesiredWithinRange", "the desired count is within the acceptable range")
            if desired != current:
                target["spec"]["replicas"] = desired
                self.store.update(resource or "", target, manager=COMPONENT)
                reason = (
                    "All metrics below target"
                    if desired < current
                    else "Current number of replicas below Spec.MinReplicas"
                )
                self.events.record(
                    hpa, NORMAL, "SuccessfulRescale", f"New size: {desired}; reason: {reason}", COMPONENT
                )
                status["lastScaleTime"] = now
            status.update(
                {
                    "currentReplicas": int((target.get("status") or {}).get("replicas", current)),
                    "desiredReplicas": desired,
                    "currentMetrics": [
                        {
                            "type": "Resource",
                            "resource": {
                                "name": "cpu",
                                "current": {
                                    "averageUtilization": SIMULATED_CPU_PERCENT,
                                    "averageValue": f"{SIMULATED_CPU_PERCENT}m",
                                },
                            },
                        }
                    ],
                    "conditions": conditions,
                }
            )
        if hpa.get("status") != status:
            hpa["status"] = status
            self.store.update_status(self.primary, hpa, manager=COMPONENT)
        return SYNC_PERIOD_SECONDS
