"""Service defaulting, and the allocator that hands out cluster IPs and node ports.

Split from `defaults.py` because it is the one kind whose defaults need state: addresses are
allocated once, on create, and kept on every later update even when an apply omits them.
"""

from __future__ import annotations

import copy
import ipaddress
import itertools
from typing import Any, Protocol

JSON = dict[str, Any]

SERVICE_CIDR = ipaddress.ip_network("10.96.0.0/12")
NODE_PORT_RANGE = range(30000, 32768)
# The file permission the API server writes for secret, configMap, projected and downwardAPI volumes.
DEFAULT_VOLUME_MODE = 420


class ServiceAllocator(Protocol):
    def allocate_cluster_ip(self) -> str: ...

    def allocate_node_port(self) -> int: ...


class SequentialServiceAllocator:
    """Hands out cluster IPs from 10.96.0.0/12 and node ports from 30000-32767, skipping used ones.

    `10.96.0.1` is the `kubernetes` Service's address on a real cluster, so allocation starts after it.
    Callers that restore objects from elsewhere report their addresses with `reserve`.
    """

    def __init__(self) -> None:
        self._used_ips: set[str] = {str(SERVICE_CIDR.network_address + 1)}
        self._used_ports: set[int] = set()
        self._next_ip = itertools.count(10)
        self._next_port = itertools.cycle(NODE_PORT_RANGE)

    def reserve(self, cluster_ip: str | None = None, node_port: int | None = None) -> None:
        if cluster_ip:
            self._used_ips.add(cluster_ip)
        if node_port:
            self._used_ports.add(node_port)

    def release(self, cluster_ip: str | None = None, node_port: int | None = None) -> None:
        self._used_ips.discard(cluster_ip or "")
        self._used_ports.discard(node_port or 0)

    def allocate_cluster_ip(self) -> str:
        while True:
            offset = next(self._next_ip)
            if offset >= SERVICE_CIDR.num_addresses - 1:
                raise RuntimeError("the service CIDR 10.96.0.0/12 is exhausted")
            address = str(SERVICE_CIDR.network_address + offset)
            if address not in self._used_ips:
                self._used_ips.add(address)
                return address

    def allocate_node_port(self) -> int:
        for _ in NODE_PORT_RANGE:
            port = next(self._next_port)
            if port not in self._used_ports:
                self._used_ports.add(port)
                return port
        raise RuntimeError("the node port range 30000-32767 is exhausted")


def _set(mapping: JSON, key: str, value: Any) -> Any:
    if mapping.get(key) is None:
        mapping[key] = value
    return mapping[key]


def _dict(mapping: JSON, key: str) -> JSON:
    return _set(mapping, key, {})


def default_service(obj: JSON, allocator: ServiceAllocator | None, previous: JSON | None) -> None:
    spec = _dict(obj, "spec")
    service_type = _set(spec, "type", "ClusterIP")
    if _set(spec, "sessionAffinity", "None") == "ClientIP":
        client_ip = _dict(_dict(spec, "sessionAffinityConfig"), "clientIP")
        _set(client_ip, "timeoutSeconds", 10800)
    for port in spec.get("ports") or []:
        _set(port, "protocol", "TCP")
        if port.get("targetPort") in (None, 0, ""):
            port["targetPort"] = port.get("port")
    if service_type in ("NodePort", "LoadBalancer"):
        _set(spec, "externalTrafficPolicy", "Cluster")
    if service_type == "LoadBalancer":
        _set(spec, "allocateLoadBalancerNodePorts", True)
    # LoadBalancerStatus is a struct: every Service prints `status: {loadBalancer: {}}`.
    _set(_dict(obj, "status"), "loadBalancer", {})
    if service_type == "ExternalName":
        return
    _set(spec, "internalTrafficPolicy", "Cluster")
    old_spec = (previous or {}).get("spec") or {}
    _default_cluster_ip(spec, old_spec, allocator)
    _default_node_ports(spec, old_spec, allocator)


def _default_cluster_ip(spec: JSON, old_spec: JSON, allocator: ServiceAllocator | None) -> None:
    if not spec.get("clusterIP") and not spec.get("clusterIPs") and old_spec.get("clusterIP"):
        # clusterIP is immutable: an apply that omits it keeps the allocated address.
        for key in ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"):
            if key in old_spec:
                spec[key] = copy.deepcopy(old_spec[key])
    cluster_ip = spec.get("clusterIP") or (spec.get("clusterIPs") or [None])[0]
    if not cluster_ip and allocator is not None:
        cluster_ip = allocator.allocate_cluster_ip()
    if not cluster_ip:
        return
    spec["clusterIP"] = cluster_ip
    _set(spec, "clusterIPs", [cluster_ip])
    _set(spec, "ipFamilies", ["IPv4"])
    headless_without_selector = cluster_ip == "None" and not spec.get("selector")
    _set(spec, "ipFamilyPolicy", "RequireDualStack" if headless_without_selector else "SingleStack")


def _default_node_ports(spec: JSON, old_spec: JSON, allocator: ServiceAllocator | None) -> None:
    service_type = spec["type"]
    wants_node_ports = service_type == "NodePort" or (
        service_type == "LoadBalancer" and spec.get("allocateLoadBalancerNodePorts") is not False
    )
    old_ports = {(p.get("port"), p.get("protocol", "TCP")): p.get("nodePort") for p in old_spec.get("ports") or []}
    if wants_node_ports:
        for port in spec.get("ports") or []:
            if not port.get("nodePort"):
                kept = old_ports.get((port.get("port"), port.get("protocol")))
                if kept:
                    port["nodePort"] = kept
                elif allocator is not None:
                    port["nodePort"] = allocator.allocate_node_port()
    needs_health_port = service_type == "LoadBalancer" and spec.get("externalTrafficPolicy") == "Local"
    if needs_health_port and not spec.get("healthCheckNodePort"):
        kept_health = old_spec.get("healthCheckNodePort")
        if kept_health:
            spec["healthCheckNodePort"] = kept_health
        elif allocator is not None:
            spec["healthCheckNodePort"] = allocator.allocate_node_port()
