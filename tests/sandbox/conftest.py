"""Fixtures for the sandbox conformance tests: a fresh sandbox per test, clients bound to it."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from kubernetes import client, config, dynamic

from gitops_tui.sandbox import Sandbox
from gitops_tui.sandbox.testing import sandbox, sandbox_session  # noqa: F401  (fixtures)


@pytest.fixture
def api(sandbox: Sandbox) -> Iterator[client.ApiClient]:  # noqa: F811
    api_client = config.new_client_from_config(config_file=str(sandbox.kubeconfig_path))
    yield api_client
    api_client.close()


@pytest.fixture
def core(api: client.ApiClient) -> client.CoreV1Api:
    return client.CoreV1Api(api)


@pytest.fixture
def apps(api: client.ApiClient) -> client.AppsV1Api:
    return client.AppsV1Api(api)


@pytest.fixture
def dyn(api: client.ApiClient) -> dynamic.DynamicClient:
    return dynamic.DynamicClient(api)


Kubectl = Callable[..., subprocess.CompletedProcess]


@pytest.fixture
def kubectl(sandbox: Sandbox, tmp_path: Path) -> Kubectl:  # noqa: F811
    binary = shutil.which("kubectl")
    if binary is None:
        pytest.skip("kubectl is not installed")

    def run(
        *args: str, check: bool = True, stdin: str | None = None, timeout: float = 30
    ) -> subprocess.CompletedProcess:
        command = [binary, "--kubeconfig", str(sandbox.kubeconfig_path), "--cache-dir", str(tmp_path / "kcache"), *args]
        result = subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({result.returncode}): {result.stderr}")
        return result

    return run
