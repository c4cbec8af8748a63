"""Simulated Deployment/ReplicaSet/Pod controllers, observed through the official client over HTTP.

Each test starts its own sandbox at a high simulated speed, so minutes of cluster time take a second
or two; every wait polls for a condition with a timeout, never a bare sleep.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from kubernetes import client, config, watch

from gitops_tui.sandbox import Sandbox

T = TypeVar("T")
SPEED = 50.0


@pytest.fixture
def cluster() -> Iterator[client.ApiClient]:
    with Sandbox(controllers=True, speed=SPEED, nodes=2, bookmark_interval=0.2) as running:
        api_client = config.new_client_from_config(config_file=str(running.kubeconfig_path))
        yield api_client
        api_client.close()


def wait_for(probe: Callable[[], T | None], what: str, timeout: float = 15.0) -> T:
    """Poll `probe` until it returns something truthy; fail with the last value seen."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def watch_raw(list_function: Callable[..., Any], kind: str, resource_version: str) -> Iterator[dict[str, Any]]:
    """Objects of `kind` from a watch, as plain dicts, in the order the server sent them."""
    response = list_function(
        "default", watch=True, resource_version=resource_version, timeout_seconds=20, _preload_content=False
    )
    try:
        for line in response:
            event = json.loads(line)
            if event["type"] in ("ADDED", "MODIFIED") and event["object"].get("kind") == kind:
                yield event["object"]
    finally:
        response.close()


def deployment(name: str = "web", image: str = "web:1.0", replicas: int = 3, **spec: Any) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "containers": [{"name": "app", "image": image, "ports": [{"name": "http", "containerPort": 8080}]}]
                },
            },
            **spec,
        },
    }


def conditions_of(obj: Any) -> dict[str, Any]:
    return {c.type: c for c in (obj.status.conditions or [])}


def progressing(apps: client.AppsV1Api, name: str, reason: str) -> Callable[[], Any]:
    def probe() -> Any:
        found = apps.read_namespaced_deployment_status(name, "default")
        condition = conditions_of(found).get("Progressing")
        return found if condition is not None and condition.reason == reason else None

    return probe


def replica_sets(apps: client.AppsV1Api, name: str) -> list[Any]:
    return [
        rs
        for rs in apps.list_namespaced_replica_set("default").items
        if any(ref.name == name for ref in rs.metadata.owner_references or [])
    ]


def test_deployment_becomes_available_with_upstream_status(cluster: client.ApiClient) -> None:
    apps, core = client.AppsV1Api(cluster), client.CoreV1Api(cluster)
    apps.create_namespaced_deployment("default", deployment())
    found = wait_for(progressing(apps, "web", "NewReplicaSetAvailable"), "the rollout to finish")

    (rs,) = replica_sets(apps, "web")
    assert found.status.replicas == found.status.updated_replicas == 3
    assert found.status.ready_replicas == found.status.available_replicas == 3
    assert found.status.unavailable_replicas is None
    assert found.status.observed_generation == 1
    conditions = conditions_of(found)
    assert conditions["Available"].status == "True"
    assert conditions["Available"].reason == "MinimumReplicasAvailable"
    assert conditions["Available"].message == "Deployment has minimum availability."
    assert conditions["Progressing"].status == "True"
    assert conditions["Progressing"].message == f'ReplicaSet "{rs.metadata.name}" has successfully progressed.'

    pod_hash = rs.metadata.labels["pod-template-hash"]
    assert rs.metadata.name == f"web-{pod_hash}"
    assert rs.spec.selector.match_labels == {"app": "web", "pod-template-hash": pod_hash}
    assert rs.metadata.annotations["deployment.kubernetes.io/revision"] == "1"
    owner = rs.metadata.owner_references[0]
    assert (owner.kind, owner.name, owner.controller) == ("Deployment", "web", True)

    pods = core.list_namespaced_pod("default", label_selector=f"pod-template-hash={pod_hash}").items
    assert len(pods) == 3
    for pod in pods:
        assert pod.status.phase == "Running"
        assert pod.spec.node_name in {"sandbox-control-plane", "sandbox-worker"}
        assert pod.status.pod_ip.startswith("10.244.")
        assert pod.status.host_ip.startswith("172.18.0.")
        assert {c.type: c.status for c in pod.status.conditions} == {
            "PodReadyToStartContainers": "True",
            "Initialized": "True",
            "Ready": "True",
            "ContainersReady": "True",
            "PodScheduled": "True",
        }
        (container,) = pod.status.container_statuses
        assert container.ready and container.started and container.state.running.started_at
        assert pod.metadata.owner_references[0].name == rs.metadata.name

    reasons = {e.reason for e in core.list_namespaced_event("default").items}
    assert {"ScalingReplicaSet", "SuccessfulCreate", "Scheduled", "Pulled", "Started"} <= reasons


def test_crashloop_exceeds_progress_deadline_and_a_fix_heals(cluster: client.ApiClient) -> None:
    apps, core = client.AppsV1Api(cluster), client.CoreV1Api(cluster)
    apps.create_namespaced_deployment("default", deployment(progressDeadlineSeconds=30))
    wait_for(progressing(apps, "web", "NewReplicaSetAvailable"), "the first rollout")

    bad = {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "web:crashloop"}]}}}}
    apps.patch_namespaced_deployment("web", "default", bad)
    stuck = wait_for(progressing(apps, "web", "ProgressDeadlineExceeded"), "the progress deadline", timeout=20)
    new_rs = next(
        rs for rs in replica_sets(apps, "web") if rs.spec.template.spec.containers[0].image == "web:crashloop"
    )
    condition = conditions_of(stuck)["Progressing"]
    assert condition.status == "False"
    assert condition.message == f'ReplicaSet "{new_rs.metadata.name}" has timed out progressing.'
    # maxUnavailable 25% of 3 rounds down to 0: the old pods keep the app available.
    assert conditions_of(stuck)["Available"].status == "True"
    crashing = core.list_namespaced_pod(
        "default", label_selector=f"pod-template-hash={new_rs.metadata.labels['pod-template-hash']}"
    ).items
    (status,) = crashing[0].status.container_statuses
    assert status.restart_count >= 1
    assert status.last_state.terminated.exit_code == 1
    assert not status.ready

    fixed = {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "web:1.1"}]}}}}
    apps.patch_namespaced_deployment("web", "default", fixed)
    healed = wait_for(progressing(apps, "web", "NewReplicaSetAvailable"), "the fixed rollout", timeout=20)
    assert healed.status.updated_replicas == healed.status.available_replicas == 3
    by_image = {rs.spec.template.spec.containers[0].image: rs for rs in replica_sets(apps, "web")}
    assert by_image["web:crashloop"].spec.replicas == 0
    assert by_image["web:1.0"].spec.replicas == 0
    assert by_image["web:1.1"].metadata.annotations["deployment.kubernetes.io/revision"] == "3"


def test_rollback_reuses_the_old_replica_set_with_a_new_revision(cluster: client.ApiClient) -> None:
    apps = client.AppsV1Api(cluster)
    apps.create_namespaced_deployment("default", deployment(replicas=2))
    wait_for(progressing(apps, "web", "NewReplicaSetAvailable"), "the first rollout")
    for image in ("web:2.0", "web:1.0"):
        patch = {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": image}]}}}}
        apps.patch_namespaced_deployment("web", "default", patch)
        wait_for(
            lambda image=image: (
                (d := progressing(apps, "web", "NewReplicaSetAvailable")())
                and d.status.observed_generation == d.metadata.generation
                and d.status.updated_replicas == d.status.replicas == 2
            ),
            f"the rollout to {image}",
        )
    sets = replica_sets(apps, "web")
    assert len(sets) == 2
    revisions = {
        rs.spec.template.spec.containers[0].image: rs.metadata.annotations["deployment.kubernetes.io/revision"]
        for rs in sets
    }
    assert revisions == {"web:1.0": "3", "web:2.0": "2"}


def test_a_crashlooping_new_deployment_is_unavailable(cluster: client.ApiClient) -> None:
    apps, core = client.AppsV1Api(cluster), client.CoreV1Api(cluster)
    apps.create_namespaced_deployment("default", deployment(image="web:crashloop", replicas=1))

    def back_off() -> Any:
        pods = core.list_namespaced_pod("default", label_selector="app=web").items
        statuses = [s for p in pods for s in p.status.container_statuses or []]
        return [s for s in statuses if s.state.waiting and s.state.waiting.reason == "CrashLoopBackOff"]

    (status,) = wait_for(back_off, "CrashLoopBackOff")
    assert status.last_state.terminated.reason == "Error"
    found = apps.read_namespaced_deployment_status("web", "default")
    assert conditions_of(found)["Available"].reason == "MinimumReplicasUnavailable"
    assert conditions_of(found)["Available"].message == "Deployment does not have minimum availability."
    assert found.status.unavailable_replicas == 1
    reasons = {(e.reason, e.type) for e in core.list_namespaced_event("default").items}
    assert ("BackOff", "Warning") in reasons


def test_missing_image_goes_to_image_pull_back_off(cluster: client.ApiClient) -> None:
    apps, core = client.AppsV1Api(cluster), client.CoreV1Api(cluster)
    apps.create_namespaced_deployment("default", deployment(image="web:missing", replicas=1))

    def pulling_fails() -> Any:
        pods = core.list_namespaced_pod("default", label_selector="app=web").items
        waiting = [s.state.waiting.reason for p in pods for s in p.status.container_statuses or [] if s.state.waiting]
        return pods if "ImagePullBackOff" in waiting else None

    (pod,) = wait_for(pulling_fails, "ImagePullBackOff")
    assert pod.status.phase == "Pending"
    reasons = {e.reason for e in core.list_namespaced_event("default").items}
    assert {"Failed", "BackOff"} <= reasons


def test_scaling_up_and_down(cluster: client.ApiClient) -> None:
    apps, core = client.AppsV1Api(cluster), client.CoreV1Api(cluster)
    apps.create_namespaced_deployment("default", deployment(replicas=2))
    wait_for(progressing(apps, "web", "NewReplicaSetAvailable"), "the first rollout")
    for replicas in (5, 1):
        apps.patch_namespaced_deployment_scale("web", "default", {"spec": {"replicas": replicas}})

        def scaled(replicas: int = replicas) -> Any:
            found = apps.read_namespaced_deployment_status("web", "default")
            pods = core.list_namespaced_pod("default", label_selector="app=web").items
            return (
                found.status.available_replicas == replicas
                and found.status.replicas == replicas
                and len(pods) == replicas
            )

        wait_for(scaled, f"{replicas} replicas")
    (rs,) = replica_sets(apps, "web")
    assert rs.spec.replicas == 1


def test_paused_deployment_does_not_roll_out(cluster: client.ApiClient) -> None:
    apps = client.AppsV1Api(cluster)
    apps.create_namespaced_deployment("default", deployment(replicas=1))
    wait_for(progressing(apps, "web", "NewReplicaSetAvailable"), "the first rollout")
    patch = {"spec": {"paused": True, "template": {"spec": {"containers": [{"name": "app", "image": "web:2.0"}]}}}}
    apps.patch_namespaced_deployment("web", "default", patch)
    paused = wait_for(progressing(apps, "web", "DeploymentPaused"), "the paused condition")
    assert conditions_of(paused)["Progressing"].status == "Unknown"
    assert len(replica_sets(apps, "web")) == 1

    apps.patch_namespaced_deployment("web", "default", {"spec": {"paused": False}})
    wait_for(lambda: len(replica_sets(apps, "web")) == 2, "the rollout after resuming")


def test_standalone_replica_set_keeps_its_pods(cluster: client.ApiClient) -> None:
    apps, core = client.AppsV1Api(cluster), client.CoreV1Api(cluster)
    body = deployment(name="solo", replicas=2)
    body.update(kind="ReplicaSet")
    for key in ("strategy",):
        body["spec"].pop(key, None)
    apps.create_namespaced_replica_set("default", body)
    wait_for(
        lambda: apps.read_namespaced_replica_set_status("solo", "default").status.available_replicas == 2,
        "two available pods",
    )
    victim = core.list_namespaced_pod("default", label_selector="app=solo").items[0]
    core.delete_namespaced_pod(victim.metadata.name, "default", _preload_content=False)

    def replaced() -> bool:
        names = {p.metadata.name for p in core.list_namespaced_pod("default", label_selector="app=solo").items}
        return len(names) == 2 and victim.metadata.name not in names

    wait_for(replaced, "a replacement pod")


def test_rolling_update_stays_within_surge_and_unavailability(cluster: client.ApiClient) -> None:
    apps = client.AppsV1Api(cluster)
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 1}}
    apps.create_namespaced_deployment("default", deployment(replicas=4, strategy=strategy))
    first = wait_for(progressing(apps, "web", "NewReplicaSetAvailable"), "the first rollout")
    (old_rs,) = replica_sets(apps, "web")
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "web:2.0"}]}}}}
    apps.patch_namespaced_deployment("web", "default", patch)

    # Replay every ReplicaSet change in order: the sum of wanted pods never exceeds replicas + maxSurge,
    # and availability never drops below replicas - maxUnavailable.
    wanted: dict[str, int] = {}
    available: dict[str, int] = {}
    for rs in watch_raw(apps.list_namespaced_replica_set, "ReplicaSet", first.metadata.resource_version):
        wanted[rs["metadata"]["name"]] = rs["spec"]["replicas"]
        available[rs["metadata"]["name"]] = rs.get("status", {}).get("availableReplicas", 0)
        assert sum(wanted.values()) <= 5, wanted
        assert sum(available.values()) >= 3 or len(wanted) == 1, available
        new = [n for n in wanted if n != old_rs.metadata.name]
        if new and available.get(new[0]) == 4 and sum(wanted.values()) == 4:
            break
    done = wait_for(progressing(apps, "web", "NewReplicaSetAvailable"), "the second rollout")
    assert done.status.updated_replicas == done.status.available_replicas == 4
    reasons = [
        e.message
        for e in client.CoreV1Api(cluster).list_namespaced_event("default").items
        if e.reason == "ScalingReplicaSet"
    ]
    assert any(m.startswith("Scaled down replica set") for m in reasons)


def test_a_restored_sandbox_keeps_its_running_pods(tmp_path: Any) -> None:
    state = tmp_path / "state.json"
    with Sandbox(controllers=True, speed=SPEED, nodes=1, state_file=state) as first:
        api_client = config.new_client_from_config(config_file=str(first.kubeconfig_path))
        apps = client.AppsV1Api(api_client)
        apps.create_namespaced_deployment("default", deployment(replicas=2))
        wait_for(progressing(apps, "web", "NewReplicaSetAvailable"), "the rollout")
        before = {
            p.metadata.name: p.status.pod_ip for p in client.CoreV1Api(api_client).list_namespaced_pod("default").items
        }
        api_client.close()
    with Sandbox(controllers=True, speed=SPEED, nodes=1, state_file=state) as second:
        api_client = config.new_client_from_config(config_file=str(second.kubeconfig_path))
        core = client.CoreV1Api(api_client)
        stream = watch.Watch()
        pods = core.list_namespaced_pod("default")
        assert {p.metadata.name: p.status.pod_ip for p in pods.items} == before
        for event in stream.stream(
            core.list_namespaced_pod, "default", resource_version=pods.metadata.resource_version, timeout_seconds=1
        ):
            conditions = {c.type: c.status for c in event["object"].status.conditions}
            assert conditions["Ready"] == "True", "a restored pod restarted"
        api_client.close()


def test_recreate_stops_old_pods_before_starting_new_ones(cluster: client.ApiClient) -> None:
    apps = client.AppsV1Api(cluster)
    apps.create_namespaced_deployment("default", deployment(replicas=2, strategy={"type": "Recreate"}))
    first = wait_for(progressing(apps, "web", "NewReplicaSetAvailable"), "the first rollout")
    (old_rs,) = replica_sets(apps, "web")
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "web:2.0"}]}}}}
    apps.patch_namespaced_deployment("web", "default", patch)
    replicas: dict[str, int] = {}
    for rs in watch_raw(apps.list_namespaced_replica_set, "ReplicaSet", first.metadata.resource_version):
        replicas[rs["metadata"]["name"]] = rs.get("status", {}).get("replicas", 0)
        new = {n: r for n, r in replicas.items() if n != old_rs.metadata.name}
        if any(new.values()):
            assert replicas[old_rs.metadata.name] == 0, "new pods started while old ones ran"
        if new and all(r == 2 for r in new.values()):
            break
    wait_for(progressing(apps, "web", "NewReplicaSetAvailable"), "the second rollout")


def test_min_ready_seconds_delays_availability(cluster: client.ApiClient) -> None:
    apps = client.AppsV1Api(cluster)
    apps.create_namespaced_deployment("default", deployment(replicas=1, minReadySeconds=30))
    ready = wait_for(
        lambda: (d := apps.read_namespaced_deployment_status("web", "default")) and d.status.ready_replicas == 1 and d,
        "a ready pod",
    )
    assert not ready.status.available_replicas  # ready for less than 30 simulated seconds
    wait_for(
        lambda: apps.read_namespaced_deployment_status("web", "default").status.available_replicas == 1,
        "the pod to become available",
    )
