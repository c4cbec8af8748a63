"""State that survives restarts, the command line, the kubeconfig it writes."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from kubernetes import client, config

from gitops_tui.sandbox import Sandbox
from gitops_tui.sandbox.cli import main

from .objects import WIDGET_CRD, configmap


def _core(sandbox: Sandbox) -> client.CoreV1Api:
    return client.CoreV1Api(config.new_client_from_config(config_file=str(sandbox.kubeconfig_path)))


def test_state_survives_restart(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    with Sandbox(state_file=state) as first:
        core = _core(first)
        core.create_namespace({"metadata": {"name": "kept"}})
        created = core.create_namespaced_config_map("kept", configmap("c"))
        last_rv = int(created.metadata.resource_version)
    with Sandbox(state_file=state) as second:
        core = _core(second)
        again = core.read_namespaced_config_map("c", "kept")
        assert again.metadata.uid == created.metadata.uid
        later = core.create_namespaced_config_map("kept", configmap("d"))
        assert int(later.metadata.resource_version) > last_rv
    assert not list(tmp_path.glob(".state.json.*.tmp"))


def test_custom_resources_survive_restart(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    with Sandbox(state_file=state) as first:
        api = config.new_client_from_config(config_file=str(first.kubeconfig_path))
        client.ApiextensionsV1Api(api).create_custom_resource_definition(copy.deepcopy(WIDGET_CRD))
        client.CustomObjectsApi(api).create_namespaced_custom_object(
            "example.com",
            "v1",
            "default",
            "widgets",
            {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"n": 1}},
        )
    with Sandbox(state_file=state) as second:
        api = config.new_client_from_config(config_file=str(second.kubeconfig_path))
        widget = client.CustomObjectsApi(api).get_namespaced_custom_object(
            "example.com", "v1", "default", "widgets", "w"
        )
        assert widget["spec"] == {"n": 1}


def test_state_file_is_always_complete(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    with Sandbox(state_file=state) as sandbox:
        core = _core(sandbox)
        for i in range(30):
            core.create_namespaced_config_map("default", configmap(f"c{i}"))
            if state.exists():
                yaml.safe_load(state.read_text())  # parses at every moment: never a partial file


def test_non_loopback_host_is_refused() -> None:
    with pytest.raises(ValueError, match="loopback"):
        Sandbox(host="0.0.0.0")
    assert main(["--host", "10.1.2.3"]) == 2


def test_command_line_runs_and_writes_kubeconfig(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kc.yaml"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gitops_tui.sandbox",
            "--kubeconfig-out",
            str(kubeconfig),
            "--token",
            "t0k",
            "--no-controllers",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        first_line = process.stdout.readline()
        assert first_line.startswith("Kubernetes sandbox serving at http://127.0.0.1:")
        document = yaml.safe_load(kubeconfig.read_text())
        assert document["current-context"] == "sandbox"
        assert document["users"][0]["user"]["token"] == "t0k"
        api = config.new_client_from_config(config_file=str(kubeconfig))
        assert {n.metadata.name for n in client.CoreV1Api(api).list_namespace().items} >= {"default"}
    finally:
        process.terminate()
        assert process.wait(10) == 0
