"""A Kubernetes API emulator on loopback, faithful enough for the official client and kubectl.

It imports nothing from the rest of gitops_tui: it stands alone, like a real cluster.

    from gitops_tui.sandbox import Sandbox, ForbidRule
    with Sandbox() as sandbox:
        ...  # sandbox.url, sandbox.kubeconfig_path

`main(argv)` is the command line (`python -m gitops_tui.sandbox`, `gitops-tui sandbox`).
"""

from __future__ import annotations

from .access import ForbidRule
from .cli import main
from .faults import ErrorFault, LatencyFault
from .runtime import Sandbox

__all__ = ["ErrorFault", "ForbidRule", "LatencyFault", "Sandbox", "main"]
