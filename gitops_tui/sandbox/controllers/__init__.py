"""Simulated cluster controllers: what makes health real in the sandbox.

Started by the sandbox runtime on its own loop, after the API server:

    clock = SimClock(speed=speed)                  # simulated seconds per real second
    store = Store(clock=clock.now)                 # objects are stamped with wall-clock time
    runner = ControllerRunner(store, clock, nodes=2)
    await runner.start()   # creates the Nodes, subscribes to the store, starts the work loop
    ...
    await runner.stop()

Every controller is a `base.Controller`: a synchronous `reconcile(key)` over (namespace, name),
woken by store change events and by timers in simulated seconds. Simulated time slows down while the
controllers are behind (see `clock`), so a burst of a thousand rollouts never times out a progress
deadline the way no real controller-manager would; controllers read what they own through the
store's owner index, so their work follows what changed, not how many objects a namespace holds.
They write through the store (status through the status subresource), so watches, resourceVersions
and managedFields see their writes.

| module           | plays                                  | makes                                             |
|------------------|----------------------------------------|---------------------------------------------------|
| `pods`, `runtime`| scheduler + kubelet + container runtime | Pending -> Ready, CrashLoopBackOff, ImagePullBackOff |
| `replicaset`     | ReplicaSet controller                  | pods, replicas/ready/available counts             |
| `deployment`     | Deployment controller                  | ReplicaSets per revision, rollouts, upstream status |
| `statefulset`    | StatefulSet controller                 | ordinal pods and claims, partitions, revisions    |
| `daemonset`      | DaemonSet controller                   | a pod per Ready node                              |
| `job`, `cronjob` | Job and CronJob controllers            | completions, back-off limit, schedules, history   |
| `volumes`        | PV controller + local-path provisioner | Bound claims (class `unavailable` stays Pending)  |
| `services`       | endpoints, cloud LB, ingress controller| Endpoints, `status.loadBalancer.ingress`          |
| `hpa`            | HorizontalPodAutoscaler controller     | min/max enforcement, conditions                   |
| `events`, `nodes`| event recorder, the machines           | core/v1 Events, 1-3 Ready Nodes                   |

Image tags steer pods: `crashloop` (and `fail`) exit with code 1, `missing` cannot be pulled; any
other tag runs (and, for Jobs, completes after `RUN_SECONDS` simulated seconds).
"""
