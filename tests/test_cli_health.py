"""`gitops-tui health FILE...`: Argo CD's health verdicts for live objects saved to files, offline."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_tui.cli import main

CRASHLOOP_POD = """\
apiVersion: v1
kind: Pod
metadata: {name: web-5d9c7b8f4-abcde, namespace: shop}
spec: {restartPolicy: Always, containers: [{name: web, image: shop/web:crashloop}]}
status:
  phase: Running
  containerStatuses:
    - name: web
      ready: false
      restartCount: 4
      state: {waiting: {reason: CrashLoopBackOff, message: back-off 40s restarting failed container=web}}
"""
STUCK_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, generation: 2}
spec: {replicas: 2}
status:
  observedGeneration: 2
  replicas: 2
  updatedReplicas: 2
  conditions:
    - {type: Progressing, status: "False", reason: ProgressDeadlineExceeded}
"""


def test_prints_each_object_with_status_and_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pod.yaml").write_text(CRASHLOOP_POD)
    (tmp_path / "list.json").write_text(
        '{"apiVersion": "v1", "kind": "List", "items": ['
        '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}},'
        '{"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data"},'
        ' "status": {"phase": "Pending"}}]}'
    )
    (tmp_path / "deploy.yaml").write_text(STUCK_DEPLOYMENT)
    code = main(["health", str(tmp_path / "pod.yaml"), str(tmp_path / "list.json"), str(tmp_path / "deploy.yaml")])
    assert code == 0
    rows = [line.split(None, 2) for line in capsys.readouterr().out.splitlines()]
    assert rows[0] == ["RESOURCE", "HEALTH", "MESSAGE"]
    assert rows[1][:2] == ["Pod/shop/web-5d9c7b8f4-abcde", "Degraded"] and "back-off 40s" in rows[1][2]
    assert rows[2] == ["ConfigMap/settings", "-", "no health check for this kind"]
    assert rows[3][:2] == ["PersistentVolumeClaim/data", "Progressing"]
    assert rows[4] == ["Deployment/shop/web", "Degraded", 'Deployment "web" exceeded its progress deadline']


def test_bad_files_are_clear_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bad.yaml").write_text("kind: Pod\nmetadata: [\n")
    assert main(["health", str(tmp_path / "bad.yaml")]) == 2
    assert f"error: {tmp_path / 'bad.yaml'} line 3: invalid YAML" in capsys.readouterr().err
    assert main(["health", str(tmp_path / "missing.yaml")]) == 2
    assert "missing.yaml: cannot read: No such file or directory" in capsys.readouterr().err
