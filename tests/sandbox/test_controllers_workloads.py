"""Simulated Job, CronJob, StatefulSet and DaemonSet controllers, through the official client."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from kubernetes import client, watch

from tests.sandbox.test_controllers import cluster, conditions_of, wait_for  # noqa: F401  (fixture)


def job(name: str, image: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name},
        "spec": {
            "template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "task", "image": image}]}},
            **spec,
        },
    }


def test_job_completes(cluster: client.ApiClient) -> None:  # noqa: F811
    batch = client.BatchV1Api(cluster)
    batch.create_namespaced_job("default", job("migrate", "tools:1.0", completions=2, parallelism=2))
    done = wait_for(
        lambda: (j := batch.read_namespaced_job_status("migrate", "default")) and "Complete" in conditions_of(j) and j,
        "the Job to complete",
    )
    assert done.status.succeeded == 2
    assert not done.status.failed
    assert done.status.completion_time is not None
    assert conditions_of(done)["Complete"].reason == "CompletionsReached"
    assert done.spec.selector.match_labels == {"batch.kubernetes.io/controller-uid": done.metadata.uid}


def test_failing_job_fails_after_its_backoff_limit(cluster: client.ApiClient) -> None:  # noqa: F811
    batch, core = client.BatchV1Api(cluster), client.CoreV1Api(cluster)
    batch.create_namespaced_job("default", job("broken", "tools:fail", backoffLimit=1))
    failed = wait_for(
        lambda: (j := batch.read_namespaced_job_status("broken", "default")) and "Failed" in conditions_of(j) and j,
        "the Job to fail",
        timeout=20,
    )
    condition = conditions_of(failed)["Failed"]
    assert (condition.status, condition.reason) == ("True", "BackoffLimitExceeded")
    assert condition.message == "Job has reached the specified backoff limit"
    assert failed.status.failed == 2
    assert failed.status.completion_time is None
    pods = core.list_namespaced_pod("default", label_selector="job-name=broken").items
    assert [p.status.phase for p in pods] == ["Failed", "Failed"]
    assert pods[0].status.container_statuses[0].state.terminated.exit_code == 1


def test_cron_job_creates_jobs_on_schedule(cluster: client.ApiClient) -> None:  # noqa: F811
    batch = client.BatchV1Api(cluster)
    cron = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "report"},
        "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": job("x", "tools:1.0")["spec"]}},
    }
    batch.create_namespaced_cron_job("default", cron)
    scheduled = wait_for(
        lambda: (c := batch.read_namespaced_cron_job_status("report", "default")) and c.status.last_schedule_time and c,
        "the first schedule",
        timeout=20,
    )
    jobs = wait_for(lambda: batch.list_namespaced_job("default").items, "the scheduled Job")
    assert jobs[0].metadata.owner_references[0].name == "report"
    assert jobs[0].metadata.name.startswith("report-")
    scheduled_at = jobs[0].metadata.annotations["batch.kubernetes.io/cronjob-scheduled-timestamp"]
    assert scheduled_at == scheduled.status.last_schedule_time.strftime("%Y-%m-%dT%H:%M:%SZ")
    # Timestamps stay wall-clock time at any speed, so ages read right.
    assert scheduled.status.last_schedule_time <= datetime.now(UTC) + timedelta(seconds=1)


def test_stateful_set_starts_pods_in_order(cluster: client.ApiClient) -> None:  # noqa: F811
    apps, core = client.AppsV1Api(cluster), client.CoreV1Api(cluster)
    labels = {"app": "db"}
    apps.create_namespaced_stateful_set(
        "default",
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {"name": "db"},
            "spec": {
                "replicas": 3,
                "serviceName": "db",
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"containers": [{"name": "db", "image": "postgres:16"}]},
                },
                "volumeClaimTemplates": [
                    {
                        "metadata": {"name": "data"},
                        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
                    }
                ],
            },
        },
    )
    # Watch pods: each pod must appear only after every lower ordinal is Ready.
    ready: set[str] = set()
    order: list[str] = []
    stream = watch.Watch()
    for event in stream.stream(core.list_namespaced_pod, "default", label_selector="app=db", timeout_seconds=20):
        pod = event["object"]
        name = pod.metadata.name
        if event["type"] == "ADDED" and name not in order:
            assert ready == set(order), f"{name} was created before {sorted(set(order) - ready)} became Ready"
            order.append(name)
        if any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions or []):
            ready.add(name)
        if len(ready) == 3:
            stream.stop()
    assert order == ["db-0", "db-1", "db-2"]

    found = wait_for(
        lambda: (s := apps.read_namespaced_stateful_set_status("db", "default")) and s.status.ready_replicas == 3 and s,
        "three ready replicas",
    )
    assert found.status.current_revision == found.status.update_revision
    assert found.status.update_revision.startswith("db-")
    claims = {c.metadata.name: c.status.phase for c in core.list_namespaced_persistent_volume_claim("default").items}
    assert claims == {"data-db-0": "Bound", "data-db-1": "Bound", "data-db-2": "Bound"}
    pod = core.read_namespaced_pod("db-1", "default")
    assert pod.metadata.labels["statefulset.kubernetes.io/pod-name"] == "db-1"
    assert pod.metadata.labels["apps.kubernetes.io/pod-index"] == "1"
    assert pod.spec.volumes[-1].persistent_volume_claim.claim_name == "data-db-1"


def test_daemon_set_runs_one_pod_per_node(cluster: client.ApiClient) -> None:  # noqa: F811
    apps, core = client.AppsV1Api(cluster), client.CoreV1Api(cluster)
    labels = {"app": "agent"}
    apps.create_namespaced_daemon_set(
        "default",
        {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": {"name": "agent"},
            "spec": {
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"containers": [{"name": "agent", "image": "agent:1.0"}]},
                },
            },
        },
    )
    found = wait_for(
        lambda: (d := apps.read_namespaced_daemon_set_status("agent", "default")) and d.status.number_ready == 2 and d,
        "an agent on each node",
    )
    assert found.status.desired_number_scheduled == found.status.current_number_scheduled == 2
    assert found.status.number_available == found.status.updated_number_scheduled == 2
    assert found.status.number_misscheduled == 0
    nodes = {p.spec.node_name for p in core.list_namespaced_pod("default", label_selector="app=agent").items}
    assert nodes == {n.metadata.name for n in core.list_node().items}


def test_stateful_set_partition_limits_the_rolling_update(cluster: client.ApiClient) -> None:  # noqa: F811
    apps, core = client.AppsV1Api(cluster), client.CoreV1Api(cluster)
    labels = {"app": "cache"}
    apps.create_namespaced_stateful_set(
        "default",
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {"name": "cache"},
            "spec": {
                "replicas": 3,
                "podManagementPolicy": "Parallel",
                "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 2}},
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"containers": [{"name": "cache", "image": "cache:1"}]},
                },
            },
        },
    )
    first = wait_for(
        lambda: (
            (s := apps.read_namespaced_stateful_set_status("cache", "default")) and s.status.ready_replicas == 3 and s
        ),
        "three ready replicas",
    )
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "cache", "image": "cache:2"}]}}}}
    apps.patch_namespaced_stateful_set("cache", "default", patch)
    rolled = wait_for(
        lambda: (
            (s := apps.read_namespaced_stateful_set_status("cache", "default"))
            and s.status.updated_replicas == 1
            and s.status.ready_replicas == 3
            and s
        ),
        "the pod above the partition to update",
    )
    assert rolled.status.current_revision == first.status.current_revision
    assert rolled.status.update_revision != rolled.status.current_revision
    assert rolled.status.current_replicas == 2
    images = {
        p.metadata.name: p.spec.containers[0].image
        for p in core.list_namespaced_pod("default", label_selector="app=cache").items
    }
    assert images == {"cache-0": "cache:1", "cache-1": "cache:1", "cache-2": "cache:2"}

    apps.patch_namespaced_stateful_set(
        "cache", "default", {"spec": {"updateStrategy": {"rollingUpdate": {"partition": 0}}}}
    )
    done = wait_for(
        lambda: (
            (s := apps.read_namespaced_stateful_set_status("cache", "default"))
            and s.status.updated_replicas == 3
            and s.status.ready_replicas == 3
            and s
        ),
        "the full update",
    )
    assert done.status.current_revision == done.status.update_revision


def test_daemon_set_rolls_one_node_at_a_time(cluster: client.ApiClient) -> None:  # noqa: F811
    apps = client.AppsV1Api(cluster)
    labels = {"app": "agent"}
    apps.create_namespaced_daemon_set(
        "default",
        {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": {"name": "agent"},
            "spec": {
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"containers": [{"name": "agent", "image": "agent:1.0"}]},
                },
            },
        },
    )
    first = wait_for(
        lambda: (d := apps.read_namespaced_daemon_set_status("agent", "default")) and d.status.number_ready == 2 and d,
        "an agent on each node",
    )
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "agent", "image": "agent:2.0"}]}}}}
    apps.patch_namespaced_daemon_set("agent", "default", patch)
    stream = watch.Watch()
    for event in stream.stream(
        apps.list_namespaced_daemon_set,
        "default",
        field_selector="metadata.name=agent",
        resource_version=first.metadata.resource_version,
        timeout_seconds=20,
    ):
        status = event["object"].status
        assert (status.number_unavailable or 0) <= 1, "maxUnavailable 1 was exceeded"
        if (
            status.updated_number_scheduled == 2
            and status.number_ready == 2
            and status.observed_generation == event["object"].metadata.generation
        ):
            stream.stop()
    assert apps.read_namespaced_daemon_set_status("agent", "default").status.number_available == 2


def test_stateful_sets_and_daemon_sets_keep_controller_revisions(cluster: client.ApiClient) -> None:  # noqa: F811
    apps = client.AppsV1Api(cluster)
    labels = {"app": "agent"}
    body = {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "agent"},
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "agent", "image": "agent:1.0"}]},
            },
        },
    }
    apps.create_namespaced_daemon_set("default", body)
    wait_for(lambda: apps.list_namespaced_controller_revision("default").items, "the first revision")
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "agent", "image": "agent:2.0"}]}}}}
    apps.patch_namespaced_daemon_set("agent", "default", patch)
    revisions = wait_for(
        lambda: len(items := apps.list_namespaced_controller_revision("default").items) == 2 and items,
        "the second revision",
    )
    by_number = {r.revision: r for r in revisions}
    assert sorted(by_number) == [1, 2]
    assert by_number[2].data["spec"]["template"]["spec"]["containers"][0]["image"] == "agent:2.0"
    assert by_number[2].metadata.owner_references[0].name == "agent"

    def updated_pods() -> list[Any]:
        pods = client.CoreV1Api(cluster).list_namespaced_pod("default", label_selector="app=agent").items
        return pods if pods and all(p.spec.containers[0].image == "agent:2.0" for p in pods) else []

    pod_hashes = {p.metadata.labels["controller-revision-hash"] for p in wait_for(updated_pods, "updated pods")}
    assert pod_hashes == {by_number[2].metadata.labels["controller-revision-hash"]}


def test_on_failure_restarts_count_toward_the_backoff_limit(cluster: client.ApiClient) -> None:  # noqa: F811
    batch = client.BatchV1Api(cluster)
    body = job("flaky", "tools:crashloop", backoffLimit=2)
    body["spec"]["template"]["spec"]["restartPolicy"] = "OnFailure"
    batch.create_namespaced_job("default", body)
    failed = wait_for(
        lambda: (j := batch.read_namespaced_job_status("flaky", "default")) and "Failed" in conditions_of(j) and j,
        "the Job to fail",
        timeout=30,
    )
    assert conditions_of(failed)["Failed"].reason == "BackoffLimitExceeded"
    assert failed.status.failed == 3
    assert not failed.status.active
