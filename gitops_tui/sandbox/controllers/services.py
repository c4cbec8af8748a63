"""Service networking: Endpoints from ready pods, and load-balancer addresses for Services and Ingresses.

Endpoints follow the endpoints controller: one subset with ready pods as `addresses` and unready
ones as `notReadyAddresses`, ports resolved through named container ports. LoadBalancer Services
and Ingresses get `status.loadBalancer.ingress` after a short simulated delay, as a cloud (or
MetalLB) would hand them out.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

from gitops_tui.sandbox.controllers.base import Controller, Key, KeyMapper, same_key
from gitops_tui.sandbox.controllers.events import NORMAL
from gitops_tui.sandbox.controllers.kube import (
    is_terminating,
    name_of,
    namespace_of,
    pod_is_ready,
    stored_objects,
    uid_of,
)

JSON = dict[str, Any]
LOAD_BALANCER_SECONDS = 2.0


def _target_port(service_port: JSON, pod: JSON) -> int | None:
    target = service_port.get("targetPort", service_port.get("port"))
    if isinstance(target, int):
        return target
    for container in pod["spec"].get("containers") or []:
        for port in container.get("ports") or []:
            if port.get("name") == target:
                return int(port["containerPort"])
    return None


def _selects(service: JSON, labels: dict[str, str]) -> bool:
    """A Service's selector is a plain map: every pair must be among the pod's labels."""
    selector = (service.get("spec") or {}).get("selector")
    return bool(selector) and all(labels.get(key) == value for key, value in selector.items())


class EndpointsController(Controller):
    name = "endpoints"
    primary = "services"

    def watches(self) -> dict[str, KeyMapper]:
        return {"services": same_key, "pods": self._services_in_namespace}

    def _services_in_namespace(self, event: Any) -> Iterable[Key]:
        """The Services selecting the pod before or after the change (upstream's pod memberships):
        a pod's change wakes its own Services, not every Service of its namespace."""
        namespace = event.namespace
        labels = [(obj or {}).get("metadata", {}).get("labels") or {} for obj in (event.obj, event.old)]
        return [
            (namespace, name_of(service))
            for service in stored_objects(self.store, "services", namespace)
            if any(_selects(service, pod_labels) for pod_labels in labels)
        ]

    def reconcile(self, key: Key) -> float | None:
        namespace, name = key
        service = self.store.try_get("services", namespace, name)
        existing = self.store.try_get("endpoints", namespace, name)
        if service is None or is_terminating(service):
            if existing is not None:
                self.store.delete("endpoints", namespace, name)
            return None
        selector = service["spec"].get("selector")
        if not selector:
            return None  # Services without selectors have hand-made Endpoints
        pods = [
            p
            for p in stored_objects(self.store, "pods", namespace)
            if _selects(service, p["metadata"].get("labels") or {})
            and (p.get("status") or {}).get("podIP")
            and not is_terminating(p)
            and (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
        ]
        endpoints: JSON = {
            "apiVersion": "v1",
            "kind": "Endpoints",
            "metadata": {"name": name, "namespace": namespace, "labels": dict(service["metadata"].get("labels") or {})},
        }
        if not endpoints["metadata"]["labels"]:
            del endpoints["metadata"]["labels"]
        subset = self._subset(service, pods)
        if subset:
            endpoints["subsets"] = [subset]
        if existing is None:
            self.store.create("endpoints", endpoints, manager="endpoint-controller")
        elif existing.get("subsets") != endpoints.get("subsets") or existing["metadata"].get("labels") != endpoints[
            "metadata"
        ].get("labels"):
            existing["subsets"] = endpoints.get("subsets")
            if existing["subsets"] is None:
                del existing["subsets"]
            existing["metadata"]["labels"] = endpoints["metadata"].get("labels")
            self.store.update("endpoints", existing, manager="endpoint-controller")
        return None

    @staticmethod
    def _subset(service: JSON, pods: list[JSON]) -> JSON:
        ready: list[JSON] = []
        not_ready: list[JSON] = []
        for pod in sorted(pods, key=lambda p: p["status"]["podIP"]):
            address = {
                "ip": pod["status"]["podIP"],
                "nodeName": pod["spec"].get("nodeName"),
                "targetRef": {"kind": "Pod", "name": name_of(pod), "namespace": namespace_of(pod), "uid": uid_of(pod)},
            }
            (ready if pod_is_ready(pod) else not_ready).append(address)
        if not ready and not not_ready:
            return {}
        ports = []
        for service_port in service["spec"].get("ports") or []:
            port = _target_port(service_port, pods[0])
            if port is None:
                continue
            entry: JSON = {"port": port, "protocol": service_port.get("protocol", "TCP")}
            if service_port.get("name"):
                entry["name"] = service_port["name"]
            ports.append(entry)
        subset: JSON = {}
        if ready:
            subset["addresses"] = ready
        if not_ready:
            subset["notReadyAddresses"] = not_ready
        if ports:
            subset["ports"] = ports
        return subset


class _AddressHandout:
    """External addresses from 172.18.255.200 up, like a kind cluster's MetalLB pool."""

    _counter = itertools.count(200)

    @classmethod
    def next(cls) -> str:
        value = next(cls._counter)
        return f"172.18.{255 - (value - 200) // 50}.{200 + (value - 200) % 50}"


class LoadBalancerController(Controller):
    name = "loadbalancers"
    primary = "services"
    resource = "services"
    component = "service-controller"

    def watches(self) -> dict[str, KeyMapper]:
        return {self.resource: same_key}

    def wants_address(self, obj: JSON) -> bool:
        return (obj.get("spec") or {}).get("type") == "LoadBalancer"

    def reconcile(self, key: Key) -> float | None:
        namespace, name = key
        obj = self.store.try_get(self.resource, namespace, name)
        if obj is None or is_terminating(obj) or not self.wants_address(obj):
            return None
        status = obj.get("status") or {}
        if (status.get("loadBalancer") or {}).get("ingress"):
            return None
        age = self.age(obj)
        if age < LOAD_BALANCER_SECONDS:
            if age < 0.5:
                self.events.record(obj, NORMAL, "EnsuringLoadBalancer", "Ensuring load balancer", self.component)
            return LOAD_BALANCER_SECONDS - age
        obj["status"] = {**status, "loadBalancer": {"ingress": [{"ip": _AddressHandout.next(), "ipMode": "VIP"}]}}
        self.store.update_status(self.resource, obj, manager=self.component)
        self.events.record(obj, NORMAL, "EnsuredLoadBalancer", "Ensured load balancer", self.component)
        return None


class IngressController(LoadBalancerController):
    name = "ingresses"
    primary = "ingresses.networking.k8s.io"
    resource = "ingresses.networking.k8s.io"
    component = "nginx-ingress-controller"

    def wants_address(self, obj: JSON) -> bool:
        return True

    def reconcile(self, key: Key) -> float | None:
        namespace, name = key
        obj = self.store.try_get(self.resource, namespace, name)
        if obj is None or is_terminating(obj) or ((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress"):
            return None
        age = self.age(obj)
        if age < LOAD_BALANCER_SECONDS:
            return LOAD_BALANCER_SECONDS - age
        # Ingress controllers publish one shared address, and no ipMode.
        obj["status"] = {"loadBalancer": {"ingress": [{"ip": "172.18.255.199"}]}}
        self.store.update_status(self.resource, obj, manager=self.component)
        self.events.record(obj, NORMAL, "Sync", "Scheduled for sync", self.component)
        return None
