"""Discovery kept on disk for one-shot commands (cluster/discovery_cache.py), against the sandbox: reused
while recent, private, rewritten when a kind is missing, dropped when the server no longer serves a kind."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from gitops_tui.cluster.client import ClusterClient
from gitops_tui.cluster.discovery_cache import TTL_SECONDS, DiscoveryCache
from gitops_tui.cluster.errors import NotFoundError, UnknownKindError
from gitops_tui.model import ResourceKey
from gitops_tui.sandbox.runtime import Sandbox

from .conftest import make_client, wait_until
from .test_discovery import widget_crd


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "gitops-tui" / "discovery"


def one_shot(sandbox: Sandbox) -> ClusterClient:
    return make_client(sandbox, discovery_on_disk=True, discovery_ttl=TTL_SECONDS)


def cache_of(client: ClusterClient) -> DiscoveryCache:
    return DiscoveryCache(client.api_client.configuration.host)


def test_a_second_command_starts_from_the_private_copy_on_disk(sandbox: Sandbox, cache_home: Path) -> None:
    first = one_shot(sandbox)
    assert first.mapper.from_disk is False
    first.mapper.resource_for("apps/v1", "Deployment")
    first.close()
    path = cache_of(first).path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700 and stat.S_IMODE(cache_home.stat().st_mode) == 0o700
    assert [p.name for p in path.parent.iterdir()] == ["resources.json"]  # no temp file left behind
    rows = json.loads(path.read_text())["resources"]
    assert ["apps", "v1", "Deployment", "deployments", True] in [row[:5] for row in rows]

    second = one_shot(sandbox)
    assert second.mapper.from_disk is True
    assert (
        second.mapper.resource_for("apps/v1", "Deployment").path("prod") == "/apis/apps/v1/namespaces/prod/deployments"
    )
    assert second.mapper.resource_for_group_kind("", "Namespace").namespaced is False
    assert second.mapper.from_disk is True  # answered from the copy: nothing was read again
    second.close()


def test_a_kind_missing_from_the_copy_is_discovered_and_the_copy_rewritten(sandbox: Sandbox, cache_home: Path) -> None:
    first = one_shot(sandbox)
    first.mapper.resource_for("v1", "ConfigMap")
    first.apply(widget_crd())  # a CRD created after the copy was written
    first.close()
    second = one_shot(sandbox)
    assert second.mapper.from_disk is True
    widgets = wait_until(lambda: _found(second, "example.com/v1", "Widget"), what="Widget discovered")
    assert widgets.plural == "widgets" and second.mapper.from_disk is False
    assert "Widget" in {row[2] for row in json.loads(cache_of(second).path.read_text())["resources"]}
    second.close()


def test_a_kind_no_longer_served_drops_the_copy(sandbox: Sandbox, cache_home: Path) -> None:
    first = one_shot(sandbox)
    first.apply(widget_crd())
    wait_until(lambda: _found(first, "example.com/v1", "Widget"), what="Widget discovered")
    first.delete(ResourceKey("apiextensions.k8s.io", "CustomResourceDefinition", "", "widgets.example.com"))
    first.close()
    plain = make_client(sandbox)  # no disk: waits until the server itself no longer serves Widgets
    wait_until(lambda: plain.mapper.refresh() or plain.mapper.find_group_kind("example.com", "Widget") is None,
               what="Widgets no longer served")  # fmt: skip
    plain.close()
    second = one_shot(sandbox)
    stale = second.mapper.resource_for("example.com/v1", "Widget")  # still in the copy on disk
    with pytest.raises(NotFoundError):
        second.list(stale, "default")
    assert second.mapper.invalidations == 1 and not cache_of(second).path.exists()
    with pytest.raises(UnknownKindError):
        second.mapper.resource_for("example.com/v1", "Widget")
    second.close()


def test_an_old_copy_or_another_servers_is_not_used(sandbox: Sandbox, cache_home: Path) -> None:
    first = one_shot(sandbox)
    first.mapper.resource_for("v1", "ConfigMap")
    first.close()
    path = cache_of(first).path
    document = json.loads(path.read_text())
    document["discoveredAt"] -= TTL_SECONDS + 1
    path.write_text(json.dumps(document))
    assert one_shot(sandbox).mapper.from_disk is False
    document["discoveredAt"] += TTL_SECONDS + 1
    document["server"] = "https://elsewhere.example:6443"
    path.write_text(json.dumps(document))
    assert one_shot(sandbox).mapper.from_disk is False
    path.write_text("{not json")
    assert one_shot(sandbox).mapper.from_disk is False


def _found(client: ClusterClient, api_version: str, kind: str):  # type: ignore[no-untyped-def]
    try:
        return client.mapper.resource_for(api_version, kind)
    except UnknownKindError:
        return None
