"""Many rollouts at once: the simulated controllers fall behind, and progress deadlines do not count it.

A real kube-controller-manager keeps up with its cluster, so a Deployment only times out when its
rollout itself stalls. Here the controllers share a CPU and simulated time runs 200x faster than real
time: a burst of Deployments keeps them busy for far longer than a 120 s deadline lasts in real time
(0.6 s). Every healthy rollout must still finish without ever being reported as timed out, and the
one whose image cannot be pulled must still exceed its deadline, as in Kubernetes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from kubernetes import client, config

from gitops_tui.sandbox import Sandbox

SPEED = 200.0
DEADLINE = 120  # simulated seconds: 0.6 s of real time, while the burst below keeps the controllers busy for seconds
ROLLOUTS = 30
STUCK = "stuck"


@pytest.fixture
def cluster() -> Iterator[client.ApiClient]:
    with Sandbox(controllers=True, speed=SPEED, nodes=2, bookmark_interval=0.2) as running:
        api_client = config.new_client_from_config(config_file=str(running.kubeconfig_path))
        yield api_client
        api_client.close()


def deployment(name: str, image: str) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": 1,
            "progressDeadlineSeconds": DEADLINE,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "app", "image": image}]}},
        },
    }


def service(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {"selector": {"app": name}, "ports": [{"port": 80, "targetPort": 8080}]},
    }


def progressing_reason(obj: dict[str, Any]) -> str | None:
    for condition in (obj.get("status") or {}).get("conditions") or []:
        if condition["type"] == "Progressing":
            return str(condition.get("reason"))
    return None


def test_a_burst_of_rollouts_finishes_without_timeouts_and_a_stuck_one_still_times_out(
    cluster: client.ApiClient,
) -> None:
    apps, core = client.AppsV1Api(cluster), client.CoreV1Api(cluster)
    since = apps.list_namespaced_deployment("default").metadata.resource_version
    healthy = [f"web-{index:02d}" for index in range(ROLLOUTS)]

    def create(name: str) -> None:
        image = "registry.example/web:missing" if name == STUCK else "registry.example/web:1.0"
        apps.create_namespaced_deployment("default", deployment(name, image))
        core.create_namespaced_service("default", service(name))

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(create, [*healthy, STUCK]))

    # Every status the Deployments went through, in order: a transient timeout is what the bug looked like.
    timed_out: set[str] = set()
    latest: dict[str, str | None] = {}
    response = apps.list_namespaced_deployment(
        "default", watch=True, resource_version=since, timeout_seconds=60, _preload_content=False
    )
    try:
        for line in response:
            obj = json.loads(line)["object"]
            name, reason = obj["metadata"]["name"], progressing_reason(obj)
            latest[name] = reason
            if reason == "ProgressDeadlineExceeded":
                timed_out.add(name)
            if STUCK in timed_out and all(latest.get(n) == "NewReplicaSetAvailable" for n in healthy):
                break
    finally:
        response.close()

    assert timed_out == {STUCK}, f"rollouts reported as timed out while they progressed: {sorted(timed_out - {STUCK})}"
    assert all(latest.get(n) == "NewReplicaSetAvailable" for n in healthy), latest
    stuck = apps.read_namespaced_deployment_status(STUCK, "default")
    progressing = next(c for c in stuck.status.conditions if c.type == "Progressing")
    assert (progressing.status, progressing.reason) == ("False", "ProgressDeadlineExceeded")
    assert progressing.message.endswith("has timed out progressing.")
    pods = core.list_namespaced_pod("default", label_selector=f"app={STUCK}").items
    assert {p.status.container_statuses[0].state.waiting.reason for p in pods} <= {"ErrImagePull", "ImagePullBackOff"}
    # The burst did happen: the controllers were behind and simulated time waited for them.
    assert len(core.list_namespaced_endpoints("default").items) >= ROLLOUTS
