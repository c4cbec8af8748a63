"""Build `schema.json` (protobuf field numbers of the built-in kinds) from Kubernetes' .proto files.

Not imported at run time. Run it against checkouts of kubernetes/api and kubernetes/apimachinery:

    python -m gitops_tui.sandbox.wire.generate_schema API_DIR APIMACHINERY_DIR

The output maps each reachable message to {field number: [json name, type, repeated]}: the facts
the wire decoder needs, nothing else (comments, options and unreachable messages are left out).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

API_FILES = {
    "k8s.io.api.core.v1": "core/v1",
    "k8s.io.api.apps.v1": "apps/v1",
    "k8s.io.api.batch.v1": "batch/v1",
    "k8s.io.api.networking.v1": "networking/v1",
    "k8s.io.api.rbac.v1": "rbac/v1",
    "k8s.io.api.policy.v1": "policy/v1",
    "k8s.io.api.coordination.v1": "coordination/v1",
    "k8s.io.api.autoscaling.v1": "autoscaling/v1",
    "k8s.io.api.autoscaling.v2": "autoscaling/v2",
    "k8s.io.api.authorization.v1": "authorization/v1",
}
MACHINERY_FILES = {
    "k8s.io.apimachinery.pkg.apis.meta.v1": "pkg/apis/meta/v1",
    "k8s.io.apimachinery.pkg.util.intstr": "pkg/util/intstr",
    "k8s.io.apimachinery.pkg.api.resource": "pkg/api/resource",
    "k8s.io.apimachinery.pkg.runtime": "pkg/runtime",
    "k8s.io.apimachinery.pkg.runtime.schema": "pkg/runtime/schema",
}
ROOTS = [
    "core.v1.ConfigMap",
    "core.v1.Secret",
    "core.v1.Namespace",
    "core.v1.ServiceAccount",
    "core.v1.Service",
    "core.v1.Pod",
    "core.v1.PersistentVolumeClaim",
    "core.v1.Endpoints",
    "apps.v1.Deployment",
    "apps.v1.StatefulSet",
    "apps.v1.DaemonSet",
    "apps.v1.ReplicaSet",
    "batch.v1.Job",
    "batch.v1.CronJob",
    "networking.v1.Ingress",
    "networking.v1.NetworkPolicy",
    "rbac.v1.Role",
    "rbac.v1.RoleBinding",
    "rbac.v1.ClusterRole",
    "rbac.v1.ClusterRoleBinding",
    "policy.v1.PodDisruptionBudget",
    "coordination.v1.Lease",
    "autoscaling.v1.HorizontalPodAutoscaler",
    "autoscaling.v2.HorizontalPodAutoscaler",
    "autoscaling.v1.Scale",
    "authorization.v1.SelfSubjectAccessReview",
]
SCALARS = {
    "string",
    "bytes",
    "bool",
    "int32",
    "int64",
    "uint32",
    "uint64",
    "double",
    "float",
    "sint32",
    "sint64",
    "fixed32",
    "fixed64",
}
FIELD = re.compile(r"^\s*(optional|repeated)?\s*(map<\s*(\S+)\s*,\s*(\S+)\s*>|\S+)\s+(\w+)\s*=\s*(\d+)")


def parse(text: str, package: str) -> dict[str, dict[str, list]]:
    messages: dict[str, dict[str, list]] = {}
    current = None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("//") or not stripped:
            continue
        if stripped.startswith("message "):
            current = f"{package}.{stripped.split()[1]}"
            messages[current] = {}
            continue
        if stripped == "}":
            current = None
            continue
        match = FIELD.match(line) if current else None
        if match:
            label, type_, key, value, name, number = match.groups()
            type_ = f"map:{key}:{_resolve(value, package)}" if key else _resolve(type_, package)
            messages[current][number] = [name, type_, 1 if label == "repeated" else 0]
    return messages


def _resolve(type_: str, package: str) -> str:
    if type_ in SCALARS:
        return type_
    return "m:" + (type_.lstrip(".") if type_.startswith(".") else f"{package}.{type_}")


def main(argv: list[str]) -> int:
    api, machinery = Path(argv[0]), Path(argv[1])
    messages: dict[str, dict[str, list]] = {}
    for package, folder in API_FILES.items():
        messages.update(parse((api / folder / "generated.proto").read_text(), package))
    for package, folder in MACHINERY_FILES.items():
        messages.update(parse((machinery / folder / "generated.proto").read_text(), package))
    reachable: dict[str, dict[str, list]] = {}
    pending = [f"k8s.io.api.{root}" for root in ROOTS] + ["k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions"]
    while pending:
        name = pending.pop()
        if name in reachable or name not in messages:
            continue
        reachable[name] = messages[name]
        for _field, type_, _rep in messages[name].values():
            target = type_.rsplit(":", 1)[-1] if type_.startswith("map:") else type_
            if target.startswith("m:"):
                pending.append(target[2:])
    out = Path(__file__).with_name("schema.json")
    out.write_text(json.dumps(dict(sorted(reachable.items())), separators=(",", ":")) + "\n")
    print(f"{len(reachable)} messages -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
