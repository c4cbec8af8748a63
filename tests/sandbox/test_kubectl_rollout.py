"""`kubectl rollout status` waits on the simulated Deployment controller as it would on a real cluster."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from gitops_tui.sandbox import Sandbox
from gitops_tui.sandbox.testing import sandbox_controllers

from .objects import deployment

__all__ = ["sandbox_controllers"]

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")


def kubectl(server: Sandbox, tmp_path: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    command = ["kubectl", "--kubeconfig", str(server.kubeconfig_path), "--cache-dir", str(tmp_path / "kc"), *args]
    return subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=60, check=False)


def test_rollout_status_returns_when_the_rollout_completes(sandbox_controllers: Sandbox, tmp_path: Path) -> None:
    body = deployment()
    body["metadata"]["namespace"] = "default"
    applied = kubectl(sandbox_controllers, tmp_path, "apply", "-f", "-", stdin=yaml.safe_dump(body))
    assert applied.returncode == 0, applied.stderr
    name = body["metadata"]["name"]
    status = kubectl(sandbox_controllers, tmp_path, "rollout", "status", f"deployment/{name}", "--timeout=40s")
    assert status.returncode == 0, status.stderr
    assert "successfully rolled out" in status.stdout


def test_rollout_status_fails_on_a_crash_looping_image(sandbox_controllers: Sandbox, tmp_path: Path) -> None:
    body = deployment()
    body["metadata"]["namespace"] = "default"
    body["spec"]["progressDeadlineSeconds"] = 60  # 3 s of real time at the fixture's 20x
    body["spec"]["template"]["spec"]["containers"][0]["image"] = "registry.example/web:crashloop"
    assert kubectl(sandbox_controllers, tmp_path, "apply", "-f", "-", stdin=yaml.safe_dump(body)).returncode == 0
    name = body["metadata"]["name"]
    status = kubectl(sandbox_controllers, tmp_path, "rollout", "status", f"deployment/{name}", "--timeout=40s")
    assert status.returncode != 0
    assert "exceeded its progress deadline" in status.stderr
