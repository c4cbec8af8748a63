"""Argo CD's other ways of writing an object (sync options Replace=true and ServerSideApply=false), beside
the server-side apply that ClusterClient (client.py) uses by default.

A mixin of ClusterClient: each is a read-modify-write with the live resourceVersion as precondition,
repeated on a conflict, so a write made meanwhile is never overwritten unseen.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .errors import ConflictError, Target
from .merge_patch import last_applied, three_way_patch, with_last_applied

if TYPE_CHECKING:
    from gitops_tui.model import ResourceKey

    from .client import ClientSettings
    from .discovery import ApiResource

MERGE_PATCH = "application/merge-patch+json"


class ClientSideWrites:
    """`replace` and `apply_client_side`, on ClusterClient's requests."""

    settings: ClientSettings

    if TYPE_CHECKING:  # provided by ClusterClient

        def get(self, key: ResourceKey) -> dict[str, Any] | None: ...
        def create(self, obj: Mapping[str, Any], *, app: str | None = None, dry_run: bool = False,
                   validate: bool = True) -> dict[str, Any]: ...  # fmt: skip
        def request_json(self, method: str, path: str, target: Target, **kwargs: Any) -> dict[str, Any]: ...
        def _write_body(self, obj: Mapping[str, Any], app: str | None, verb: str,
                        dry_run: bool) -> tuple[ApiResource, ResourceKey, dict[str, Any]]: ...  # fmt: skip
        def _write_query(self, dry_run: bool, validate: bool) -> list[tuple[str, Any]]: ...

    def replace(
        self, obj: Mapping[str, Any], *, app: str | None = None, dry_run: bool = False, validate: bool = True
    ) -> tuple[str, dict[str, Any]]:
        """Argo CD's Replace=true (`kubectl replace`, or create when missing): the object becomes exactly what
        is given, whoever owned its fields. PUT with the live resourceVersion, so a write made meanwhile is
        never overwritten unseen: on a conflict the object is read again and the PUT repeated.
        Returns ("replaced" or "created", the object)."""
        resource, key, body = self._write_body(obj, app, "replace", dry_run)
        target = Target("update", resource.group_resource, key.name, key.namespace)
        for attempt in range(1, self.settings.max_retries + 2):
            live = self.get(key)
            try:
                if live is None:  # created by someone else meanwhile: 409, and the next round replaces it
                    return "created", self.create(obj, app=app, dry_run=dry_run, validate=validate)
                body["metadata"]["resourceVersion"] = live["metadata"].get("resourceVersion", "")
                return "replaced", self.request_json(
                    "PUT",
                    resource.path(key.namespace, key.name),
                    target,
                    query=self._write_query(dry_run, validate),
                    body=body,
                    content_type="application/json",
                )
            except ConflictError:
                if attempt > self.settings.max_retries:
                    raise
        raise AssertionError("unreachable")

    def apply_client_side(
        self, obj: Mapping[str, Any], *, app: str | None = None, dry_run: bool = False, validate: bool = True
    ) -> tuple[str, dict[str, Any]]:
        """Argo CD's ServerSideApply=false: kubectl's client-side apply, a three-way merge patch against the
        last-applied-configuration annotation (cluster/merge_patch.py says how it differs from kubectl).
        Returns ("configured" or "created", the object)."""
        resource, key, body = self._write_body(obj, app, "apply", dry_run)
        desired = with_last_applied(body)
        target = Target("patch", resource.group_resource, key.name, key.namespace)
        for attempt in range(1, self.settings.max_retries + 2):
            live = self.get(key)
            try:
                if live is None:
                    return "created", self.create(desired, dry_run=dry_run, validate=validate)
                # The patch was computed from this very version: a write in between is a 409, then a new round.
                patch = three_way_patch(last_applied(live), desired, live)
                patch.setdefault("metadata", {})["resourceVersion"] = live["metadata"].get("resourceVersion", "")
                return "configured", self.request_json(
                    "PATCH",
                    resource.path(key.namespace, key.name),
                    target,
                    query=self._write_query(dry_run, validate),
                    body=patch,
                    content_type=MERGE_PATCH,
                )
            except ConflictError:
                if attempt > self.settings.max_retries:
                    raise
        raise AssertionError("unreachable")
