"""What ClusterClient puts on the wire, over real HTTP to the sandbox: credentials kept between requests yet
refreshed when they expire or are refused, request bodies and query values that arrive intact, TLS failures."""

from __future__ import annotations

import contextlib
import datetime
import sys
from pathlib import Path

import pytest
import yaml

from gitops_tui.cluster.client import ClusterClient
from gitops_tui.cluster.errors import ConnectionFailedError, UnauthorizedError
from gitops_tui.cluster.kubeconfig import load_kubeconfig
from gitops_tui.model import ResourceKey
from gitops_tui.sandbox.runtime import Sandbox

from .conftest import FAST_CLIENT, configmap

CM = ResourceKey("", "ConfigMap", "default", "settings")


def exec_plugin(folder: Path, lifetime: datetime.timedelta) -> tuple[Path, Path]:
    """A kubeconfig exec plugin handing out the token in `token` (valid for `lifetime`), logging each run in
    `runs`; returns (token file, runs file)."""
    token, runs, plugin = folder / "token", folder / "runs", folder / "token-plugin"
    plugin.write_text(f"""#!{sys.executable}
import datetime, json, pathlib
with open({str(runs)!r}, "a") as runs:
    runs.write("run\\n")
expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds={lifetime.total_seconds()})
print(json.dumps({{"apiVersion": "client.authentication.k8s.io/v1beta1", "kind": "ExecCredential",
                  "status": {{"token": pathlib.Path({str(token)!r}).read_text().strip(),
                             "expirationTimestamp": expires.strftime("%Y-%m-%dT%H:%M:%SZ")}}}}))
""")
    plugin.chmod(0o755)
    return token, runs


def plugin_client(server: Sandbox, folder: Path, plugin: Path) -> ClusterClient:
    config = folder / "kubeconfig"
    config.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "plugin",
                "clusters": [{"name": "c", "cluster": {"server": server.url}}],
                "users": [
                    {
                        "name": "via-plugin",
                        "user": {
                            "exec": {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": str(plugin)}
                        },
                    }
                ],
                "contexts": [
                    {"name": "plugin", "context": {"cluster": "c", "user": "via-plugin", "namespace": "default"}}
                ],
            }
        )
    )
    return ClusterClient.from_kubeconfig(load_kubeconfig(config, env={}), settings=FAST_CLIENT)


def runs(log: Path) -> int:
    return len(log.read_text().splitlines())


def test_a_lasting_exec_credential_is_fetched_once_not_per_request(tmp_path: Path) -> None:
    token, log = exec_plugin(tmp_path, datetime.timedelta(hours=1))
    token.write_text("right")
    with Sandbox(token="right", kubeconfig_path=tmp_path / "server-kubeconfig") as secured:
        client = plugin_client(secured, tmp_path, tmp_path / "token-plugin")
        client.apply(configmap("settings"))
        for _ in range(20):
            assert client.get(CM) is not None
        assert runs(log) == 1
        client.close()


def test_an_expiring_exec_credential_is_fetched_again_and_a_rotation_costs_at_most_one_refusal(
    tmp_path: Path,
) -> None:
    # Four minutes: inside the client's five-minute refresh margin, so every question to the credential's
    # hook runs the plugin again, as it would for any credential about to expire.
    token, log = exec_plugin(tmp_path, datetime.timedelta(minutes=4))
    token.write_text("first")
    with Sandbox(token="first", kubeconfig_path=tmp_path / "server-kubeconfig") as secured:
        client = plugin_client(secured, tmp_path, tmp_path / "token-plugin")  # the default check interval
        client.apply(configmap("settings"))
        token.write_text("second")
        assert secured.server is not None
        secured.server.token = "second"  # the cluster now takes only the new token
        with contextlib.suppress(UnauthorizedError):
            client.get(CM)  # the header kept since the last check may still carry the old token
        assert client.get(CM) is not None  # a refusal makes the next request ask the plugin again
        assert runs(log) >= 2
        client.close()


def test_bodies_and_query_values_arrive_as_written(client: ClusterClient) -> None:
    data = {"greeting": "grüß dich ✓", "date": "2024-01-01", "flag": "true", "quote": 'say "hi"\n'}
    applied = client.apply({**configmap("settings"), "data": data}, app="guestbook")
    assert applied["data"] == data
    assert client.apply({**configmap("settings"), "data": data}, dry_run=True)["data"] == data
    created = client.create({**configmap("plain"), "metadata": {"name": "plain", "labels": {"tier": "web"}}})
    assert created["metadata"]["labels"] == {"tier": "web"}
    client.apply({**configmap("legacy"), "metadata": {"name": "legacy", "labels": {"tier": "api", "legacy": "y"}}})
    configmaps = client.mapper.resource_for("v1", "ConfigMap")
    page = client.list_page(configmaps, "default", label_selector="tier in (web,api),!legacy")
    assert [item["metadata"]["name"] for item in page.items] == ["plain"]


def test_a_failed_tls_handshake_says_so(sandbox: Sandbox, tmp_path: Path) -> None:
    config = tmp_path / "kubeconfig"
    config.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "tls",
                "clusters": [
                    {
                        "name": "c",
                        "cluster": {
                            "server": sandbox.url.replace("http://", "https://"),
                            "insecure-skip-tls-verify": True,
                        },
                    }
                ],
                "users": [{"name": "u", "user": {"token": "t"}}],
                "contexts": [{"name": "tls", "context": {"cluster": "c", "user": "u"}}],
            }
        )
    )
    client = ClusterClient.from_kubeconfig(load_kubeconfig(config, env={}), settings=FAST_CLIENT)
    with pytest.raises(ConnectionFailedError, match=r"TLS handshake with https://127\.0\.0\.1:\d+ \(context tls\)"):
        client.get(CM)
    assert client.reachability.reachable is False
