"""What a custom Lua health check costs per object, next to the built-in Python check.

The same live Deployment (with a realistic status: conditions, replica counts) is assessed with the
built-in check, then with a Lua check of the same logic installed for `apps/Deployment` (the usual
Argo CD script shape: walk the conditions, compare counts), then with a Lua check that only reads one
field, so the fixed cost (object conversion, fresh globals, the instruction hook) shows apart from the
script's own work. Rounds alternate; the figures are medians of per-object microseconds and the ratio
to the built-in check in the same run.

    python -m benchmarks.bench_health [--objects 2000] [--rounds 7]
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from gitops_tui.engine.health import assess_health, custom_checks_installed
from gitops_tui.engine.health_lua import LuaHealthChecks
from gitops_tui.engine.health_lua_config import parse_health_scripts
from gitops_tui.model import HealthStatus

DEPLOYMENT_CHECK = """\
hs = {}
if obj.metadata.generation ~= nil and obj.status.observedGeneration ~= nil
   and obj.metadata.generation > obj.status.observedGeneration then
  return {status = "Progressing", message = "Waiting for rollout to finish: observed generation is behind"}
end
for _, condition in ipairs(obj.status.conditions or {}) do
  if condition.type == "Progressing" and condition.reason == "ProgressDeadlineExceeded" then
    return {status = "Degraded", message = "Deployment " .. obj.metadata.name .. " exceeded its progress deadline"}
  end
end
local wanted = obj.spec.replicas or 1
if (obj.status.updatedReplicas or 0) < wanted then
  return {status = "Progressing", message = "Waiting for rollout to finish"}
end
if (obj.status.availableReplicas or 0) < (obj.status.updatedReplicas or 0) then
  return {status = "Progressing", message = "Waiting for rollout to finish: not all updated replicas are available"}
end
hs.status = "Healthy"
return hs
"""
TRIVIAL_CHECK = 'return {status = "Healthy", message = obj.metadata.name}'


def deployment(index: int) -> dict[str, Any]:
    name = f"web-{index}"
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": "shop", "generation": 3, "uid": f"uid-{index}",
                     "labels": {"app": name, "tier": "front"},
                     "annotations": {"deployment.kubernetes.io/revision": "3"}},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"containers": [{"name": "web", "image": f"registry.example/{name}:1.3",
                                                       "ports": [{"containerPort": 8080}]}]}}},
        "status": {"observedGeneration": 3, "replicas": 3, "updatedReplicas": 3, "readyReplicas": 3,
                   "availableReplicas": 3,
                   "conditions": [
                       {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
                       {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}]},
    }  # fmt: skip


def per_object_us(objects: list[dict[str, Any]]) -> float:
    started = time.perf_counter()
    for obj in objects:
        assess_health(obj)
    return (time.perf_counter() - started) / len(objects) * 1e6


def lua(script: str) -> LuaHealthChecks:
    return LuaHealthChecks(parse_health_scripts({"resource.customizations.health.apps_Deployment": script}, "bench"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--objects", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    objects = [deployment(i) for i in range(args.objects)]
    variants = {"built-in": None, "lua (same logic)": lua(DEPLOYMENT_CHECK), "lua (one field)": lua(TRIVIAL_CHECK)}
    for checks in variants.values():  # warm up: compile the scripts, make the Lua states
        with custom_checks_installed(checks):
            health = assess_health(objects[0])
            assert health is not None and health.status is HealthStatus.HEALTHY, health
    timings: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.rounds):
        for name, checks in variants.items():
            with custom_checks_installed(checks):
                timings[name].append(per_object_us(objects))
    baseline = statistics.median(timings["built-in"])
    print(f"{args.objects} Deployments x {args.rounds} rounds, median per object:")
    for name, values in timings.items():
        median = statistics.median(values)
        print(f"  {name:<18} {median:8.1f} us   {median / baseline:5.1f}x built-in")


if __name__ == "__main__":
    main()
