"""Defaults the store applies on write, seen through the official client as a real server shows them."""

from __future__ import annotations

import base64

from kubernetes import client, config

from gitops_tui.sandbox.runtime import Sandbox
from gitops_tui.sandbox.testing import sandbox

__all__ = ["sandbox"]


def core(server: Sandbox) -> client.CoreV1Api:
    return client.CoreV1Api(config.new_client_from_config(config_file=str(server.kubeconfig_path)))


def service(name: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {"selector": {"app": name}, "ports": [{"port": 80}]},
    }


def test_services_get_distinct_cluster_ips_that_updates_keep(sandbox: Sandbox) -> None:
    api = core(sandbox)
    first = api.create_namespaced_service("default", service("a"))
    second = api.create_namespaced_service("default", service("b"))
    assert first.spec.cluster_ip and second.spec.cluster_ip
    assert first.spec.cluster_ip != second.spec.cluster_ip
    assert first.spec.cluster_ips == [first.spec.cluster_ip]
    # An update that does not mention the address keeps it, as a real server does.
    patched = api.patch_namespaced_service("a", "default", {"metadata": {"labels": {"x": "y"}}})
    assert patched.spec.cluster_ip == first.spec.cluster_ip


def test_secret_string_data_is_stored_as_base64_data(sandbox: Sandbox) -> None:
    api = core(sandbox)
    api.create_namespaced_secret(
        "default",
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "s"},
            "stringData": {"password": "hunter2"},
            "data": {"user": "YXBw"},
        },
    )
    stored = api.read_namespaced_secret("s", "default")
    assert stored.string_data is None
    assert stored.data == {"user": "YXBw", "password": base64.b64encode(b"hunter2").decode()}
