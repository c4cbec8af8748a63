"""Volume provisioning: a PersistentVolumeClaim gets a PersistentVolume and goes Bound after a delay.

Claims for the storage class `unavailable` stay Pending forever (with the Warning Event a missing
StorageClass produces), so a broken storage setup can be demonstrated and tested.
"""

from __future__ import annotations

from typing import Any

from gitops_tui.sandbox.controllers.base import Controller, Key
from gitops_tui.sandbox.controllers.events import NORMAL, WARNING
from gitops_tui.sandbox.controllers.kube import is_terminating, name_of, namespace_of, uid_of

JSON = dict[str, Any]
BIND_SECONDS = 1.5
UNAVAILABLE_CLASS = "unavailable"
DEFAULT_CLASS = "standard"
PROVISIONER = "rancher.io/local-path"


class VolumeController(Controller):
    name = "persistentvolumeclaims"
    primary = "persistentvolumeclaims"
    manager = "kube-controller-manager"

    def reconcile(self, key: Key) -> float | None:
        namespace, name = key
        claim = self.store.try_get("persistentvolumeclaims", namespace, name)
        if claim is None or is_terminating(claim):
            return None
        if (claim.get("status") or {}).get("phase") == "Bound":
            return None
        storage_class = claim["spec"].get("storageClassName") or DEFAULT_CLASS
        if storage_class == UNAVAILABLE_CLASS:
            self.events.record(
                claim,
                WARNING,
                "ProvisioningFailed",
                f'storageclass.storage.k8s.io "{UNAVAILABLE_CLASS}" not found',
                "persistentvolume-controller",
            )
            return None
        age = self.age(claim)
        if age < BIND_SECONDS:
            return BIND_SECONDS - age
        volume = self._provision(claim, storage_class)
        claim["spec"]["volumeName"] = name_of(volume)
        annotations = claim["metadata"].setdefault("annotations", {})
        annotations.update(
            {
                "pv.kubernetes.io/bind-completed": "yes",
                "pv.kubernetes.io/bound-by-controller": "yes",
                "volume.beta.kubernetes.io/storage-provisioner": PROVISIONER,
                "volume.kubernetes.io/storage-provisioner": PROVISIONER,
            }
        )
        claim = self.store.update("persistentvolumeclaims", claim, manager=self.manager)
        claim["status"] = {
            "phase": "Bound",
            "accessModes": list(claim["spec"].get("accessModes") or ["ReadWriteOnce"]),
            "capacity": dict(volume["spec"]["capacity"]),
        }
        self.store.update_status("persistentvolumeclaims", claim, manager=self.manager)
        self.events.record(
            claim, NORMAL, "ProvisioningSucceeded", f"Successfully provisioned volume {name_of(volume)}", PROVISIONER
        )
        return None

    def _provision(self, claim: JSON, storage_class: str) -> JSON:
        volume_name = f"pvc-{uid_of(claim)}"
        existing = self.store.try_get("persistentvolumes", None, volume_name)
        if existing is not None:
            return existing
        requested = ((claim["spec"].get("resources") or {}).get("requests") or {}).get("storage", "1Gi")
        volume = {
            "apiVersion": "v1",
            "kind": "PersistentVolume",
            "metadata": {
                "name": volume_name,
                "annotations": {"pv.kubernetes.io/provisioned-by": PROVISIONER},
            },
            "spec": {
                "accessModes": list(claim["spec"].get("accessModes") or ["ReadWriteOnce"]),
                "capacity": {"storage": requested},
                "claimRef": {
                    "apiVersion": "v1",
                    "kind": "PersistentVolumeClaim",
                    "name": name_of(claim),
                    "namespace": namespace_of(claim),
                    "uid": uid_of(claim),
                    "resourceVersion": claim["metadata"].get("resourceVersion"),
                },
                "hostPath": {
                    "path": f"/var/local-path-provisioner/{volume_name}_{namespace_of(claim)}_{name_of(claim)}",
                    "type": "DirectoryOrCreate",
                },
                "persistentVolumeReclaimPolicy": "Delete",
                "storageClassName": storage_class,
                "volumeMode": claim["spec"].get("volumeMode", "Filesystem"),
            },
            "status": {"phase": "Bound"},
        }
        return self.store.create("persistentvolumes", volume, keep_status=True, manager=self.manager)
