"""Deployment controller: ReplicaSets per template revision, rolling updates, and the real status.

Follows the upstream controller's algorithm: the new ReplicaSet is found by template (ignoring the
`pod-template-hash` label); RollingUpdate scales it up within `maxSurge` and scales old ones down
without dropping below `replicas - maxUnavailable` available pods (unhealthy old pods first);
Recreate scales old ones to zero first. Conditions and messages are the upstream ones, including
`ProgressDeadlineExceeded` once `progressDeadlineSeconds` of simulated time pass without progress.
"""

from __future__ import annotations

import copy
from typing import Any

from gitops_tui.sandbox.controllers.base import Controller, Key, KeyMapper, controller_owner, same_key
from gitops_tui.sandbox.controllers.deployment_status import deployment_status, made_progress
from gitops_tui.sandbox.controllers.events import NORMAL
from gitops_tui.sandbox.controllers.kube import (
    int_or_percent,
    is_terminating,
    name_of,
    owned_objects,
    owner_reference,
    set_condition,
    template_hash,
)

JSON = dict[str, Any]
HASH_LABEL = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
COMPONENT = "deployment-controller"


def surge_and_unavailable(deployment: JSON) -> tuple[int, int]:
    spec = deployment["spec"]
    if (spec.get("strategy") or {}).get("type") != "RollingUpdate":
        return 0, 0
    rolling = spec["strategy"].get("rollingUpdate") or {}
    desired = int(spec.get("replicas", 1))
    surge = int_or_percent(rolling.get("maxSurge", "25%"), desired, round_up=True)
    unavailable = int_or_percent(rolling.get("maxUnavailable", "25%"), desired, round_up=False)
    if surge == 0 and unavailable == 0:
        unavailable = 1  # upstream never allows a rollout that can make no move
    return surge, min(unavailable, desired)


def _template_without_hash(template: JSON) -> JSON:
    template = copy.deepcopy(template)
    labels = template.get("metadata", {}).get("labels") or {}
    labels.pop(HASH_LABEL, None)
    return template


def _revision(rs: JSON) -> int:
    return int((rs["metadata"].get("annotations") or {}).get(REVISION) or 0)


class DeploymentController(Controller):
    name = "deployments"
    primary = "deployments.apps"

    def watches(self) -> dict[str, KeyMapper]:
        return {"deployments.apps": same_key, "replicasets.apps": controller_owner("Deployment")}

    def reconcile(self, key: Key) -> float | None:
        namespace, name = key
        deployment = self.store.try_get("deployments.apps", namespace, name)
        if deployment is None or is_terminating(deployment):
            return None
        spec = deployment["spec"]
        all_sets = sorted(
            owned_objects(self.store, "replicasets.apps", deployment),
            key=lambda rs: (rs["metadata"].get("creationTimestamp") or "", name_of(rs)),
        )
        template = _template_without_hash(spec["template"])
        new_rs = next((rs for rs in all_sets if _template_without_hash(rs["spec"]["template"]) == template), None)
        old_sets = [rs for rs in all_sets if rs is not new_rs]
        conditions = list((deployment.get("status") or {}).get("conditions") or [])

        if spec.get("paused"):
            conditions = self._progressing(conditions, "Unknown", "DeploymentPaused", "Deployment is paused")
            if new_rs is not None:
                self._scale_if_only_active(deployment, new_rs, old_sets)
            return self._finish(deployment, all_sets, new_rs, conditions)
        if (deployment.get("status") or {}).get("conditions") and any(
            c.get("reason") == "DeploymentPaused" for c in conditions
        ):
            conditions = self._progressing(conditions, "Unknown", "DeploymentResumed", "Deployment is resumed")

        if new_rs is None:
            new_rs, conditions = self._create_new_set(deployment, old_sets, conditions)
            all_sets.append(new_rs)
        else:
            new_rs = self._bump_revision(deployment, new_rs, old_sets)
            if not any(c.get("type") == "Progressing" for c in conditions):
                conditions = self._progressing(
                    conditions, "True", "FoundNewReplicaSet", f'Found new replica set "{name_of(new_rs)}"'
                )

        if (spec.get("strategy") or {}).get("type") == "Recreate":
            self._recreate(deployment, new_rs, old_sets)
        else:
            self._roll(deployment, new_rs, old_sets)
        self._clean_up_history(deployment, old_sets)
        return self._finish(deployment, all_sets, new_rs, conditions)

    def _progressing(self, conditions: list[JSON], status: str, reason: str, message: str) -> list[JSON]:
        now = self.clock.timestamp()
        return set_condition(
            conditions,
            {
                "type": "Progressing",
                "status": status,
                "lastUpdateTime": now,
                "lastTransitionTime": now,
                "reason": reason,
                "message": message,
            },
        )

    # ---- ReplicaSets ----------------------------------------------------------------------------

    def _create_new_set(
        self, deployment: JSON, old_sets: list[JSON], conditions: list[JSON]
    ) -> tuple[JSON, list[JSON]]:
        spec = deployment["spec"]
        collision_count = int((deployment.get("status") or {}).get("collisionCount") or 0)
        pod_hash = template_hash(_template_without_hash(spec["template"]), collision_count)
        template = _template_without_hash(spec["template"])
        template.setdefault("metadata", {}).setdefault("labels", {})[HASH_LABEL] = pod_hash
        selector = copy.deepcopy(spec["selector"])
        selector.setdefault("matchLabels", {})[HASH_LABEL] = pod_hash
        surge, _ = surge_and_unavailable(deployment)
        desired = int(spec.get("replicas", 1))
        revision = max((_revision(rs) for rs in old_sets), default=0) + 1
        replicas = self._new_set_scale(deployment, 0, old_sets)
        rs = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": f"{name_of(deployment)}-{pod_hash}",
                "namespace": deployment["metadata"]["namespace"],
                "labels": {**(template["metadata"].get("labels") or {})},
                "annotations": {
                    DESIRED_REPLICAS: str(desired),
                    MAX_REPLICAS: str(desired + surge),
                    REVISION: str(revision),
                },
                "ownerReferences": [owner_reference(deployment)],
            },
            "spec": {
                "replicas": replicas,
                "minReadySeconds": spec.get("minReadySeconds", 0),
                "selector": selector,
                "template": template,
            },
        }
        if not rs["spec"]["minReadySeconds"]:
            del rs["spec"]["minReadySeconds"]
        created = self.store.create("replicasets.apps", rs, manager=self.manager)
        if replicas:
            self._scaling_event(deployment, created, 0, replicas)
        conditions = self._progressing(
            conditions, "True", "NewReplicaSetCreated", f'Created new replica set "{name_of(created)}"'
        )
        return created, conditions

    def _bump_revision(self, deployment: JSON, new_rs: JSON, old_sets: list[JSON]) -> JSON:
        """A rollback makes an old ReplicaSet new again; it takes the next revision number."""
        highest_old = max((_revision(rs) for rs in old_sets), default=0)
        if _revision(new_rs) > highest_old:
            return new_rs
        annotations = new_rs["metadata"].setdefault("annotations", {})
        annotations[REVISION] = str(highest_old + 1)
        return self.store.update("replicasets.apps", new_rs, manager=self.manager)

    def _scale(self, deployment: JSON, rs: JSON, replicas: int) -> JSON:
        current = int(rs["spec"].get("replicas", 0))
        surge, _ = surge_and_unavailable(deployment)
        desired = int(deployment["spec"].get("replicas", 1))
        annotations = rs["metadata"].setdefault("annotations", {})
        fresh_annotations = {DESIRED_REPLICAS: str(desired), MAX_REPLICAS: str(desired + surge)}
        if current == replicas and all(annotations.get(k) == v for k, v in fresh_annotations.items()):
            return rs
        annotations.update(fresh_annotations)
        rs["spec"]["replicas"] = replicas
        updated = self.store.update("replicasets.apps", rs, manager=self.manager)
        if current != replicas:
            self._scaling_event(deployment, updated, current, replicas)
        rs.clear()
        rs.update(updated)
        return updated

    def _scaling_event(self, deployment: JSON, rs: JSON, before: int, after: int) -> None:
        verb = "up" if after > before else "down"
        self.events.record(
            deployment,
            NORMAL,
            "ScalingReplicaSet",
            f"Scaled {verb} replica set {name_of(rs)} from {before} to {after}",
            COMPONENT,
        )

    def _new_set_scale(self, deployment: JSON, current: int, old_sets: list[JSON]) -> int:
        """How many replicas the new ReplicaSet may have now (upstream's NewRSNewReplicas)."""
        desired = int(deployment["spec"].get("replicas", 1))
        if (deployment["spec"].get("strategy") or {}).get("type") == "Recreate":
            return current
        if not any(int(rs["spec"].get("replicas", 0)) for rs in old_sets):
            return desired
        surge, _ = surge_and_unavailable(deployment)
        total = current + sum(int(rs["spec"].get("replicas", 0)) for rs in old_sets)
        room = max(desired + surge - total, 0)  # pods we may add without exceeding replicas + maxSurge
        return min(current + room, desired)

    def _scale_if_only_active(self, deployment: JSON, new_rs: JSON, old_sets: list[JSON]) -> None:
        if not any(int(rs["spec"].get("replicas", 0)) for rs in old_sets):
            self._scale(deployment, new_rs, int(deployment["spec"].get("replicas", 1)))

    def _roll(self, deployment: JSON, new_rs: JSON, old_sets: list[JSON]) -> None:
        desired = int(deployment["spec"].get("replicas", 1))
        self._scale(deployment, new_rs, self._new_set_scale(deployment, int(new_rs["spec"]["replicas"]), old_sets))
        active_old = [rs for rs in old_sets if int(rs["spec"].get("replicas", 0)) > 0]
        if not active_old:
            return
        _, max_unavailable = surge_and_unavailable(deployment)
        min_available = desired - max_unavailable
        every = [*old_sets, new_rs]
        all_pods = sum(int(rs["spec"].get("replicas", 0)) for rs in every)
        new_unavailable = int(new_rs["spec"]["replicas"]) - _available(new_rs)
        budget = all_pods - min_available - new_unavailable
        if budget <= 0:
            return
        # Old pods that are not available cost no availability to remove: clean them up first.
        for rs in active_old:
            if budget <= 0:
                break
            unhealthy = int(rs["spec"]["replicas"]) - _available(rs)
            cut = min(budget, unhealthy)
            if cut > 0:
                self._scale(deployment, rs, int(rs["spec"]["replicas"]) - cut)
                budget -= cut
        available = sum(_available(rs) for rs in every)
        can_remove = available - min_available
        for rs in active_old:
            if can_remove <= 0:
                break
            cut = min(int(rs["spec"].get("replicas", 0)), can_remove)
            if cut > 0:
                self._scale(deployment, rs, int(rs["spec"]["replicas"]) - cut)
                can_remove -= cut

    def _recreate(self, deployment: JSON, new_rs: JSON, old_sets: list[JSON]) -> None:
        for rs in old_sets:
            if int(rs["spec"].get("replicas", 0)):
                self._scale(deployment, rs, 0)
        still_running = any(int((rs.get("status") or {}).get("replicas", 0)) for rs in old_sets)
        if not still_running:
            self._scale(deployment, new_rs, int(deployment["spec"].get("replicas", 1)))

    def _clean_up_history(self, deployment: JSON, old_sets: list[JSON]) -> None:
        limit = int(deployment["spec"].get("revisionHistoryLimit", 10))
        idle = [
            rs
            for rs in old_sets
            if not int(rs["spec"].get("replicas", 0)) and not int((rs.get("status") or {}).get("replicas", 0))
        ]
        idle.sort(key=_revision)
        for rs in idle[: max(len(idle) - limit, 0)]:
            if self.store.try_get("replicasets.apps", rs["metadata"]["namespace"], name_of(rs)) is not None:
                self.store.delete("replicasets.apps", rs["metadata"]["namespace"], name_of(rs))

    # ---- status ---------------------------------------------------------------------------------

    def _finish(
        self, deployment: JSON, all_sets: list[JSON], new_rs: JSON | None, conditions: list[JSON]
    ) -> float | None:
        fresh = [self.store.try_get("replicasets.apps", rs["metadata"]["namespace"], name_of(rs)) for rs in all_sets]
        current_sets = [rs for rs in fresh if rs is not None]
        if new_rs is not None:
            new_rs = next((rs for rs in current_sets if name_of(rs) == name_of(new_rs)), new_rs)
        _, max_unavailable = surge_and_unavailable(deployment)
        progress_key = (deployment["metadata"]["uid"], "progress")

        def since_progress(progressing: JSON) -> float:
            return self.stopwatch.elapsed(progress_key, progressing.get("lastUpdateTime"))

        old_status = deployment.get("status") or {}
        incoming = _progressing({"conditions": conditions})
        if incoming is not None and incoming != _progressing(old_status):
            # Set by this reconcile (a new ReplicaSet, a resume): its deadline counts from this very
            # instant, not from its whole-second stamp, which is up to `speed` simulated seconds old.
            self.stopwatch.note(progress_key, incoming.get("lastUpdateTime"))
        status = deployment_status(
            deployment, current_sets, new_rs, conditions, max_unavailable, self.clock.timestamp(), since_progress
        )
        if _progressing(status) != _progressing(old_status) or made_progress(old_status, status):
            # The deadline counts from here: note the precise simulated instant.
            self.stopwatch.note(progress_key, (_progressing(status) or {}).get("lastUpdateTime"))
        if old_status != status:
            deployment["status"] = status
            self.store.update_status("deployments.apps", deployment, manager=self.manager)
        return self._deadline_check_in(deployment, status, since_progress)

    def _deadline_check_in(self, deployment: JSON, status: JSON, since_progress: Any) -> float | None:
        """Look again when the progress deadline would pass, as upstream requeues for it."""
        deadline = deployment["spec"].get("progressDeadlineSeconds")
        progressing = _progressing(status)
        if deadline is None or progressing is None or deployment["spec"].get("paused"):
            return None
        if progressing.get("reason") in ("NewReplicaSetAvailable", "ProgressDeadlineExceeded"):
            return None
        return max(float(deadline) - since_progress(progressing), 0.0) + 0.5


def _progressing(status: JSON) -> JSON | None:
    return next((c for c in status.get("conditions") or [] if c["type"] == "Progressing"), None)


def _available(rs: JSON) -> int:
    return int((rs.get("status") or {}).get("availableReplicas", 0))
