"""ClusterClient against the sandbox over HTTP: apply, dry-run, delete, namespaces, read-only, typed errors."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import yaml

from gitops_tui.cluster.client import ClusterClient
from gitops_tui.cluster.errors import (
    ClusterTimeoutError,
    ConflictError,
    ConnectionFailedError,
    ForbiddenError,
    GoneError,
    InvalidError,
    NotFoundError,
    ReadOnlyError,
    ServerError,
    TooManyRequestsError,
    UnauthorizedError,
)
from gitops_tui.cluster.kubeconfig import load_kubeconfig
from gitops_tui.model import ResourceKey
from gitops_tui.sandbox.access import ForbidRule
from gitops_tui.sandbox.faults import ErrorFault
from gitops_tui.sandbox.kubeconfig import write_kubeconfig
from gitops_tui.sandbox.runtime import Sandbox

from .conftest import FAST_CLIENT, configmap, make_client, wait_until

CM = ResourceKey("", "ConfigMap", "default", "settings")


def deployment(name: str, namespace: str = "prod") -> dict:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
            },
        },
    }


def test_apply_creates_stamps_tracking_and_returns_the_live_object(client: ClusterClient) -> None:
    live = client.apply(configmap("settings", mode="on"), app="guestbook")
    assert live["metadata"]["uid"] and live["data"] == {"mode": "on"}
    assert live["metadata"]["annotations"]["gitops-tui.dev/tracking-id"] == "guestbook:/ConfigMap:default/settings"
    managers = {m["manager"] for m in live["metadata"].get("managedFields", [])}
    assert managers == {"gitops-tui"}
    fetched = client.get(CM)
    assert fetched is not None and fetched["metadata"]["uid"] == live["metadata"]["uid"]


def test_apply_fills_in_the_context_namespace_and_drops_it_for_cluster_scope(client: ClusterClient) -> None:
    unnamespaced = configmap("settings")
    del unnamespaced["metadata"]["namespace"]
    assert client.apply(unnamespaced)["metadata"]["namespace"] == "default"  # the sandbox context's namespace
    created = client.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ops", "namespace": "x"}})
    assert "namespace" not in created["metadata"]


def test_dry_run_apply_predicts_without_writing(client: ClusterClient) -> None:
    predicted = client.apply(configmap("settings", mode="dry"), dry_run=True, app="guestbook")
    assert predicted["data"] == {"mode": "dry"}
    assert client.get(CM) is None
    client.apply(configmap("settings", mode="on"))
    assert client.apply(configmap("settings", mode="off"), dry_run=True)["data"] == {"mode": "off"}
    assert client.get(CM)["data"] == {"mode": "on"}  # type: ignore[index]


def test_delete_with_dry_run_and_idempotence(client: ClusterClient) -> None:
    client.apply(configmap("settings"))
    client.delete(CM, dry_run=True)
    assert client.get(CM) is not None
    answer = client.delete(CM)
    # Foreground: the server may answer with the object marked for deletion, then its GC removes it.
    assert answer is not None
    wait_until(lambda: client.get(CM) is None, 5.0, "the foreground deletion to finish")
    assert client.delete(CM) is None  # already gone: fine for pruning
    with pytest.raises(
        NotFoundError,
        match="not found: configmaps 'settings' in namespace 'default' "
        r"\(context sandbox\)",
    ):
        client.delete(CM, missing_ok=False)


def test_ensure_namespace_creates_once(client: ClusterClient) -> None:
    assert client.ensure_namespace("team-a", dry_run=True) is True
    assert client.get(ResourceKey("", "Namespace", "", "team-a")) is None
    assert client.ensure_namespace("team-a") is True
    assert client.ensure_namespace("team-a") is False


def test_read_only_refuses_every_write_before_the_network(sandbox: Sandbox) -> None:
    client = make_client(sandbox, read_only=True)
    with pytest.raises(
        ReadOnlyError, match="read-only mode: refusing to apply ConfigMap default/settings on context sandbox"
    ):
        client.apply(configmap("settings"))
    with pytest.raises(ReadOnlyError, match="refusing to delete"):
        client.delete(CM)
    with pytest.raises(ReadOnlyError, match="refusing to create namespace team-a"):
        client.ensure_namespace("team-a")
    # A dry run writes nothing: diffs keep working in read-only mode.
    assert client.apply(configmap("settings"), dry_run=True)["metadata"]["name"] == "settings"
    assert client.get(CM) is None


def test_forbidden_message_names_verb_resource_namespace_context_and_user(
    sandbox: Sandbox, client: ClusterClient
) -> None:
    client.ensure_namespace("prod")
    sandbox.forbid(ForbidRule(verbs={"patch"}, resource="deployments"))
    with pytest.raises(ForbiddenError) as caught:
        client.apply(deployment("web"))
    assert str(caught.value) == (
        "forbidden: cannot patch deployments.apps 'web' in namespace 'prod' (context sandbox, user sandbox-user)"
    )
    assert caught.value.status == 403 and "cannot patch resource" in caught.value.server_message


def test_conflict_names_the_other_manager_and_force_takes_over(sandbox: Sandbox, client: ClusterClient) -> None:
    sandbox.call(
        lambda store: store.create(
            "configmaps", configmap("settings", mode="theirs"), "default", manager="kubectl-edit"
        )
    )
    with pytest.raises(ConflictError) as caught:
        client.apply(configmap("settings", mode="ours"))
    message = str(caught.value)
    assert message.startswith("conflict: cannot patch configmaps 'settings' in namespace 'default' (context sandbox)")
    assert "kubectl-edit" in message and ".data.mode" in message
    assert client.apply(configmap("settings", mode="ours"), force=True)["data"] == {"mode": "ours"}


def test_invalid_object_carries_the_servers_field_message(client: ClusterClient) -> None:
    bad = configmap("Not_A_Valid_Name")
    with pytest.raises(InvalidError) as caught:
        client.apply(bad)
    message = str(caught.value)
    assert message.startswith(
        "invalid: cannot patch configmaps 'Not_A_Valid_Name' in namespace 'default' (context sandbox): "
    )
    assert "metadata.name" in message


def test_429_is_retried_after_the_servers_delay(sandbox: Sandbox, client: ClusterClient) -> None:
    sandbox.inject_errors(ErrorFault(code=429, retry_after=0, count=2, verbs={"patch"}))
    assert client.apply(configmap("settings"))["metadata"]["name"] == "settings"
    sandbox.inject_errors(ErrorFault(code=503, retry_after=0, count=1, verbs={"get"}))
    assert client.get(CM) is not None
    sandbox.inject_errors(ErrorFault(code=429, retry_after=60, count=1, verbs={"get"}))
    with pytest.raises(TooManyRequestsError) as caught:  # longer than we block a thread for: the caller decides
        client.get(CM)
    assert caught.value.retry_after == 60
    sandbox.inject_errors(ErrorFault(code=500, count=1, verbs={"get"}))
    with pytest.raises(ServerError, match="server error 500: cannot get configmaps 'settings'"):
        client.get(CM)  # a 500 may have had effects: never repeated


def test_refused_connection_and_reachability(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nobody listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", f"http://127.0.0.1:{port}", "t")
    client = ClusterClient.from_kubeconfig(load_kubeconfig(kubeconfig), settings=FAST_CLIENT)
    with pytest.raises(
        ConnectionFailedError,
        match=rf"cannot connect to http://127.0.0.1:{port} \(context sandbox\):"
        r" connection refused \(while trying to read discovery /api\)",
    ):
        client.get(CM)
    assert client.reachability.reachable is False
    assert "connection refused" in client.reachability.error


def test_read_timeout_is_enforced(sandbox: Sandbox) -> None:
    client = make_client(sandbox, read_timeout=0.2)
    client.mapper.refresh()
    sandbox.set_latency(1.0)
    with pytest.raises(
        ClusterTimeoutError,
        match=r"timed out after 0.2 s waiting for http://127.0.0.1:\d+ "
        r"\(context sandbox\) to answer",
    ):
        client.get(CM)


def test_wrong_token_is_unauthorized(tmp_path: Path) -> None:
    with Sandbox(token="right", kubeconfig_path=tmp_path / "kubeconfig") as secured:
        text = (tmp_path / "kubeconfig").read_text().replace("token: right", "token: wrong")
        (tmp_path / "kubeconfig").write_text(text)
        client = make_client(secured)
        with pytest.raises(
            UnauthorizedError,
            match="unauthorized: the server rejected the credentials of user "
            r"sandbox-user \(context sandbox\)",
        ):
            client.mapper.refresh()


def test_exec_plugin_credentials_with_a_path_relative_to_the_kubeconfig(tmp_path: Path) -> None:
    plugin = tmp_path / "bin" / "token-plugin"
    plugin.parent.mkdir()
    plugin.write_text(
        '#!/bin/sh\necho \'{"apiVersion": "client.authentication.k8s.io/v1beta1", '
        '"kind": "ExecCredential", "status": {"token": "right"}}\'\n'
    )
    plugin.chmod(0o755)
    with Sandbox(token="right", kubeconfig_path=tmp_path / "server-kubeconfig") as secured:
        config = tmp_path / "kubeconfig"
        config.write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "current-context": "plugin",
                    "clusters": [{"name": "c", "cluster": {"server": secured.url}}],
                    "users": [
                        {
                            "name": "via-plugin",
                            "user": {
                                "exec": {
                                    "apiVersion": "client.authentication.k8s.io/v1beta1",
                                    "command": "bin/token-plugin",
                                }
                            },
                        }
                    ],
                    "contexts": [{"name": "plugin", "context": {"cluster": "c", "user": "via-plugin"}}],
                }
            )
        )
        client = ClusterClient.from_kubeconfig(load_kubeconfig(config, env={}), settings=FAST_CLIENT)
        assert client.apply(configmap("settings"))["metadata"]["name"] == "settings"


def test_expired_continue_token_is_gone(sandbox: Sandbox, client: ClusterClient) -> None:
    for i in range(4):
        client.apply(configmap(f"cm{i}"))
    resource = client.mapper.resource_for("v1", "ConfigMap")
    first = client.list_page(resource, "default", limit=2)
    assert len(first.items) == 2 and first.continue_token
    sandbox.call(lambda store: (store.create("configmaps", configmap("late"), "default"), store.compact()))
    with pytest.raises(GoneError):  # the cache's lister answers this with a fresh, unpaged list
        client.list_page(resource, "default", limit=2, continue_token=first.continue_token)
    assert {i["metadata"]["name"] for i in client.list(resource, "default").items} >= {"cm0", "cm3", "late"}


def test_apply_into_a_missing_namespace_says_which_namespace(client: ClusterClient) -> None:
    with pytest.raises(NotFoundError) as caught:
        client.apply(configmap("settings", "ghost"))
    message = str(caught.value)
    assert message.startswith("not found: cannot patch configmaps 'settings' in namespace 'ghost' (context sandbox): ")
    assert "ghost" in caught.value.server_message
