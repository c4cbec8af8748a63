"""The Lease objects behind auto-sync claims (auto_sync_claims.py): their names, their bodies, reading them.

Two roles, told apart by the label `gitops-tui.dev/lease`: `console` (one heartbeat per console,
`console.<id>`) and `auto-sync` (one claim per app, `<app>.auto-sync`, naming the console that runs the
app's automated syncs). Plain functions on plain dicts: what `kubectl get lease -n gitops-tui -o yaml` shows.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from gitops_tui.engine.lease import MICRO_TIME, parse_time, safe_name

ROLE_LABEL = "gitops-tui.dev/lease"
CLAIM_SUFFIX = ".auto-sync"


def claim_name(app: str) -> str:
    return f"{safe_name(app)[: 253 - len(CLAIM_SUFFIX)]}{CLAIM_SUFFIX}"


def heartbeat_name(identity: str) -> str:
    return f"console.{safe_name(identity)}"[:253]


def lease_body(
    name: str,
    namespace: str,
    role: str,
    holder: str,
    *,
    duration_seconds: int,
    acquired: datetime,
    now: datetime,
    transitions: int,
    app: str = "",
) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "namespace": namespace, "labels": {ROLE_LABEL: role}}
    if app:
        metadata["annotations"] = {"gitops-tui.dev/app": app}
    return {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": metadata,
        "spec": {
            "holderIdentity": holder or None,
            "leaseDurationSeconds": duration_seconds,
            "acquireTime": acquired.strftime(MICRO_TIME),
            "renewTime": now.strftime(MICRO_TIME),
            "leaseTransitions": transitions,
        },
    }


def role_of(lease: dict[str, Any]) -> str:
    return str(((lease.get("metadata") or {}).get("labels") or {}).get(ROLE_LABEL) or "")


def holder_of(lease: dict[str, Any]) -> str:
    return str((lease.get("spec") or {}).get("holderIdentity") or "")


def specs_of(leases: list[dict[str, Any]], role: str) -> list[dict[str, Any]]:
    return [lease.get("spec") or {} for lease in leases if role_of(lease) == role]


def fresh(spec: dict[str, Any], now: datetime) -> bool:
    renewed = parse_time(spec.get("renewTime"))
    duration = int(spec.get("leaseDurationSeconds") or 0)
    return renewed is not None and renewed + timedelta(seconds=duration) > now
