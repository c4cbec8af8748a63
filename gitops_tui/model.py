"""Value types shared by every room: frozen dataclasses and enums, stdlib only.

Names and values follow Argo CD where users already know them (sync and health
statuses, Application fields), so what the console shows means what it means there.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

JSON = dict[str, Any]


class SyncStatus(enum.StrEnum):
    SYNCED = "Synced"
    OUT_OF_SYNC = "OutOfSync"
    UNKNOWN = "Unknown"


class HealthStatus(enum.StrEnum):
    """Argo CD's health statuses, declared from best to worst.

    An app's health is the worst of its resources' in this order.
    """

    HEALTHY = "Healthy"
    SUSPENDED = "Suspended"
    PROGRESSING = "Progressing"
    MISSING = "Missing"
    DEGRADED = "Degraded"
    UNKNOWN = "Unknown"

    @property
    def severity(self) -> int:
        return _HEALTH_ORDER.index(self)


_HEALTH_ORDER = list(HealthStatus)


class ResourceKey(NamedTuple):
    """Identifies one Kubernetes object. `group` is "" for the core API group.

    A named tuple, not a dataclass: keys are hashed and compared on every cache lookup and compare pass
    (about 40 lookups an app a pass), and a tuple's hash and equality run in C, a dataclass's in Python.
    """

    group: str
    kind: str
    namespace: str
    name: str

    @classmethod
    def of(cls, obj: Mapping[str, Any]) -> ResourceKey:
        api_version = str(obj.get("apiVersion") or "")
        group = api_version.rpartition("/")[0] if "/" in api_version else ""
        meta = obj.get("metadata") or {}
        return cls(group, str(obj.get("kind") or ""), str(meta.get("namespace") or ""), str(meta.get("name") or ""))

    def __str__(self) -> str:
        group_kind = f"{self.kind}.{self.group}" if self.group else self.kind
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{group_kind} {where}{self.name}"


@dataclass(frozen=True)
class Origin:
    """Where a definition came from, for error messages: `apps/prod.yaml#2`."""

    path: str
    index: int = 0

    def __str__(self) -> str:
        return f"{self.path}#{self.index}"


@dataclass(frozen=True)
class HelmParameter:
    name: str
    value: str
    force_string: bool = False


@dataclass(frozen=True)
class HelmSource:
    release_name: str = ""
    value_files: tuple[str, ...] = ()
    values: str = ""
    """Inline values as a YAML string (`spec.source.helm.values`)."""
    values_object: Mapping[str, Any] | None = None
    parameters: tuple[HelmParameter, ...] = ()


@dataclass(frozen=True)
class KustomizeSource:
    name_prefix: str = ""
    name_suffix: str = ""
    namespace: str = ""
    images: tuple[str, ...] = ()
    common_labels: Mapping[str, str] = field(default_factory=dict)
    common_annotations: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DirectorySource:
    recurse: bool = False
    include: str = ""
    exclude: str = ""


@dataclass(frozen=True)
class AppSource:
    repo_url: str
    path: str = "."
    target_revision: str = "HEAD"
    directory: DirectorySource | None = None
    kustomize: KustomizeSource | None = None
    helm: HelmSource | None = None


@dataclass(frozen=True)
class Destination:
    server: str = ""
    name: str = ""
    namespace: str = ""


@dataclass(frozen=True)
class RetryStrategy:
    """`syncPolicy.retry`; the defaults are the console's (DESIGN.md: 5 s x 2 up to 3 min)."""

    limit: int = 5
    backoff_duration_seconds: float = 5.0
    backoff_factor: float = 2.0
    backoff_max_duration_seconds: float = 180.0


@dataclass(frozen=True)
class SyncPolicy:
    automated: bool = False
    prune: bool = False
    self_heal: bool = False
    allow_empty: bool = False
    sync_options: tuple[str, ...] = ()
    retry: RetryStrategy | None = None

    def has_option(self, option: str) -> bool:
        """`has_option("CreateNamespace=true")`: Argo CD compares options case-insensitively."""
        return option.lower() in (o.lower() for o in self.sync_options)


@dataclass(frozen=True)
class IgnoreDifference:
    group: str = ""
    kind: str = ""
    name: str = ""
    namespace: str = ""
    json_pointers: tuple[str, ...] = ()
    jq_path_expressions: tuple[str, ...] = ()
    managed_fields_managers: tuple[str, ...] = ()


@dataclass(frozen=True)
class AppSpec:
    """One Argo CD `Application`, as the console understands it."""

    name: str
    source: AppSource
    destination: Destination
    project: str = "default"
    namespace: str = ""
    """The Application's own metadata.namespace (argocd in most installations)."""
    sync_policy: SyncPolicy = field(default_factory=SyncPolicy)
    ignore_differences: tuple[IgnoreDifference, ...] = ()
    revision_history_limit: int = 10
    origin: Origin = field(default_factory=lambda: Origin("<memory>"))
    manifest: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """The document as written, unknown fields included, so nothing the user wrote is lost."""


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    author: str
    author_email: str
    date: datetime
    subject: str

    @property
    def short_sha(self) -> str:
        return self.sha[:7]


@dataclass(frozen=True)
class Health:
    """A health verdict with the message that explains it (`Deployment "web" exceeded its progress deadline`)."""

    status: HealthStatus
    message: str = ""


@dataclass(frozen=True)
class ResourceState:
    """One resource of an app: in Git, in the cluster, or both."""

    key: ResourceKey
    sync: SyncStatus
    health: Health | None = None
    """None for kinds without a health check (ConfigMap, Secret, ...)."""
    reason: str = ""
    """Why it is OutOfSync or Unknown, in words."""
    hook: bool = False
    requires_pruning: bool = False
    in_git: bool = True
    in_cluster: bool = True


@dataclass(frozen=True)
class AppState:
    """One app as last compared: an immutable snapshot the UI and CLI read."""

    spec: AppSpec
    sync: SyncStatus
    health: Health
    revision: CommitInfo | None = None
    """The target revision resolved to a commit; None when it could not be resolved."""
    resources: tuple[ResourceState, ...] = ()
    error: str = ""
    """What prevented a full comparison (render error, unreachable cluster), naming file or resource."""
    compared_at: datetime | None = None

    @property
    def name(self) -> str:
        return self.spec.name


# ---- the reconciler's outputs: events, operations, history, freshness --------------------------------------


class Severity(enum.StrEnum):
    INFO = "Info"
    WARNING = "Warning"
    ERROR = "Error"


@dataclass(frozen=True)
class Event:
    """One line of the console's event log: `guestbook: OutOfSync → Synced`."""

    at: datetime
    app: str
    """"" for events about no single app (a cluster unreachable)."""
    severity: Severity
    message: str
    seq: int = 0
    """Increases by one per recorded event, so a reader can ask for what it has not seen yet."""


class OperationPhase(enum.StrEnum):
    RUNNING = "Running"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    """The sync ran and something it applied was refused or did not become healthy."""
    ERROR = "Error"
    """The sync could not run at all (no executor, the cluster unreachable, the revision gone)."""
    TERMINATING = "Terminating"
    """The user asked to stop it; it stops between steps, then ends Failed ("terminated by user")."""
    INTERRUPTED = "Interrupted"
    """The console stopped while it ran: what it wrote is unknown to be complete (never counted as succeeded)."""

    @property
    def completed(self) -> bool:
        return self not in (OperationPhase.RUNNING, OperationPhase.TERMINATING)


@dataclass(frozen=True)
class Operation:
    """A sync or rollback of one app, as the UI shows it while it runs and after."""

    id: int
    app: str
    kind: str
    """"sync" or "rollback"."""
    revision: str
    """The commit SHA being deployed ("" when it could not be resolved)."""
    initiated_by: str
    """"user" or "automated" (auto-sync and self-heal)."""
    started_at: datetime
    phase: OperationPhase = OperationPhase.RUNNING
    message: str = ""
    finished_at: datetime | None = None
    dry_run: bool = False
    prune: bool = False
    results: tuple[ResourceResult, ...] = ()
    """What happened to each resource so far, in the order it happened (engine/sync.py fills it)."""


@dataclass(frozen=True)
class HistoryEntry:
    """One successful, non-dry-run, full sync (DESIGN.md "History")."""

    id: int
    revision: str
    deployed_at: datetime
    initiated_by: str
    author: str = ""
    subject: str = ""


@dataclass(frozen=True)
class AppActivity:
    """What the reconciler is doing about one app, beside its compared state."""

    next_poll_at: datetime | None
    """When Git is polled next (the UI counts down to it); None while a poll runs."""
    last_polled_at: datetime | None
    auto_sync: bool
    """Automated sync is configured and not switched off (by the user, or paused by a rollback)."""
    auto_sync_note: str = ""
    """Why automated sync is off or held back ("paused after rollback to 1a2b3c4"), for the UI to say."""
    operation: Operation | None = None
    """The running operation, else the last one."""
    auto_sync_by: str = ""
    """Another console (its id) runs this app's automated syncs; this one only watches (auto_sync_note says
    so in words). "" when this console does, or when nothing coordinates consoles."""
    read_only_reason: str = ""
    """Why writes to this app are refused by its context ("context prod is read-only in ~/.config/…"), else "".

    The console-wide read-only mode is the reconciler's `settings.read_only`, not repeated here."""
    progress: str = ""
    """Long Git work running for the app's repository ("cloning https://… 45% (receiving objects 1200/2700)")."""


@dataclass(frozen=True)
class ClusterFreshness:
    """The header's view of one cluster: reachable, and how old its freshest news is."""

    context: str
    reachable: bool | None
    """None before the first request."""
    newest_event_age: float | None
    """Seconds since the cache last heard from the cluster (list, event or bookmark); None before any."""
    synced: bool
    error: str = ""


@dataclass(frozen=True)
class Changes:
    """What changed since a subscriber's last delivery (at most ~10 deliveries a second)."""

    apps: frozenset[str] = frozenset()
    events: bool = False
    """New events were recorded."""
    clusters: bool = False
    """A cluster's reachability or watch state changed."""


# ---- sync execution: per-resource results (engine/sync.py) -------------------------------------------------


class ResourceAction(enum.StrEnum):
    CREATED = "created"
    CONFIGURED = "configured"
    REPLACED = "replaced"
    """Replace=true: the whole object written with a PUT (or deleted and created, with Force=true)."""
    UNCHANGED = "unchanged"
    PRUNED = "pruned"
    FAILED = "failed"


@dataclass(frozen=True)
class ResourceResult:
    """What a sync did to one resource (or, in a dry run, what it would do: `Operation.dry_run`)."""

    key: ResourceKey
    action: ResourceAction
    message: str = ""
    phase: str = "Sync"
    """PreSync, Sync, PostSync or SyncFail."""
    wave: int = 0
    hook: bool = False
    at: datetime | None = None
    """When the step finished (applied, became healthy, or was deleted)."""
