"""Merge semantics of object fields, shared by strategic merge patch and server-side apply.

The real API server reads these from the OpenAPI schema of each built-in type (Go struct tags
``patchStrategy``/``patchMergeKey`` for strategic merge patch, ``+listType``/``+listMapKey``/
``+structType``/``+mapType`` for server-side apply). We carry a hand-written subset: only the places
where the answer differs from the default for schema-less custom resources, which is what the real
server does for a CRD without ``x-kubernetes-*`` extensions: lists are atomic, objects are granular.

Paths are tuples of field names; list items are skipped (``("spec", "containers", "ports")`` is the
ports list of any container), so a path names a schema position, not a value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

ListKind = Literal["map", "set", "atomic"]
NodeKind = Literal["struct", "map", "atomic", "list"]

_EMPTY: Mapping[str, object] = MappingProxyType({})


@dataclass(frozen=True)
class ListSpec:
    """How one list field merges.

    ``kind``/``keys`` drive server-side apply (``+listType``/``+listMapKey``); ``patch_merge_key`` and
    ``patch_merge`` drive strategic merge patch (``patchMergeKey``/``patchStrategy=merge``). The two
    disagree in places (Job conditions are merged by SMP but atomic for apply; container ports have one
    SMP key but two apply keys), which is why both are recorded.
    """

    kind: ListKind = "atomic"
    keys: tuple[str, ...] = ()
    patch_merge_key: str | None = None
    patch_merge: bool = False
    # Key fields the schema defaults (container/service port protocol), so items that omit them still
    # have an identity; the real server uses the OpenAPI default for the same reason.
    key_defaults: tuple[tuple[str, object], ...] = ()


@dataclass(frozen=True, eq=False)
class Node:
    """One position in an object's schema."""

    kind: NodeKind
    fields: Mapping[str, Node] = field(default_factory=dict)  # struct: declared fields; undeclared ones are UNKNOWN
    elem: Node | None = None  # map values and list items
    list: ListSpec | None = None

    def child(self, name: str) -> Node:
        """The schema of field (or map entry) ``name`` of a value at this position."""
        if self.kind == "struct":
            return self.fields.get(name, UNKNOWN)
        if self.kind == "map":
            return self.elem or UNKNOWN
        return UNKNOWN

    def item(self) -> Node:
        """The schema of the items of a list at this position."""
        return (self.elem or UNKNOWN) if self.kind == "list" else UNKNOWN

    @property
    def has_named_fields(self) -> bool:
        """Whether the keys of an object here are struct fields (rather than keys of a map)."""
        return self.kind == "struct"

    @property
    def list_spec(self) -> ListSpec:
        return self.list if self.kind == "list" and self.list else ATOMIC_LIST


ATOMIC_LIST = ListSpec()
# A position we know nothing about: objects merge field by field, lists are replaced whole.
UNKNOWN = Node("struct")
ATOMIC = Node("atomic")
SCALAR_MAP = Node("map")
ATOMIC_MAP = ATOMIC  # +mapType=atomic maps and +structType=atomic structs behave alike


def struct(**fields: Node) -> Node:
    return Node("struct", fields=MappingProxyType(dict(fields)))


def keyed_list(
    *keys: str, elem: Node = UNKNOWN, patch_key: str | None = None, key_defaults: Mapping[str, object] = _EMPTY
) -> Node:
    """A ``+listType=map`` list that strategic merge patch also merges by (its first) key."""
    spec = ListSpec("map", tuple(keys), patch_key or keys[0], True, tuple(key_defaults.items()))
    return Node("list", elem=elem, list=spec)


def set_list() -> Node:
    return Node("list", list=ListSpec("set", (), None, True))


def smp_only_keyed_list(patch_key: str) -> Node:
    """Atomic for apply, but strategic merge patch merges it by ``patch_key``."""
    return Node("list", list=ListSpec("atomic", (), patch_key, True))


_TCP = {"protocol": "TCP"}

OBJECT_META = struct(
    labels=SCALAR_MAP,
    annotations=SCALAR_MAP,
    finalizers=set_list(),
    ownerReferences=keyed_list("uid", elem=ATOMIC),  # OwnerReference is +structType=atomic
    managedFields=ATOMIC,
)

_ENV_VAR = struct(
    valueFrom=struct(
        secretKeyRef=ATOMIC, configMapKeyRef=ATOMIC, fieldRef=ATOMIC, resourceFieldRef=ATOMIC, fileKeyRef=ATOMIC
    ),
)

_RESOURCES = struct(limits=SCALAR_MAP, requests=SCALAR_MAP, claims=keyed_list("name"))

CONTAINER = struct(
    ports=keyed_list("containerPort", "protocol", key_defaults=_TCP),
    env=keyed_list("name", elem=_ENV_VAR),
    volumeMounts=keyed_list("mountPath"),
    volumeDevices=keyed_list("devicePath"),
    resources=_RESOURCES,
)

POD_SPEC = struct(
    containers=keyed_list("name", elem=CONTAINER),
    initContainers=keyed_list("name", elem=CONTAINER),
    ephemeralContainers=keyed_list("name", elem=CONTAINER),
    volumes=keyed_list("name"),
    imagePullSecrets=keyed_list("name", elem=ATOMIC),  # LocalObjectReference is +structType=atomic
    hostAliases=keyed_list("ip"),
    topologySpreadConstraints=keyed_list(
        "topologyKey", "whenUnsatisfiable", elem=struct(labelSelector=ATOMIC), patch_key="topologyKey"
    ),
    resourceClaims=keyed_list("name"),
    schedulingGates=keyed_list("name"),
    nodeSelector=ATOMIC_MAP,
    affinity=struct(nodeAffinity=struct(requiredDuringSchedulingIgnoredDuringExecution=ATOMIC)),
    overhead=SCALAR_MAP,
)

POD_TEMPLATE = struct(metadata=OBJECT_META, spec=POD_SPEC)
_CONDITIONS = keyed_list("type")
_STATUS_WITH_CONDITIONS = struct(conditions=_CONDITIONS)

_JOB_SPEC = struct(selector=ATOMIC, template=POD_TEMPLATE)


def _root(**fields: Node) -> Node:
    return struct(metadata=OBJECT_META, **fields)


def _workload(**spec_fields: Node) -> Node:
    return _root(
        spec=struct(selector=ATOMIC, template=POD_TEMPLATE, **spec_fields),
        status=_STATUS_WITH_CONDITIONS,
    )


# (API group, kind) -> schema of the whole object. Core group is "".
_KIND_SCHEMAS: dict[tuple[str, str], Node] = {
    ("", "Pod"): _root(
        spec=POD_SPEC,
        status=struct(conditions=_CONDITIONS, podIPs=keyed_list("ip"), hostIPs=smp_only_keyed_list("ip")),
    ),
    ("", "PodTemplate"): _root(template=POD_TEMPLATE),
    ("", "ReplicationController"): _root(
        spec=struct(selector=ATOMIC_MAP, template=POD_TEMPLATE), status=_STATUS_WITH_CONDITIONS
    ),
    ("", "Service"): _root(
        spec=struct(
            ports=keyed_list("port", "protocol", key_defaults=_TCP),
            selector=ATOMIC_MAP,
        ),
        status=struct(conditions=_CONDITIONS),
    ),
    ("", "ConfigMap"): _root(data=SCALAR_MAP, binaryData=SCALAR_MAP),
    ("", "Secret"): _root(data=SCALAR_MAP, stringData=SCALAR_MAP),
    ("", "ServiceAccount"): _root(secrets=keyed_list("name", elem=ATOMIC)),
    ("", "PersistentVolumeClaim"): _root(
        spec=struct(selector=ATOMIC, resources=_RESOURCES), status=_STATUS_WITH_CONDITIONS
    ),
    ("", "Namespace"): _root(status=_STATUS_WITH_CONDITIONS),
    ("", "Node"): _root(
        spec=struct(podCIDRs=set_list()),
        status=struct(conditions=_CONDITIONS, addresses=keyed_list("type")),
    ),
    ("apps", "Deployment"): _workload(),
    ("apps", "ReplicaSet"): _workload(),
    ("apps", "StatefulSet"): _workload(),
    ("apps", "DaemonSet"): _workload(),
    # Job conditions are merged by type in strategic merge patch, yet declared atomic for apply.
    ("batch", "Job"): _root(spec=_JOB_SPEC, status=struct(conditions=smp_only_keyed_list("type"))),
    ("batch", "CronJob"): _root(spec=struct(jobTemplate=struct(metadata=OBJECT_META, spec=_JOB_SPEC))),
    ("policy", "PodDisruptionBudget"): _root(spec=struct(selector=ATOMIC), status=_STATUS_WITH_CONDITIONS),
    ("networking.k8s.io", "NetworkPolicy"): _root(spec=struct(podSelector=ATOMIC)),
    ("rbac.authorization.k8s.io", "RoleBinding"): _root(roleRef=ATOMIC),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"): _root(roleRef=ATOMIC),
    ("autoscaling", "HorizontalPodAutoscaler"): _root(
        spec=struct(scaleTargetRef=ATOMIC), status=_STATUS_WITH_CONDITIONS
    ),
}

# Anything else (custom resources, kinds we have not described): only ObjectMeta is known.
CUSTOM_RESOURCE = _root()


def api_group(api_version: str) -> str:
    return api_version.rpartition("/")[0] if "/" in api_version else ""


def schema_for(api_version: str, kind: str) -> Node:
    """The schema of a whole object of this type (ObjectMeta-only for unknown types)."""
    return _KIND_SCHEMAS.get((api_group(api_version), kind), CUSTOM_RESOURCE)


def schema_of(obj: Mapping[str, object] | None) -> Node:
    if not obj:
        return CUSTOM_RESOURCE
    return schema_for(str(obj.get("apiVersion", "")), str(obj.get("kind", "")))


def node_at(root: Node, path: tuple[str, ...]) -> Node:
    """Walk field names from ``root``; list levels are stepped through transparently."""
    node = root
    for name in path:
        while node.kind == "list":
            node = node.item()
        node = node.child(name)
    return node


def list_type(path: tuple[str, ...], api_version: str = "", kind: str = "") -> ListSpec:
    """The list semantics of the field at ``path`` in an object of the given type.

    >>> list_type(("spec", "template", "spec", "containers", "ports"), "apps/v1", "Deployment").keys
    ('containerPort', 'protocol')
    """
    node = node_at(schema_for(api_version, kind), path)
    return node.list_spec if node.kind == "list" else ATOMIC_LIST


def is_atomic(path: tuple[str, ...], api_version: str = "", kind: str = "") -> bool:
    """Whether the object/map at ``path`` is replaced and owned as a whole (``+structType=atomic``)."""
    return node_at(schema_for(api_version, kind), path).kind == "atomic"


@dataclass(frozen=True)
class TypedEmpty:
    """What a freshly constructed empty object of a built-in kind already contains.

    The real server compares against a decoded Go struct on create, where non-pointer structs are
    present-but-empty and some lists present-but-null; that is why ``f:spec`` of a created Deployment
    has no ``.`` entry while a created custom resource's does. Used by ``record_update`` on create.
    """

    structs: tuple[tuple[str, ...], ...] = ()
    nulls: tuple[tuple[str, ...], ...] = ()

    def skeleton(self) -> dict:
        out: dict = {"metadata": {}}
        for path in (*self.structs, *self.nulls):
            node = out
            for name in path[:-1]:
                node = node.setdefault(name, {})
            node.setdefault(path[-1], None if path in self.nulls else {})
        return out


def _pod_template_at(*prefix: str) -> tuple[tuple[tuple[str, ...], ...], tuple[tuple[str, ...], ...]]:
    # Go serialises a zero creationTimestamp as null, so it is "present" in the empty object too.
    return ((*prefix, "metadata"), (*prefix, "spec")), (
        (*prefix, "spec", "containers"),
        (*prefix, "metadata", "creationTimestamp"),
    )


_TEMPLATE_STRUCTS, _TEMPLATE_NULLS = _pod_template_at("spec", "template")
_CRON_STRUCTS, _CRON_NULLS = _pod_template_at("spec", "jobTemplate", "spec", "template")
_EMPTY_SHAPES: dict[tuple[str, str], TypedEmpty] = {
    ("", "Pod"): TypedEmpty((("spec",), ("status",)), (("spec", "containers"),)),
    ("", "Service"): TypedEmpty((("spec",), ("status", "loadBalancer"))),
    ("", "PersistentVolumeClaim"): TypedEmpty((("spec", "resources"), ("status",))),
    ("", "Namespace"): TypedEmpty((("spec",), ("status",))),
    ("", "ReplicationController"): TypedEmpty((("spec",), ("status",))),
    ("apps", "Deployment"): TypedEmpty((*_TEMPLATE_STRUCTS, ("spec", "strategy"), ("status",)), _TEMPLATE_NULLS),
    ("apps", "ReplicaSet"): TypedEmpty((*_TEMPLATE_STRUCTS, ("status",)), _TEMPLATE_NULLS),
    ("apps", "StatefulSet"): TypedEmpty((*_TEMPLATE_STRUCTS, ("spec", "updateStrategy"), ("status",)), _TEMPLATE_NULLS),
    ("apps", "DaemonSet"): TypedEmpty((*_TEMPLATE_STRUCTS, ("spec", "updateStrategy"), ("status",)), _TEMPLATE_NULLS),
    ("batch", "Job"): TypedEmpty((*_TEMPLATE_STRUCTS, ("status",)), _TEMPLATE_NULLS),
    ("batch", "CronJob"): TypedEmpty(
        (*_CRON_STRUCTS, ("spec", "jobTemplate", "metadata"), ("status",)),
        (*_CRON_NULLS, ("spec", "jobTemplate", "metadata", "creationTimestamp")),
    ),
}


def empty_object(api_version: str, kind: str) -> dict:
    """What a newly constructed object of this type looks like before any field is set."""
    return _EMPTY_SHAPES.get((api_group(api_version), kind), TypedEmpty()).skeleton()
