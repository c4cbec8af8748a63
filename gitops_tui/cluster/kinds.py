"""Group/kind names and the parent → children relations the resource tree shows."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple


class GroupKind(NamedTuple):
    group: str
    kind: str

    def __str__(self) -> str:
        return f"{self.kind}.{self.group}" if self.group else self.kind


DEPLOYMENT = GroupKind("apps", "Deployment")
REPLICA_SET = GroupKind("apps", "ReplicaSet")
STATEFUL_SET = GroupKind("apps", "StatefulSet")
DAEMON_SET = GroupKind("apps", "DaemonSet")
JOB = GroupKind("batch", "Job")
CRON_JOB = GroupKind("batch", "CronJob")
POD = GroupKind("", "Pod")

TREE_CHILDREN: dict[GroupKind, tuple[GroupKind, ...]] = {
    DEPLOYMENT: (REPLICA_SET,),
    REPLICA_SET: (POD,),
    STATEFUL_SET: (POD,),
    DAEMON_SET: (POD,),
    JOB: (POD,),
    CRON_JOB: (JOB,),
}
"""Kinds whose objects are created by a controller for a parent, one level down (owner references)."""


def with_tree_children(kinds: Iterable[GroupKind]) -> frozenset[GroupKind]:
    """`kinds` plus every kind the tree may show under them (transitively: CronJob → Job → Pod)."""
    found = set(kinds)
    pending = list(found)
    while pending:
        for child in TREE_CHILDREN.get(pending.pop(), ()):
            if child not in found:
                found.add(child)
                pending.append(child)
    return frozenset(found)
