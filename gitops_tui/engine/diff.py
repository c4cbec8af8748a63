"""Compare one resource: desired (from Git) against live (from the cluster).

The comparison is between the live object and the *predicted* live object: what the cluster
would hold after applying the desired one. The best prediction is the server's own (a
server-side dry-run apply); where there is none, `predict_locally` overlays the desired object
on the live one, so fields only the server set (defaults) are kept and never count as drift.
Plain equality decides; deepdiff only explains what differs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import yaml

from gitops_tui.engine.ignore import adopt_managed_fields, apply_rules, matching_rules
from gitops_tui.engine.masking import SecretMasker
from gitops_tui.engine.normalize import normalize, same_quantity
from gitops_tui.model import IgnoreDifference, ResourceKey, SyncStatus

MISSING = "missing from the cluster"
EXTRANEOUS = "not in Git any more (requires pruning)"
MODIFIED = "differs from Git"

# Lists the API merges by key rather than replacing whole; matched by field name.
_MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "imagePullSecrets": "name",
    "hostAliases": "ip",
}
_PORT_KEYS = ("containerPort", "port")
_Dumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml's emitter: ~10x faster


@dataclass(frozen=True)
class Change:
    path: str
    """Readable path: `spec.template.spec.containers[web].image`."""
    live: Any
    desired: Any


@dataclass(frozen=True)
class ResourceDiff:
    key: ResourceKey
    status: SyncStatus
    reason: str = ""
    """Empty when Synced; MISSING, EXTRANEOUS, MODIFIED, or why the comparison failed."""
    live: Mapping[str, Any] | None = field(default=None, repr=False)
    desired: Mapping[str, Any] | None = field(default=None, repr=False)
    """The two normalised, masked documents (desired = the predicted live object)."""

    @property
    def in_sync(self) -> bool:
        return self.status is SyncStatus.SYNCED

    # The field-by-field explanation (deepdiff) is made only when asked for: a compare pass and the
    # `diff`/`status` commands never need it, and deepdiff is slow to import and to run.
    @cached_property
    def changes(self) -> tuple[Change, ...]:
        if self.reason != MODIFIED or self.live is None or self.desired is None:
            return ()
        return tuple(describe_changes(self.live, self.desired))

    # YAML is made only when a view asks for it: most resources of most apps are never shown.
    @cached_property
    def live_yaml(self) -> str:
        return to_yaml(self.live)

    @cached_property
    def desired_yaml(self) -> str:
        return to_yaml(self.desired)


def compare_resource(
    key: ResourceKey,
    desired: Mapping[str, Any] | None,
    live: Mapping[str, Any] | None,
    *,
    predicted: Mapping[str, Any] | None = None,
    ignore: Sequence[IgnoreDifference] = (),
    masker: SecretMasker | None = None,
) -> ResourceDiff:
    """`predicted` is the server's dry-run result when the caller has one."""
    masker = masker or SecretMasker()
    if desired is None and live is None:
        return ResourceDiff(key, SyncStatus.UNKNOWN, "neither in Git nor in the cluster")
    if live is None:
        return ResourceDiff(key, SyncStatus.OUT_OF_SYNC, MISSING, desired=masker.mask(normalize(desired)))
    if desired is None:
        return ResourceDiff(key, SyncStatus.OUT_OF_SYNC, EXTRANEOUS, live=masker.mask(normalize(live)))
    target = predicted if predicted is not None else predict_locally(live, desired)
    rules = matching_rules(ignore, key)
    managers = [m for rule in rules for m in rule.managed_fields_managers]
    if managers:
        target = adopt_managed_fields(dict(target), live, managers)
    live_n = apply_rules(rules, normalize(live))
    target_n = apply_rules(rules, normalize(target))
    live_shown, target_shown = masker.mask(live_n), masker.mask(target_n)
    if live_n == target_n:
        return ResourceDiff(key, SyncStatus.SYNCED, live=live_shown, desired=target_shown)
    return ResourceDiff(key, SyncStatus.OUT_OF_SYNC, MODIFIED, live=live_shown, desired=target_shown)


def predict_locally(live: Mapping[str, Any], desired: Mapping[str, Any]) -> dict[str, Any]:
    """The live object with every field the desired object sets laid over it."""
    return _overlay(live, desired, "")


def _overlay(live: Any, desired: Any, field: str) -> Any:
    if isinstance(live, Mapping) and isinstance(desired, Mapping):
        merged = dict(live)
        for name, value in desired.items():
            merged[name] = _overlay(live[name], value, name) if name in live else value
        return merged
    if isinstance(live, list) and isinstance(desired, list):
        key = _list_key(field, live, desired)
        if key is None:
            return desired  # an atomic list: the desired one replaces the live one whole
        by_key = {item.get(key): item for item in live}
        merged_items = [_overlay(by_key[i.get(key)], i, "") if i.get(key) in by_key else i for i in desired]
        wanted = {i.get(key) for i in desired}
        # Items others added (a sidecar injected by a webhook) stay: only what Git sets counts.
        return merged_items + [item for item in live if item.get(key) not in wanted]
    if same_quantity(live, desired) and isinstance(live, str):
        return live  # `1000m` in Git and `1` on the server are the same quantity
    return desired


def _list_key(field: str, live: list[Any], desired: list[Any]) -> str | None:
    items = [*live, *desired]
    if not items or not all(isinstance(i, Mapping) for i in items):
        return None
    if field == "ports":
        return next((k for k in _PORT_KEYS if all(k in i for i in items)), None)
    key = _MERGE_KEYS.get(field)
    return key if key and all(key in i for i in items) else None


def describe_changes(live: Mapping[str, Any], desired: Mapping[str, Any]) -> list[Change]:
    from deepdiff import DeepDiff  # only what differs is explained, so only then is deepdiff loaded

    diff = DeepDiff(live, desired, view="tree", verbose_level=2)
    changes = []
    for group in diff.values():
        for level in group:
            steps = level.path(output_format="list")
            live_value = None if _absent(level.t1) else level.t1
            desired_value = None if _absent(level.t2) else level.t2
            changes.append(Change(_readable_path(live, desired, steps), live_value, desired_value))
    return sorted(changes, key=lambda c: c.path)


def _absent(value: Any) -> bool:
    return type(value).__name__ == "NotPresent"


def _readable_path(live: Any, desired: Any, steps: list[Any]) -> str:
    """`spec.template.spec.containers[web].image` rather than `['spec']...[0]['image']`."""
    parts: list[str] = []
    nodes = [live, desired]
    for step in steps:
        if isinstance(step, int):
            names = [
                n[step].get("name")
                for n in nodes
                if isinstance(n, list) and step < len(n) and isinstance(n[step], Mapping)
            ]
            name = next((n for n in names if n), None)
            parts.append(f"[{name}]" if name else f"[{step}]")
        else:
            parts.append(f".{step}" if parts else str(step))
        nodes = [_child(n, step) for n in nodes]
    return "".join(parts)


def _child(node: Any, step: Any) -> Any:
    if isinstance(node, Mapping):
        return node.get(step)
    if isinstance(node, list) and isinstance(step, int) and step < len(node):
        return node[step]
    return None


def to_yaml(obj: Mapping[str, Any] | None) -> str:
    """Sorted keys, block style: the two sides of a diff line up as `kubectl get -o yaml` prints them."""
    if obj is None:
        return ""
    return yaml.dump(obj, Dumper=_Dumper, sort_keys=True, default_flow_style=False, allow_unicode=True)
