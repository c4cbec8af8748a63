"""kubectl, an independent client, through the kubeconfig the sandbox writes."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading

import pytest
import yaml

from gitops_tui.sandbox import Sandbox

from .conftest import Kubectl
from .objects import deployment

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")


def _manifest(**changes: object) -> str:
    body = deployment()
    body["metadata"]["namespace"] = "default"
    body["spec"].update(changes)
    return yaml.safe_dump(body)


def test_api_resources(kubectl: Kubectl) -> None:
    out = kubectl("api-resources", "--no-headers").stdout
    rows = {line.split()[0]: line.split() for line in out.splitlines()}
    assert rows["deployments"][1:] == ["deploy", "apps/v1", "true", "Deployment"]
    assert rows["namespaces"][1:] == ["ns", "v1", "false", "Namespace"]
    assert "customresourcedefinitions" in rows and "leases" in rows


def test_create_get_yaml_label_annotate(kubectl: Kubectl) -> None:
    kubectl("create", "configmap", "settings", "--from-literal=mode=fast")
    got = yaml.safe_load(kubectl("get", "configmap", "settings", "-o", "yaml").stdout)
    assert got["data"] == {"mode": "fast"} and got["metadata"]["uid"]
    kubectl("label", "configmap", "settings", "tier=web")
    kubectl("annotate", "configmap", "settings", "note=hello")
    got = json.loads(kubectl("get", "configmap", "settings", "-o", "json").stdout)
    assert got["metadata"]["labels"] == {"tier": "web"}
    assert got["metadata"]["annotations"] == {"note": "hello"}
    names = kubectl("get", "configmaps", "-l", "tier=web", "-o", "name").stdout.split()
    assert names == ["configmap/settings"]


def test_not_found_message(kubectl: Kubectl) -> None:
    result = kubectl("get", "deployment", "nope", check=False)
    assert result.returncode == 1
    assert 'deployments.apps "nope" not found' in result.stderr


def test_scale_and_foreground_delete(kubectl: Kubectl) -> None:
    kubectl("apply", "-f", "-", stdin=_manifest())
    kubectl("scale", "deployment/web", "--replicas=5")
    got = json.loads(kubectl("get", "deployment", "web", "-o", "json").stdout)
    assert got["spec"]["replicas"] == 5
    kubectl("delete", "deployment", "web", "--cascade=foreground", timeout=20)
    assert kubectl("get", "deployments", "-o", "name").stdout.strip() == ""


def test_get_watch_streams_changes(sandbox: Sandbox, kubectl: Kubectl) -> None:
    kubectl("create", "configmap", "first")
    command = ["kubectl", "--kubeconfig", str(sandbox.kubeconfig_path), "get", "configmaps", "-w", "-o", "name"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    lines: list[str] = []
    try:
        lines.append(process.stdout.readline().strip())
        kubectl("create", "configmap", "second")
        reader = threading.Thread(target=lambda: lines.append(process.stdout.readline().strip()))
        reader.start()
        reader.join(10)
    finally:
        process.kill()
        process.wait()
    assert lines == ["configmap/first", "configmap/second"]


def test_client_side_apply_twice_and_diff(kubectl: Kubectl) -> None:
    assert "created" in kubectl("apply", "-f", "-", stdin=_manifest()).stdout
    got = json.loads(kubectl("get", "deployment", "web", "-o", "json").stdout)
    last_applied = json.loads(got["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"])
    assert last_applied["spec"]["replicas"] == 2
    assert "unchanged" in kubectl("apply", "-f", "-", stdin=_manifest()).stdout
    assert kubectl("diff", "-f", "-", stdin=_manifest(), check=False).returncode == 0
    changed = kubectl("diff", "-f", "-", stdin=_manifest(replicas=4), check=False)
    assert changed.returncode == 1 and "+  replicas: 4" in changed.stdout
    assert "configured" in kubectl("apply", "-f", "-", stdin=_manifest(replicas=4)).stdout
    assert json.loads(kubectl("get", "deployment", "web", "-o", "json").stdout)["spec"]["replicas"] == 4


def test_server_side_apply_and_conflict(kubectl: Kubectl) -> None:
    kubectl("apply", "--server-side", "--field-manager=team-a", "-f", "-", stdin=_manifest())
    got = json.loads(kubectl("get", "deployment", "web", "-o", "json", "--show-managed-fields").stdout)
    assert "team-a" in {entry["manager"] for entry in got["metadata"]["managedFields"]}
    clash = kubectl(
        "apply", "--server-side", "--field-manager=team-b", "-f", "-", stdin=_manifest(replicas=3), check=False
    )
    assert clash.returncode == 1
    assert "conflict" in clash.stderr.lower() and ".spec.replicas" in clash.stderr
    kubectl(
        "apply", "--server-side", "--force-conflicts", "--field-manager=team-b", "-f", "-", stdin=_manifest(replicas=3)
    )
    assert json.loads(kubectl("get", "deployment", "web", "-o", "json").stdout)["spec"]["replicas"] == 3


def test_create_generators_send_protobuf(kubectl: Kubectl) -> None:
    """`kubectl create <kind>` and `kubectl run` send protobuf bodies, which the sandbox decodes."""
    kubectl("create", "deployment", "api", "--image=nginx:1.25", "--replicas=0", "--port=80")
    kubectl("create", "secret", "generic", "creds", "--from-literal=user=admin")
    kubectl("create", "service", "clusterip", "api", "--tcp=80:8080")
    kubectl("create", "ingress", "api", "--rule=example.com/api=api:80")
    kubectl("run", "shell", "--image=busybox", "--labels=role=debug", "--", "sleep", "60")
    got = json.loads(kubectl("get", "deployment,secret,service,ingress,pod", "-o", "json").stdout)["items"]
    by_kind = {(item["kind"], item["metadata"]["name"]): item for item in got}
    deploy = by_kind[("Deployment", "api")]
    assert deploy["spec"]["replicas"] == 0
    assert deploy["spec"]["template"]["spec"]["containers"][0]["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    assert by_kind[("Secret", "creds")]["data"] == {"user": "YWRtaW4="}
    assert by_kind[("Service", "api")]["spec"]["ports"][0]["targetPort"] == 8080
    assert by_kind[("Ingress", "api")]["spec"]["rules"][0]["http"]["paths"][0]["path"] == "/api"
    pod = by_kind[("Pod", "shell")]
    assert pod["metadata"]["labels"] == {"role": "debug"}
    assert pod["spec"]["containers"][0]["args"] == ["sleep", "60"]


def test_get_prints_server_side_tables(kubectl: Kubectl) -> None:
    kubectl("create", "configmap", "settings", "--from-literal=a=1", "--from-literal=b=2")
    kubectl("apply", "-f", "-", stdin=_manifest())
    lines = kubectl("get", "configmaps,deployments").stdout.splitlines()
    assert lines[0].split() == ["NAME", "DATA", "AGE"]
    assert lines[1].split()[:2] == ["configmap/settings", "2"]
    deployments = lines[lines.index("") + 1 :]
    assert deployments[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert deployments[1].split()[:2] == ["deployment.apps/web", "0/2"]
    wide = kubectl("get", "deployment", "web", "-o", "wide").stdout.splitlines()
    assert wide[0].split()[-3:] == ["CONTAINERS", "IMAGES", "SELECTOR"]
    assert wide[1].split()[-3:] == ["app", "nginx:1.25", "app=web"]
