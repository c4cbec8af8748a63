"""Resource tracking: which Application an object belongs to, read from and written to an annotation.

The value format is Argo CD's, `<app>:<group>/<kind>:<namespace>/<name>`, so a tracking id written by
either tool is understood by both. Argo CD's own annotation is read; our writes go to a configurable key
(default `gitops-tui.dev/tracking-id`) so the console never fights an Argo CD installation over an object.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from gitops_tui.model import ResourceKey

ARGOCD_TRACKING_ANNOTATION = "argocd.argoproj.io/tracking-id"
DEFAULT_TRACKING_ANNOTATION = "gitops-tui.dev/tracking-id"


@dataclass(frozen=True)
class TrackingId:
    app: str
    group: str
    kind: str
    namespace: str
    name: str

    @classmethod
    def parse(cls, value: str) -> TrackingId | None:
        """`guestbook:apps/Deployment:default/web` → TrackingId; None for anything malformed."""
        app, sep, rest = value.partition(":")
        group_kind, sep2, namespace_name = rest.partition(":")
        if not (sep and sep2 and app) or "/" not in group_kind or "/" not in namespace_name:
            return None
        group, _, kind = group_kind.rpartition("/")
        namespace, _, name = namespace_name.partition("/")
        if not kind or not name:
            return None
        return cls(app, group, kind, namespace, name)

    @classmethod
    def for_key(cls, app: str, key: ResourceKey) -> TrackingId:
        return cls(app, key.group, key.kind, key.namespace, key.name)

    def __str__(self) -> str:
        return f"{self.app}:{self.group}/{self.kind}:{self.namespace}/{self.name}"

    def matches(self, key: ResourceKey) -> bool:
        """True when the id was written for this very object.

        Controllers copy annotations (a Deployment's pod template → its Pods); a copied id names another
        object and must not make the copy look like part of the app. Namespace is compared only for
        namespaced objects, as Argo CD does, since tools disagree on what to write for cluster scope.
        """
        if (self.group, self.kind, self.name) != (key.group, key.kind, key.name):
            return False
        return not key.namespace or self.namespace == key.namespace


def tracked_apps(obj: Mapping[str, Any], key: ResourceKey, annotation_keys: Iterable[str]) -> tuple[str, ...]:
    """Apps the object is tracked by, from any of the given annotations, ignoring copied ids."""
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    apps: list[str] = []
    for annotation in annotation_keys:
        value = annotations.get(annotation)
        if not isinstance(value, str):
            continue
        parsed = TrackingId.parse(value)
        if parsed is not None and parsed.matches(key) and parsed.app not in apps:
            apps.append(parsed.app)
    return tuple(apps)


def stamp_tracking(
    obj: Mapping[str, Any], app: str, key: ResourceKey, annotation: str = DEFAULT_TRACKING_ANNOTATION
) -> dict[str, Any]:
    """A copy of `obj` carrying our tracking annotation for `app` (the caller's object is left untouched).

    Only the path to the annotation is copied (the object, its metadata and annotations); everything else is
    shared with `obj`. The stamped object is for sending: a deep copy of every body was a good part of a
    request's CPU."""
    metadata = dict(obj.get("metadata") or {})
    metadata["annotations"] = {**(metadata.get("annotations") or {}), annotation: str(TrackingId.for_key(app, key))}
    return {**obj, "metadata": metadata}
