"""Tracking ids: Argo CD's value format, read from either annotation, copied ids ignored."""

from __future__ import annotations

from gitops_tui.cluster.tracking import (
    ARGOCD_TRACKING_ANNOTATION,
    DEFAULT_TRACKING_ANNOTATION,
    TrackingId,
    stamp_tracking,
    tracked_apps,
)
from gitops_tui.model import ResourceKey

WEB = ResourceKey("apps", "Deployment", "prod", "web")


def test_round_trip_of_argo_cd_format() -> None:
    value = "guestbook:apps/Deployment:prod/web"
    parsed = TrackingId.parse(value)
    assert parsed == TrackingId("guestbook", "apps", "Deployment", "prod", "web")
    assert str(parsed) == value
    core = TrackingId.parse("guestbook:/Service:default/ui")
    assert core is not None and core.group == "" and core.kind == "Service"
    cluster_scoped = TrackingId.parse("infra:rbac.authorization.k8s.io/ClusterRole:/reader")
    assert cluster_scoped is not None and cluster_scoped.namespace == ""


def test_malformed_values_are_ignored() -> None:
    for value in ("", "guestbook", "guestbook:apps/Deployment", ":apps/Deployment:prod/web", "a:Deployment:prod/web"):
        assert TrackingId.parse(value) is None


def test_both_annotations_are_read_and_copies_are_not_members() -> None:
    obj = {
        "metadata": {
            "annotations": {
                ARGOCD_TRACKING_ANNOTATION: "argo-app:apps/Deployment:prod/web",
                DEFAULT_TRACKING_ANNOTATION: "our-app:apps/Deployment:prod/web",
            }
        }
    }
    keys = (DEFAULT_TRACKING_ANNOTATION, ARGOCD_TRACKING_ANNOTATION)
    assert tracked_apps(obj, WEB, keys) == ("our-app", "argo-app")
    pod = ResourceKey("", "Pod", "prod", "web-abc")  # a Pod that inherited its Deployment's annotations
    assert tracked_apps(obj, pod, keys) == ()


def test_stamping_leaves_the_callers_object_alone() -> None:
    original = {"metadata": {"name": "web", "annotations": {"keep": "me"}}}
    stamped = stamp_tracking(original, "guestbook", WEB)
    assert stamped["metadata"]["annotations"] == {
        "keep": "me",
        DEFAULT_TRACKING_ANNOTATION: "guestbook:apps/Deployment:prod/web",
    }
    assert original["metadata"]["annotations"] == {"keep": "me"}
    custom = stamp_tracking(original, "guestbook", WEB, "example.com/owner")
    assert "example.com/owner" in custom["metadata"]["annotations"]
