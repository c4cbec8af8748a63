"""Health of Services and Ingresses: are they reachable from outside yet?

Argo CD's built-in checks: a LoadBalancer Service, and any Ingress, is Progressing until the
load balancer controller has written an address into `status.loadBalancer.ingress`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gitops_tui.engine.health_fields import healthy, items, progressing, section
from gitops_tui.model import Health


def _has_load_balancer_address(obj: Mapping[str, Any]) -> bool:
    return bool(items(section(obj, "status", "loadBalancer").get("ingress")))


def service_health(obj: Mapping[str, Any]) -> Health:
    if section(obj, "spec").get("type") == "LoadBalancer" and not _has_load_balancer_address(obj):
        return progressing()
    return healthy()


def ingress_health(obj: Mapping[str, Any]) -> Health:
    # Argo CD applies this to every Ingress, even on controllers that never publish an address.
    return healthy() if _has_load_balancer_address(obj) else progressing()
