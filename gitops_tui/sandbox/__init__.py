"""A Kubernetes API emulator on loopback, faithful enough for the official client and kubectl.

It imports nothing from the rest of gitops_tui: it stands alone, like a real cluster.

    from gitops_tui.sandbox import Sandbox, ForbidRule, ErrorFault
    with Sandbox() as sandbox:                  # a free loopback port, a background thread
        sandbox.url, sandbox.kubeconfig_path    # context "sandbox", usable by kubectl and the client
        sandbox.call(lambda store: store.create("configmaps", {...}, "default"))   # seed on its loop
        sandbox.forbid(ForbidRule(verbs={"list"}, resource="deployments"))        # 403 like RBAC
        sandbox.inject_errors(ErrorFault(code=429, rate=0.5, verbs={"list"}))     # faults
        sandbox.set_latency(0.2, verbs={"get"}); sandbox.close_watches(); sandbox.compact()
        sandbox.refuse_connections(2.0); sandbox.clear_faults(); sandbox.allow_all()

`Sandbox(controllers=True, speed=20)` also runs the simulated controllers (Deployments, Pods, ...).
Pytest: `pytest_plugins = ["gitops_tui.sandbox.testing"]` gives `sandbox` / `sandbox_session`
fixtures and `wait_until`. The store's internal API is documented in store.py.

Admin endpoint (HTTP, never used by real clients; same bearer token as the API):
    GET  /_sandbox/faults | /_sandbox/state
    POST /_sandbox/faults/latency {"seconds", "verbs"?, "resource"?}
    POST /_sandbox/faults/errors {"code", "rate", "verbs", "resource", "namespace", "retryAfter", "count"}
    POST /_sandbox/faults/clear | /_sandbox/watches/close | /_sandbox/compact
    POST /_sandbox/watches/close-every {"seconds"} | /_sandbox/refuse-connections {"seconds"}

`main(argv)` is the command line (`python -m gitops_tui.sandbox`, `gitops-tui sandbox`).
"""

from __future__ import annotations

from .access import ForbidRule
from .cli import main
from .faults import ErrorFault, LatencyFault
from .runtime import Sandbox

__all__ = ["ErrorFault", "ForbidRule", "LatencyFault", "Sandbox", "main"]
