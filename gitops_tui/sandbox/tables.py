"""Server-side printing: `meta.k8s.io/v1` Tables, which kubectl asks for on `get`.

Columns follow the real server's printers for the common kinds (kubectl's default and `-o wide`
output); custom resources get their CRD's additionalPrinterColumns. Ages use the store's clock (the
simulated one when controllers run) and kubectl's duration format.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .crds import CRD_RESOURCE
from .entry import Entry
from .resources import ResourceType

if TYPE_CHECKING:
    from .store import Store

Cell = Callable[[dict[str, Any]], Any]
JSON = dict[str, Any]


def wants_table(accept: str) -> bool:
    return "as=Table" in accept


def human_duration(seconds: float) -> str:
    """apimachinery's duration.HumanDuration."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        return f"{minutes}m" if s % 60 == 0 else f"{minutes}m{s % 60}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        return f"{hours}h" if minutes % 60 == 0 else f"{hours}h{minutes % 60}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d" if hours % 24 == 0 else f"{hours // 24}d{hours % 24}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if days == 0 else f"{hours // 24 // 365}y{days}d"
    return f"{hours // 24 // 365}y"


def _get(obj: JSON, path: str, default: Any = None) -> Any:
    node: Any = obj
    for part in path.lstrip(".").split("."):
        if isinstance(node, list) and part.isdigit():
            node = node[int(part)] if int(part) < len(node) else None
        elif isinstance(node, dict):
            node = node.get(part)
        else:
            return default
        if node is None:
            return default
    return node


def _pod_status(pod: JSON) -> str:
    if pod["metadata"].get("deletionTimestamp"):
        return "Terminating"
    for status in _get(pod, "status.containerStatuses", []) or []:
        waiting = _get(status, "state.waiting.reason")
        if waiting:
            return waiting
        terminated = _get(status, "state.terminated.reason")
        if terminated and _get(pod, "status.phase") != "Succeeded":
            return terminated
    return _get(pod, "status.reason") or _get(pod, "status.phase", "Pending")


def _ports(service: JSON) -> str:
    ports = []
    for port in _get(service, "spec.ports", []) or []:
        node = f":{port['nodePort']}" if port.get("nodePort") else ""
        ports.append(f"{port.get('port')}{node}/{port.get('protocol', 'TCP')}")
    return ",".join(ports) or "<none>"


def _selector(obj: JSON) -> str:
    labels = _get(obj, "spec.selector.matchLabels", {}) or {}
    return ",".join(f"{k}={v}" for k, v in labels.items()) or "<none>"


def _containers(field: str) -> Cell:
    return lambda o: ",".join(c.get(field, "") for c in _get(o, "spec.template.spec.containers", []) or [])


def _node_status(node: JSON) -> str:
    ready = next((c for c in _get(node, "status.conditions", []) or [] if c.get("type") == "Ready"), None)
    status = "Ready" if ready and ready.get("status") == "True" else "NotReady"
    return status + (",SchedulingDisabled" if _get(node, "spec.unschedulable") else "")


def _roles(node: JSON) -> str:
    prefix = "node-role.kubernetes.io/"
    roles = sorted(k[len(prefix) :] for k in node["metadata"].get("labels", {}) if k.startswith(prefix))
    return ",".join(roles) or "<none>"


def _ready_of(ready_path: str, total_path: str) -> Cell:
    return lambda o: f"{_get(o, ready_path, 0) or 0}/{_get(o, total_path, 0) or 0}"


def _count(path: str) -> Cell:
    return lambda o: _get(o, path, 0) or 0


def _data_count(obj: JSON) -> int:
    return len(obj.get("data") or {}) + len(obj.get("binaryData") or {})


# (name, type, priority, cell) per group-resource; Name is always first, Age added unless listed.
Column = tuple[str, str, int, Cell]
COLUMNS: dict[str, list[Column]] = {
    "namespaces": [("Status", "string", 0, lambda o: _get(o, "status.phase", ""))],
    "pods": [
        (
            "Ready",
            "string",
            0,
            lambda o: "{}/{}".format(
                sum(1 for s in _get(o, "status.containerStatuses", []) or [] if s.get("ready")),
                len(_get(o, "spec.containers", []) or []),
            ),
        ),
        ("Status", "string", 0, _pod_status),
        (
            "Restarts",
            "string",
            0,
            lambda o: str(sum(s.get("restartCount", 0) for s in _get(o, "status.containerStatuses", []) or [])),
        ),
        ("IP", "string", 1, lambda o: _get(o, "status.podIP", "<none>")),
        ("Node", "string", 1, lambda o: _get(o, "spec.nodeName", "<none>")),
    ],
    "deployments.apps": [
        ("Ready", "string", 0, _ready_of("status.readyReplicas", "spec.replicas")),
        ("Up-to-date", "integer", 0, _count("status.updatedReplicas")),
        ("Available", "integer", 0, _count("status.availableReplicas")),
        ("Containers", "string", 1, _containers("name")),
        ("Images", "string", 1, _containers("image")),
        ("Selector", "string", 1, _selector),
    ],
    "replicasets.apps": [
        ("Desired", "integer", 0, _count("spec.replicas")),
        ("Current", "integer", 0, _count("status.replicas")),
        ("Ready", "integer", 0, _count("status.readyReplicas")),
    ],
    "statefulsets.apps": [("Ready", "string", 0, _ready_of("status.readyReplicas", "spec.replicas"))],
    "daemonsets.apps": [
        ("Desired", "integer", 0, _count("status.desiredNumberScheduled")),
        ("Current", "integer", 0, _count("status.currentNumberScheduled")),
        ("Ready", "integer", 0, _count("status.numberReady")),
        ("Up-to-date", "integer", 0, _count("status.updatedNumberScheduled")),
        ("Available", "integer", 0, _count("status.numberAvailable")),
    ],
    "services": [
        ("Type", "string", 0, lambda o: _get(o, "spec.type", "ClusterIP")),
        ("Cluster-IP", "string", 0, lambda o: _get(o, "spec.clusterIP", "<none>")),
        (
            "External-IP",
            "string",
            0,
            lambda o: (
                ",".join(i.get("ip") or i.get("hostname", "") for i in _get(o, "status.loadBalancer.ingress", []) or [])
                or "<none>"
            ),
        ),
        ("Port(s)", "string", 0, _ports),
    ],
    "configmaps": [("Data", "integer", 0, _data_count)],
    "secrets": [("Type", "string", 0, lambda o: o.get("type", "Opaque")), ("Data", "integer", 0, _data_count)],
    "jobs.batch": [
        (
            "Completions",
            "string",
            0,
            lambda o: f"{_get(o, 'status.succeeded', 0) or 0}/{_get(o, 'spec.completions', 1) or 1}",
        )
    ],
    "cronjobs.batch": [
        ("Schedule", "string", 0, lambda o: _get(o, "spec.schedule", "")),
        ("Suspend", "boolean", 0, lambda o: bool(_get(o, "spec.suspend", False))),
        ("Active", "integer", 0, lambda o: len(_get(o, "status.active", []) or [])),
        ("Last Schedule", "string", 0, lambda o: _get(o, "status.lastScheduleTime", "<none>")),
    ],
    "nodes": [("Status", "string", 0, _node_status), ("Roles", "string", 0, _roles)],
    "persistentvolumeclaims": [
        ("Status", "string", 0, lambda o: _get(o, "status.phase", "Pending")),
        ("Volume", "string", 0, lambda o: _get(o, "spec.volumeName", "")),
        ("Capacity", "string", 0, lambda o: _get(o, "status.capacity.storage", "")),
    ],
    "horizontalpodautoscalers.autoscaling": [
        (
            "Reference",
            "string",
            0,
            lambda o: f"{_get(o, 'spec.scaleTargetRef.kind', '')}/{_get(o, 'spec.scaleTargetRef.name', '')}",
        ),
        ("MinPods", "integer", 0, lambda o: _get(o, "spec.minReplicas", 1)),
        ("MaxPods", "integer", 0, _count("spec.maxReplicas")),
        ("Replicas", "integer", 0, _count("status.currentReplicas")),
    ],
    "ingresses.networking.k8s.io": [
        ("Class", "string", 0, lambda o: _get(o, "spec.ingressClassName", "<none>")),
        ("Hosts", "string", 0, lambda o: ",".join(r.get("host", "*") for r in _get(o, "spec.rules", []) or []) or "*"),
    ],
}


def _event_time(obj: JSON) -> str | None:
    return obj.get("lastTimestamp") or obj.get("eventTime") or obj["metadata"].get("creationTimestamp")


def _since(now: datetime, stamp: str | None) -> str:
    if not stamp:
        return "<unknown>"
    moment = datetime.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    return human_duration((now - moment).total_seconds())


def _event_columns(now: datetime) -> list[Column]:
    """Core Events print without Name/Age in front: the real printer's own column set."""
    return [
        ("Last Seen", "string", 0, lambda o: _since(now, _event_time(o))),
        ("Type", "string", 0, lambda o: o.get("type", "")),
        ("Reason", "string", 0, lambda o: o.get("reason", "")),
        (
            "Object",
            "string",
            0,
            lambda o: f"{_get(o, 'involvedObject.kind', '').lower()}/{_get(o, 'involvedObject.name', '')}",
        ),
        ("Message", "string", 0, lambda o: o.get("message", "")),
        ("Count", "integer", 1, lambda o: o.get("count", 1)),
        ("Name", "string", 1, lambda o: o["metadata"]["name"]),
    ]


def _crd_columns(crd: JSON | None, rt: ResourceType) -> list[Column]:
    if crd is None:
        return []
    version = next((v for v in _get(crd, "spec.versions", []) or [] if v.get("name") == rt.version), {})
    columns: list[Column] = []
    for column in version.get("additionalPrinterColumns") or []:
        path = column.get("jsonPath", "")
        columns.append(
            (
                column.get("name", ""),
                column.get("type", "string"),
                column.get("priority", 0),
                lambda o, p=path: _get(o, p.strip("{}"), ""),
            )
        )
    return columns


def _columns(rt: ResourceType, crd: JSON | None) -> list[Column]:
    return COLUMNS.get(rt.group_resource) or _crd_columns(crd, rt)


def build_table(
    rt: ResourceType,
    entries: list[Entry],
    list_meta: JSON,
    now: datetime,
    crd: JSON | None = None,
    headers: bool = True,
) -> JSON:
    """Name, the kind's default columns, Age, then its `-o wide` columns, as real printers order them."""
    if rt.group_resource == "events":
        return _plain_table(_event_columns(now), entries, list_meta, headers)
    extra = _columns(rt, crd)
    columns: list[Column] = [("Name", "string", 0, lambda o: o["metadata"]["name"])]
    columns += [c for c in extra if c[2] == 0]
    columns.append(("Age", "string", 0, lambda o: _since(now, o["metadata"].get("creationTimestamp"))))
    columns += [c for c in extra if c[2] != 0]
    return _plain_table(columns, entries, list_meta, headers)


def _plain_table(columns: list[Column], entries: list[Entry], list_meta: JSON, headers: bool) -> JSON:
    table: JSON = {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": list_meta}
    if headers:
        table["columnDefinitions"] = [
            {"name": n, "type": t, "format": "name" if n == "Name" else "", "description": "", "priority": p}
            for n, t, p, _ in columns
        ]
    table["rows"] = [
        {
            "cells": [cell(e.obj) for _n, _t, _p, cell in columns],
            "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": e.obj["metadata"]},
        }
        for e in entries
    ]
    return table


def table_for(store: Store, rt: ResourceType, entries: list[Entry], list_meta: JSON, headers: bool = True) -> JSON:
    crd_rt = store.registry.storage_type(CRD_RESOURCE)
    crd = store.entry(crd_rt, None, rt.group_resource) if crd_rt else None
    return build_table(rt, entries, list_meta, store.clock(), crd.obj if crd else None, headers)


class WatchEncoder:
    """Encodes watch event objects: plain objects, or one-row Tables with headers only on the first
    event (as the real server does for `kubectl get -w`)."""

    def __init__(self, store: Store, rt: ResourceType, accept: str) -> None:
        self.store = store
        self.rt = rt
        self.as_table = wants_table(accept)
        self._headers = True

    def __call__(self, entry: Entry) -> bytes:
        from .conversion import entry_bytes
        from .entry import dumps

        if not self.as_table:
            return entry_bytes(entry, self.rt)
        body = table_for(self.store, self.rt, [entry], {"resourceVersion": str(entry.rv)}, self._headers)
        self._headers = False
        return dumps(body)
