"""StatefulSet controller: ordinal pods `<name>-0..N-1`, their claims, ordered start and rolling updates.

With `OrderedReady`, pod N+1 is created only once pod N is Running and Ready, scale-down removes the
highest ordinal first, one at a time. Rolling updates replace pods from the highest ordinal down to
`partition`, one at a time, each after the rest are Ready. Revisions are `<name>-<template hash>`.
"""

from __future__ import annotations

import copy
from typing import Any

from gitops_tui.sandbox.controllers.base import Controller, Key, KeyMapper, controller_owner, same_key
from gitops_tui.sandbox.controllers.events import NORMAL
from gitops_tui.sandbox.controllers.kube import (
    is_terminating,
    name_of,
    omit_zero,
    owned_objects,
    pod_from_template,
    pod_is_ready,
    template_hash,
)
from gitops_tui.sandbox.controllers.revisions import ensure_revision

JSON = dict[str, Any]
REVISION_LABEL = "controller-revision-hash"
COMPONENT = "statefulset-controller"


def _ordinal(sts: JSON, pod: JSON) -> int:
    suffix = name_of(pod)[len(name_of(sts)) + 1 :]
    return int(suffix) if suffix.isdigit() else -1


class StatefulSetController(Controller):
    name = "statefulsets"
    primary = "statefulsets.apps"

    def watches(self) -> dict[str, KeyMapper]:
        return {"statefulsets.apps": same_key, "pods": controller_owner("StatefulSet")}

    def reconcile(self, key: Key) -> float | None:
        namespace, name = key
        sts = self.store.try_get("statefulsets.apps", namespace, name)
        if sts is None or is_terminating(sts):
            return None
        spec = sts["spec"]
        replicas = int(spec.get("replicas", 1))
        ordered = spec.get("podManagementPolicy", "OrderedReady") == "OrderedReady"
        revision_hash = template_hash(spec["template"])
        update_revision = f"{name}-{revision_hash}"
        ensure_revision(
            self.store, sts, update_revision, {"controller.kubernetes.io/hash": revision_hash}, self.manager
        )
        pods = {_ordinal(sts, p): p for p in owned_objects(self.store, "pods", sts) if not is_terminating(p)}

        for ordinal in range(replicas):
            pod = pods.get(ordinal)
            if pod is None:
                pods[ordinal] = self._create_pod(sts, ordinal, update_revision)
                if ordered:
                    break
            elif ordered and not (pod_is_ready(pod) and pod["status"].get("phase") == "Running"):
                break
        else:
            self._scale_down_or_update(sts, pods, replicas, update_revision, ordered)
        return self._write_status(sts, pods, update_revision)

    def _scale_down_or_update(
        self, sts: JSON, pods: dict[int, JSON], replicas: int, update_revision: str, ordered: bool
    ) -> None:
        namespace = sts["metadata"]["namespace"]
        extra = sorted((o for o in pods if o >= replicas), reverse=True)
        all_ready = all(pod_is_ready(p) for o, p in pods.items() if o < replicas)
        if extra:
            for ordinal in extra[:1] if ordered else extra:
                if ordered and not all_ready:
                    return
                self._delete_pod(sts, pods.pop(ordinal))
            return
        strategy = sts["spec"].get("updateStrategy") or {}
        if strategy.get("type", "RollingUpdate") != "RollingUpdate" or not all_ready:
            return
        partition = int((strategy.get("rollingUpdate") or {}).get("partition", 0))
        for ordinal in sorted(pods, reverse=True):
            if ordinal < partition:
                break
            if pods[ordinal]["metadata"].get("labels", {}).get(REVISION_LABEL) != update_revision:
                if self.store.try_get("pods", namespace, name_of(pods[ordinal])) is not None:
                    self._delete_pod(sts, pods.pop(ordinal))
                return

    def _create_pod(self, sts: JSON, ordinal: int, revision: str) -> JSON:
        name = f"{name_of(sts)}-{ordinal}"
        template = copy.deepcopy(sts["spec"]["template"])
        volumes = template["spec"].setdefault("volumes", [])
        for claim_template in sts["spec"].get("volumeClaimTemplates") or []:
            claim_name = f"{name_of(claim_template)}-{name}"
            self._ensure_claim(sts, claim_template, claim_name, name)
            volumes[:] = [v for v in volumes if v.get("name") != name_of(claim_template)]
            volumes.append({"name": name_of(claim_template), "persistentVolumeClaim": {"claimName": claim_name}})
        if not volumes:
            del template["spec"]["volumes"]
        labels = {
            REVISION_LABEL: revision,
            "statefulset.kubernetes.io/pod-name": name,
            "apps.kubernetes.io/pod-index": str(ordinal),
        }
        pod = pod_from_template(template, sts, name, labels)
        pod["spec"]["hostname"] = name
        if sts["spec"].get("serviceName"):
            pod["spec"]["subdomain"] = sts["spec"]["serviceName"]
        created = self.store.create("pods", pod, manager=self.manager)
        self.events.record(
            sts, NORMAL, "SuccessfulCreate", f"create Pod {name} in StatefulSet {name_of(sts)} successful", COMPONENT
        )
        return created

    def _ensure_claim(self, sts: JSON, claim_template: JSON, claim_name: str, pod_name: str) -> None:
        namespace = sts["metadata"]["namespace"]
        if self.store.try_get("persistentvolumeclaims", namespace, claim_name) is not None:
            return
        claim = {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {
                "name": claim_name,
                "namespace": namespace,
                "labels": dict((sts["spec"].get("selector") or {}).get("matchLabels") or {}),
            },
            "spec": copy.deepcopy(claim_template.get("spec") or {}),
        }
        self.store.create("persistentvolumeclaims", claim, manager=self.manager)
        self.events.record(
            sts,
            NORMAL,
            "SuccessfulCreate",
            f"create Claim {claim_name} Pod {pod_name} in StatefulSet {name_of(sts)} success",
            COMPONENT,
        )

    def _delete_pod(self, sts: JSON, pod: JSON) -> None:
        self.store.delete("pods", pod["metadata"]["namespace"], name_of(pod))
        self.events.record(
            sts,
            NORMAL,
            "SuccessfulDelete",
            f"delete Pod {name_of(pod)} in StatefulSet {name_of(sts)} successful",
            COMPONENT,
        )

    def _write_status(self, sts: JSON, pods: dict[int, JSON], update_revision: str) -> None:
        old = sts.get("status") or {}
        live = [p for p in pods.values() if not is_terminating(p)]
        updated = sum(1 for p in live if p["metadata"].get("labels", {}).get(REVISION_LABEL) == update_revision)
        replicas = int(sts["spec"].get("replicas", 1))
        current_revision = old.get("currentRevision") or update_revision
        if updated == len(live) == replicas:
            current_revision = update_revision  # the rollout is done: the update revision becomes current
        current = sum(1 for p in live if p["metadata"].get("labels", {}).get(REVISION_LABEL) == current_revision)
        ready = sum(1 for p in live if pod_is_ready(p))
        status = omit_zero(
            {
                "observedGeneration": sts["metadata"].get("generation", 1),
                "readyReplicas": ready,
                "currentReplicas": current,
                "updatedReplicas": updated,
            }
        )
        status.update(
            {
                "replicas": len(live),
                "availableReplicas": ready,
                "currentRevision": current_revision,
                "updateRevision": update_revision,
                "collisionCount": 0,
            }
        )
        if old != status:
            sts["status"] = status
            self.store.update_status("statefulsets.apps", sts, manager=self.manager)
